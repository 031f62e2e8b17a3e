//! A simulated IIS server running the module: realistic captures with known
//! truth, for `certtrace demo`, the tests and the benchmarks.
//!
//! Worker processes (one per application pool, a web garden has several)
//! take requests on many threads. Each request increments the module's
//! counter atomically and reads it again when it prints (so concurrent
//! requests can print the same value and skip one), then walks the module's
//! steps; certificate CRCs are chained per process exactly as `crc.cpp`
//! does. Pools recycle (new pid, counter back to 1, CRC register reset), pids
//! get reused, OutputDebugString loses lines, other software writes noise.

use std::fmt::Write as _;

use crate::input::event::EventTime;

/// A small deterministic PRNG (SplitMix64): reproducible captures without a
/// dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }
    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f64();
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    /// Log-normal with the given median and shape: service times.
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }
    /// Exponentially distributed with the given mean.
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f64()).ln()
    }
}

/// The distribution of the module's time between two messages of a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DelayFamily {
    /// Log-normal: median `mean_step`, shape `step_sigma`.
    LogNormal,
    /// Exponential with mean `mean_step` (memoryless: timing cannot tell
    /// concurrent requests apart).
    Exponential,
    /// Uniform between 0.2 and 1.8 times `mean_step`.
    Uniform,
    /// Pareto with shape `alpha` and median `mean_step` (heavy-tailed: now
    /// and then a step takes hundreds of times its usual time), cut at 1 s.
    Pareto { alpha: f64 },
}

impl DelayFamily {
    fn draw(self, rng: &mut Rng, median: f64, sigma: f64) -> f64 {
        match self {
            DelayFamily::LogNormal => rng.lognormal(median, sigma),
            DelayFamily::Exponential => rng.exp(median),
            DelayFamily::Uniform => median * (0.2 + 1.6 * rng.f64()),
            DelayFamily::Pareto { alpha } => {
                let scale = median / 2f64.powf(1.0 / alpha);
                (scale / (1.0 - rng.f64()).powf(1.0 / alpha)).min(1.0)
            }
        }
    }
}

/// Which variant of the request handler a pool runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snippet {
    /// The compiled default (`checkForClientCert`).
    Two,
    /// The documentation page's variant (forces negotiation).
    One,
}

/// How the module's CRC register behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrcBuild {
    /// The shipped module: one register per process, never reset.
    Chained,
    /// A corrected build: a fresh CRC per certificate.
    Plain,
}

#[derive(Debug, Clone)]
pub struct Pool {
    pub name: String,
    pub host: String,
    pub snippet: Snippet,
    pub crc: CrcBuild,
    /// Relative share of the traffic.
    pub weight: f64,
    /// Recycle after this many requests (None: never).
    pub recycle_every: Option<u64>,
    /// Worker processes (web garden).
    pub processes: usize,
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    pub requests: usize,
    pub pools: Vec<Pool>,
    /// Probability that a line is lost by OutputDebugString capture.
    pub loss: f64,
    /// Lines of other software per module line.
    pub noise: f64,
    /// Mean time between request arrivals per process, seconds.
    pub mean_gap: f64,
    /// Median time between the steps of one request, seconds (log-normal:
    /// service times cluster around their usual value).
    pub mean_step: f64,
    /// Shape of the step-time distribution.
    pub step_sigma: f64,
    /// The distribution of step times.
    pub family: DelayFamily,
    /// A step that ends in a failure message (no certificate, certificate
    /// not found, a failed call) takes this many times longer: the failure
    /// paths of a real server are often its slow ones.
    pub failure_slowdown: f64,
    /// Share of arrivals that come in a burst (right after the previous
    /// one), and how much shorter their gap is than `mean_gap`.
    pub burst_share: f64,
    pub burst_divisor: f64,
    /// Mean delay between the counter increment and its read for printing.
    pub mean_read_delay: f64,
    /// Certificates clients present (DER bytes).
    pub certs: Vec<Vec<u8>>,
    /// Capture starts this many seconds after the first request (lines
    /// before are not captured).
    pub late_start: f64,
    /// A pid that a recycled process gets back (pid reuse), if any.
    pub reuse_pids: bool,
    /// A recycled process gets the pid of the process it replaces (Windows
    /// may hand a freed pid out again at once): the capture then shows the
    /// recycle on one pid.
    pub recycle_on_same_pid: bool,
}

