//! How long the module takes between the steps of a request, and which
//! message follows which step, learned from the capture itself: from the
//! requests whose messages could only have been theirs (see
//! `docs/inference.md`). Per transition (the step a request is at, the
//! message that moves it on) a histogram of log10 delays, read as a density
//! over seconds with a small kernel; outside the observed range only a
//! floor remains. Nothing about the timing is assumed.

use super::window::Timing;
use crate::record::Summary;
use rustc_hash::FxHashMap;

/// Where a request is when its next message comes: `start` of a plain-HTTP
/// request, `start` of any other, after `forcing load`, after `cert size`.
pub const FROM: usize = 4;
/// The message that moves a request on: not SSL, forcing load, cert not
/// found, GetClientCertificate failed, no certificate, cert size,
/// negotiation failed, cert crc.
pub const NEXT: usize = 8;
/// Bins of log10(seconds) from 10^-7 s to 10^2 s, ten per decade.
const BINS: usize = 90;
const LOG_MIN: f64 = -7.0;
/// Samples a step needs before its timing is trusted.
const MIN_SAMPLES: u32 = 30;
/// Samples kept per step before older ones are halved (adapts to change).
const MAX_SAMPLES: u32 = 100_000;
/// Pseudo-count of every bin: the density floor outside the observed range.
const FLOOR: f64 = 0.01;

/// The learned timing of one module build (or of the whole capture).
#[derive(Debug, Clone)]
pub struct StepTiming {
    bins: Box<[[[u32; BINS]; NEXT]; FROM]>,
    /// Samples per (step, next message), and per step.
    count: [[u32; NEXT]; FROM],
    total: [u32; FROM],
    /// Longest delay learned (the observed range's top).
    longest: f64,
    /// Per step, the share of next-message delays from each bin on
    /// (survival), computed again when asked after the samples grew by
    /// more than a sixty-fourth (it runs while deciding, not per message).
    tails: Box<[[f64; BINS + 1]; FROM]>,
    since_refresh: u32,
    at_refresh: u32,
    usual_longest: f64,
}

impl Default for StepTiming {
    fn default() -> Self {
        StepTiming {
            bins: Box::new([[[0; BINS]; NEXT]; FROM]),
            count: [[0; NEXT]; FROM],
            total: [0; FROM],
            longest: 0.0,
            tails: Box::new([[1.0; BINS + 1]; FROM]),
            since_refresh: 0,
            at_refresh: 0,
            usual_longest: 0.0,
        }
    }
}

/// The bin of a delay, by its definition: tenths of a decade above 10^-7 s.
fn bin_by_log(seconds: f64) -> usize {
    let x = seconds.max(1e-9).log10();
    (((x - LOG_MIN) * 10.0).floor().max(0.0) as usize).min(BINS - 1)
}

/// Where the bins start, found once from [`bin_by_log`]: [`bin`] then needs
/// no logarithm (it runs once per message).
struct BinTable {
    /// The smallest delay of each bin after the first, by bisection over
    /// the (ordered) bit patterns of positive doubles.
    starts: [f64; BINS - 1],
    /// For each [`guess_key`] from that of the first start to that of the
    /// last, the bin of the smallest double with that key. A key spans a
    /// sixteenth of a binary octave (under 0.02 decades, a bin is 0.1), so
    /// the bin of any delay is its key's or the next.
    guesses: Vec<u8>,
    first_key: usize,
}

/// The sign, exponent and top four mantissa bits of a double: ordered like
/// the (positive) doubles themselves.
fn guess_key(seconds: f64) -> usize {
    (seconds.to_bits() >> 48) as usize
}

static BIN_TABLE: std::sync::LazyLock<BinTable> = std::sync::LazyLock::new(|| {
    let mut starts = [0.0; BINS - 1];
    for (k, start) in (1..BINS).zip(starts.iter_mut()) {
        let (mut below, mut at) = (0u64, f64::MAX.to_bits());
        while at - below > 1 {
            let mid = below + (at - below) / 2;
            if bin_by_log(f64::from_bits(mid)) >= k {
                at = mid;
            } else {
                below = mid;
            }
        }
        *start = f64::from_bits(at);
    }
    let first_key = guess_key(starts[0]);
    let guesses = (first_key..=guess_key(starts[BINS - 2]))
        .map(|key| {
            let smallest = f64::from_bits((key as u64) << 48);
            starts.partition_point(|&start| start <= smallest) as u8
        })
        .collect();
    BinTable {
        starts,
        guesses,
        first_key,
    }
});

fn bin(seconds: f64) -> usize {
    let t = &*BIN_TABLE;
    // Also NaN and negative delays: bin 0, as the definition has it.
    if seconds.is_nan() || seconds < t.starts[0] {
        return 0;
    }
    if seconds >= t.starts[BINS - 2] {
        return BINS - 1;
    }
    let mut b = usize::from(t.guesses[guess_key(seconds) - t.first_key]);
    while t.starts[b] <= seconds {
        b += 1;
    }
    b
}

