//! Following growing captures, like `tail -F`: the same [`SourceItem`]s as
//! the other text sources, as lines are appended.
//!
//! * Starts at the end of each file (after its last complete line) unless
//!   `from_start`; a file that appears later is read from its start.
//! * Survives rotation (renamed and recreated: the rest of the old file is
//!   read first), truncation (read again from the start), a file that does
//!   not exist yet or is deleted (waited for), permission denied (retried).
//!   Each is reported once as a [`SourceItem::Problem`]; following goes on.
//! * A partial last line is held until its newline arrives; one that can
//!   never be completed (rotation, truncation) is dropped and reported.
//! * Wakes on OS file notifications (`notify`: inotify, FSEvents,
//!   ReadDirectoryChangesW, kqueue) on the files' directories, with a timer
//!   as a safety net; with `poll` (or when notifications are unavailable)
//!   the timer alone, every [`FollowOptions::poll_interval`].
//! * `-` (stdin) is read as it arrives until it ends.
//!
//! Items of all inputs go through one channel in arrival order (live input
//! is in time order as it arrives; no merge by timestamps).

use std::collections::{BTreeSet, VecDeque};
use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;
use std::time::Duration;

use crate::input::event::{InputName, Origin, Position};
use crate::input::lines::{self, Line, LineProblem, MAX_LINE};
use crate::input::{InputProblem, ProblemKind, ReadOptions, SourceItem, TextSource};

/// How to follow.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// Read existing content first instead of starting at the end.
    pub from_start: bool,
    /// Do not use OS notifications: check the files on a timer only.
    pub poll: bool,
    /// Timer period when polling only.
    pub poll_interval: Duration,
    /// Timer period as a safety net beside notifications.
    pub notify_interval: Duration,
    pub read: ReadOptions,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            from_start: false,
            poll: false,
            poll_interval: Duration::from_millis(50),
            notify_interval: Duration::from_millis(250),
            read: ReadOptions::default(),
        }
    }
}

/// The followed inputs as one endless stream of items (it ends only when
/// every input is stdin and stdin ends, or when dropped).
pub struct Follow {
    rx: Receiver<SourceItem>,
    stop: Arc<AtomicBool>,
}