impl SimConfig {
    /// A realistic default: three pools, one a web garden of two, one
    /// running the snippet1 build, a recycle, 0.5% lost lines.
    pub fn realistic(seed: u64, requests: usize, certs: Vec<Vec<u8>>) -> SimConfig {
        SimConfig {
            seed,
            requests,
            pools: vec![
                Pool {
                    name: "ShopPool".into(),
                    host: "shop.contoso.example".into(),
                    snippet: Snippet::Two,
                    crc: CrcBuild::Chained,
                    weight: 3.0,
                    recycle_every: Some((requests as u64 / 3).max(20)),
                    processes: 2,
                },
                Pool {
                    name: "ApiPool".into(),
                    host: "api.contoso.example".into(),
                    snippet: Snippet::Two,
                    crc: CrcBuild::Chained,
                    weight: 2.0,
                    recycle_every: None,
                    processes: 1,
                },
                Pool {
                    name: "LegacyPool".into(),
                    host: "legacy.contoso.example".into(),
                    snippet: Snippet::One,
                    crc: CrcBuild::Chained,
                    weight: 1.0,
                    recycle_every: None,
                    processes: 1,
                },
            ],
            loss: 0.005,
            noise: 0.05,
            mean_gap: 0.006,
            mean_step: 0.0001,
            step_sigma: 0.35,
            family: DelayFamily::LogNormal,
            failure_slowdown: 1.0,
            burst_share: 0.05,
            burst_divisor: 20.0,
            mean_read_delay: 0.00002,
            certs,
            late_start: 0.0,
            reuse_pids: true,
            recycle_on_same_pid: false,
        }
    }
}

/// The timing families a correlation method is judged on (see
/// [`SimConfig::family`]).
pub const FAMILIES: &[&str] = &[
    "demo",
    "uniform",
    "exponential",
    "lognormal",
    "heavy-tailed",
    "bursts",
];

impl SimConfig {
    /// A server like the demo's, but with the step timing of a named family
    /// (one of [`FAMILIES`]): tens of requests a second per process, and
    /// failure paths thirty times slower than a certificate's. `demo` is
    /// [`SimConfig::realistic`] unchanged.
    pub fn family(
        name: &str,
        seed: u64,
        requests: usize,
        certs: Vec<Vec<u8>>,
    ) -> Option<SimConfig> {
        let mut cfg = SimConfig::realistic(seed, requests, certs);
        if name == "demo" {
            return Some(cfg);
        }
        cfg.mean_gap = 0.03;
        cfg.mean_step = 0.0003;
        cfg.failure_slowdown = 30.0;
        match name {
            "uniform" => cfg.family = DelayFamily::Uniform,
            "exponential" => cfg.family = DelayFamily::Exponential,
            "lognormal" => cfg.step_sigma = 0.8,
            "heavy-tailed" => cfg.family = DelayFamily::Pareto { alpha: 1.3 },
            "bursts" => {
                cfg.step_sigma = 0.5;
                cfg.burst_share = 0.3;
                cfg.burst_divisor = 50.0;
            }
            _ => return None,
        }
        Some(cfg)
    }
}

/// What really happened to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthRequest {
    pub pid: u32,
    pub tid: u32,
    /// Ordinal of the worker-process instance on its pid (1-based).
    pub instance_ordinal: u32,
    /// The counter value the module printed.
    pub cnt: u64,
    pub uri: String,
    /// Outcome name as certtrace reports it.
    pub outcome: &'static str,
    pub hresult: Option<u32>,
    pub cert_size: Option<u32>,
    pub cert_crc: Option<u32>,
    /// Index into `SimConfig::certs`.
    pub cert_index: Option<usize>,
    /// Line indices (into `Simulation::lines`) of this request's messages.
    pub lines: Vec<usize>,
}

