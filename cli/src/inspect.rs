//! `worker-policy inspect`: what a policy component is.

use std::process::ExitCode;

use serde_json::json;
use worker_policy::sandbox::Limits;

use crate::args::{Format, InspectArgs};
use crate::render;

/// Runs `inspect`.
pub fn run(args: &InspectArgs) -> anyhow::Result<ExitCode> {
    let policy = args.policy.load()?;
    let m = policy.metadata();
    let Limits {
        timeout,
        max_memory,
        fuel,
    } = *policy.limits();
    match args.format {
        Format::Json => print!(
            "{}",
            render::to_json_text(&json!({
                "source": args.policy.source_name(),
                "name": m.name, "version": m.version, "description": m.description,
                "contract": m.contract, "imports": m.imports, "exports": m.exports,
                "sha256": m.sha256, "size": m.size,
            }))
        ),
        Format::Table => {
            println!("source       {}", args.policy.source_name());
            println!("name         {}", m.name);
            println!("version      {}", m.version);
            println!("description  {}", m.description);
            println!("contract     {}", m.contract);
            println!("imports      {}", m.imports.join(", "));
            println!("exports      {}", m.exports.join(", "));
            println!("sha256       {}", m.sha256);
            println!("size         {} bytes", m.size);
            println!(
                "sandbox      {} ms per call, {} MiB memory, fuel {}",
                timeout.as_millis(),
                max_memory >> 20,
                fuel.map_or("not metered".to_string(), |f| f.to_string())
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