impl Iterator for Follow {
    type Item = SourceItem;
    fn next(&mut self) -> Option<SourceItem> {
        self.rx.recv().ok()
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts following the named inputs (`-` is stdin).
pub fn follow(names: &[String], opts: FollowOptions) -> Follow {
    let (tx, rx) = mpsc::sync_channel::<SourceItem>(4096);
    let stop = Arc::new(AtomicBool::new(false));
    if names.iter().any(|n| n == "-") {
        let tx = tx.clone();
        let ropts = opts.read.clone();
        let _ = thread::Builder::new()
            .name("certtrace-stdin".into())
            .spawn(move || match super::open("-", &ropts) {
                Ok(items) => {
                    for item in items {
                        if tx.send(item).is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    let _ = tx.send(problem(
                        "-".into(),
                        0,
                        ProblemKind::Unreadable,
                        e.to_string(),
                    ));
                }
            });
    }
    let files: Vec<String> = names.iter().filter(|n| *n != "-").cloned().collect();
    if !files.is_empty() {
        let stop = stop.clone();
        let _ = thread::Builder::new()
            .name("certtrace-follow".into())
            .spawn(move || watch_files(files, opts, tx, stop));
    }
    Follow { rx, stop }
}

fn problem(input: InputName, offset: u64, kind: ProblemKind, detail: String) -> SourceItem {
    SourceItem::Problem(InputProblem {
        origin: Origin {
            input,
            position: Position::Offset(offset),
        },
        kind,
        detail,
    })
}

/// The identity of an open file, to notice that its name now refers to
/// another one (rotation).
#[cfg(unix)]
fn file_id(m: &Metadata) -> u128 {
    use std::os::unix::fs::MetadataExt;
    (u128::from(m.dev()) << 64) | u128::from(m.ino())
}

#[cfg(windows)]
fn file_id(m: &Metadata) -> u128 {
    use std::os::windows::fs::MetadataExt;
    u128::from(m.creation_time())
}

#[cfg(not(any(unix, windows)))]
fn file_id(_: &Metadata) -> u128 {
    0
}

/// Opens for reading without stopping the writer from renaming or deleting
/// the file (Windows locks names of open files unless asked not to).
fn open_shared(path: &Path) -> io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        // FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE
        o.share_mode(7);
    }
    o.open(path)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enc {
    Unknown,
    Bytes,
    Utf16Le,
    Utf16Be,
}

/// One generation of a followed file: the file its name referred to from
/// one open to the next rotation or truncation.
struct Generation {
    file: File,
    id: u128,
    /// File offset read up to.
    pos: u64,
    enc: Enc,
    /// Bytes of the incomplete last line, starting at `pending_at`.
    pending: Vec<u8>,
    pending_at: u64,
    /// Skipping the rest of an overlong line.
    skipping: bool,
    /// Line numbers are exact (read from offset 0), else origins are byte
    /// offsets.
    exact_lines: bool,
    number: u64,
    text: TextSource<io::Empty>,
    /// An `.etl` file: not followed (reported once).
    etl: bool,
    /// `--encoding`.
    ansi: Option<&'static encoding_rs::Encoding>,
    /// Byte offsets of the lines given to `text` and not out yet (held
    /// while the format is decided), by line number.
    line_at: VecDeque<(u64, u64)>,
}

struct Tracked {
    path: PathBuf,
    input: InputName,
    generation: Option<Generation>,
    /// The state last reported, so each is told once.
    reported: Option<ProblemKind>,
    /// Not opened yet: an existing file starts at its end.
    first: bool,
}

type Tx = SyncSender<SourceItem>;

fn watch_files(names: Vec<String>, opts: FollowOptions, tx: Tx, stop: Arc<AtomicBool>) {
    let mut files: Vec<Tracked> = names
        .iter()
        .map(|n| Tracked {
            path: PathBuf::from(n),
            input: n.as_str().into(),
            generation: None,
            reported: None,
            first: true,
        })
        .collect();
    let (wake_tx, wake_rx) = mpsc::channel::<()>();
    let mut watcher = if opts.poll {
        None
    } else {
        notify::recommended_watcher(move |_res: notify::Result<notify::Event>| {
            let _ = wake_tx.send(());
        })
        .ok()
    };
    let dirs: BTreeSet<PathBuf> = files
        .iter()
        .map(|f| match f.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        })
        .collect();
    let mut watched: BTreeSet<PathBuf> = BTreeSet::new();
    loop {
        if let Some(w) = watcher.as_mut() {
            use notify::Watcher;
            for d in &dirs {
                if !watched.contains(d) && w.watch(d, notify::RecursiveMode::NonRecursive).is_ok() {
                    watched.insert(d.clone());
                }
            }
        }
        for f in &mut files {
            if f.check(&opts, &tx).is_err() {
                return;
            }
        }
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let interval = if watcher.is_some() && watched.len() == dirs.len() {
            opts.notify_interval
        } else {
            opts.poll_interval
        };
        let _ = wake_rx.recv_timeout(interval);
        while wake_rx.try_recv().is_ok() {}
    }
}

/// The receiver went away.
struct Closed;

impl Tracked {
    fn send(&self, tx: &Tx, item: SourceItem) -> Result<(), Closed> {
        tx.send(item).map_err(|_| Closed)
    }

    fn report(
        &mut self,
        tx: &Tx,
        offset: u64,
        kind: ProblemKind,
        detail: String,
    ) -> Result<(), Closed> {
        if self.reported == Some(kind) {
            return Ok(());
        }
        self.reported = Some(kind);
        self.send(tx, problem(self.input, offset, kind, detail))
    }