/// One message as written by a process.
#[derive(Debug, Clone, PartialEq)]
pub struct SimLine {
    /// Seconds since the capture started.
    pub time: f64,
    pub pid: u32,
    pub tid: u32,
    pub text: String,
    /// Index into `Simulation::requests`.
    pub request: Option<usize>,
    /// Lost by the capture: not written to logs.
    pub lost: bool,
}

#[derive(Debug, Clone)]
pub struct Simulation {
    pub lines: Vec<SimLine>,
    pub requests: Vec<TruthRequest>,
}

struct Proc {
    pool: usize,
    pid: u32,
    ordinal: u32,
    next_arrival: f64,
    increments: Vec<f64>,
    served: u64,
    crc_state: u32,
    crc_events: Vec<(f64, usize)>,
}

const SOURCE: &str = "c:\\inetpub\\modules\\mymodule.cpp";
const BUILD: &str = "Tue Jun 23 16:23:14 2026";

const PATHS: &[&str] = &[
    "/",
    "/login",
    "/account/orders",
    "/api/v1/orders?page=2",
    "/api/v1/cart",
    "/health",
    "/static/site.css",
    "/reports/q3.pdf",
    "/auth/cert",
    "/api/v2/payments",
];

const NOISE: &[&str] = &[
    "[SQL] connection pool grown to 12",
    "CLR: Loading assembly System.Net.Http",
    "AspNetCoreModule: Event Log: 'Application started.'",
    "svchost: DNS cache flushed",
    "Line: 12 ShopModule: session renewed",
    "HttpSys: request queue length 3",
];

