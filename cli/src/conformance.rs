//! `worker-policy conformance`: certifies a policy component against the safety properties,
//! prints one line per property with the smallest counterexample of each failure (written to
//! files the user can replay), then the quality scorecard. Exit 0 only when every safety
//! property passes; 3 (the policy-fault class) when one fails.

use std::process::ExitCode;

use serde_json::{json, Value};
use worker_policy::conformance::{self, Counterexample, Options, QualityRow, Report};
use worker_policy::ErrorClass;
use worker_policy_model::quality::{Balance, Quality};

use crate::args::{ConformanceArgs, Format};
use crate::render;

/// Runs `conformance`.
pub fn run(args: &ConformanceArgs, verbose: bool) -> anyhow::Result<ExitCode> {
    let options = Options {
        seed: args.seed,
        cases: args.cases,
        fuel: args.policy.fuel.unwrap_or(conformance::DEFAULT_FUEL),
    };
    let policy = args
        .policy
        .load_with(options.limits(args.policy.limits()))?;
    let source = args.policy.source_name();
    let mut report = conformance::run(&policy, &options);
    render::print_logs(&policy, verbose);
    if !report.passed() {
        report.write_counterexamples(&args.counterexamples)?;
    }
    match args.format {
        Format::Json => {
            let mut out = report_json(&report, args);
            out["policy"] = render::policy_json(&policy, &source);
            print!("{}", render::to_json_text(&out));
        }
        Format::Table => {
            println!("{}", render::policy_line(&policy, &source));
            print!("{}", report_table(&report, args));
        }
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(ErrorClass::PolicyFault.exit_code())
    })
}

/// The command line that shows a counterexample again, under the suite's fuel.
fn replay_command(example: &Counterexample, report: &Report, args: &ConformanceArgs) -> String {
    let Some(verb) = example.replay.args() else {
        return "not with the CLI, which sorts every snapshot by id before the policy sees it; \
            the library's evaluate() on the shuffled file's order shows it"
            .into();
    };
    let mut words = vec!["worker-policy".to_string()];
    words.extend(verb);
    if let Some(file) = example.files.first() {
        words.extend(["--snapshot".into(), file.display().to_string()]);
    }
    if let Some(policy) = &args.policy.policy {
        words.extend(["--policy".into(), policy.display().to_string()]);
    }
    if let Some(fuel) = report.fuel_per_call {
        words.extend(["--fuel".into(), fuel.to_string()]);
    }
    words.join(" ")
}

/// What the suite ran.
fn suite_line(report: &Report) -> String {
    let fuel = report.fuel_per_call.map_or("not metered".into(), |f| {
        format!("{f} per call, {} used", report.fuel_used)
    });
    format!(
        "suite     seed {}: {} cluster(s) ({} generated), {} check(s); fuel {fuel}",
        report.options.seed, report.scenarios, report.options.cases, report.checks
    )
}

/// The report as aligned text: properties, verdict, scorecard.
fn report_table(report: &Report, args: &ConformanceArgs) -> String {
    let mut out = format!("{}\n\n  {:<26} result\n", suite_line(report), "property");
    for result in &report.properties {
        let name = result.property.to_string();
        let Some(example) = &result.counterexample else {
            out.push_str(&format!("  {name:<26} PASS\n"));
            continue;
        };
        out.push_str(&format!(
            "  {name:<26} FAIL  ({} failing check(s); smallest counterexample below)\n",
            result.failures
        ));
        let files: Vec<String> = example
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        for (label, text) in [
            ("scenario", example.scenario.clone()),
            ("request", example.request.clone()),
            ("answer", example.answer.clone()),
            ("why", example.why.clone()),
            ("file", files.join(", ")),
            ("replay", replay_command(example, report, args)),
        ] {
            out.push_str(&format!("      {label:<9} {text}\n"));
        }
    }
    let failed = report.failed();
    out.push_str(&if failed.is_empty() {
        "\nresult    PASS: every safety property holds\n".to_string()
    } else {
        format!(
            "\nresult    FAIL: {} of {} safety properties fail\n",
            failed.len(),
            report.properties.len()
        )
    });
    out.push_str("\nquality   scored, not pass/fail\n");
    for row in &report.quality {
        out.push_str(&format!("  {}\n      {}\n", row.shape, quality_line(row)));
    }
    out
}

/// One scorecard row as text.
fn quality_line(row: &QualityRow) -> String {
    let scored = match &row.result {
        Ok(scored) => scored,
        Err(error) => return format!("failed: {error}"),
    };
    let q: &Quality = &scored.quality;
    let balance = |what: &str, b: &Balance| {
        format!(
            "{what} {}..{} per node (fair share {:.2}..{:.2}), {} outside band",
            b.min, b.max, b.fair_min, b.fair_max, b.outside_band
        )
    };
    let bound = q.lower_bound.value();
    let ratio = if bound == 0 {
        String::new()
    } else {
        format!(", {:.2}x", q.moves as f64 / bound as f64)
    };
    format!(
        "rounds {}; {}; {}; moves {} (lower bound {bound}{ratio})",
        scored.rounds,
        balance("replicas", &q.replicas),
        balance("leaders", &q.leaders),
        q.moves
    )
}

/// The report as JSON (the caller adds `policy`).
fn report_json(report: &Report, args: &ConformanceArgs) -> Value {
    let properties: Vec<Value> = report
        .properties
        .iter()
        .map(|r| {
            let counterexample = r.counterexample.as_ref().map(|c| {
                json!({
                    "scenario": c.scenario, "request": c.request, "answer": c.answer, "why": c.why,
                    "files": c.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
                    "replay": replay_command(c, report, args),
                })
            });
            json!({
                "id": r.property.id(), "name": r.property.name(), "rule": r.property.rule(),
                "passed": r.passed(), "failures": r.failures, "counterexample": counterexample,
            })
        })
        .collect();
    let quality: Vec<Value> = report
        .quality
        .iter()
        .map(|row| match &row.result {
            Ok(s) => json!({ "shape": row.shape, "rounds": s.rounds, "quality": render::quality_json(&s.quality) }),
            Err(error) => json!({ "shape": row.shape, "error": error }),
        })
        .collect();
    json!({
        "passed": report.passed(),
        "seed": report.options.seed,
        "cases": report.options.cases,
        "scenarios": report.scenarios,
        "checks": report.checks,
        "fuel": { "per_call": report.fuel_per_call, "used": report.fuel_used },
        "properties": properties,
        "quality": quality,
    })
}