    fn check(&mut self, opts: &FollowOptions, tx: &Tx) -> Result<(), Closed> {
        if self.generation.is_some() {
            self.read_available(tx)?;
            let (id, pos) = {
                let g = self.generation.as_ref().expect("generation");
                (g.id, g.pos)
            };
            match std::fs::metadata(&self.path) {
                Ok(m) if file_id(&m) != id => {
                    self.end_generation(tx, "the file was rotated")?;
                    self.reported = None;
                    self.report(
                        tx,
                        pos,
                        ProblemKind::Rotated,
                        "renamed or replaced (rotation); reading the new file from its start"
                            .into(),
                    )?;
                    self.reported = None;
                    self.open(opts, tx, true)?;
                }
                Ok(m) if m.len() < pos => {
                    self.end_generation(tx, "the file was truncated")?;
                    self.reported = None;
                    self.report(
                        tx,
                        m.len(),
                        ProblemKind::Truncated,
                        format!(
                            "shrank from {pos} to {} bytes (truncated); reading again from its start",
                            m.len()
                        ),
                    )?;
                    self.reported = None;
                    self.open(opts, tx, true)?;
                }
                Ok(_) => {
                    if self.reported == Some(ProblemKind::Missing) {
                        self.reported = None;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    // Keep reading the old file: its writer may still
                    // finish a line.
                    self.report(
                        tx,
                        pos,
                        ProblemKind::Missing,
                        "deleted or renamed; waiting for it to reappear".into(),
                    )?;
                }
                Err(_) => {}
            }
            return Ok(());
        }
        self.open(opts, tx, false)
    }

    /// Opens the file (a new generation), reporting why it cannot be.
    fn open(&mut self, opts: &FollowOptions, tx: &Tx, from_start: bool) -> Result<(), Closed> {
        let first = std::mem::replace(&mut self.first, false);
        let file = match open_shared(&self.path) {
            Ok(f) => f,
            Err(e) => {
                let (kind, detail) = match e.kind() {
                    io::ErrorKind::NotFound => (
                        ProblemKind::Missing,
                        "does not exist (yet); waiting for it".to_string(),
                    ),
                    io::ErrorKind::PermissionDenied => (
                        ProblemKind::Unreadable,
                        "permission denied; retrying".to_string(),
                    ),
                    _ => (ProblemKind::Unreadable, format!("{e}; retrying")),
                };
                return self.report(tx, 0, kind, detail);
            }
        };
        let meta = match file.metadata() {
            Ok(m) => m,
            Err(e) => return self.report(tx, 0, ProblemKind::Unreadable, format!("{e}; retrying")),
        };
        if meta.is_dir() {
            return self.report(tx, 0, ProblemKind::Unreadable, "is a directory".into());
        }
        self.reported = None;
        let start_at_end = first && !from_start && !opts.from_start;
        let mut g = Generation {
            file,
            id: file_id(&meta),
            pos: 0,
            enc: Enc::Unknown,
            pending: Vec::new(),
            pending_at: 0,
            skipping: false,
            exact_lines: true,
            number: 0,
            text: TextSource::new(io::empty(), self.input, opts.read.clone()),
            etl: false,
            ansi: opts.read.encoding,
            line_at: VecDeque::new(),
        };
        // Enough for an `.etl` header, and for a saved DebugView log's
        // `[\\COMPUTER]` first line.
        let mut head = vec![0u8; 512];
        let n = read_full(&mut g.file, &mut head).unwrap_or(0);
        head.truncate(n);
        let forced_text = opts
            .read
            .format
            .is_some_and(|f| f != super::InputFormat::Auto);
        if !forced_text && crate::input::etl::is_etl(&head) {
            g.etl = true;
            g.pos = meta.len();
            self.generation = Some(g);
            return self.report(
                tx,
                0,
                ProblemKind::Binary,
                "an .etl file cannot be followed (read it with `certtrace read` once it is complete)"
                    .into(),
            );
        }
        if start_at_end && meta.len() > 0 {
            let enc = detect(&head, meta.len() as usize <= head.len()).0;
            let (start, skip) = match last_line_end(&mut g.file, meta.len(), enc) {
                Some(s) => (s, false),
                // No line ends in the file: it is all one line being written.
                None if meta.len() <= TAIL_SEARCH => (0, false),
                // An endless line: skip the rest of it.
                None => (meta.len(), true),
            };
            if start > 0 {
                g.enc = enc;
                // Started past the header: its host still applies.
                if let Some(end) = memchr::memchr(b'\n', &head)
                    && let Ok(first) = std::str::from_utf8(&head[..end])
                    && let Some(name) = super::shape::host_header(first)
                {
                    g.text.set_host(name);
                }
            }
            g.pos = start;
            g.pending_at = start;
            g.skipping = skip;
            g.exact_lines = start == 0;
        }
        if g.file.seek(SeekFrom::Start(g.pos)).is_err() {
            return self.report(
                tx,
                0,
                ProblemKind::Unreadable,
                "cannot seek; retrying".into(),
            );
        }
        self.generation = Some(g);
        Ok(())
    }

    /// Drops the generation; its unterminated last line is reported.
    fn end_generation(&mut self, tx: &Tx, why: &str) -> Result<(), Closed> {
        if let Some(g) = self.generation.take()
            && !g.pending.is_empty()
            && !g.etl
        {
            let n = g.pending.len();
            self.send(
                tx,
                problem(
                    self.input,
                    g.pending_at,
                    ProblemKind::PartialLine,
                    format!("an unterminated last line ({n} bytes) was dropped: {why}"),
                ),
            )?;
        }
        Ok(())
    }

    /// Reads what was appended and sends the items of its complete lines.
    fn read_available(&mut self, tx: &Tx) -> Result<(), Closed> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let Some(g) = self.generation.as_mut() else {
                return Ok(());
            };
            if g.etl {
                return Ok(());
            }
            let n = match g.file.read(&mut buf) {
                Ok(0) => {
                    // Nothing more for now: the format is decided on the
                    // lines held, so a slow file is not held back.
                    let items = g.settle();
                    for item in items {
                        self.send(tx, item)?;
                    }
                    return Ok(());
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let pos = g.pos;
                    return self.report(
                        tx,
                        pos,
                        ProblemKind::Unreadable,
                        format!("read error: {e}; retrying"),
                    );
                }
            };
            g.pos += n as u64;
            let items = g.push_bytes(&buf[..n]);
            for item in items {
                self.send(tx, item)?;
            }
        }
    }
}

