//! The options every verb that loads a policy shares: which policy (and the digest it must
//! have), and the sandbox it runs in.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use worker_policy::embedded::{DEFAULT_POLICY, DEFAULT_POLICY_NAME};
use worker_policy::{Limits, LoadedPolicy};

use crate::error::CliError;
use crate::values;

/// Which policy to load and the sandbox it runs in.
#[derive(Debug, Args)]
pub struct PolicyOptions {
    /// A policy component (.wasm); without it, the embedded default policy.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Refuse to load the policy unless its SHA-256 (hex) is this.
    #[arg(long, value_name = "HEX", value_parser = values::sha256)]
    pub policy_sha256: Option<String>,
    #[command(flatten)]
    pub sandbox: SandboxOptions,
}

/// The limits every policy call runs under.
#[derive(Debug, Args)]
pub struct SandboxOptions {
    /// Deadline of each policy call, in seconds.
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = values::seconds)]
    pub timeout: Duration,
    /// Memory cap of each policy instance, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub max_memory: u64,
    /// Meter fuel: stop a policy call after this many units (reproducible on any machine).
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
}

impl SandboxOptions {
    /// The sandbox limits these options ask for.
    pub fn limits(&self) -> Limits {
        Limits {
            timeout: self.timeout,
            max_memory: usize::try_from(self.max_memory << 20).unwrap_or(usize::MAX),
            fuel: self.fuel,
        }
    }
}

impl PolicyOptions {
    /// How output names the policy: its file, or the embedded default.
    pub fn source_name(&self) -> String {
        match &self.policy {
            Some(path) => path.display().to_string(),
            None => DEFAULT_POLICY_NAME.to_string(),
        }
    }

    /// Reads, pins and loads the policy under the limits these options ask for.
    pub fn load(&self) -> anyhow::Result<LoadedPolicy> {
        self.load_with(self.sandbox.limits())
    }

    /// Reads, pins and loads the policy under `limits`.
    pub fn load_with(&self, limits: Limits) -> anyhow::Result<LoadedPolicy> {
        let bytes = match &self.policy {
            Some(path) => std::fs::read(path).map_err(|error| CliError::PolicyUnreadable {
                path: path.clone(),
                error,
            })?,
            None => DEFAULT_POLICY.to_vec(),
        };
        if let Some(pin) = &self.policy_sha256 {
            worker_policy::policy::check_pin(&bytes, pin)?;
        }
        LoadedPolicy::load(&bytes, limits)
            .with_context(|| format!("cannot load the policy {}", self.source_name()))
    }
}
