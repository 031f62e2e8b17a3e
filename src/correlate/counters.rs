//! Request counters of one worker-process instance: gaps (requests whose start
//! line is missing), duplicates (the module's read race), out-of-order values.
//!
//! The module increments `cnt` atomically but reads it again when it prints:
//! two requests that start together can both print N+1, and then N is never
//! printed. So a missing value next to a duplicate is a read race, not a lost
//! request. Values are only judged missing once the counter has moved
//! [`HORIZON`] past them (later arrivals out of order are still accepted).

use std::cell::Cell;
use std::collections::VecDeque;

/// How far the counter moves past a value before a missing value is final.
pub const HORIZON: u64 = 64;
/// How far above a missing value a duplicate may be to explain it.
const RACE_SPAN: u64 = 8;
/// How far back an unseen value still makes assignments doubtful.
const HOT: u64 = 16;

/// A finished range of missing values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub from: u64,
    pub to: u64,
    pub missing: u64,
    pub read_race: u64,
}

/// What one new counter value was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seen {
    pub duplicate: bool,
    pub out_of_order: bool,
}

#[derive(Debug, Clone)]
pub struct Counters {
    /// Lowest value still tracked; values below were judged.
    floor: u64,
    max: Option<u64>,
    /// How often each value from `floor` up was printed (index 0 = floor).
    seen: VecDeque<u32>,
    /// Duplicated values not yet used to explain a missing one.
    spare_dups: VecDeque<u64>,
    pub duplicates: u64,
    pub out_of_order: u64,
    pub first: Option<u64>,
    /// Missing range still growing (judged values, not yet reported).
    pending: Option<(u64, u64)>,
    /// [`Counters::unseen_recent`], computed once per change (it is asked
    /// for every message).
    unseen_recent: Cell<Option<u32>>,
}

impl Counters {
    /// `expect_from`: the first value the instance should print (1 after a
    /// process start), or `None` when the capture began mid-process.
    pub fn new(expect_from: Option<u64>) -> Counters {
        Counters {
            floor: expect_from.unwrap_or(0),
            max: None,
            seen: VecDeque::new(),
            spare_dups: VecDeque::new(),
            duplicates: 0,
            out_of_order: 0,
            first: None,
            pending: None,
            unseen_recent: Cell::new(None),
        }
    }

    pub fn max(&self) -> Option<u64> {
        self.max
    }

    /// Whether `cnt` has been printed before in this instance.
    pub fn has_seen(&self, cnt: u64) -> bool {
        cnt >= self.floor && self.count(cnt) > 0
    }

    fn count(&self, cnt: u64) -> u32 {
        usize::try_from(cnt - self.floor)
            .ok()
            .and_then(|i| self.seen.get(i).copied())
            .unwrap_or(0)
    }

    /// Records a value; finished gaps are appended to `gaps`.
    pub fn observe(&mut self, cnt: u64, gaps: &mut Vec<Gap>) -> Seen {
        self.unseen_recent.set(None);
        let mut s = Seen::default();
        if self.first.is_none() {
            self.first = Some(cnt);
            if self.floor == 0 {
                // Capture began mid-process: nothing before is missing.
                self.floor = cnt;
            }
        }
        if let Some(m) = self.max
            && cnt < m
        {
            s.out_of_order = true;
            self.out_of_order += 1;
        }
        if cnt < self.floor {
            // Below the tracked window: arrived very late, already judged.
            return s;
        }
        if self.max.is_none_or(|m| cnt > m) {
            self.max = Some(cnt);
        }
        let m = self.max.unwrap_or(cnt);
        if m > HORIZON && m - HORIZON > self.floor {
            self.advance(m - HORIZON, gaps);
        }
        // `cnt` is within HORIZON of the top now, so the window stays small.
        let i = (cnt - self.floor) as usize;
        if self.seen.len() <= i {
            self.seen.resize(i + 1, 0);
        }
        self.seen[i] += 1;
        if self.seen[i] > 1 {
            s.duplicate = true;
            self.duplicates += 1;
            self.spare_dups.push_back(cnt);
        }
        s
    }