/// Reads until `buf` is full or the file ends.
fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The encoding from a file's first bytes, and the BOM length. Undecided
/// (`Unknown`) while fewer than 4 bytes and no newline are known, unless
/// `complete`.
fn detect(head: &[u8], complete: bool) -> (Enc, usize) {
    if head.starts_with(&[0xFF, 0xFE]) {
        (Enc::Utf16Le, 2)
    } else if head.starts_with(&[0xFE, 0xFF]) {
        (Enc::Utf16Be, 2)
    } else if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        (Enc::Bytes, 3)
    } else if head.len() >= 4 {
        if head[1] == 0 && head[3] == 0 && head[0] != 0 && head[2] != 0 {
            (Enc::Utf16Le, 0)
        } else {
            (Enc::Bytes, 0)
        }
    } else if complete || head.contains(&b'\n') {
        (Enc::Bytes, 0)
    } else {
        (Enc::Unknown, 0)
    }
}

/// How far back from the end a line end is looked for.
const TAIL_SEARCH: u64 = 64 * 1024;

/// The offset just after the last complete line of a file (where following
/// starts), looking at its last [`TAIL_SEARCH`] bytes.
fn last_line_end(f: &mut File, len: u64, enc: Enc) -> Option<u64> {
    let back = len.min(TAIL_SEARCH);
    let from = len - back;
    f.seek(SeekFrom::Start(from)).ok()?;
    let mut tail = vec![0u8; back as usize];
    let n = read_full(f, &mut tail).ok()?;
    tail.truncate(n);
    let end = match enc {
        Enc::Utf16Le | Enc::Utf16Be => {
            let nl: [u8; 2] = if enc == Enc::Utf16Le {
                [b'\n', 0]
            } else {
                [0, b'\n']
            };
            let mut found = None;
            let mut i = tail.len().saturating_sub(2);
            // Code units sit at even file offsets.
            if (from + i as u64) % 2 == 1 {
                i = i.saturating_sub(1);
            }
            loop {
                if tail[i..].starts_with(&nl) {
                    found = Some(i + 2);
                    break;
                }
                if i < 2 {
                    break;
                }
                i -= 2;
            }
            found?
        }
        _ => memchr::memrchr(b'\n', &tail)? + 1,
    };
    Some(from + end as u64)
}

