//! The committed completions and man pages must match the clap definition.

use std::path::Path;

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("CERTTRACE_UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for (rel, data) in certtrace::generate::artifacts() {
        let path = root.join(&rel);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &data).unwrap();
            continue;
        }
        match std::fs::read(&path) {
            Ok(current) if current == data => {}
            _ => stale.push(rel),
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run `CERTTRACE_UPDATE_GENERATED=1 cargo test --test generated` and commit"
    );
}
