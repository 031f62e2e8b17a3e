//! `--output FILE` with `--rotate-size`/`--rotate-keep` end to end: the
//! files a shipper tails hold whole NDJSON lines, numbered newest first,
//! and together hold the end of what stdout would have shown.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn certtrace() -> Command {
    Command::cargo_bin("certtrace").unwrap()
}

/// A demo capture of 600 requests in `dir`; returns its path.
fn demo_capture(dir: &Path) -> PathBuf {
    certtrace()
        .args(["demo", "--write"])
        .arg(dir.join("demo"))
        .assert()
        .success();
    dir.join("demo/capture.log")
}

/// `read --format ndjson` of a capture, on stdout.
fn ndjson_of(capture: &Path) -> Vec<u8> {
    certtrace()
        .args(["read", "--format", "ndjson"])
        .arg(capture)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

fn lines(text: &[u8]) -> Vec<&[u8]> {
    text.split_inclusive(|b| *b == b'\n').collect()
}

#[test]
fn rotation_keeps_whole_lines_numbered_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let capture = demo_capture(dir.path());
    let stdout = ndjson_of(&capture);
    let all = lines(&stdout);
    assert!(all.len() > 100, "{} records", all.len());

    let out = dir.path().join("certtrace.ndjson");
    let assert = certtrace()
        .arg("read")
        .arg(&capture)
        .arg("--output")
        .arg(&out)
        .args(["--rotate-size", "16K", "--rotate-keep", "2"])
        .assert()
        .success();
    assert!(assert.get_output().stdout.is_empty(), "records on stdout");
    let name = |n: u32| dir.path().join(format!("certtrace.ndjson.{n}"));
    assert!(name(2).exists() && !name(3).exists(), "keep 2");
    let mut kept = Vec::new();
    for path in [name(2), name(1), out.clone()] {
        let text = std::fs::read(&path).unwrap();
        assert!(text.ends_with(b"\n"), "{} ends mid-line", path.display());
        let longest = lines(&text).iter().map(|l| l.len()).max().unwrap();
        if path != out {
            // Rotated at the first line end at 16 KiB.
            assert!(text.len() >= 16384, "{}: {}", path.display(), text.len());
            assert!(text.len() < 16384 + longest, "{}", path.display());
        }
        for line in lines(&text) {
            serde_json::from_slice::<serde_json::Value>(line)
                .unwrap_or_else(|e| panic!("{}: half a record? {e}", path.display()));
        }
        kept.extend(text);
    }
    let kept_lines = lines(&kept);
    assert_eq!(kept_lines[..], all[all.len() - kept_lines.len()..]);
    assert!(
        kept_lines
            .last()
            .unwrap()
            .starts_with(b"{\"type\":\"summary\""),
        "the summary ends the newest file"
    );

    // A second run appends to the current file and rotates on.
    let before = std::fs::read(name(1)).unwrap();
    certtrace()
        .arg("read")
        .arg(&capture)
        .arg("--output")
        .arg(&out)
        .args(["--rotate-size", "16K", "--rotate-keep", "2"])
        .assert()
        .success();
    assert_ne!(std::fs::read(name(2)).unwrap(), before, "not rotated on");
}

#[test]
fn output_without_rotation_writes_the_file_in_a_new_directory() {
    let dir = tempfile::tempdir().unwrap();
    let capture = demo_capture(dir.path());
    let stdout = ndjson_of(&capture);
    // Its directory is made as needed.
    let out = dir.path().join("new/dir/out.ndjson");
    certtrace()
        .arg("read")
        .arg(&capture)
        .arg("--output")
        .arg(&out)
        .assert()
        .success()
        .stdout("");
    assert_eq!(std::fs::read(&out).unwrap(), stdout);
    assert!(!dir.path().join("new/dir/out.ndjson.1").exists());
}