impl Generation {
    fn push_bytes(&mut self, bytes: &[u8]) -> Vec<SourceItem> {
        let mut items = Vec::new();
        self.pending.extend_from_slice(bytes);
        if self.enc == Enc::Unknown {
            let (enc, bom) = detect(&self.pending, false);
            if enc == Enc::Unknown {
                return items;
            }
            self.enc = enc;
            self.pending.drain(..bom);
            self.pending_at += bom as u64;
        }
        let unit = if self.enc == Enc::Bytes { 1 } else { 2 };
        let mut start = 0;
        let mut i = 0;
        loop {
            let nl = match self.enc {
                Enc::Bytes => memchr::memchr(b'\n', &self.pending[i..]).map(|k| i + k),
                _ => {
                    let le = self.enc == Enc::Utf16Le;
                    let mut j = i;
                    let mut hit = None;
                    while j + 1 < self.pending.len() {
                        let u = if le {
                            u16::from_le_bytes([self.pending[j], self.pending[j + 1]])
                        } else {
                            u16::from_be_bytes([self.pending[j], self.pending[j + 1]])
                        };
                        if u == u16::from(b'\n') {
                            hit = Some(j);
                            break;
                        }
                        j += 2;
                    }
                    hit
                }
            };
            let Some(end) = nl else {
                break;
            };
            let at = self.pending_at + start as u64;
            if self.skipping {
                self.skipping = false;
            } else {
                let line = self.decode(start, end);
                self.line_items(line, at, &mut items);
            }
            start = end + unit;
            i = start;
        }
        self.pending.drain(..start);
        self.pending_at += start as u64;
        if self.pending.len() > MAX_LINE {
            // An overlong line (or binary data without newlines): keep its
            // first MAX_LINE bytes, skip the rest until a newline.
            let at = self.pending_at;
            if !self.skipping {
                let mut line = self.decode(0, MAX_LINE);
                line.problem = Some(LineProblem::TooLong {
                    total: self.pending.len() as u64,
                });
                self.line_items(line, at, &mut items);
            }
            self.skipping = true;
            self.pending_at += self.pending.len() as u64;
            self.pending.clear();
        }
        items
    }

    fn decode(&mut self, start: usize, end: usize) -> Line {
        self.number += 1;
        let bytes = &self.pending[start..end];
        let (text, problem) = match self.enc {
            Enc::Utf16Le | Enc::Utf16Be => {
                let le = self.enc == Enc::Utf16Le;
                let pairs = bytes.chunks_exact(2);
                let truncated = !pairs.remainder().is_empty();
                let mut units: Vec<u16> = pairs
                    .map(|c| {
                        if le {
                            u16::from_le_bytes([c[0], c[1]])
                        } else {
                            u16::from_be_bytes([c[0], c[1]])
                        }
                    })
                    .collect();
                if truncated {
                    units.push(0xFFFD);
                }
                lines::decode_utf16_units(units, truncated)
            }
            _ => {
                let (text, problem) =
                    lines::decode_bytes_in(bytes.strip_suffix(b"\r").unwrap_or(bytes), self.ansi);
                (text.into_owned(), problem)
            }
        };
        Line {
            number: self.number,
            text,
            problem,
        }
    }

    /// The items of the lines held while the format was undecided.
    fn settle(&mut self) -> Vec<SourceItem> {
        let mut items: Vec<SourceItem> = self.text.settle().collect();
        self.offsets(&mut items);
        items
    }

    fn line_items(&mut self, line: Line, at: u64, items: &mut Vec<SourceItem>) {
        if !self.exact_lines {
            self.line_at.push_back((line.number, at));
        }
        let from = items.len();
        items.extend(self.text.push_line(line));
        self.offsets(&mut items[from..]);
    }

