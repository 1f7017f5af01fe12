//! `worker-policy inspect`: what a policy component is.

use clap::Args;
use serde::Serialize;
use worker_policy::sandbox::Limits;
use worker_policy::PolicyMetadata;

use crate::output::{OutputOptions, Render};
use crate::policy_options::PolicyOptions;

/// Options of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub policy: PolicyOptions,
    #[command(flatten)]
    pub render: OutputOptions,
}

/// What the component is and says about itself.
#[derive(Debug, Serialize)]
pub struct Inspected {
    /// What the policy says about itself and what the component is.
    #[serde(flatten)]
    pub metadata: PolicyMetadata,
    /// Its file, or the embedded default.
    pub source: String,
    /// The sandbox it was loaded into (table only).
    #[serde(skip)]
    pub limits: Limits,
}

/// Runs `inspect`.
pub fn run(args: &InspectArgs) -> anyhow::Result<Inspected> {
    let policy = args.policy.load()?;
    Ok(Inspected {
        metadata: policy.metadata().clone(),
        source: args.policy.source_name(),
        limits: *policy.limits(),
    })
}

impl Render for Inspected {
    fn table(&self) -> String {
        let Limits {
            timeout,
            max_memory,
            fuel,
        } = self.limits;
        let fuel = fuel.map_or("not metered".to_string(), |f| f.to_string());
        let m = &self.metadata;
        [
            ("source", self.source.clone()),
            ("name", m.name.clone()),
            ("version", m.version.clone()),
            ("description", m.description.clone()),
            ("contract", m.contract.clone()),
            ("imports", m.imports.join(", ")),
            ("exports", m.exports.join(", ")),
            ("sha256", m.sha256.clone()),
            ("size", format!("{} bytes", m.size)),
            (
                "sandbox",
                format!(
                    "{} ms per call, {} MiB memory, fuel {fuel}",
                    timeout.as_millis(),
                    max_memory >> 20
                ),
            ),
        ]
        .iter()
        .map(|(label, value)| format!("{label:<12} {value}\n"))
        .collect()
    }
}
