//! Joint assignment of a process's messages without thread ids (issue 19).
//!
//! While several requests of a process could take its messages, those
//! messages are held in a window and every assignment of them is weighed
//! as a whole: a beam of hypotheses, each giving every held message to a
//! request, scored by the learned timing ([`StepTiming`]). Hypotheses whose
//! requests stand at the same steps since the same times have the same
//! future, so only the likelier is kept (a dynamic programme over the open
//! window); the gap to the one dropped is remembered per message, for the
//! confidence. The oldest held message is applied once every hypothesis
//! left gives it to the same request, or when it is older than any step
//! the capture has shown, or the window is full (then the likeliest
//! hypothesis decides, counting how likely each waiting request is to have
//! printed nothing yet).

use std::collections::VecDeque;
use std::time::Instant;

use smallvec::SmallVec;

use super::timing::StepTiming;
use super::{Scheme, Want};
use crate::input::event::TraceEvent;

/// Hypotheses kept.
const BEAM: usize = 16;
/// Messages held before the oldest is decided whatever the hypotheses say.
pub const MAX_PENDING: usize = 48;
/// Requests a window follows before it is decided whole.
pub const MAX_MEMBERS: usize = 256;
/// Hypotheses this much less likely than the best (ln) are dropped: no
/// later message can plausibly bring them back.
pub const PRUNE: f64 = 12.0;

/// Where a request of the window stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    Started,
    Forced,
    SizeSeen,
    Done,
}

/// A request of the window, at the step it entered at time `since`.
#[derive(Debug, Clone, Copy)]
struct Slot {
    at: At,
    since: f64,
}

impl PartialEq for Slot {
    fn eq(&self, o: &Slot) -> bool {
        self.at == o.at && (self.at == At::Done || self.since.to_bits() == o.since.to_bits())
    }
}

#[derive(Debug, Clone, Copy)]
struct Member {
    start_index: u64,
    start_seq: u64,
    scheme: Scheme,
}

/// Whom a hypothesis gives a message to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    To(u32),
    /// No request can take it: one of its request's lines was lost.
    AfterLoss(u32),
    Orphan,
}

#[derive(Debug, Clone)]
struct Hypothesis {
    score: f64,
    slots: SmallVec<[Slot; 6]>,
    /// Per held message: whom it goes to, and ln of the likelihood gap to
    /// the best assignment known that gives it elsewhere.
    choice: SmallVec<[(Choice, f64); 6]>,
}

/// A message held by the window.
#[derive(Debug)]
pub struct Pending {
    pub ev: TraceEvent,
    pub seq: u64,
    pub want: Want,
    /// The message's kind as the timing knows it, and the step it leads to.
    pub next: usize,
    pub to: At,
    pub time: f64,
    pub arrived: Instant,
    /// Members any hypothesis offered it to.
    alternatives: SmallVec<[u32; 4]>,
}

impl Pending {
    pub fn new(ev: TraceEvent, seq: u64, want: Want, next: usize, to: At, time: f64) -> Self {
        Pending {
            ev,
            seq,
            want,
            next,
            to,
            time,
            arrived: Instant::now(),
            alternatives: SmallVec::new(),
        }
    }
}

/// The window's answer for its oldest message.
#[derive(Debug)]
pub struct Decision {
    pub pending: Pending,
    /// Start index of the request it goes to, and whether that request
    /// takes it because one of its lines was lost.
    pub target: Option<u64>,
    pub after_loss: bool,
    /// Start indexes of every request it could have gone to.
    pub alternatives: SmallVec<[u64; 4]>,
    /// 0.5-1: best against second-best assignment, `1 / (1 + L2/L1)`.
    pub confidence: f64,
}

/// The learned timing a window scores with: the module build's where it
/// has enough samples, else the whole capture's.
pub struct Timing<'a> {
    pub build: Option<&'a mut StepTiming>,
    pub global: &'a mut StepTiming,
    /// Share of lines the capture loses.
    pub lost: f64,
    /// The capture's clock resolution (seconds).
    pub resolution: f64,
}

impl Timing<'_> {
    fn pick(&mut self, from: usize) -> Option<&mut StepTiming> {
        match self.build.as_deref_mut() {
            Some(b) if b.trusted(from) => Some(b),
            _ if self.global.trusted(from) => Some(&mut *self.global),
            _ => None,
        }
    }

    fn delay(&self, now: f64, since: f64) -> f64 {
        let d = now - since;
        if d.is_finite() {
            d.max(self.resolution / 2.0)
        } else {
            self.resolution / 2.0
        }
    }

    /// ln of how likely a request at `from` since `since` prints `next` at
    /// `now`; `None` while the timing of `from` is not learned.
    pub fn score(&mut self, from: usize, next: usize, now: f64, since: f64) -> Option<f64> {
        let d = self.delay(now, since);
        self.pick(from).map(|t| t.log_step(from, next, d))
    }

    fn step(&mut self, from: usize, next: usize, now: f64, since: f64) -> f64 {
        let d = self.delay(now, since);
        self.pick(from).map_or(0.0, |t| t.log_step(from, next, d))
    }

    fn waiting(&mut self, from: usize, now: f64, since: f64) -> f64 {
        let (d, lost) = (self.delay(now, since), self.lost);
        self.pick(from)
            .map_or(0.0, |t| t.log_waiting(from, d, lost))
    }

    /// Steps take no longer than this: a message held longer can learn
    /// nothing more from the messages after it.
    pub fn horizon(&mut self) -> f64 {
        self.global.usual_longest().max(self.resolution) * 2.0
    }
}

