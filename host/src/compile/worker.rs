//! Compiling in a child process: wasmtime cannot interrupt Cranelift, so the host hands the
//! binary to a compile worker (a process running [`CompileJob::run`](super::CompileJob::run)),
//! kills it at a deadline, lets it cap its own memory, and loads the artifact it wrote.

use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use wasmtime::component::Component;

use super::job::{CompileJob, EXIT_COMPILED, EXIT_INVALID, EXIT_OUT_OF_MEMORY};
use super::scratch::ScratchDir;
use crate::engine::PolicyEngine;
use crate::error::{excerpt, Error, PolicyFault};

/// How much of the worker's stderr is kept (the rest is read and dropped); an error message
/// quotes an [`excerpt`] of it.
const STDERR_KEPT: usize = 16 << 10;
/// How often the parent looks whether the worker has finished.
const POLL: Duration = Duration::from_millis(5);

/// A compile worker: the program to start and the bounds each compilation gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileWorker {
    /// The executable to run (the CLI runs itself).
    pub program: PathBuf,
    /// Arguments before the job's own (for the CLI, its hidden `compile-worker` verb).
    pub args: Vec<OsString>,
    /// Wall-clock time a compilation may take, the worker's start included.
    pub timeout: Duration,
    /// Address space the worker may use, in MiB.
    pub memory_mib: u64,
}

impl CompileWorker {
    /// Compiles `binary` in a fresh worker and loads the artifact into `engine`; returns the
    /// component and the artifact.
    pub(crate) fn compile(
        &self,
        engine: &PolicyEngine,
        binary: &[u8],
    ) -> Result<(Component, Vec<u8>), Error> {
        let scratch = ScratchDir::new().map_err(|source| Error::Io {
            context: "cannot make a private directory for the compile worker".into(),
            source,
        })?;
        let job = CompileJob {
            input: scratch.path().join("policy.wasm"),
            output: scratch.path().join("policy.cwasm"),
            memory_mib: self.memory_mib,
            cpu_seconds: self.timeout.as_secs() + 1,
            metered: engine.is_metered(),
        };
        std::fs::write(&job.input, binary).map_err(|source| Error::Io {
            context: format!("cannot write {}", job.input.display()),
            source,
        })?;
        let (status, stderr) = self.run(&job)?;
        match status {
            Some(status) if status.code() == Some(EXIT_COMPILED) => load_artifact(engine, &job),
            Some(status) => Err(classify_failure(status, &stderr, self)),
            None => Err(PolicyFault::CompileTimeout {
                limit: self.timeout,
            }
            .into()),
        }
    }

    /// Starts the worker on `job` and waits for it until the deadline; `None` when it was
    /// killed there. Returns the start of what it wrote to stderr.
    fn run(&self, job: &CompileJob) -> Result<(Option<ExitStatus>, String), Error> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .args(job.to_args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| Error::Io {
                context: format!("cannot start the compile worker {}", self.program.display()),
                source,
            })?;
        let stderr = child.stderr.take().map(|pipe| {
            thread::spawn(move || {
                let mut kept = Vec::new();
                let mut pipe = pipe;
                // Keep the start, drain the rest so the worker never blocks on a full pipe.
                let _ = (&mut pipe).take(STDERR_KEPT as u64).read_to_end(&mut kept);
                let _ = std::io::copy(&mut pipe, &mut std::io::sink());
                String::from_utf8_lossy(&kept).into_owned()
            })
        });
        let status = wait_until(&mut child, Instant::now() + self.timeout);
        let stderr = stderr
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default();
        let status = status.map_err(|source| Error::Io {
            context: "cannot wait for the compile worker".into(),
            source,
        })?;
        Ok((status, stderr))
    }
}

/// Waits for `child` until `deadline`, then kills it; `None` when it was killed.
fn wait_until(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            child.kill()?;
            child.wait()?;
            return Ok(None);
        }
        thread::sleep(POLL.min(deadline - now));
    }
}

