//! Finds the one bug feature this build enables (cargo sets `CARGO_FEATURE_<NAME>` for each) and
//! hands its name to the crate as `WORKER_POLICY_BUG` ("" for none), so `lib.rs` can refuse to
//! compile a feature that has no mutation. Two features at once are refused here.

fn main() {
    let mut enabled: Vec<String> = std::env::vars()
        .filter_map(|(key, _)| {
            let name = key.strip_prefix("CARGO_FEATURE_")?;
            Some(name.to_lowercase().replace('_', "-"))
        })
        .collect();
    enabled.sort();
    if enabled.len() > 1 {
        panic!("build worker-policy-broken with one bug feature at most, not {enabled:?}");
    }
    let bug = enabled.pop().unwrap_or_default();
    println!("cargo:rustc-env=WORKER_POLICY_BUG={bug}");
}
