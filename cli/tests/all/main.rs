//! The tests of the `worker-policy` binary, one module per area, in one test binary (one link
//! instead of one per file). Each test runs the binary as an operator would.

mod common;

mod cli;
mod cluster_views;
mod compile_bombs;
mod compile_cache;
mod diff;
mod evaluate_drain;
mod freezes;
mod help;
mod import;
mod import_live;
mod not_a_snapshot;
mod operator_tools;
mod output_conventions;
mod progress;
mod report;
mod restatectl;
mod restatectl_run;
mod settings;
mod shortage;