    /// Live input: judges every value below `to`, a value already seen
    /// (the highest one a while ago: later values had time to arrive), and
    /// reports the missing ranges below it now.
    pub fn judge_below(&mut self, to: u64, gaps: &mut Vec<Gap>) {
        self.unseen_recent.set(None);
        if to > self.floor && self.has_seen(to) {
            self.advance(to, gaps);
            self.flush(gaps);
        }
    }

    /// Judges every value below `to`.
    fn advance(&mut self, to: u64, gaps: &mut Vec<Gap>) {
        while self.floor < to {
            match self.seen.pop_front() {
                Some(0) => {
                    let v = self.floor;
                    self.missing(v, v, gaps);
                    self.floor += 1;
                }
                Some(_) => {
                    self.flush(gaps);
                    self.floor += 1;
                }
                None => {
                    // Nothing tracked up to `to`: one missing range.
                    let v = self.floor;
                    self.missing(v, to - 1, gaps);
                    self.floor = to;
                }
            }
        }
        if self.pending.is_none() {
            while self
                .spare_dups
                .front()
                .is_some_and(|&d| d + RACE_SPAN < self.floor)
            {
                self.spare_dups.pop_front();
            }
        }
    }

    /// Extends the pending missing range.
    fn missing(&mut self, from: u64, to: u64, gaps: &mut Vec<Gap>) {
        if let Some((a, b)) = self.pending
            && b + 1 == from
        {
            self.pending = Some((a, to));
            return;
        }
        self.flush(gaps);
        self.pending = Some((from, to));
    }

    /// Reports the pending missing range, if any.
    fn flush(&mut self, gaps: &mut Vec<Gap>) {
        if let Some((from, to)) = self.pending.take() {
            self.gap(from, to, gaps);
        }
    }

    fn gap(&mut self, from: u64, to: u64, gaps: &mut Vec<Gap>) {
        let len = to - from + 1;
        // Duplicates just above the range explain that many values.
        let mut race = 0;
        while race < len {
            let Some(pos) = self
                .spare_dups
                .iter()
                .position(|&d| d > from && d <= to + RACE_SPAN)
            else {
                break;
            };
            self.spare_dups.remove(pos);
            race += 1;
        }
        gaps.push(Gap {
            from,
            to,
            missing: len - race,
            read_race: race,
        });
    }

    /// Judges everything up to the highest value (the instance ended).
    pub fn finish(&mut self, gaps: &mut Vec<Gap>) {
        self.unseen_recent.set(None);
        if let Some(m) = self.max {
            self.advance(m + 1, gaps);
        }
        self.flush(gaps);
    }

    /// How many values near the top are unseen and not explained by a
    /// duplicate (requests that may be running with their start line lost).
    pub fn unseen_recent(&self) -> u32 {
        if let Some(n) = self.unseen_recent.get() {
            return n;
        }
        let n = self.count_unseen_recent();
        self.unseen_recent.set(Some(n));
        n
    }

    fn count_unseen_recent(&self) -> u32 {
        let Some(m) = self.max else {
            return 0;
        };
        let low = m.saturating_sub(HOT).max(self.floor);
        if low >= m {
            return 0;
        }
        // `floor <= low <= m`: the window's indexes, cut to what is tracked.
        let len = self.seen.len();
        let from = ((low - self.floor) as usize).min(len);
        let to = ((m - self.floor) as usize).saturating_add(1).min(len);
        let seen = self.seen.range(from..to).filter(|&&c| c > 0).count() as u64;
        let unseen = (m - low + 1).saturating_sub(seen);
        let dups = self.spare_dups.iter().filter(|&&d| d >= low).count() as u64;
        unseen.saturating_sub(dups) as u32
    }

