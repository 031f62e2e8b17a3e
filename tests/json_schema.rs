//! Every record type certtrace writes matches docs/schema/record.schema.json,
//! which lists every field of every type (`additionalProperties: false`):
//! a field added to a record without its line in the schema fails here.

use std::collections::BTreeSet;

use assert_cmd::Command;
use serde_json::Value;

fn ndjson(args: &[&str], stdin: &[u8]) -> Vec<Value> {
    let out = Command::cargo_bin("certtrace")
        .unwrap()
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    out.stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

#[test]
fn every_record_type_matches_the_schema() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/schema/record.schema.json"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    // Each type's own definition, for messages that name the field at fault.
    let of_type = |ty: &str| {
        let mut one = schema.clone();
        one.as_object_mut().unwrap().remove("oneOf");
        one["$ref"] = Value::from(format!("#/$defs/{ty}"));
        jsonschema::validator_for(&one).unwrap()
    };

    let mut records = ndjson(&["demo", "--format", "ndjson", "--show-unknown"], b"");
    // Problem and module-error records: a binary line, a module failure.
    records.extend(ndjson(
        &["read", "-", "--format", "ndjson"],
        b"Line: 1 rMsg1638: FATAL Error HR = 80070005\n\x00\x01binary\n",
    ));
    let mut seen = BTreeSet::new();
    for r in &records {
        let ty = r["type"].as_str().unwrap();
        let errors: Vec<String> = of_type(ty)
            .iter_errors(r)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{r}\n{errors:#?}");
        assert!(
            validator.is_valid(r),
            "{r} fits its type but not the schema"
        );
        seen.insert(ty.to_string());
    }
    let types: BTreeSet<String> = schema["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            t["$ref"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        seen, types,
        "every type in the schema is written and checked"
    );
}
