//! The compile worker's side: one compilation in a process of its own, under an address-space
//! and a CPU-time limit it sets on itself before compiling anything. The parent
//! ([`super::worker`]) builds the command line with [`CompileJob::to_args`] and reads the
//! outcome from the exit code ([`CompileJobError::exit_code`]).

use std::ffi::OsString;
use std::path::PathBuf;

use crate::engine::PolicyEngine;
use crate::error::Error;

/// The worker compiled the component and wrote the artifact.
pub(crate) const EXIT_COMPILED: i32 = 0;
/// The component does not compile; stderr says why.
pub(crate) const EXIT_INVALID: i32 = 3;
/// The worker could not do its own work (read, write, set up the engine or its limits).
pub(crate) const EXIT_HOST: i32 = 4;
/// Compiling ran out of the memory the worker allowed itself.
pub(crate) const EXIT_OUT_OF_MEMORY: i32 = 5;

/// One compilation for a compile worker: a binary component in, wasmtime's precompiled
/// artifact out, made by the same engine settings as the parent's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileJob {
    /// The binary component to compile.
    pub input: PathBuf,
    /// Where to write the precompiled artifact.
    pub output: PathBuf,
    /// The address space the worker allows itself, in MiB.
    pub memory_mib: u64,
    /// The CPU time the worker allows itself, in seconds (a backstop for the parent's deadline).
    pub cpu_seconds: u64,
    /// Whether the engine meters fuel (the artifact must match the parent's engine).
    pub metered: bool,
}

/// Why a compile job failed.
#[derive(Debug, thiserror::Error)]
pub enum CompileJobError {
    /// The worker could not lower its own limits.
    #[error("the compile worker cannot set its resource limits")]
    Limits(#[source] std::io::Error),
    /// The input could not be read or the artifact written.
    #[error("the compile worker cannot {action} {}", path.display())]
    File {
        /// Reading or writing.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The engine could not be set up.
    #[error(transparent)]
    Engine(Error),
    /// The component did not compile.
    #[error("the component does not compile")]
    Compile(#[source] wasmtime::Error),
}

impl CompileJobError {
    /// The exit code the worker reports this failure with.
    pub fn exit_code(&self) -> u8 {
        let code = match self {
            CompileJobError::Compile(error) if is_out_of_memory(error) => EXIT_OUT_OF_MEMORY,
            CompileJobError::Compile(_) => EXIT_INVALID,
            _ => EXIT_HOST,
        };
        code as u8
    }
}

/// Whether compiling failed for want of memory rather than because of the component.
fn is_out_of_memory(error: &wasmtime::Error) -> bool {
    error.is::<wasmtime::OutOfMemory>()
        || error.chain().any(|cause| {
            cause
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::OutOfMemory)
        })
}

impl CompileJob {
    /// The worker's arguments for this job (after the program and the parent's own arguments).
    pub fn to_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "--input".into(),
            self.input.clone().into(),
            "--output".into(),
            self.output.clone().into(),
            "--memory-mib".into(),
            self.memory_mib.to_string().into(),
            "--cpu-seconds".into(),
            self.cpu_seconds.to_string().into(),
        ];
        if self.metered {
            args.push("--metered".into());
        }
        args
    }

    /// Runs the job in this process: lowers its limits, then compiles and writes the artifact.
    /// Call it only in a process made for the job: the limits stay for the rest of its life.
    pub fn run(&self) -> Result<(), CompileJobError> {
        lower_own_limits(self.memory_mib.saturating_mul(1 << 20), self.cpu_seconds)
            .map_err(CompileJobError::Limits)?;
        let binary = std::fs::read(&self.input).map_err(|source| CompileJobError::File {
            action: "read",
            path: self.input.clone(),
            source,
        })?;
        let engine = PolicyEngine::unpooled(self.metered).map_err(CompileJobError::Engine)?;
        let artifact = engine
            .wasmtime()
            .precompile_component(&binary)
            .map_err(CompileJobError::Compile)?;
        std::fs::write(&self.output, artifact).map_err(|source| CompileJobError::File {
            action: "write",
            path: self.output.clone(),
            source,
        })
    }
}

/// Caps this process's address space at `memory` bytes and its CPU time at `cpu_seconds`, and
/// turns off core dumps (an allocation failure aborts the worker).
#[cfg(unix)]
fn lower_own_limits(memory: u64, cpu_seconds: u64) -> std::io::Result<()> {
    for (resource, value) in [
        (libc::RLIMIT_CORE, 0),
        (libc::RLIMIT_CPU, cpu_seconds),
        (libc::RLIMIT_AS, memory),
    ] {
        let limit = libc::rlimit {
            rlim_cur: value as libc::rlim_t,
            rlim_max: value as libc::rlim_t,
        };
        // SAFETY: `setrlimit` only reads the `rlimit` we pass by reference.
        if unsafe { libc::setrlimit(resource, &limit) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Without `setrlimit` the worker is bounded by the parent's deadline alone.
#[cfg(not(unix))]
fn lower_own_limits(_memory: u64, _cpu_seconds: u64) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arguments_name_every_field_and_metering_only_when_on() {
        let job = CompileJob {
            input: "in.wasm".into(),
            output: "out.cwasm".into(),
            memory_mib: 512,
            cpu_seconds: 61,
            metered: false,
        };
        let args = job.to_args();
        assert_eq!(
            args,
            [
                "--input",
                "in.wasm",
                "--output",
                "out.cwasm",
                "--memory-mib",
                "512",
                "--cpu-seconds",
                "61"
            ]
        );
        let metered = CompileJob {
            metered: true,
            ..job
        }
        .to_args();
        assert_eq!(metered.last().unwrap(), "--metered");
    }
}