    /// Origins as byte offsets when line numbers are not exact (the file
    /// was not read from its start).
    fn offsets(&mut self, items: &mut [SourceItem]) {
        if self.exact_lines {
            return;
        }
        for item in items {
            let origin = match item {
                SourceItem::Event(e) => &mut e.origin,
                SourceItem::Problem(p) => &mut p.origin,
            };
            if let Position::Line(n) = origin.position
                && let Some(&(_, at)) = self.line_at.iter().find(|(k, _)| *k == n)
            {
                origin.position = Position::Offset(at);
            }
        }
        if self.text.decided() {
            self.line_at.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen_from(bytes_start: u64) -> Generation {
        let file = tempfile::tempfile().unwrap();
        Generation {
            file,
            id: 0,
            pos: bytes_start,
            enc: Enc::Unknown,
            pending: Vec::new(),
            pending_at: bytes_start,
            skipping: false,
            exact_lines: bytes_start == 0,
            number: 0,
            text: TextSource::new(io::empty(), "t".into(), ReadOptions::default()),
            etl: false,
            ansi: None,
            line_at: VecDeque::new(),
        }
    }

    /// Appended bytes, then nothing more for now (the format is decided).
    fn feed(g: &mut Generation, bytes: &[u8]) -> Vec<SourceItem> {
        let mut items = g.push_bytes(bytes);
        items.extend(g.settle());
        items
    }

    fn texts(items: &[SourceItem]) -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                SourceItem::Event(e) => format!("{} {}", e.origin, e.text),
                SourceItem::Problem(p) => format!("problem {} {}", p.origin, p.kind.as_str()),
            })
            .collect()
    }

    #[test]
    fn start_at_end_is_after_the_last_complete_line() {
        use std::io::Write;
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"one\r\ntwo\nthr").unwrap();
        assert_eq!(last_line_end(&mut f, 12, Enc::Bytes), Some(9));
        let mut f = tempfile::tempfile().unwrap();
        let mut b = vec![0xFF, 0xFE];
        for u in "a\nbc\nd".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        f.write_all(&b).unwrap();
        // BOM (2) + "a\n" (4) + "bc\n" (6): the next line starts at 12.
        assert_eq!(
            last_line_end(&mut f, b.len() as u64, Enc::Utf16Le),
            Some(12)
        );
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"no newline").unwrap();
        assert_eq!(last_line_end(&mut f, 10, Enc::Bytes), None);
    }

    #[test]
    fn partial_lines_wait_for_their_newline() {
        let mut g = gen_from(0);
        assert!(feed(&mut g, b"hel").is_empty());
        assert!(feed(&mut g, b"lo wor").is_empty());
        assert_eq!(texts(&feed(&mut g, b"ld\r\nsecond")), ["t:1 hello world"]);
        assert_eq!(texts(&feed(&mut g, b"\n")), ["t:2 second"]);
    }

    #[test]
    fn offsets_when_started_mid_file() {
        let mut g = gen_from(100);
        assert_eq!(texts(&feed(&mut g, b"a\nbb\n")), ["t@100 a", "t@102 bb"]);
    }

    #[test]
    fn utf16_split_across_reads() {
        let mut g = gen_from(0);
        let mut b = vec![0xFF, 0xFE];
        for u in "x1\r\ny".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        let (a, rest) = b.split_at(5);
        assert!(feed(&mut g, a).is_empty());
        assert_eq!(texts(&feed(&mut g, rest)), ["t:1 x1"]);
        assert_eq!(texts(&feed(&mut g, &[b'\n', 0])), ["t:2 y"]);
    }

    #[test]
    fn binary_without_newlines_is_cut_and_skipped() {
        let mut g = gen_from(0);
        let blob = vec![0u8; MAX_LINE + 10];
        let out = texts(&feed(&mut g, &blob));
        assert!(out.iter().any(|t| t.contains("line_too_long")), "{out:?}");
        assert!(g.pending.is_empty());
        assert!(feed(&mut g, &[0u8; 100]).is_empty() || g.pending.len() == 100);
        let out = texts(&feed(&mut g, b"\nok line\n"));
        assert_eq!(out.last().unwrap(), "t:2 ok line");
    }
}