/// The timing class of a request at `at` (see [`super::timing::FROM`]).
pub fn from_class(at: At, scheme: Scheme) -> usize {
    match (at, scheme) {
        (At::Started, Scheme::Http) => 0,
        (At::Started, _) => 1,
        (At::Forced, _) => 2,
        _ => 3,
    }
}

fn accepts(s: Slot, scheme: Scheme, want: Want) -> bool {
    match want {
        Want::NotSsl => s.at == At::Started && scheme != Scheme::Https,
        Want::CertStep => matches!(s.at, At::Started | At::Forced) && scheme != Scheme::Http,
        Want::Forcing => s.at == At::Started && scheme != Scheme::Http,
        Want::Negotiate => s.at == At::Forced && scheme != Scheme::Http,
        Want::Crc => s.at == At::SizeSeen,
    }
}

fn accepts_after_loss(s: Slot, scheme: Scheme, want: Want) -> bool {
    match want {
        Want::Crc => scheme != Scheme::Http && matches!(s.at, At::Started | At::Forced),
        Want::Negotiate => scheme != Scheme::Http && s.at == At::Started,
        _ => false,
    }
}

/// The held messages of one process and the hypotheses about them.
#[derive(Debug)]
pub struct Window {
    members: Vec<Member>,
    pending: VecDeque<Pending>,
    hyps: Vec<Hypothesis>,
    /// Room for the next hypotheses (kept: no allocation per message).
    spare: Vec<Hypothesis>,
}

impl Window {
    /// A window over a process's open requests `(start index, start seq,
    /// scheme, step, since)`.
    pub fn open(requests: impl Iterator<Item = (u64, u64, Scheme, At, f64)>) -> Window {
        let mut w = Window {
            members: Vec::new(),
            pending: VecDeque::new(),
            hyps: vec![Hypothesis {
                score: 0.0,
                slots: SmallVec::new(),
                choice: SmallVec::new(),
            }],
            spare: Vec::new(),
        };
        for (start_index, start_seq, scheme, at, since) in requests {
            w.join(start_index, start_seq, scheme, at, since);
        }
        w
    }

    /// A request that started (or stands) while the window is open.
    pub fn join(&mut self, start_index: u64, start_seq: u64, scheme: Scheme, at: At, since: f64) {
        self.members.push(Member {
            start_index,
            start_seq,
            scheme,
        });
        for h in &mut self.hyps {
            h.slots.push(Slot { at, since });
        }
    }

