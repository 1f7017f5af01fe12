//! `worker-policy inspect`: what a policy component is, and the bounds it was compiled and runs
//! under.

use clap::Args;
use serde::Serialize;
use worker_policy::compile::{CompileLimit, CompileLimits, Compiler, Isolation};
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
    /// The static limits it was checked against before compiling.
    pub compile_limits: CompileLimits,
    /// How it was compiled (table only).
    #[serde(skip)]
    pub compiler: Compiler,
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
        compile_limits: policy.engine().compiler().limits,
        compiler: policy.engine().compiler().clone(),
        limits: *policy.limits(),
    })
}

impl Inspected {
    /// One row per static compile limit: the component's figure beside the limit.
    fn compile_rows(&self) -> Vec<(&'static str, String)> {
        CompileLimit::ALL
            .into_iter()
            .map(|limit| {
                let label = match limit {
                    CompileLimit::ComponentSize => "size",
                    CompileLimit::Functions => "functions",
                    CompileLimit::Locals => "locals",
                    CompileLimit::FunctionSize => "body size",
                    CompileLimit::Nesting => "nesting",
                };
                let value = format!(
                    "{} {} (limit {}, {})",
                    self.metadata.compile.get(limit),
                    limit.what(),
                    self.compiler.limits.get(limit),
                    limit.flag()
                );
                (label, value)
            })
            .collect()
    }

    /// Where the component was compiled, and under which bounds.
    fn compiled_in(&self) -> String {
        match &self.compiler.isolation {
            Isolation::InProcess => "in process, with no time or memory bound".to_string(),
            Isolation::Worker(worker) => format!(
                "in a worker process, {} ms deadline, {} MiB memory",
                worker.timeout.as_millis(),
                worker.memory_mib
            ),
        }
    }
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
        let mut rows = vec![
            ("source", self.source.clone()),
            ("name", m.name.clone()),
            ("version", m.version.clone()),
            ("description", m.description.clone()),
            ("contract", m.contract.clone()),
            ("settings", settings_summary(&m.settings)),
            ("imports", m.imports.join(", ")),
            ("exports", m.exports.join(", ")),
            ("sha256", m.sha256.clone()),
        ];
        rows.extend(self.compile_rows());
        rows.push(("compiled", self.compiled_in()));
        rows.push(("cache", m.cache.to_string()));
        rows.push((
            "sandbox",
            format!(
                "{} ms per call, {} MiB memory, fuel {fuel}",
                timeout.as_millis(),
                max_memory >> 20
            ),
        ));
        rows.iter()
            .map(|(label, value)| {
                let value = value.replace('\n', &format!("\n{:13}", ""));
                format!("{label:<12} {value}\n")
            })
            .collect()
    }
}

/// The settings a policy takes, one line per key (`key (default D): what it does`) from its
/// JSON Schema; the schema as given when it has no `properties` to list.
fn settings_summary(schema: &str) -> String {
    if schema.trim().is_empty() {
        return "none".into();
    }
    let parsed: Option<serde_json::Value> = serde_json::from_str(schema).ok();
    let Some(properties) = parsed.as_ref().and_then(|s| s["properties"].as_object()) else {
        return schema.trim().to_string();
    };
    properties
        .iter()
        .map(|(key, spec)| {
            let default = spec
                .get("default")
                .map_or(String::new(), |d| format!(" (default {d})"));
            let what = spec["description"].as_str().unwrap_or("");
            format!("{key}{default}: {what}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_listed_key_by_key_from_the_schema() {
        assert_eq!(settings_summary(""), "none");
        let schema = r#"{"properties": {"max_moves": {"default": null, "description": "The budget."},
            "weights": {"default": "ignore"}}}"#;
        assert_eq!(
            settings_summary(schema),
            "max_moves (default null): The budget.\nweights (default \"ignore\"): "
        );
        assert_eq!(
            settings_summary("takes a list of keys"),
            "takes a list of keys"
        );
    }
}
