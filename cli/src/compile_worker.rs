//! `worker-policy compile-worker` (hidden): the child process every other verb compiles a
//! policy in. It caps its own memory and CPU time, compiles one component with the same engine
//! settings as its parent, writes the artifact and exits; the parent kills it at the compile
//! deadline. The arguments are the library's [`CompileJob`], one flag per field.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use worker_policy::compile::CompileJob;

use crate::output::write_stderr_line;

/// The verb that runs the worker, as the parent passes it.
pub const VERB: &str = "compile-worker";

/// Options of `compile-worker`: a [`CompileJob`].
#[derive(Debug, Args)]
pub struct CompileWorkerArgs {
    /// The binary component to compile.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Where to write the precompiled artifact.
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Address space this process may use, in MiB.
    #[arg(long, value_name = "MIB")]
    pub memory_mib: u64,
    /// CPU time this process may use, in seconds.
    #[arg(long, value_name = "SECONDS")]
    pub cpu_seconds: u64,
    /// Compile for an engine that meters fuel.
    #[arg(long)]
    pub metered: bool,
}

impl CompileWorkerArgs {
    /// The job these arguments describe.
    pub fn job(&self) -> CompileJob {
        CompileJob {
            input: self.input.clone(),
            output: self.output.clone(),
            memory_mib: self.memory_mib,
            cpu_seconds: self.cpu_seconds,
            metered: self.metered,
        }
    }
}

/// Runs the job; on failure, says why on stderr (the parent quotes it) and exits with the
/// code the parent reads the outcome from.
pub fn run(args: &CompileWorkerArgs) -> ExitCode {
    match args.job().run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let mut message = error.to_string();
            let mut cause = std::error::Error::source(&error);
            while let Some(inner) = cause {
                message.push_str(&format!(": {inner}"));
                cause = inner.source();
            }
            write_stderr_line(&message);
            ExitCode::from(error.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::args::{Cli, Command};

    use super::*;

    #[test]
    fn the_arguments_the_library_passes_parse_back_into_the_same_job() {
        let job = CompileJob {
            input: "in.wasm".into(),
            output: "out.cwasm".into(),
            memory_mib: 2048,
            cpu_seconds: 61,
            metered: true,
        };
        let mut argv = vec!["worker-policy".into(), VERB.into()];
        argv.extend(job.to_args());
        let cli = Cli::try_parse_from(argv).unwrap();
        let Command::CompileWorker(args) = cli.command else {
            panic!("not the compile worker");
        };
        assert_eq!(args.job(), job);
    }
}
