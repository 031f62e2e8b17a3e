//! How long the module takes between the steps of a request, learned from the
//! requests whose messages could only have been theirs. When several open
//! requests could take a message, the one for which a message *now* is most
//! likely wins: the highest hazard `f(x) / S(x)` of the time `x` since it
//! entered its step. With constant-ish step times that is the request that
//! has waited about the usual time; with no timing (or too few samples) the
//! oldest request wins.

/// Step classes: time from the request start, from `forcing load`, from
/// `cert size`.
pub const CLASSES: usize = 3;
/// Bins of log10(seconds) from 10^-7 s to 10^2 s, ten per decade.
const BINS: usize = 90;
const LOG_MIN: f64 = -7.0;
/// Samples a class needs before its timing is trusted.
const MIN_SAMPLES: u32 = 30;
/// Samples kept per class before older ones are halved (adapts to change).
const MAX_SAMPLES: u32 = 100_000;

#[derive(Debug, Clone)]
pub struct DelayModel {
    bins: [[u32; BINS]; CLASSES],
    total: [u32; CLASSES],
}

impl Default for DelayModel {
    fn default() -> Self {
        DelayModel {
            bins: [[0; BINS]; CLASSES],
            total: [0; CLASSES],
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

impl DelayModel {
    /// Records the delay of an unambiguous step.
    pub fn learn(&mut self, class: usize, seconds: f64) {
        if !(seconds.is_finite() && seconds >= 0.0) || class >= CLASSES {
            return;
        }
        if self.total[class] >= MAX_SAMPLES {
            for b in self.bins[class].iter_mut() {
                *b /= 2;
            }
            self.total[class] = self.bins[class].iter().sum();
        }
        self.bins[class][bin(seconds)] += 1;
        self.total[class] += 1;
    }

    pub fn trusted(&self, class: usize) -> bool {
        class < CLASSES && self.total[class] >= MIN_SAMPLES
    }

    /// How likely a request that entered its step `seconds` ago prints its
    /// next message now: `f(x) / (S(x) + q)`, the hazard of the learned delay
    /// distribution with a share `q` of requests whose next line was lost
    /// (they never print, so a request long overdue is most likely dead).
    pub fn likelihood(&self, class: usize, seconds: f64) -> f64 {
        const EPS: f64 = 1e-3;
        const LOST: f64 = 0.01;
        let b = bin(seconds);
        let counts = &self.bins[class];
        let n = self.total[class] as f64 + EPS * BINS as f64;
        let f = (counts[b] as f64 + EPS) / n;
        // An integer sum (exact, as the sum of these counts in f64 is).
        let later: u32 = counts[b..].iter().sum();
        let s: f64 = (f64::from(later) + EPS * (BINS - b) as f64) / n;
        (1.0 - LOST) * f / ((1.0 - LOST) * s + LOST)
    }

    /// The delay below which `share` of the learned delays fall.
    pub fn quantile(&self, class: usize, share: f64) -> Option<f64> {
        if !self.trusted(class) {
            return None;
        }
        let want = (self.total[class] as f64 * share).ceil() as u32;
        let mut acc = 0;
        for (b, &c) in self.bins[class].iter().enumerate() {
            acc += c;
            if acc >= want {
                return Some(10f64.powf(LOG_MIN + (b + 1) as f64 / 10.0));
            }
        }
        None
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
        let m = DelayModel::default();
        assert!(!m.trusted(0));
    }

    #[test]
    fn usual_delay_has_highest_hazard() {
        let mut m = DelayModel::default();
        for i in 0..200 {
            m.learn(0, 100e-6 * (1.0 + (i % 10) as f64 / 20.0));
        }
        assert!(m.trusted(0));
        // A request that entered its step 100 µs ago is far likelier to
        // print now than one that entered 2 µs ago.
        assert!(m.likelihood(0, 100e-6) > 10.0 * m.likelihood(0, 2e-6));
        // Long overdue: most likely its line was lost.
        assert!(m.likelihood(0, 100e-6) > 100.0 * m.likelihood(0, 1.0));
        let q = m.quantile(0, 0.99).unwrap();
        assert!(q > 100e-6 && q < 300e-6, "{q}");
    }

    #[test]
    fn odd_values_are_ignored() {
        let mut m = DelayModel::default();
        m.learn(0, f64::NAN);
        m.learn(0, -1.0);
        m.learn(7, 1.0);
        assert_eq!(m.total, [0, 0, 0]);
        m.learn(1, 1e9);
        assert_eq!(m.total[1], 1);
    }
}