#[test]
fn an_unwritable_output_is_exit_1_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let capture = demo_capture(dir.path());
    // A path under a regular file cannot be created, even by root.
    let bad = capture.join("certtrace.ndjson");
    certtrace()
        .arg("read")
        .arg(&capture)
        .arg("--output")
        .arg(&bad)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicates::str::contains(format!(
            "certtrace: --output {}:",
            bad.display()
        )));
    #[cfg(target_os = "linux")]
    certtrace()
        .arg("read")
        .arg(&capture)
        .args(["--output", "/dev/full"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "certtrace: --output /dev/full: No space left on device",
        ));
}

#[test]
fn rotation_options_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let capture = demo_capture(dir.path());
    let out = dir.path().join("o.ndjson");
    let run = |extra: &[&str]| {
        let mut c = certtrace();
        c.arg("read").arg(&capture).args(extra);
        c.assert()
    };
    run(&["--rotate-size", "1M"])
        .code(2)
        .stderr(predicates::str::contains("--output <FILE>"));
    run(&["--rotate-keep", "3"])
        .code(2)
        .stderr(predicates::str::contains("--rotate-size <SIZE>"));
    let o = out.to_str().unwrap();
    run(&["--output", o, "--rotate-size", "12X"])
        .code(2)
        .stderr(predicates::str::contains("the unit is K, M or G"));
    run(&["--output", o, "--rotate-size", "1M", "--format", "json"])
        .code(2)
        .stderr(predicates::str::contains("--rotate-size rotates NDJSON"));
    assert!(!out.exists(), "a usage error wrote the file");
}

#[test]
fn redact_hashes_queries_and_subjects_the_same_on_every_host() {
    let dir = tempfile::tempdir().unwrap();
    let capture = demo_capture(dir.path());
    let certs = dir.path().join("demo/certs");
    let read = |host: &str, extra: &[&str]| -> Vec<serde_json::Value> {
        let out = certtrace()
            .arg("read")
            .arg(&capture)
            .arg("--certs")
            .arg(&certs)
            .args(["--host", host, "--format", "ndjson"])
            .args(extra)
            .env_remove("CERTTRACE_REDACT_KEY")
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let plain = read("web01", &[]);
    let a = read("web01", &["--redact", "query,subject"]);
    let b = read("web02", &["--redact", "query,subject"]);
    let text_a = serde_json::to_string(&a).unwrap();
    assert!(!text_a.contains("page=2"), "a query string is left");
    assert!(!text_a.contains("@contoso.example"), "a subject is left");
    assert!(!text_a.contains(".der"), "a catalog file name is left");
    assert_eq!(plain.len(), a.len());
    let mut queries = 0;
    let mut subjects = 0;
    for ((p, x), y) in plain.iter().zip(&a).zip(&b) {
        if p["type"] != "request" {
            continue;
        }
        // Same value, same hash on both hosts; nothing else changes.
        assert_eq!(x["uri"], y["uri"]);
        assert_eq!(x["cert"], y["cert"]);
        let uri = p["uri"].as_str().unwrap();
        if let Some((path, _)) = uri.split_once('?') {
            let r = x["uri"].as_str().unwrap();
            assert!(r.starts_with(&format!("{path}?redacted:")), "{r}");
            queries += 1;
        } else {
            assert_eq!(x["uri"], p["uri"]);
        }
        if p["cert"].is_object() {
            assert!(
                x["cert"]["subject"]
                    .as_str()
                    .unwrap()
                    .starts_with("redacted:")
            );
            assert_eq!(x["cert"]["thumbprint_sha1"], p["cert"]["thumbprint_sha1"]);
            subjects += 1;
        }
        assert_eq!(x["outcome"], p["outcome"]);
    }
    assert!(
        queries > 10 && subjects > 100,
        "{queries} queries, {subjects} subjects"
    );

    // A key changes every hash, the same way on every host.
    let keyed = read("web01", &["--redact", "subject", "--redact-key", "k1"]);
    let first = |rs: &[serde_json::Value]| {
        rs.iter()
            .find(|r| r["type"] == "request" && r["cert"].is_object())
            .unwrap()["cert"]["subject"]
            .clone()
    };
    assert_ne!(first(&keyed), first(&a));
    assert_eq!(
        first(&keyed),
        first(&read(
            "web02",
            &["--redact", "subject", "--redact-key", "k1"]
        ))
    );
}
