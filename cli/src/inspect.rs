//! `worker-policy inspect`: what a policy component is.

use clap::Args;
use serde::Serialize;
use worker_policy::sandbox::Limits;

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
    /// The contract it implements.
    pub contract: String,
    /// What the policy does.
    pub description: String,
    /// What the component exports.
    pub exports: Vec<String>,
    /// What the component imports.
    pub imports: Vec<String>,
    /// The policy's name.
    pub name: String,
    /// The SHA-256 of the component, in hex.
    pub sha256: String,
    /// The component's size in bytes.
    pub size: usize,
    /// Its file, or the embedded default.
    pub source: String,
    /// The policy's version.
    pub version: String,
    /// The sandbox it was loaded into (table only).
    #[serde(skip)]
    pub limits: Limits,
}

/// Runs `inspect`.
pub fn run(args: &InspectArgs) -> anyhow::Result<Inspected> {
    let policy = args.policy.load()?;
    let m = policy.metadata().clone();
    Ok(Inspected {
        contract: m.contract,
        description: m.description,
        exports: m.exports,
        imports: m.imports,
        name: m.name,
        sha256: m.sha256,
        size: m.size,
        source: args.policy.source_name(),
        version: m.version,
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
        [
            ("source", self.source.clone()),
            ("name", self.name.clone()),
            ("version", self.version.clone()),
            ("description", self.description.clone()),
            ("contract", self.contract.clone()),
            ("imports", self.imports.join(", ")),
            ("exports", self.exports.join(", ")),
            ("sha256", self.sha256.clone()),
            ("size", format!("{} bytes", self.size)),
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
