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

/// Starts worker processes: pids (new, or reused after a recycle) and the
/// module's start-up lines.
struct Spawner<'a> {
    cfg: &'a SimConfig,
    next_pid: u32,
    retired: Vec<u32>,
    ordinals: std::collections::HashMap<u32, u32>,
}

impl Spawner<'_> {
    fn start(
        &mut self,
        pool: usize,
        at: f64,
        rng: &mut Rng,
        lines: &mut Vec<SimLine>,
        same_pid: Option<u32>,
    ) -> Proc {
        let cfg = self.cfg;
        let mut pid = if cfg.reuse_pids && !self.retired.is_empty() && rng.chance(0.5) {
            self.retired.remove(0)
        } else {
            self.next_pid += 4 + 4 * rng.below(64) as u32;
            self.next_pid
        };
        if let Some(same) = same_pid {
            // (The draws above are made all the same, so that the rest
            // of the simulation does not change.)
            if pid != self.next_pid {
                self.retired.insert(0, pid);
            }
            pid = same;
        }
        let ordinal = {
            let o = self.ordinals.entry(pid).or_insert(0);
            *o += 1;
            *o
        };
        let tid = 1000 + rng.below(8000) as u32;
        for (dt, text) in [
            (0.0, "Line: 27 rMsg1638: DBGVIEWCLEAR DBG-VIEW-CLEAR RegisterModule one time call when loading DLL".to_string()),
            (0.000_01, format!("Line: 28 rMsg1638: Trace Window Reset FILE = {SOURCE} Build {BUILD}")),
        ] {
            lines.push(SimLine {
                time: at + dt,
                pid,
                tid,
                text,
                request: None,
                lost: false,
            });
        }
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
    }
}

/// Picks a process by its pool's weight: it gets the next request.
fn pick_process(cfg: &SimConfig, procs: &[Proc], total_weight: f64, rng: &mut Rng) -> usize {
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
    idx
}

/// A request's messages, each a drawn step after the one before.
struct Steps<'a> {
    cfg: &'a SimConfig,
    t: f64,
    msgs: Vec<(f64, String)>,
}

impl Steps<'_> {
    /// The time of the next message (a slow step on failure paths).
    fn next(&mut self, rng: &mut Rng, slow: bool) -> f64 {
        let cfg = self.cfg;
        let median = cfg.mean_step * if slow { cfg.failure_slowdown } else { 1.0 };
        self.t += cfg.family.draw(rng, median, cfg.step_sigma);
        self.t
    }

    fn push(&mut self, rng: &mut Rng, slow: bool, text: String) {
        let at = self.next(rng, slow);
        self.msgs.push((at, text));
    }
}

/// The messages of an HTTPS request after its start: negotiation (snippet1
/// builds), then the certificate's outcome. Returns when the `cert crc`
/// line is written, for a request that presented a certificate.
fn https_steps(
    cfg: &SimConfig,
    snippet: Snippet,
    steps: &mut Steps,
    truth: &mut TruthRequest,
    rng: &mut Rng,
) -> Option<f64> {
    if snippet == Snippet::One {
        steps.push(
            rng,
            false,
            "Line: 90 rMsg1638: forcing load of client cert".into(),
        );
        if rng.chance(0.08) {
            let hr = if rng.chance(0.7) {
                0x8007_0032u32
            } else {
                0x8007_04d4
            };
            steps.push(rng, true, format!("Line: 93 rMsg1638: FATAL Error HR = NegotiateClientCertificate : HR =  {hr:x} function : CMyHttpModule::OnBeginRequest"));
            truth.outcome = "negotiate_failed";
            truth.hresult = Some(hr);
            return None;
        }
    }
    let r = rng.f64();
    if r < 0.10 {
        truth.outcome = "cert_not_found";
        truth.hresult = Some(0x8007_0490);
        let text = match snippet {
            Snippet::Two => "Line: 40 rMsg1638: HR = 80070490  Cert not found",
            Snippet::One => "Line: 108 rMsg1638: Cert not found",
        };
        steps.push(rng, true, text.into());
    } else if r < 0.13 {
        let hr = [0x8007_0032u32, 0x8000_4005, 0x8007_000e, 0x8007_03e3][rng.below(4) as usize];
        truth.outcome = "get_cert_failed";
        truth.hresult = Some(hr);
        let func = match snippet {
            Snippet::Two => "checkForClientCert",
            Snippet::One => "CMyHttpModule::OnBeginRequest",
        };
        steps.push(
            rng,
            true,
            format!(
                "Line: 44 rMsg1638: FATAL Error HR = {hr:x} GetClientCertificate function : {func}"
            ),
        );
    } else if r < 0.18 || cfg.certs.is_empty() {
        truth.outcome = "no_cert";
        let text = match snippet {
            Snippet::Two => "Line: 55 rMsg1638: No client certificate. fccNeg = 0",
            Snippet::One => "Line: 124 rMsg1638: No client certificate.",
        };
        steps.push(rng, true, text.into());
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
        steps.push(
            rng,
            false,
            format!("Line: 45 rMsg1638: cert size: {size} Previously negotiated {prev}"),
        );
        let at = steps.next(rng, false);
        steps
            .msgs
            .push((at, "Line: 49 rMsg1638: cert crc: {CRC}".into()));
        return Some(at);
    }
    None
}