impl Simulation {
    pub fn run(cfg: &SimConfig) -> Simulation {
        let mut rng = Rng::new(cfg.seed);
        let mut next_pid = 4000 + (rng.below(500) as u32) * 4;
        let mut procs: Vec<Proc> = Vec::new();
        let mut retired_pids: Vec<u32> = Vec::new();
        let mut pid_ordinals: std::collections::HashMap<u32, u32> = Default::default();
        let mut lines: Vec<SimLine> = Vec::new();
        let mut requests: Vec<TruthRequest> = Vec::new();
        let total_weight: f64 = cfg
            .pools
            .iter()
            .map(|p| p.weight * p.processes as f64)
            .sum();

        let mut new_proc = |pool: usize,
                            at: f64,
                            rng: &mut Rng,
                            retired: &mut Vec<u32>,
                            lines: &mut Vec<SimLine>,
                            same_pid: Option<u32>|
         -> Proc {
            let mut pid = if cfg.reuse_pids && !retired.is_empty() && rng.chance(0.5) {
                retired.remove(0)
            } else {
                next_pid += 4 + 4 * rng.below(64) as u32;
                next_pid
            };
            if let Some(same) = same_pid {
                // (The draws above are made all the same, so that the rest
                // of the simulation does not change.)
                if pid != next_pid {
                    retired.insert(0, pid);
                }
                pid = same;
            }
            let ordinal = {
                let o = pid_ordinals.entry(pid).or_insert(0);
                *o += 1;
                *o
            };
            let tid = 1000 + rng.below(8000) as u32;
            lines.push(SimLine {
                time: at,
                pid,
                tid,
                text: "Line: 27 rMsg1638: DBGVIEWCLEAR DBG-VIEW-CLEAR RegisterModule one time call when loading DLL".into(),
                request: None,
                lost: false,
            });
            lines.push(SimLine {
                time: at + 0.000_01,
                pid,
                tid,
                text: format!(
                    "Line: 28 rMsg1638: Trace Window Reset FILE = {SOURCE} Build {BUILD}"
                ),
                request: None,
                lost: false,
            });
            Proc {
                pool,
                pid,
                ordinal,
                next_arrival: at + 0.001 + rng.exp(cfg.mean_gap),
                increments: Vec::new(),
                served: 0,
                // The module's register starts at 0xFFFFFFFF: a CRC value of 0.
                crc_state: 0,
                crc_events: Vec::new(),
            }
        };

        for (i, pool) in cfg.pools.iter().enumerate() {
            for _ in 0..pool.processes {
                let at = rng.f64() * 0.01;
                let p = new_proc(i, at, &mut rng, &mut retired_pids, &mut lines, None);
                procs.push(p);
            }
        }

        let mut finished: Vec<Proc> = Vec::new();
        for _ in 0..cfg.requests {
            // Pick a process by weight; it gets the next request.
            let mut pick = rng.f64() * total_weight;
            let mut idx = 0;
            for (i, p) in procs.iter().enumerate() {
                pick -= cfg.pools[p.pool].weight;
                if pick <= 0.0 {
                    idx = i;
                    break;
                }
                idx = i;
            }
            let pool = &cfg.pools[procs[idx].pool];
            if let Some(every) = pool.recycle_every
                && procs[idx].served >= every
            {
                let at = procs[idx].next_arrival;
                let poolno = procs[idx].pool;
                let same_pid = cfg.recycle_on_same_pid.then_some(procs[idx].pid);
                let fresh = new_proc(
                    poolno,
                    at,
                    &mut rng,
                    &mut retired_pids,
                    &mut lines,
                    same_pid,
                );
                let old = std::mem::replace(&mut procs[idx], fresh);
                if !cfg.recycle_on_same_pid {
                    retired_pids.push(old.pid);
                }
                finished.push(old);
            }
            let p = &mut procs[idx];
            let pool = &cfg.pools[p.pool];
            let t0 = p.next_arrival;
            // Bursty arrivals: sometimes several requests at once.
            p.next_arrival += if rng.chance(cfg.burst_share) {
                rng.exp(cfg.mean_gap / cfg.burst_divisor)
            } else {
                rng.exp(cfg.mean_gap)
            };
            p.served += 1;
            p.increments.push(t0);
            let read_at = t0 + rng.exp(cfg.mean_read_delay);
            let tid = 1000 + rng.below(8000) as u32;
            let https = rng.chance(0.8);
            let path = PATHS[rng.below(PATHS.len() as u64) as usize];
            let uri = if https {
                format!("https://{}:443{}", pool.host, path)
            } else {
                format!("http://{}:80{}", pool.host, path)
            };
            let req_index = requests.len();
            let mut msgs: Vec<(f64, String)> = Vec::new();
            let mut t = read_at;
            msgs.push((
                t,
                // cnt is filled in below, once every increment is known.
                format!(
                    "Line: 28 rMsg1638: cnt = {{CNT}} URI: {uri} FILE = {SOURCE} Build {BUILD}"
                ),
            ));
            let mut step = |rng: &mut Rng, slow: bool| {
                let median = cfg.mean_step * if slow { cfg.failure_slowdown } else { 1.0 };
                t += cfg.family.draw(rng, median, cfg.step_sigma);
                t
            };
            let mut truth = TruthRequest {
                pid: p.pid,
                tid,
                instance_ordinal: p.ordinal,
                cnt: 0,
                uri,
                outcome: "plain_http",
                hresult: None,
                cert_size: None,
                cert_crc: None,
                cert_index: None,
                lines: Vec::new(),
            };
            if !https {
                msgs.push((
                    step(&mut rng, false),
                    "Line: 32 rMsg1638: connection is not using SSL".into(),
                ));
            } else {
                let mut negotiated = true;
                if pool.snippet == Snippet::One {
                    msgs.push((
                        step(&mut rng, false),
                        "Line: 90 rMsg1638: forcing load of client cert".into(),
                    ));
                    if rng.chance(0.08) {
                        let hr = if rng.chance(0.7) {
                            0x8007_0032u32
                        } else {
                            0x8007_04d4
                        };
                        msgs.push((
                            step(&mut rng, true),
                            format!("Line: 93 rMsg1638: FATAL Error HR = NegotiateClientCertificate : HR =  {hr:x} function : CMyHttpModule::OnBeginRequest"),
                        ));
                        truth.outcome = "negotiate_failed";
                        truth.hresult = Some(hr);
                        negotiated = false;
                    }
                }
                if negotiated {
                    let r = rng.f64();
                    if r < 0.10 {
                        truth.outcome = "cert_not_found";
                        truth.hresult = Some(0x8007_0490);
                        let text = match pool.snippet {
                            Snippet::Two => {
                                "Line: 40 rMsg1638: HR = 80070490  Cert not found".to_string()
                            }
                            Snippet::One => "Line: 108 rMsg1638: Cert not found".to_string(),
                        };
                        msgs.push((step(&mut rng, true), text));
                    } else if r < 0.13 {
                        let hr = [0x8007_0032u32, 0x8000_4005, 0x8007_000e, 0x8007_03e3]
                            [rng.below(4) as usize];
                        truth.outcome = "get_cert_failed";
                        truth.hresult = Some(hr);
                        let func = match pool.snippet {
                            Snippet::Two => "checkForClientCert",
                            Snippet::One => "CMyHttpModule::OnBeginRequest",
                        };
                        msgs.push((
                            step(&mut rng, true),
                            format!("Line: 44 rMsg1638: FATAL Error HR = {hr:x} GetClientCertificate function : {func}"),
                        ));
                    } else if r < 0.18 || cfg.certs.is_empty() {
                        truth.outcome = "no_cert";
                        let text = match pool.snippet {
                            Snippet::Two => {
                                "Line: 55 rMsg1638: No client certificate. fccNeg = 0".to_string()
                            }
                            Snippet::One => {
                                "Line: 124 rMsg1638: No client certificate.".to_string()
                            }
                        };
                        msgs.push((step(&mut rng, true), text));
                    } else {
                        truth.outcome = "cert_ok";
                        // A few clients present most of the traffic.
                        let n = cfg.certs.len() as u64;
                        let ci = if rng.chance(0.6) {
                            rng.below(n.min(3))
                        } else {
                            rng.below(n)
                        } as usize;
                        let size = cfg.certs[ci].len() as u32;
                        truth.cert_index = Some(ci);
                        truth.cert_size = Some(size);
                        let prev = u8::from(rng.chance(0.9));
                        msgs.push((
                            step(&mut rng, false),
                            format!(
                                "Line: 45 rMsg1638: cert size: {size} Previously negotiated {prev}"
                            ),
                        ));
                        let at = step(&mut rng, false);
                        msgs.push((at, "Line: 49 rMsg1638: cert crc: {CRC}".into()));
                        p.crc_events.push((at, req_index));
                    }
                }
            }
            for (time, text) in msgs {
                truth.lines.push(lines.len());
                lines.push(SimLine {
                    time,
                    pid: p.pid,
                    tid,
                    text,
                    request: Some(req_index),
                    lost: false,
                });
            }
            requests.push(truth);
        }
        finished.extend(procs);

        // Counter values: increments up to the read time of each request.
        for p in &finished {
            let mut incs = p.increments.clone();
            incs.sort_by(f64::total_cmp);
            for r in requests
                .iter_mut()
                .filter(|r| r.pid == p.pid && r.instance_ordinal == p.ordinal)
            {
                let read_at = lines[r.lines[0]].time;
                let cnt = incs.partition_point(|&t| t <= read_at) as u64;
                r.cnt = cnt.max(1);
                lines[r.lines[0]].text =
                    lines[r.lines[0]].text.replace("{CNT}", &r.cnt.to_string());
            }
        }
        // CRCs: in the order the process computed them.
        for p in &mut finished {
            let mut evs = p.crc_events.clone();
            evs.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (_, ri) in evs {
                let r = &mut requests[ri];
                let der = &cfg.certs[r.cert_index.unwrap_or(0)];
                let crc = match cfg.pools[p.pool].crc {
                    CrcBuild::Chained => {
                        let mut h = crc32fast::Hasher::new_with_initial(p.crc_state);
                        h.update(der);
                        let v = h.finalize();
                        p.crc_state = v;
                        v
                    }
                    CrcBuild::Plain => crc32fast::hash(der),
                };
                r.cert_crc = Some(crc);
                let li = *r.lines.last().unwrap_or(&0);
                lines[li].text = lines[li].text.replace("{CRC}", &crc.to_string());
            }
        }

        // Noise from other software, then everything in time order.
        let module_lines = lines.len();
        let t_end = lines.iter().map(|l| l.time).fold(0.0, f64::max);
        let noise_n = (module_lines as f64 * cfg.noise) as usize;
        for _ in 0..noise_n {
            let text = NOISE[rng.below(NOISE.len() as u64) as usize].to_string();
            lines.push(SimLine {
                time: rng.f64() * t_end,
                pid: 600 + 4 * rng.below(40) as u32,
                tid: 1,
                text,
                request: None,
                lost: false,
            });
        }
        let mut order: Vec<usize> = (0..lines.len()).collect();
        order.sort_by(|&a, &b| lines[a].time.total_cmp(&lines[b].time));
        let mut remap = vec![0usize; lines.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old] = new;
        }
        let mut sorted: Vec<SimLine> = order.iter().map(|&i| lines[i].clone()).collect();
        for r in &mut requests {
            for l in &mut r.lines {
                *l = remap[*l];
            }
        }
        // Capture starts late and loses lines.
        for l in &mut sorted {
            l.time -= cfg.late_start;
            if l.time < 0.0 || rng.chance(cfg.loss) {
                l.lost = true;
            }
        }
        Simulation {
            lines: sorted,
            requests,
        }
    }

    /// The capture as a DebugView log (elapsed time, pids on, CRLF).
    pub fn debugview_log(&self) -> String {
        let mut s = String::with_capacity(self.lines.len() * 110);
        let mut index = 0u64;
        for l in self.lines.iter().filter(|l| !l.lost) {
            index += 1;
            let _ = write!(s, "{index:08}\t{:.8}\t[{}] {}\t\r\n", l.time, l.pid, l.text);
        }
        s
    }

    /// The capture as certtrace JSON events, with thread ids.
    pub fn json_events(&self) -> String {
        let mut s = String::new();
        for l in self.lines.iter().filter(|l| !l.lost) {
            let v = serde_json::json!({
                "type": "event",
                "time": EventTime::Elapsed(l.time).to_string(),
                "time_kind": "elapsed",
                "pid": l.pid,
                "tid": l.tid,
                "message": format!("{}\n", l.text),
            });
            let _ = writeln!(s, "{v}");
        }
        s
    }

    /// For each captured line, its 1-based line number in
    /// [`Simulation::debugview_log`] (None when lost).
    pub fn log_line_numbers(&self) -> Vec<Option<u64>> {
        let mut n = 0;
        self.lines
            .iter()
            .map(|l| {
                if l.lost {
                    None
                } else {
                    n += 1;
                    Some(n)
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certs() -> Vec<Vec<u8>> {
        (0..5).map(|i| vec![i as u8; 700 + i * 97]).collect()
    }

    #[test]
    fn deterministic_and_realistic() {
        let cfg = SimConfig::realistic(7, 2000, certs());
        let a = Simulation::run(&cfg);
        let b = Simulation::run(&cfg);
        assert_eq!(a.debugview_log(), b.debugview_log());
        let dups = {
            let mut seen = std::collections::HashSet::new();
            a.requests
                .iter()
                .filter(|r| !seen.insert((r.pid, r.instance_ordinal, r.cnt)))
                .count()
        };
        assert!(dups > 0, "the counter read race must show");
        assert!(a.lines.iter().any(|l| l.lost));
        for o in crate::record::Outcome::ALL {
            if o != crate::record::Outcome::Incomplete {
                assert!(a.requests.iter().any(|r| r.outcome == o.as_str()), "{o:?}");
            }
        }
        assert!(
            a.requests.iter().any(|r| r.instance_ordinal > 1) || {
                let pids: std::collections::HashSet<_> = a.requests.iter().map(|r| r.pid).collect();
                pids.len() > 4
            }
        );
    }

    #[test]
    fn chained_crc_matches_module_algorithm() {
        let cfg = SimConfig::realistic(3, 300, certs());
        let sim = Simulation::run(&cfg);
        // The first certificate of each instance has its plain CRC-32.
        let mut firsts = std::collections::HashSet::new();
        let mut by_crc_line: Vec<&TruthRequest> = sim
            .requests
            .iter()
            .filter(|r| r.cert_crc.is_some())
            .collect();
        by_crc_line.sort_by_key(|r| *r.lines.last().unwrap());
        for r in by_crc_line {
            if firsts.insert((r.pid, r.instance_ordinal)) {
                let der = &cfg.certs[r.cert_index.unwrap()];
                assert_eq!(r.cert_crc, Some(crc32fast::hash(der)));
            }
        }
    }
}