/// Width in seconds of a bin.
fn bin_width(b: usize) -> f64 {
    let lo = if b == 0 {
        0.0
    } else {
        10f64.powf(LOG_MIN + b as f64 / 10.0)
    };
    10f64.powf(LOG_MIN + (b + 1) as f64 / 10.0) - lo
}

static BIN_WIDTHS: std::sync::LazyLock<[f64; BINS]> =
    std::sync::LazyLock::new(|| std::array::from_fn(bin_width));

impl StepTiming {
    /// Records the delay of an unambiguous step.
    pub fn learn(&mut self, from: usize, next: usize, seconds: f64) {
        if !(seconds.is_finite() && seconds >= 0.0) || from >= FROM || next >= NEXT {
            return;
        }
        self.learn_in(from, next, seconds, bin(seconds));
    }

    /// [`StepTiming::learn`] of a checked delay whose bin is known.
    fn learn_in(&mut self, from: usize, next: usize, seconds: f64, b: usize) {
        if self.total[from] >= MAX_SAMPLES {
            for (n, bins) in self.bins[from].iter_mut().enumerate() {
                bins.iter_mut().for_each(|b| *b /= 2);
                self.count[from][n] = bins.iter().sum();
            }
            self.total[from] = self.count[from].iter().sum();
        }
        self.bins[from][next][b] += 1;
        self.count[from][next] += 1;
        self.total[from] += 1;
        self.longest = self.longest.max(seconds);
        self.since_refresh += 1;
    }

    /// Whether enough requests left step `from` to trust its timing.
    pub fn trusted(&self, from: usize) -> bool {
        from < FROM && self.total[from] >= MIN_SAMPLES
    }

    /// The longest delay learned.
    pub fn longest(&self) -> f64 {
        self.longest
    }

    /// The delay that 99.9 % of the learned ones stay below (a lost line
    /// can make the longest one anything).
    pub fn usual_longest(&mut self) -> f64 {
        if self.tails_stale() {
            self.refresh_tails();
        }
        self.usual_longest
    }

    /// ln of how likely a request at step `from` for `seconds` prints
    /// `next` now: the share of `next` after `from` times the density of its
    /// delay (per second, smoothed over neighbouring bins).
    pub fn log_step(&self, from: usize, next: usize, seconds: f64) -> f64 {
        let share = (f64::from(self.count[from][next]) + 0.5)
            / (f64::from(self.total[from]) + 0.5 * NEXT as f64);
        let b = bin(seconds);
        let c = &self.bins[from][next];
        let at = |i: usize| c.get(i).map_or(0.0, |&v| f64::from(v));
        let below = if b > 0 { at(b - 1) } else { at(b) };
        let mass = (0.25 * below + 0.5 * at(b) + 0.25 * at(b + 1) + FLOOR)
            / (f64::from(self.count[from][next]) + FLOOR * BINS as f64);
        (share * mass / BIN_WIDTHS[b]).ln()
    }

    /// ln of the chance that a request at step `from` for `seconds` has
    /// printed nothing yet, where a share `lost` of next lines never come
    /// (lost by the capture).
    pub fn log_waiting(&mut self, from: usize, seconds: f64, lost: f64) -> f64 {
        if self.tails_stale() {
            self.refresh_tails();
        }
        let b = bin(seconds);
        let t = &self.tails[from];
        // Half of the delay's own bin is still to come.
        let s = 0.5 * (t[b] + t[b + 1]);
        ((1.0 - lost) * s + lost).ln()
    }

    fn tails_stale(&self) -> bool {
        self.since_refresh > 0 && self.since_refresh >= self.at_refresh / 64
    }

    fn refresh_tails(&mut self) {
        for from in 0..FROM {
            let n = f64::from(self.total[from]).max(1.0);
            let mut acc = 0u64;
            self.tails[from][BINS] = 0.0;
            for b in (0..BINS).rev() {
                acc += self.bins[from].iter().map(|c| u64::from(c[b])).sum::<u64>();
                self.tails[from][b] = acc as f64 / n;
            }
            if self.total[from] == 0 {
                self.tails[from] = [1.0; BINS + 1];
            }
        }
        let all: u64 = self.total.iter().map(|&t| u64::from(t)).sum();
        let mut left = all / 1000;
        self.usual_longest = 0.0;
        for b in (0..BINS).rev() {
            let here: u64 = self.bins.iter().flatten().map(|c| u64::from(c[b])).sum();
            if here > left {
                self.usual_longest = 10f64.powf(LOG_MIN + (b + 1) as f64 / 10.0);
                break;
            }
            left -= here;
        }
        self.since_refresh = 0;
        self.at_refresh = self.total.iter().sum();
    }
}