impl Simulation {
    pub fn run(cfg: &SimConfig) -> Simulation {
        let mut rng = Rng::new(cfg.seed);
        let next_pid = 4000 + (rng.below(500) as u32) * 4;
        let mut sim = Simulation {
            lines: Vec::new(),
            requests: Vec::new(),
        };
        let mut spawner = Spawner {
            cfg,
            next_pid,
            retired: Vec::new(),
            ordinals: Default::default(),
        };
        let total_weight: f64 = cfg
            .pools
            .iter()
            .map(|p| p.weight * p.processes as f64)
            .sum();
        let mut procs: Vec<Proc> = Vec::new();
        for (i, pool) in cfg.pools.iter().enumerate() {
            for _ in 0..pool.processes {
                let at = rng.f64() * 0.01;
                procs.push(spawner.start(i, at, &mut rng, &mut sim.lines, None));
            }
        }
        let mut finished: Vec<Proc> = Vec::new();
        for _ in 0..cfg.requests {
            let idx = pick_process(cfg, &procs, total_weight, &mut rng);
            let pool = &cfg.pools[procs[idx].pool];
            if let Some(every) = pool.recycle_every
                && procs[idx].served >= every
            {
                let at = procs[idx].next_arrival;
                let same_pid = cfg.recycle_on_same_pid.then_some(procs[idx].pid);
                let fresh = spawner.start(procs[idx].pool, at, &mut rng, &mut sim.lines, same_pid);
                let old = std::mem::replace(&mut procs[idx], fresh);
                if !cfg.recycle_on_same_pid {
                    spawner.retired.push(old.pid);
                }
                finished.push(old);
            }
            sim.request(cfg, &mut procs[idx], &mut rng);
        }
        finished.extend(procs);
        sim.fill_counters(&finished);
        sim.fill_crcs(cfg, &mut finished);
        sim.add_noise_and_sort(cfg, &mut rng);
        sim
    }

    /// One request of process `p`: its messages and its truth.
    fn request(&mut self, cfg: &SimConfig, p: &mut Proc, rng: &mut Rng) {
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
        let req_index = self.requests.len();
        let mut truth = TruthRequest {
            pid: p.pid,
            tid,
            instance_ordinal: p.ordinal,
            cnt: 0,
            uri: uri.clone(),
            outcome: "plain_http",
            hresult: None,
            cert_size: None,
            cert_crc: None,
            cert_index: None,
            lines: Vec::new(),
        };
        let mut steps = Steps {
            cfg,
            t: read_at,
            // cnt is filled in later, once every increment is known.
            msgs: vec![(
                read_at,
                format!(
                    "Line: 28 rMsg1638: cnt = {{CNT}} URI: {uri} FILE = {SOURCE} Build {BUILD}"
                ),
            )],
        };
        if !https {
            steps.push(
                rng,
                false,
                "Line: 32 rMsg1638: connection is not using SSL".into(),
            );
        } else if let Some(crc_at) = https_steps(cfg, pool.snippet, &mut steps, &mut truth, rng) {
            p.crc_events.push((crc_at, req_index));
        }
        for (time, text) in steps.msgs {
            truth.lines.push(self.lines.len());
            self.lines.push(SimLine {
                time,
                pid: p.pid,
                tid,
                text,
                request: Some(req_index),
                lost: false,
            });
        }
        self.requests.push(truth);
    }

    /// Counter values: increments up to the read time of each request.
    fn fill_counters(&mut self, finished: &[Proc]) {
        for p in finished {
            let mut incs = p.increments.clone();
            incs.sort_by(f64::total_cmp);
            for r in self
                .requests
                .iter_mut()
                .filter(|r| r.pid == p.pid && r.instance_ordinal == p.ordinal)
            {
                let first = &mut self.lines[r.lines[0]];
                let cnt = incs.partition_point(|&t| t <= first.time) as u64;
                r.cnt = cnt.max(1);
                first.text = first.text.replace("{CNT}", &r.cnt.to_string());
            }
        }
    }

    /// CRCs: in the order each process computed them.
    fn fill_crcs(&mut self, cfg: &SimConfig, finished: &mut [Proc]) {
        for p in finished {
            let mut evs = p.crc_events.clone();
            evs.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (_, ri) in evs {
                let r = &mut self.requests[ri];
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
                self.lines[li].text = self.lines[li].text.replace("{CRC}", &crc.to_string());
            }
        }
    }

    /// Noise from other software, then everything in time order; the
    /// capture starts late and loses lines.
    fn add_noise_and_sort(&mut self, cfg: &SimConfig, rng: &mut Rng) {
        let lines = &mut self.lines;
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
        for r in &mut self.requests {
            for l in &mut r.lines {
                *l = remap[*l];
            }
        }
        for l in &mut sorted {
            l.time -= cfg.late_start;
            if l.time < 0.0 || rng.chance(cfg.loss) {
                l.lost = true;
            }
        }
        self.lines = sorted;
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