/// Loads the artifact the worker wrote; returns the component and the artifact.
fn load_artifact(engine: &PolicyEngine, job: &CompileJob) -> Result<(Component, Vec<u8>), Error> {
    let artifact = std::fs::read(&job.output).map_err(|source| Error::Io {
        context: format!(
            "cannot read the compile worker's output {}",
            job.output.display()
        ),
        source,
    })?;
    // SAFETY: wasmtime trusts precompiled artifacts to be its own. This one is: a worker
    // running `CompileJob::run` wrote it a moment ago into a scratch directory only this user
    // can enter, with an engine of the same settings for the same metering (made by
    // `PolicyEngine::unpooled`, without the instance pool, which does not change what is
    // compiled), and wasmtime still refuses an artifact whose version or settings differ from
    // `engine`'s.
    // (Read into memory rather than mapped: a temporary directory may be mounted noexec.)
    let component =
        unsafe { Component::deserialize(engine.wasmtime(), &artifact) }.map_err(|source| {
            Error::Engine {
                source: source.context("cannot load the compile worker's artifact"),
            }
        })?;
    Ok((component, artifact))
}

/// What a worker that did not compile the component ran into.
fn classify_failure(status: ExitStatus, stderr: &str, worker: &CompileWorker) -> Error {
    if status.code() == Some(EXIT_OUT_OF_MEMORY) || looks_out_of_memory(stderr) {
        return PolicyFault::CompileOutOfMemory {
            limit_mib: worker.memory_mib,
        }
        .into();
    }
    if killed_for_cpu_time(status) {
        return PolicyFault::CompileTimeout {
            limit: worker.timeout,
        }
        .into();
    }
    let said = excerpt(stderr.trim());
    if status.code() == Some(EXIT_INVALID) || status.code().is_none() {
        let cause = if said.is_empty() {
            format!("the compile worker ended with {status}")
        } else {
            said
        };
        return PolicyFault::Invalid(wasmtime::Error::msg(cause)).into();
    }
    Error::Io {
        context: format!("the compile worker failed ({status})"),
        source: std::io::Error::other(said),
    }
}

/// Whether the worker's stderr says an allocation failed (Rust's allocator aborts with
/// "memory allocation of N bytes failed"; the OS says "Cannot allocate memory").
fn looks_out_of_memory(stderr: &str) -> bool {
    [
        "memory allocation of",
        "Cannot allocate memory",
        "out of memory",
    ]
    .iter()
    .any(|sign| stderr.contains(sign))
}

/// Whether the worker was killed for going past its own CPU-time limit.
fn killed_for_cpu_time(status: ExitStatus) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        status.signal() == Some(libc::SIGXCPU)
    }
    #[cfg(not(unix))]
    {
        let _ = status;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn each_way_a_worker_ends_is_its_own_fault_and_its_stderr_is_quoted_in_part() {
        use std::os::unix::process::ExitStatusExt;

        let worker = CompileWorker {
            program: "worker".into(),
            args: Vec::new(),
            timeout: Duration::from_secs(7),
            memory_mib: 64,
        };
        let exited = |code: i32| ExitStatus::from_raw(code << 8);
        let long = format!("invalid function body: {}", "x".repeat(10_000));
        match classify_failure(exited(EXIT_INVALID), &long, &worker) {
            Error::Fault(PolicyFault::Invalid(cause)) => {
                let quoted = cause.to_string();
                assert!(quoted.len() < 300, "{} bytes quoted", quoted.len());
                assert!(cause.source().is_none());
            }
            other => panic!("expected an invalid component, got {other}"),
        }
        assert!(matches!(
            classify_failure(exited(EXIT_OUT_OF_MEMORY), "", &worker),
            Error::Fault(PolicyFault::CompileOutOfMemory { limit_mib: 64 })
        ));
        assert!(matches!(
            classify_failure(ExitStatus::from_raw(libc::SIGXCPU), "", &worker),
            Error::Fault(PolicyFault::CompileTimeout { limit }) if limit == worker.timeout
        ));
        assert!(matches!(
            classify_failure(exited(2), "bad arguments", &worker),
            Error::Io { .. }
        ));
    }

    #[test]
    fn an_allocation_failure_is_told_from_an_invalid_component() {
        assert!(looks_out_of_memory(
            "memory allocation of 1048576 bytes failed"
        ));
        assert!(!looks_out_of_memory("invalid function body at offset 12"));
    }

    #[test]
    fn a_worker_that_cannot_start_is_a_host_error() {
        let worker = CompileWorker {
            program: "/nonexistent/worker-policy".into(),
            args: Vec::new(),
            timeout: Duration::from_secs(1),
            memory_mib: 64,
        };
        let engine = PolicyEngine::new(false).unwrap();
        let error = worker.compile(&engine, b"\0asm").err().unwrap();
        assert!(matches!(error, Error::Io { .. }), "{error}");
    }
}
