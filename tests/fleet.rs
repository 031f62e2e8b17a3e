//! The fleet pipeline against the real ClickHouse engine: a simulated fleet
//! goes through `certtrace read --host --output --rotate-size` into the
//! table of docs/fleet/clickhouse.sql, and every query of docs/fleet/queries/
//! must agree with certtrace's own per-host records. The engine is chdb (the
//! ClickHouse engine as a Python package: `pip install chdb`), driven by
//! tests/fleet/clickhouse_test.py.

mod support;

use std::path::Path;
use std::process::Command;

#[test]
fn fleet_queries_agree_with_certtrace_on_clickhouse() {
    let probe = Command::new("python3").args(["-c", "import chdb"]).output();
    match probe {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            support::missing(&format!(
                "the chdb Python package (pip install chdb): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
            return;
        }
        Err(e) => {
            support::missing(&format!("python3: {e}"));
            return;
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .arg(root.join("tests/fleet/clickhouse_test.py"))
        .arg(env!("CARGO_BIN_EXE_certtrace"))
        .arg(root)
        .arg(work.path())
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    // One line per shipped query, each checked.
    let queries = std::fs::read_dir(root.join("docs/fleet/queries"))
        .unwrap()
        .count();
    assert!(queries >= 3, "{queries} queries");
    assert_eq!(stdout.lines().count(), queries, "{stdout}");
    eprint!("{stdout}");
}
