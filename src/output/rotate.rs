//! `--output FILE`: the records go to a file, optionally rotated by size
//! the way log shippers expect (`certtrace.ndjson`, `certtrace.ndjson.1`,
//! ... with `.1` the newest rotated file). Rotation happens only after a
//! line's `\n`, so a shipper tailing the files never reads half a record,
//! however the writes in front of it are cut.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// When to rotate and how many rotated files to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// Rotate at the first line end that brings the file to this many
    /// bytes (a file holds at least this much, plus at most one line).
    pub size: u64,
    /// Rotated files kept (`FILE.1` ... `FILE.keep`); older ones are removed.
    pub keep: u32,
}

/// Writes whole lines to a file, renaming it aside when it grows past the
/// rotation size. Errors name the file.
pub struct OutputFile {
    path: PathBuf,
    file: File,
    /// Bytes in the current file.
    size: u64,
    rotation: Option<Rotation>,
    /// After a failed rotation: the size at which to try again.
    retry_at: Option<u64>,
    /// Rotations that failed (each said on stderr).
    pub failed_rotations: u64,
}

impl OutputFile {
    /// Opens `path` for appending (a restarted service carries on in the
    /// same file, where a shipper's offset is still right), creating its
    /// directory.
    pub fn open(path: &Path, rotation: Option<Rotation>) -> io::Result<OutputFile> {
        // An unattended run's directory may not exist yet.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| context(path, e))?;
        }
        let file = open_append(path)?;
        let meta = file.metadata().map_err(|e| context(path, e))?;
        let mut out = OutputFile {
            path: path.to_path_buf(),
            file,
            size: meta.len(),
            rotation: rotation.filter(|_| meta.is_file()),
            retry_at: None,
            failed_rotations: 0,
        };
        if meta.is_file() && meta.len() > 0 && !ends_with_newline(path)? {
            // A previous run stopped mid-line: start our records on a line
            // of their own.
            out.write_raw(b"\n")?;
        }
        Ok(out)
    }

    fn write_raw(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file
            .write_all(buf)
            .map_err(|e| context(&self.path, e))?;
        self.size += buf.len() as u64;
        Ok(())
    }

    /// Whether the file rotates (`--rotate-size` on a regular file).
    pub fn rotates(&self) -> bool {
        self.rotation.is_some()
    }

    /// Rotates; a rotation that fails (a reader holding a file without
    /// sharing deletion, on Windows) is said on stderr and tried again
    /// after another eighth of the size: the records go on into FILE.
    fn rotate_or_retry(&mut self, limit: u64, keep: u32) -> io::Result<()> {
        if self.retry_at.is_some_and(|at| self.size < at) {
            return Ok(());
        }
        match self.rotate(keep) {
            Ok(()) => self.retry_at = None,
            Err(e) => {
                self.failed_rotations += 1;
                self.retry_at = Some(self.size + (limit / 8).max(1));
                eprintln!("certtrace: warning: could not rotate: {e}; writing on, retrying");
            }
        }
        Ok(())
    }

    /// Renames `FILE.(n-1)` to `FILE.n` down to `FILE` to `FILE.1`,
    /// dropping the oldest, and starts a new empty `FILE`.
    fn rotate(&mut self, keep: u32) -> io::Result<()> {
        self.file.flush().map_err(|e| context(&self.path, e))?;
        let numbered = |n: u32| {
            let mut name = self.path.clone().into_os_string();
            name.push(format!(".{n}"));
            PathBuf::from(name)
        };
        if keep == 0 {
            remove_if_present(&self.path)?;
        } else {
            remove_if_present(&numbered(keep))?;
            for n in (1..keep).rev() {
                let from = numbered(n);
                if from.exists() {
                    fs::rename(&from, numbered(n + 1)).map_err(|e| context(&from, e))?;
                }
            }
            fs::rename(&self.path, numbered(1)).map_err(|e| context(&self.path, e))?;
        }
        self.file = open_append(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

impl Write for OutputFile {
    /// Takes at most up to the line end that brings the file to the
    /// rotation size, and rotates there.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(Rotation { size: limit, keep }) = self.rotation else {
            self.write_raw(buf)?;
            return Ok(buf.len());
        };
        let room = usize::try_from(limit.saturating_sub(self.size)).unwrap_or(usize::MAX);
        // A `\n` at `from` or later brings the file to the limit.
        let from = room.saturating_sub(1).min(buf.len());
        match memchr::memchr(b'\n', &buf[from..]) {
            Some(p) => {
                let end = from + p + 1;
                self.write_raw(&buf[..end])?;
                self.rotate_or_retry(limit, keep)?;
                Ok(end)
            }
            None => {
                self.write_raw(buf)?;
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush().map_err(|e| context(&self.path, e))
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| context(path, e))
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(context(path, e)),
        _ => Ok(()),
    }
}

fn ends_with_newline(path: &Path) -> io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = File::open(path).map_err(|e| context(path, e))?;
    f.seek(SeekFrom::End(-1)).map_err(|e| context(path, e))?;
    let mut last = [0u8];
    f.read_exact(&mut last).map_err(|e| context(path, e))?;
    Ok(last[0] == b'\n')
}

