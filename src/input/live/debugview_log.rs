//! `--save FILE.log`: what a live capture saw, written as a DebugView log
//! (`<index>\t<elapsed seconds>\t[<pid>] <message>\t\r\n`), so that
//! `certtrace read FILE.log` (or DebugView itself) reads it back later.

use std::io::{self, Write};

use super::dbwin::split_debug_lines;

/// Writes DebugView-format entries; numbering starts at 1 like DebugView's.
pub struct DebugViewLogWriter<W: Write> {
    out: W,
    next_index: u64,
}

impl<W: Write> DebugViewLogWriter<W> {
    pub fn new(out: W) -> Self {
        DebugViewLogWriter { out, next_index: 1 }
    }

    /// Writes one message; a message with embedded newlines becomes several
    /// entries (a DebugView log has one entry per line). `elapsed` is the
    /// time since the capture started, in seconds (negative values, from
    /// ETW events buffered before the start, are written as 0). Without a
    /// pid the `[pid] ` prefix is left out, as DebugView does for kernel
    /// output.
    pub fn write_entry(&mut self, elapsed: f64, pid: Option<u32>, message: &str) -> io::Result<()> {
        let elapsed = if elapsed.is_finite() && elapsed > 0.0 {
            elapsed
        } else {
            0.0
        };
        for line in split_debug_lines(message) {
            write!(self.out, "{:08}\t{:.8}\t", self.next_index, elapsed)?;
            if let Some(pid) = pid {
                write!(self.out, "[{pid}] ")?;
            }
            self.out.write_all(line.as_bytes())?;
            self.out.write_all(b"\t\r\n")?;
            self.next_index += 1;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_matches_debugview() {
        let mut w = DebugViewLogWriter::new(Vec::new());
        w.write_entry(
            0.0,
            Some(5120),
            "Line: 28 rMsg1638: cnt = 1 URI: https://shop.example:443/login FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\n",
        )
        .unwrap();
        w.write_entry(
            0.0000412,
            Some(5120),
            "Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1",
        )
        .unwrap();
        w.write_entry(1.5, None, "a\nb\n").unwrap();
        w.write_entry(-3.0, Some(1), "early").unwrap();
        let s = String::from_utf8(w.into_inner()).unwrap();
        assert_eq!(
            s,
            "00000001\t0.00000000\t[5120] Line: 28 rMsg1638: cnt = 1 URI: https://shop.example:443/login FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\t\r\n\
             00000002\t0.00004120\t[5120] Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1\t\r\n\
             00000003\t1.50000000\ta\t\r\n\
             00000004\t1.50000000\tb\t\r\n\
             00000005\t0.00000000\t[1] early\t\r\n"
        );
    }

    #[test]
    fn every_line_has_three_tab_separated_columns() {
        let mut w = DebugViewLogWriter::new(Vec::new());
        for i in 0..20 {
            w.write_entry(
                i as f64 * 0.01,
                Some(6044),
                &format!("Line: 40 rMsg1638: HR = 80070490  Cert not found {i}\n"),
            )
            .unwrap();
        }
        let s = String::from_utf8(w.into_inner()).unwrap();
        for (n, line) in s.split_terminator("\r\n").enumerate() {
            let cols: Vec<&str> = line.splitn(3, '\t').collect();
            assert_eq!(cols.len(), 3);
            assert_eq!(cols[0].parse::<u64>().unwrap(), n as u64 + 1);
            assert!(cols[1].parse::<f64>().is_ok());
            assert!(cols[2].starts_with("[6044] Line: 40"));
            assert!(cols[2].ends_with('\t'));
        }
    }
}
