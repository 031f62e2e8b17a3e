//! `--format json` is the NDJSON records grouped by type in one document,
//! streamed: the same records, the same fields, requests in the same order.

use assert_cmd::Command;
use serde_json::Value;

fn certtrace(args: &[&str]) -> Vec<u8> {
    let out = Command::cargo_bin("certtrace")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", out);
    out.stdout
}

#[test]
fn json_document_groups_the_ndjson_records() {
    let lines = certtrace(&["demo", "--format", "ndjson"]);
    let doc: Value = serde_json::from_slice(&certtrace(&["demo", "--format", "json"])).unwrap();
    let records: Vec<Value> = lines
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let groups = [
        ("request", "requests"),
        ("instance", "instances"),
        ("certificate", "certificates"),
        ("gap", "gaps"),
        ("orphan", "orphans"),
        ("module_error", "module_errors"),
        ("recycle", "recycles"),
        ("unknown", "unknown"),
        ("problem", "problems"),
    ];
    for (ty, key) in groups {
        let want: Vec<&Value> = records.iter().filter(|r| r["type"] == ty).collect();
        let got: Vec<&Value> = doc[key].as_array().unwrap().iter().collect();
        assert_eq!(got, want, "group {key}");
    }
    assert!(doc["requests"].as_array().unwrap().len() > 500);
    let summary = records.iter().find(|r| r["type"] == "summary").unwrap();
    assert_eq!(&doc["summary"], summary);
}