    /// Whether a value near the top is still unseen and not explained by a
    /// duplicate: a request may be running whose start line was lost, so a
    /// message cannot be said to belong to the only open request.
    pub fn doubtful(&self) -> bool {
        self.unseen_recent() > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(values: &[u64], expect_from: Option<u64>) -> (Counters, Vec<Gap>) {
        let mut c = Counters::new(expect_from);
        let mut gaps = Vec::new();
        for &v in values {
            c.observe(v, &mut gaps);
        }
        c.finish(&mut gaps);
        (c, gaps)
    }

    proptest::proptest! {
        /// The unseen recent values are counted over the tracked window as
        /// they are by looking each value up, whatever the arrivals.
        #[test]
        fn unseen_recent_counts_each_value(
            steps in proptest::collection::vec(0u64..40, 1..200),
            expect_from in proptest::option::of(1u64..5),
        ) {
            let mut c = Counters::new(expect_from);
            let mut gaps = Vec::new();
            let mut top = 1u64;
            for (i, step) in steps.into_iter().enumerate() {
                // Mostly rising, with repeats, late values and jumps.
                let v = match step % 5 {
                    0 => top.saturating_sub(step),
                    1 => top,
                    _ => top + step / 4,
                };
                top = top.max(v);
                c.observe(v, &mut gaps);
                if i % 3 == 0 {
                    c.judge_below(top.saturating_sub(step), &mut gaps);
                }
                let naive = match c.max {
                    None => 0,
                    Some(m) => {
                        let low = m.saturating_sub(HOT).max(c.floor);
                        if low >= m {
                            0
                        } else {
                            let seen = (low..=m).filter(|&v| c.count(v) > 0).count() as u64;
                            let dups = c.spare_dups.iter().filter(|&&d| d >= low).count() as u64;
                            ((m - low + 1).saturating_sub(seen)).saturating_sub(dups) as u32
                        }
                    }
                };
                proptest::prop_assert_eq!(c.count_unseen_recent(), naive);
            }
        }
    }

    #[test]
    fn plain_sequence_has_no_gap() {
        let v: Vec<u64> = (1..=500).collect();
        let (c, gaps) = run(&v, Some(1));
        assert!(gaps.is_empty());
        assert_eq!(c.duplicates, 0);
    }

    #[test]
    fn missing_values_are_gaps() {
        let v: Vec<u64> = (1..=300)
            .filter(|v| *v != 17 && !(100..=104).contains(v))
            .collect();
        let (_, gaps) = run(&v, Some(1));
        assert_eq!(
            gaps,
            vec![
                Gap {
                    from: 17,
                    to: 17,
                    missing: 1,
                    read_race: 0
                },
                Gap {
                    from: 100,
                    to: 104,
                    missing: 5,
                    read_race: 0
                },
            ]
        );
    }

    #[test]
    fn duplicate_explains_skipped_value() {
        // 41 skipped, 42 printed twice: the read race.
        let mut v: Vec<u64> = (1..=200).filter(|v| *v != 41).collect();
        v.insert(42, 42);
        let (c, gaps) = run(&v, Some(1));
        assert_eq!(c.duplicates, 1);
        assert_eq!(
            gaps,
            vec![Gap {
                from: 41,
                to: 41,
                missing: 0,
                read_race: 1
            }]
        );
    }

    #[test]
    fn out_of_order_is_not_a_gap() {
        let mut v: Vec<u64> = (1..=200).collect();
        v.swap(10, 11);
        let (c, gaps) = run(&v, Some(1));
        assert!(gaps.is_empty());
        assert_eq!(c.out_of_order, 1);
    }

    #[test]
    fn capture_started_mid_process() {
        let v: Vec<u64> = (500..=600).collect();
        let (_, gaps) = run(&v, None);
        assert!(gaps.is_empty());
        let (_, gaps) = run(&v, Some(1));
        assert_eq!(gaps[0].from, 1);
        assert_eq!(gaps[0].to, 499);
    }

    #[test]
    fn big_jump_is_one_gap() {
        let (_, gaps) = run(&[1, 2, 1_000_000, 1_000_001], Some(1));
        assert_eq!(gaps.len(), 1);
        assert_eq!(gaps[0].missing, 1_000_000 - 3);
    }

    #[test]
    fn doubtful_near_unseen_value() {
        let mut c = Counters::new(Some(1));
        let mut g = Vec::new();
        for v in [1, 2, 4] {
            c.observe(v, &mut g);
        }
        assert!(c.doubtful());
        c.observe(3, &mut g);
        assert!(!c.doubtful());
        // A duplicate accounts for a skipped value.
        for v in [6, 6] {
            c.observe(v, &mut g);
        }
        assert!(!c.doubtful());
    }
}
