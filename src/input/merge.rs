//! Several inputs as one stream: merged in time order where their times
//! allow (all absolute, or all clock times of one kind), else one after the
//! other in argument order.

use std::collections::VecDeque;

use crate::input::event::{EventTime, TimeKind};
use crate::input::{ItemStream, SourceItem};

/// One input with the items read ahead of its next event.
struct Lane {
    stream: ItemStream,
    ahead: VecDeque<SourceItem>,
    /// Sort key of the lane's head event (or of its last timed event).
    key: f64,
    /// Added to time-of-day keys after midnight passed in this lane.
    day_offset: f64,
    last_tod: Option<f64>,
    done: bool,
}

impl Lane {
    /// Reads until the next event (or the end), keeping what was read.
    fn fill(&mut self) {
        while !self.done && !self.ahead.iter().any(|i| matches!(i, SourceItem::Event(_))) {
            match self.stream.next() {
                Some(item) => self.ahead.push_back(item),
                None => self.done = true,
            }
        }
        if let Some(t) = self.head_time() {
            self.key = self.key_of(t);
        }
    }

    fn head_time(&self) -> Option<EventTime> {
        self.ahead.iter().find_map(|i| match i {
            SourceItem::Event(e) => e.time,
            _ => None,
        })
    }

    fn key_of(&mut self, t: EventTime) -> f64 {
        let k = t.sort_key();
        if t.kind() == TimeKind::TimeOfDay {
            if let Some(last) = self.last_tod
                && k + 43_200.0 < last
            {
                self.day_offset += 86_400.0;
            }
            self.last_tod = Some(k);
        }
        k + self.day_offset
    }

    fn has_event(&self) -> bool {
        self.ahead.iter().any(|i| matches!(i, SourceItem::Event(_)))
    }
}

/// Merges inputs. Streams with a single input pass straight through.
pub struct Merge {
    lanes: Vec<Lane>,
    by_time: bool,
    current: usize,
}

impl Merge {
    pub fn new(streams: Vec<ItemStream>) -> Merge {
        let mut lanes: Vec<Lane> = streams
            .into_iter()
            .map(|stream| Lane {
                stream,
                ahead: VecDeque::new(),
                key: f64::NEG_INFINITY,
                day_offset: 0.0,
                last_tod: None,
                done: false,
            })
            .collect();
        let mut by_time = false;
        if lanes.len() > 1 {
            for lane in &mut lanes {
                lane.fill();
            }
            let kinds: Vec<Option<TimeKind>> = lanes
                .iter()
                .map(|l| l.head_time().map(|t| t.kind()))
                .collect();
            let present: Vec<TimeKind> = kinds.iter().flatten().copied().collect();
            // Elapsed seconds of different captures are not comparable.
            by_time = present.len() >= 2
                && present.iter().all(|k| *k == present[0])
                && present[0] != TimeKind::Elapsed;
        }
        Merge {
            lanes,
            by_time,
            current: 0,
        }
    }

    /// Whether inputs are merged by time (else concatenated).
    pub fn merges_by_time(&self) -> bool {
        self.by_time
    }
}

impl Iterator for Merge {
    type Item = SourceItem;

    fn next(&mut self) -> Option<SourceItem> {
        if !self.by_time {
            while self.current < self.lanes.len() {
                let lane = &mut self.lanes[self.current];
                if let Some(item) = lane.ahead.pop_front() {
                    return Some(item);
                }
                if !lane.done {
                    match lane.stream.next() {
                        Some(item) => return Some(item),
                        None => lane.done = true,
                    }
                }
                self.current += 1;
            }
            return None;
        }
        // Problems ahead of a lane's head event go out first.
        for lane in &mut self.lanes {
            if let Some(SourceItem::Problem(_)) = lane.ahead.front() {
                return lane.ahead.pop_front();
            }
        }
        let best = self
            .lanes
            .iter()
            .enumerate()
            .filter(|(_, l)| l.has_event())
            .min_by(|a, b| a.1.key.total_cmp(&b.1.key))
            .map(|(i, _)| i)?;
        let lane = &mut self.lanes[best];
        let item = lane.ahead.pop_front();
        lane.fill();
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{ReadOptions, TextSource};

    fn stream(name: &str, text: &'static str) -> ItemStream {
        Box::new(TextSource::new(
            text.as_bytes(),
            name.into(),
            ReadOptions::default(),
        ))
    }

    fn texts(m: Merge) -> Vec<String> {
        m.filter_map(|i| match i {
            SourceItem::Event(e) => Some(e.text),
            _ => None,
        })
        .collect()
    }

    #[test]
    fn clock_times_merge_in_order() {
        let a = stream("a", "1\t10:00:00.000\t[1] a1\n2\t10:00:02.000\t[1] a2\n");
        let b = stream("b", "1\t10:00:01.000\t[2] b1\n2\t10:00:03.000\t[2] b2\n");
        let m = Merge::new(vec![a, b]);
        assert!(m.merges_by_time());
        assert_eq!(texts(m), ["a1", "b1", "a2", "b2"]);
    }

    #[test]
    fn elapsed_times_concatenate() {
        let a = stream("a", "1\t0.5\t[1] a1\n2\t0.9\t[1] a2\n");
        let b = stream("b", "1\t0.1\t[2] b1\n");
        let m = Merge::new(vec![a, b]);
        assert!(!m.merges_by_time());
        assert_eq!(texts(m), ["a1", "a2", "b1"]);
    }

    #[test]
    fn midnight_rollover_keeps_order() {
        let a = stream("a", "1\t23:59:59.000\t[1] a1\n2\t00:00:02.000\t[1] a2\n");
        let b = stream("b", "1\t00:00:01.000\t[2] b1\n");
        // b starts after midnight as seen from its own lane only; a's second
        // event is after midnight too and must come after a1.
        let out = texts(Merge::new(vec![a, b]));
        assert_eq!(out.iter().position(|t| t == "a1"), Some(1));
        assert_eq!(out.iter().position(|t| t == "a2"), Some(2));
    }
}