    pub fn members(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The held messages, to be held again by a new window.
    pub fn into_pending(self) -> VecDeque<Pending> {
        self.pending
    }

    /// When the oldest held message arrived.
    pub fn oldest_arrival(&self) -> Option<Instant> {
        self.pending.front().map(|p| p.arrived)
    }

    /// Holds a message: every hypothesis branches on whom it goes to
    /// (branches already e^PRUNE behind the best are not built).
    pub fn push(&mut self, mut p: Pending, timing: &mut Timing<'_>) {
        p.alternatives.clear();
        // (hypothesis, member or none, score)
        let mut branches: SmallVec<[(usize, Option<usize>, f64); 16]> = SmallVec::new();
        for (k, h) in self.hyps.iter().enumerate() {
            let before = branches.len();
            for (j, m) in self.members.iter().enumerate() {
                let s = h.slots[j];
                if m.start_seq >= p.seq || !accepts(s, m.scheme, p.want) {
                    continue;
                }
                let from = from_class(s.at, m.scheme);
                let score = h.score + timing.step(from, p.next, p.time, s.since);
                branches.push((k, Some(j), score));
                if !p.alternatives.contains(&(j as u32)) {
                    p.alternatives.push(j as u32);
                }
            }
            if branches.len() == before {
                branches.push((k, None, h.score + timing.lost.max(1e-9).ln()));
            }
        }
        let best = branches
            .iter()
            .map(|b| b.2)
            .fold(f64::NEG_INFINITY, f64::max);
        let mut grown = std::mem::take(&mut self.spare);
        grown.clear();
        for &(k, j, score) in branches.iter().filter(|b| b.2 >= best - PRUNE) {
            let h = &self.hyps[k];
            let mut g = match j {
                Some(j) => {
                    let mut g = h.clone();
                    g.slots[j] = Slot {
                        at: p.to,
                        since: p.time,
                    };
                    g.choice.push((Choice::To(j as u32), f64::INFINITY));
                    g
                }
                None => self.after_loss(h, &p),
            };
            g.score = score;
            grown.push(g);
        }
        self.pending.push_back(p);
        self.hyps.clear();
        merge(&mut grown, &mut self.hyps);
        self.spare = grown;
    }

    /// The hypothesis's branch when no request can take the message: the
    /// oldest that lost a line takes it (as outside a window), or nobody.
    fn after_loss(&self, h: &Hypothesis, p: &Pending) -> Hypothesis {
        let mut g = h.clone();
        let oldest = (0..self.members.len())
            .filter(|&j| {
                self.members[j].start_seq < p.seq
                    && accepts_after_loss(h.slots[j], self.members[j].scheme, p.want)
            })
            .min_by(|&a, &b| h.slots[a].since.total_cmp(&h.slots[b].since));
        match oldest {
            Some(j) => {
                g.slots[j] = Slot {
                    at: p.to,
                    since: p.time,
                };
                g.choice.push((Choice::AfterLoss(j as u32), f64::INFINITY));
            }
            None => g.choice.push((Choice::Orphan, f64::INFINITY)),
        }
        g
    }

    /// The oldest held message's assignment, when it can be decided at
    /// capture time `now` (or must be: `force`).
    pub fn decide(&mut self, now: f64, force: bool, timing: &mut Timing<'_>) -> Option<Decision> {
        let first = self.hyps.first()?.choice.first()?.0;
        let agree = self
            .hyps
            .iter()
            .all(|h| h.choice.first().map(|c| c.0) == Some(first));
        let oldest = self.pending.front()?.time;
        let due = force || self.pending.len() > MAX_PENDING || now - oldest > timing.horizon();
        if !agree && !due {
            return None;
        }
        // Forced: ranked with each open request's chance of having said
        // nothing yet. (When all agree, the scores give the confidence.)
        let ranked: SmallVec<[f64; 16]> = self
            .hyps
            .iter()
            .map(|h| {
                let mut s = h.score;
                for (slot, m) in h.slots.iter().zip(&self.members) {
                    if !agree && slot.at != At::Done {
                        s += timing.waiting(from_class(slot.at, m.scheme), now, slot.since);
                    }
                }
                s
            })
            .collect();
        let best = (0..ranked.len())
            .max_by(|&a, &b| ranked[a].total_cmp(&ranked[b]).then(b.cmp(&a)))
            .unwrap_or(0);
        let chosen = self.hyps[best]
            .choice
            .first()
            .map_or(Choice::Orphan, |c| c.0);
        let mut margin = f64::INFINITY;
        for (h, r) in self.hyps.iter().zip(&ranked) {
            let gap = ranked[best] - r;
            margin = margin.min(match h.choice.first() {
                Some(&(c, m)) if c == chosen => gap + m,
                _ => gap,
            });
        }
        self.hyps
            .retain(|h| h.choice.first().map(|c| c.0) == Some(chosen));
        for h in &mut self.hyps {
            h.choice.remove(0);
        }
        if self.pending.len() == 1 {
            // Nothing held any more: every hypothesis left is the same.
            self.hyps.truncate(1);
        }
        let pending = self.pending.pop_front()?;
        let member = |j: u32| self.members[j as usize].start_index;
        let (target, after_loss) = match chosen {
            Choice::To(j) => (Some(member(j)), false),
            Choice::AfterLoss(j) => (Some(member(j)), true),
            Choice::Orphan => (None, false),
        };
        let alternatives = pending.alternatives.iter().map(|&j| member(j)).collect();
        Some(Decision {
            pending,
            target,
            after_loss,
            alternatives,
            confidence: 1.0 / (1.0 + (-margin).exp()),
        })
    }
}

/// Best first; hypotheses whose requests stand alike are one (the likelier
/// keeps the gap to the other per message they differ on); at most
/// [`BEAM`] are kept.
fn merge(grown: &mut Vec<Hypothesis>, kept: &mut Vec<Hypothesis>) {
    // Stable: on equal scores the older request's branch stays first.
    grown.sort_by(|a, b| b.score.total_cmp(&a.score));
    let best = grown.first().map_or(0.0, |h| h.score);
    for h in grown.drain(..) {
        let into = kept.iter().position(|k| k.slots == h.slots);
        let full = kept.len() >= BEAM || h.score < best - PRUNE;
        let k = match (into, full) {
            (Some(i), _) => &mut kept[i],
            (None, false) => {
                kept.push(h);
                continue;
            }
            // Dropped: the best remembers it.
            (None, true) => &mut kept[0],
        };
        let gap = k.score - h.score;
        for (kc, hc) in k.choice.iter_mut().zip(&h.choice) {
            let alt = if kc.0 == hc.0 { gap + hc.1 } else { gap };
            kc.1 = kc.1.min(alt);
        }
    }
}
