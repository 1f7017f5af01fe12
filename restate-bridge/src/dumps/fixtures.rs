//! The hand-checked fixtures under `tests/fixtures/<name>/` (both formats and the expected
//! snapshot) stay what the writer writes: a change to either shows here. After a deliberate
//! change, rewrite them with `UPDATE_DUMP_FIXTURES=1 cargo test --release -p
//! worker-policy-restate-bridge fixtures` and check the difference by eye against the notes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use worker_policy::snapshot_file::snapshot_to_json;

use super::samples::Sample;
use super::{metadata_dumps, sql_dumps};

/// Every file of a fixture, by name.
fn expected_files(sample: &Sample) -> BTreeMap<String, String> {
    let cluster = sample.cluster();
    let metadata = metadata_dumps(&cluster).expect("a fixture writes");
    let sql = sql_dumps(&cluster).expect("a fixture writes");
    let mut files: BTreeMap<String, String> = metadata
        .files()
        .into_iter()
        .chain(sql.files())
        .map(|(name, text)| (name, text.to_owned()))
        .collect();
    files.insert(
        "snapshot.json".into(),
        snapshot_to_json(&sample.snapshot.clone().canonical()),
    );
    files
}

fn fixture_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn fixture_snapshots_are_consistent() {
    for sample in Sample::all() {
        assert_eq!(
            sample.snapshot.check_consistency(),
            Ok(()),
            "{}",
            sample.name
        );
    }
}

#[test]
fn fixtures_are_what_the_writer_writes() {
    let update = std::env::var_os("UPDATE_DUMP_FIXTURES").is_some();
    for sample in Sample::all() {
        let dir = fixture_dir(sample.name);
        let expected = expected_files(&sample);
        if update {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("the fixture directory");
            for (name, text) in &expected {
                std::fs::write(dir.join(name), text).expect("a fixture file");
            }
        }
        let mut on_disk = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).expect("the fixture exists") {
            let path = entry.expect("a directory entry").path();
            let name = path
                .file_name()
                .expect("a file")
                .to_string_lossy()
                .into_owned();
            on_disk.insert(name, std::fs::read_to_string(&path).expect("readable"));
        }
        assert_eq!(
            on_disk.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{}",
            sample.name
        );
        for (name, text) in &expected {
            assert_eq!(&on_disk[name], text, "{}/{name}", sample.name);
        }
    }
}