/// The error with `--output FILE:` in front, keeping its kind.
fn context(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("--output {}: {e}", path.display()))
}

/// `--rotate-size`: bytes, or a number with K, M or G (binary multiples;
/// a trailing `B` or `iB` is allowed).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let unit_start = upper
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(upper.len());
    let (digits, unit) = upper.split_at(unit_start);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}`: expected a size such as 1048576, 512K, 100M or 1G"))?;
    let shift = match unit.trim_end_matches("IB").trim_end_matches('B') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return Err(format!("`{s}`: the unit is K, M or G (bytes without one)")),
    };
    let size = n
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{s}`: too large"))?;
    if size == 0 {
        return Err(format!("`{s}`: the size must be above 0"));
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512K"), Ok(512 * 1024));
        assert_eq!(parse_size("100M"), Ok(100 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("2MiB"), Ok(2 << 20));
        assert_eq!(parse_size("10KB"), Ok(10 << 10));
        assert!(parse_size("0").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("5T").is_err());
        assert!(parse_size("-1").is_err());
    }

    fn lines(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("{{\"n\":{i:04}}}\n").into_bytes())
            .collect()
    }

    /// Every file holds whole lines, rotated at the same line ends however
    /// the writes are cut.
    #[test]
    fn rotates_at_line_ends_whatever_the_cuts() {
        let text = lines(95); // 11 bytes a line: 10 lines reach 100
        for cut in [1, 7, 11, 64, 5000] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("certtrace.ndjson");
            let rot = Rotation { size: 100, keep: 3 };
            let mut out = OutputFile::open(&path, Some(rot)).unwrap();
            for chunk in text.chunks(cut) {
                out.write_all(chunk).unwrap();
            }
            out.flush().unwrap();
            let read = |n: u32| {
                let p = if n == 0 {
                    path.clone()
                } else {
                    dir.path().join(format!("certtrace.ndjson.{n}"))
                };
                fs::read(p).unwrap()
            };
            let mut kept = Vec::new();
            for n in (0..=3).rev() {
                let f = read(n);
                let want = if n == 0 { 55 } else { 110 };
                assert_eq!(f.len(), want, "cut {cut}: file {n}");
                assert!(f.ends_with(b"\n"), "cut {cut}: file {n}");
                kept.extend(f);
            }
            assert!(!dir.path().join("certtrace.ndjson.4").exists());
            // The newest files hold the last lines, in order.
            assert!(text.ends_with(&kept), "cut {cut}");
        }
    }

    #[test]
    fn a_line_longer_than_the_limit_gets_a_file_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.ndjson");
        let rot = Rotation { size: 8, keep: 2 };
        let mut out = OutputFile::open(&path, Some(rot)).unwrap();
        out.write_all(b"{\"a\":\"0123456789\"}\n{}\n").unwrap();
        out.flush().unwrap();
        assert_eq!(
            fs::read(dir.path().join("out.ndjson.1")).unwrap(),
            b"{\"a\":\"0123456789\"}\n"
        );
        assert_eq!(fs::read(&path).unwrap(), b"{}\n");
    }

    #[test]
    fn appends_after_a_half_line_on_a_line_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.ndjson");
        fs::write(&path, b"{}\n{\"cut").unwrap();
        let mut out = OutputFile::open(&path, None).unwrap();
        out.write_all(b"{}\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{}\n{\"cut\n{}\n");
    }

    #[test]
    fn keep_zero_removes_the_full_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.ndjson");
        let rot = Rotation { size: 5, keep: 0 };
        let mut out = OutputFile::open(&path, Some(rot)).unwrap();
        out.write_all(b"{1}\n{2}\n{3}\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{3}\n");
        assert!(!dir.path().join("out.ndjson.1").exists());
    }

    #[test]
    fn a_failed_rotation_writes_on_and_retries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.ndjson");
        // FILE.1 cannot be replaced while it is a directory with a file.
        let blocker = dir.path().join("out.ndjson.1");
        fs::create_dir(&blocker).unwrap();
        fs::write(blocker.join("x"), b"x").unwrap();
        let rot = Rotation { size: 400, keep: 1 };
        let mut out = OutputFile::open(&path, Some(rot)).unwrap();
        // Tried at line 37 (407 bytes), again from 457 bytes on.
        let text = lines(40);
        out.write_all(&text).unwrap();
        assert_eq!(out.failed_rotations, 1, "tried once, then waits");
        assert_eq!(fs::read(&path).unwrap(), text, "nothing lost");
        fs::remove_dir_all(&blocker).unwrap();
        out.write_all(&lines(3)).unwrap();
        assert_eq!(out.failed_rotations, 1);
        assert_eq!(
            fs::read(&blocker).unwrap().len(),
            42 * 11,
            "rotated on retry"
        );
        assert_eq!(fs::read(&path).unwrap().len(), 11);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_is_an_error_naming_the_file() {
        let mut out = OutputFile::open(Path::new("/dev/full"), None).unwrap();
        let e = out.write_all(b"{}\n").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::StorageFull);
        assert!(e.to_string().contains("--output /dev/full"), "{e}");
    }
}
