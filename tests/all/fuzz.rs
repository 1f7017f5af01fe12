//! Seeded fuzzing of the two doors untrusted data comes through: the snapshot parser (mutated
//! snapshot files) and the policy boundary (random, often strange, but valid clusters through
//! the embedded policy and the host's checks). Reproducible: case `i` always uses seed `i`.
//!
//! CI runs a few thousand cases; `WORKER_POLICY_FUZZ_CASES=1000000 cargo test --release -p
//! worker-policy-tests --test all fuzz::` runs longer.

use std::path::Path;

use worker_policy::snapshot_file::SnapshotFile;
use worker_policy::{evaluate, simulate, Error};
use worker_policy_model::generate::{Oddities, RandomCluster, SplitMix64};
use worker_policy_model::PolicyError;
use worker_policy_tests::{default_policy, example_path};

fn cases(default: u64) -> u64 {
    std::env::var("WORKER_POLICY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The seed texts: every example and every bad snapshot of the CLI tests.
fn corpus() -> Vec<Vec<u8>> {
    let mut texts = Vec::new();
    for dir in [
        example_path(""),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../host/tests/bad-snapshots"),
    ] {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        texts.extend(files.iter().map(|f| std::fs::read(f).unwrap()));
    }
    texts
}

/// One random edit: flip a byte, drop a run, repeat a run, or splice in a JSON token.
fn mutate(bytes: &mut Vec<u8>, rng: &mut SplitMix64) {
    const TOKENS: [&[u8]; 12] = [
        b"null",
        b"-1",
        b"4294967296",
        b"\"N7\"",
        b"[]",
        b"{}",
        b"\"\"",
        b"true",
        b"1e999",
        b"\"{zone: 9}\"",
        b",",
        b"\"\\u0000\"",
    ];
    let at = rng.below(bytes.len() + 1);
    match rng.below(4) {
        0 if !bytes.is_empty() => {
            let i = at.min(bytes.len() - 1);
            bytes[i] = rng.next_u64() as u8;
        }
        1 => {
            let end = (at + rng.below(16)).min(bytes.len());
            bytes.drain(at..end);
        }
        2 => {
            let end = (at + rng.below(32)).min(bytes.len());
            let run = bytes[at..end].to_vec();
            bytes.splice(at..at, run);
        }
        _ => {
            let token = TOKENS[rng.below(TOKENS.len())];
            bytes.splice(at..at, token.iter().copied());
        }
    }
}

#[test]
fn the_snapshot_parser_never_panics_and_round_trips_what_it_accepts() {
    let corpus = corpus();
    let (mut accepted, total) = (0u64, cases(20_000));
    for case in 0..total {
        let mut rng = SplitMix64::new(case);
        let mut bytes = corpus[rng.below(corpus.len())].clone();
        for _ in 0..=rng.below(4) {
            mutate(&mut bytes, &mut rng);
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(file) = SnapshotFile::parse(&text, Path::new("fuzz.json")) {
            accepted += 1;
            let again = SnapshotFile::parse(&file.to_json(&file.snapshot), Path::new("again.json"))
                .unwrap_or_else(|e| panic!("case {case}: what was accepted must read back: {e}"));
            assert_eq!(again.snapshot, file.snapshot, "case {case}");
        }
    }
    eprintln!("parser fuzz: {total} cases, {accepted} accepted");
}

/// The default policy on `total` random valid clusters with `oddities`: every one is planned
/// and converges with no `next` set left but a frozen partition's, or is refused as
/// unsatisfiable; nothing else.
fn fuzz_the_boundary(oddities: Oddities, total: u64) {
    let policy = default_policy();
    let (mut planned, mut refused) = (0u64, 0u64);
    for case in 0..total {
        let snapshot = RandomCluster::new(case, oddities).snapshot.canonical();
        match evaluate(&policy, &snapshot, None) {
            Ok(_) => {
                planned += 1;
                let run = simulate(&policy, &snapshot, None, 50).unwrap_or_else(|e| {
                    panic!("case {case}: a plannable cluster must converge: {e}\n{snapshot:?}")
                });
                let unsettled: Vec<_> = run
                    .last
                    .partitions
                    .iter()
                    .filter(|p| p.next.is_some() && !p.is_frozen())
                    .collect();
                assert!(
                    unsettled.is_empty(),
                    "case {case}: next sets left: {unsettled:?}\n{snapshot:?}"
                );
            }
            Err(Error::Refused(PolicyError::InsufficientNodes(_))) => refused += 1,
            Err(other) => panic!("case {case}: {other}\n{snapshot:?}"),
        }
    }
    eprintln!("boundary fuzz: {total} clusters, {planned} planned and converged, {refused} refused as unsatisfiable");
}

#[test]
fn the_default_policy_never_faults_on_any_valid_cluster() {
    // Every worker state, dead nodes, non-workers, partial, over-full and in-flight replica
    // sets, sparse ids: everything a snapshot file of contract 0.1.0 can hold.
    fuzz_the_boundary(Oddities::VALID, cases(300));
}

#[test]
fn the_default_policy_never_faults_with_weights_freezes_and_affinities() {
    // The same, with the controls of contract 0.2.0: weighted nodes, frozen partitions (some on
    // draining nodes, whose drains they block) and leader affinities.
    fuzz_the_boundary(Oddities::VALID.with_controls(), cases(300));
}