/// The timing learned so far: per module build and for the whole capture.
#[derive(Debug)]
pub struct Learned {
    /// `[0]`: instances whose build is unknown; then one per module build.
    models: Vec<StepTiming>,
    builds: FxHashMap<String, usize>,
    /// The smallest positive delay seen: the capture clock's resolution.
    resolution: f64,
    /// Requests started (for the share of lost lines).
    pub starts: u64,
}

impl Default for Learned {
    fn default() -> Self {
        Learned {
            models: vec![StepTiming::default()],
            builds: FxHashMap::default(),
            resolution: 0.0,
            starts: 0,
        }
    }
}

impl Learned {
    /// The model of a module build (by its `Build` timestamp).
    pub fn model_of(&mut self, build: &str) -> usize {
        if let Some(&i) = self.builds.get(build) {
            return i;
        }
        self.models.push(StepTiming::default());
        let i = self.models.len() - 1;
        self.builds.insert(build.to_owned(), i);
        i
    }

    /// Records an unambiguous step's delay, for its build (or, build
    /// unknown, for the capture).
    pub fn learn(&mut self, model: usize, from: usize, next: usize, seconds: f64) {
        if seconds > 0.0 && (self.resolution == 0.0 || seconds < self.resolution) {
            self.resolution = seconds;
        }
        let seconds = seconds.max(self.resolution / 2.0);
        if !(seconds.is_finite() && seconds >= 0.0) || from >= FROM || next >= NEXT {
            return;
        }
        if let Some(m) = self.models.get_mut(model) {
            m.learn_in(from, next, seconds, bin(seconds));
        }
    }

    /// Share of lines the capture loses, from its unseen request counters.
    pub fn lost_share(&self, summary: &Summary) -> f64 {
        let missing = summary.missing_requests as f64;
        ((missing + 1.0) / (self.starts as f64 + missing + 2.0)).clamp(1e-4, 0.5)
    }

    /// What a window of a process of build `model` scores with.
    pub fn timing(&mut self, model: usize, lost: f64) -> Timing<'_> {
        let resolution = self.resolution;
        let (global, builds) = self
            .models
            .split_first_mut()
            .expect("the capture's model is always there");
        let build = model.checked_sub(1).and_then(|i| builds.get_mut(i));
        Timing {
            build,
            global,
            lost,
            resolution,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_without_log_match_the_definition() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut values = vec![
            0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            1e-12,
            1e-9,
            1e-7,
            1e2,
            1e6,
        ];
        for &start in BIN_TABLE.starts.iter() {
            let bits = start.to_bits();
            values.extend([bits - 1, bits, bits + 1].map(f64::from_bits));
        }
        for _ in 0..100_000 {
            // xorshift: delays spread over the whole range, log-uniform.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(10f64.powf((x % 12_000) as f64 / 1000.0 - 9.0));
        }
        for v in values {
            assert_eq!(bin(v), bin_by_log(v), "{v:e}");
        }
    }

    #[test]
    fn untrained_model_is_not_trusted() {
        let m = StepTiming::default();
        assert!(!m.trusted(0));
    }

    #[test]
    fn usual_delay_is_likeliest() {
        let mut m = StepTiming::default();
        for i in 0..200 {
            // Certificates after ~100 µs, failures after ~10 ms.
            m.learn(1, 5, 100e-6 * (1.0 + (i % 10) as f64 / 20.0));
            if i % 4 == 0 {
                m.learn(1, 4, 10e-3 * (1.0 + (i % 10) as f64 / 20.0));
            }
        }
        assert!(m.trusted(1));
        assert!(m.log_step(1, 5, 100e-6) > m.log_step(1, 5, 10e-6) + 5.0);
        assert!(m.log_step(1, 4, 10e-3) > m.log_step(1, 4, 100e-6) + 2.0);
        // Far past anything seen: only the floor.
        assert!(m.log_step(1, 4, 10e-3) > m.log_step(1, 4, 0.2) + 10.0);
        // Waiting: nearly all are still to come at 1 µs, few after 20 ms
        // (the lost share remains).
        assert!(m.log_waiting(1, 1e-6, 0.01) > -0.01);
        let late = m.log_waiting(1, 0.02, 0.01).exp();
        assert!(late > 0.009 && late < 0.02, "{late}");
        assert!((m.longest() - 0.0145).abs() < 1e-3);
    }

    #[test]
    fn odd_values_are_ignored() {
        let mut m = StepTiming::default();
        m.learn(0, 0, f64::NAN);
        m.learn(0, 0, -1.0);
        m.learn(7, 0, 1.0);
        m.learn(0, 9, 1.0);
        assert_eq!(m.total, [0, 0, 0, 0]);
        m.learn(1, 1, 1e9);
        assert_eq!(m.total[1], 1);
    }
}
