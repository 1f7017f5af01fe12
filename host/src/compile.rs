//! Compiling untrusted bytes under bounds the operator can see and set.
//!
//! Before anything is compiled, the bytes are held against static [`CompileLimits`]: their size
//! (WAT text is bounded before it is turned into binary), then the functions, locals, body sizes
//! and control nesting of every core module inside the component. Then the component is
//! compiled as the engine's [`Compiler`] says:
//!
//! - [`Isolation::InProcess`] (the library's default): in the calling process, with no bound on
//!   the time or memory Cranelift takes; only the static limits protect the caller, so an
//!   embedder loading components it does not trust should use a worker;
//! - [`Isolation::Worker`]: in a child process ([`CompileWorker`]) that is killed at a deadline
//!   and caps its own address space; the CLI always compiles this way, running itself.
//!
//! With a [`CompileCache`], a component compiled once is loaded from the cache by every later
//! process (after the same static limits are checked on the figures stored with it).
//!
//! - `cache`: the on-disk compilation cache;
//! - `limits`: the static limits and a component's figures;
//! - `scan`: counting the figures with `wasmparser`;
//! - `job`: the worker's side of a compilation in a child process;
//! - `worker`: the parent's side: start, deadline, outcome;
//! - `scratch`: the private directory the two share.

mod cache;
mod job;
mod limits;
mod scan;
mod scratch;
mod worker;

use std::borrow::Cow;

use wasmtime::component::Component;

pub use cache::{CacheOutcome, CompileCache};
pub use job::{CompileJob, CompileJobError};
pub use limits::{CompileFigures, CompileLimit, CompileLimits};
pub use worker::CompileWorker;

use cache::Lookup;

use crate::engine::PolicyEngine;
use crate::error::{BoundedCause, Error, PolicyFault};

/// Where compilation runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Isolation {
    /// In the calling process: no bound on compile time or memory beyond the static limits.
    #[default]
    InProcess,
    /// In a child process, under a deadline and a memory cap.
    Worker(CompileWorker),
}

/// How a [`PolicyEngine`] compiles components: the static limits, where, and the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compiler {
    /// What a component may be before it is compiled.
    pub limits: CompileLimits,
    /// Where it is compiled.
    pub isolation: Isolation,
    /// Where compiled components are kept between processes; `None` compiles every time.
    pub cache: Option<CompileCache>,
}

/// A component ready to link, the figures it was checked on, and where it came from.
pub(crate) struct Compiled {
    /// The component.
    pub(crate) component: Component,
    /// What it was checked on against the static limits.
    pub(crate) figures: CompileFigures,
    /// Whether it came from the cache.
    pub(crate) cache: CacheOutcome,
}

impl Compiler {
    /// Checks `bytes` (binary or WAT text, whose SHA-256 in hex is `sha256`) against the static
    /// limits, then loads them from the cache or compiles them for `engine`.
    pub(crate) fn compile(
        &self,
        engine: &PolicyEngine,
        bytes: &[u8],
        sha256: &str,
    ) -> Result<Compiled, Error> {
        self.limits.check(&CompileFigures {
            component_size: bytes.len() as u64,
            ..CompileFigures::default()
        })?;
        let Some(cache) = &self.cache else {
            let (component, figures, _) = self.compile_checked(engine, bytes, false)?;
            return Ok(Compiled {
                component,
                figures,
                cache: CacheOutcome::Disabled,
            });
        };
        let slot = match cache.slot(engine.wasmtime(), sha256) {
            Ok(slot) => slot,
            Err(reason) => {
                let (component, figures, _) = self.compile_checked(engine, bytes, false)?;
                return Ok(Compiled {
                    component,
                    figures,
                    cache: CacheOutcome::Uncached { reason },
                });
            }
        };
        let defect = match slot.load(engine.wasmtime()) {
            Lookup::Hit(component, figures) => {
                self.limits.check(&figures)?;
                return Ok(Compiled {
                    component,
                    figures,
                    cache: CacheOutcome::Hit {
                        entry: slot.path().to_path_buf(),
                    },
                });
            }
            Lookup::Missing => None,
            Lookup::Defective(defect) => Some(defect),
        };
        let (component, figures, artifact) = self.compile_checked(engine, bytes, true)?;
        let entry = slot.path().to_path_buf();
        let cache = match (slot.store(&figures, &artifact.unwrap_or_default()), defect) {
            (Ok(()), None) => CacheOutcome::Stored { entry },
            (Ok(()), Some(defect)) => CacheOutcome::Recompiled { entry, defect },
            (Err(error), defect) => CacheOutcome::Uncached {
                reason: defect.map_or(String::new(), |defect| format!("{defect}; "))
                    + &format!("cannot write {}: {error}", entry.display()),
            },
        };
        Ok(Compiled {
            component,
            figures,
            cache,
        })
    }

    /// Scans `bytes` and checks every static limit, then compiles them; with `keep_artifact`,
    /// also returns wasmtime's precompiled artifact of the component.
    fn compile_checked(
        &self,
        engine: &PolicyEngine,
        bytes: &[u8],
        keep_artifact: bool,
    ) -> Result<(Component, CompileFigures, Option<Vec<u8>>), Error> {
        let binary = to_binary(bytes)?;
        let figures = CompileFigures {
            component_size: bytes.len() as u64,
            ..scan::scan(&binary).map_err(invalid)?
        };
        self.limits.check(&figures)?;
        let (component, artifact) = match &self.isolation {
            Isolation::InProcess => {
                let component = Component::new(engine.wasmtime(), &binary)
                    .map_err(|error| PolicyFault::Invalid(BoundedCause::wrap(error)))?;
                let artifact = keep_artifact
                    .then(|| component.serialize())
                    .transpose()
                    .map_err(|source| Error::Engine { source })?;
                (component, artifact)
            }
            Isolation::Worker(worker) => {
                let (component, artifact) = worker.compile(engine, &binary)?;
                (component, keep_artifact.then_some(artifact))
            }
        };
        Ok((component, figures, artifact))
    }
}

/// The binary form of `bytes`: themselves when binary, converted when WAT text.
fn to_binary(bytes: &[u8]) -> Result<Cow<'_, [u8]>, PolicyFault> {
    wat::parse_bytes(bytes).map_err(invalid)
}

/// A component that does not parse; the parser's message may quote the input (a WAT line), so
/// it is kept as a bounded excerpt.
fn invalid(error: impl std::error::Error + Send + Sync + 'static) -> PolicyFault {
    PolicyFault::Invalid(BoundedCause::wrap(wasmtime::Error::new(error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component with one core function of `locals` locals and `depth` nested blocks, and
    /// `extra` more empty functions.
    fn component(locals: usize, depth: usize, extra: usize) -> String {
        let body = format!(
            "(local {}){}{}",
            "i32 ".repeat(locals),
            "(block ".repeat(depth),
            ")".repeat(depth)
        );
        format!(
            "(component (core module (func {body}){}))",
            "(func)".repeat(extra)
        )
    }

    fn refused_on(limits: CompileLimits, wat: &str) -> Option<CompileLimit> {
        let engine = PolicyEngine::new(false).unwrap();
        let compiler = Compiler {
            limits,
            ..Compiler::default()
        };
        match compiler.compile(&engine, wat.as_bytes(), "") {
            Ok(_) => None,
            Err(Error::Fault(PolicyFault::OverCompileLimit { limit, .. })) => Some(limit),
            Err(other) => panic!("expected a compile limit, got {other}"),
        }
    }

    #[test]
    fn a_component_inside_every_limit_compiles_and_reports_its_figures() {
        let engine = PolicyEngine::new(false).unwrap();
        let wat = component(3, 4, 2);
        let figures = Compiler::default()
            .compile(&engine, wat.as_bytes(), "")
            .unwrap()
            .figures;
        assert_eq!(figures.component_size, wat.len() as u64);
        assert_eq!(
            (figures.functions, figures.max_locals, figures.max_nesting),
            (3, 3, 4)
        );
    }

    #[test]
    fn each_limit_refuses_a_component_just_over_it() {
        let tight = CompileLimits {
            max_component_size: 10_000,
            max_functions: 5,
            max_locals: 10,
            max_function_size: 200,
            max_nesting: 8,
        };
        assert_eq!(refused_on(tight, &component(10, 8, 4)), None);
        let cases = [
            (
                component(0, 0, 0) + &" ".repeat(10_000),
                CompileLimit::ComponentSize,
            ),
            (component(0, 0, 5), CompileLimit::Functions),
            (component(11, 0, 0), CompileLimit::Locals),
            (component(0, 70, 0), CompileLimit::FunctionSize),
            (component(0, 9, 0), CompileLimit::Nesting),
        ];
        for (wat, limit) in cases {
            assert_eq!(refused_on(tight, &wat), Some(limit), "{limit:?}");
        }
    }

    #[test]
    fn wat_that_does_not_parse_is_invalid_and_quoted_in_part() {
        let engine = PolicyEngine::new(false).unwrap();
        let line = format!("(component (core module (func {})))", "x".repeat(1 << 20));
        let error = Compiler::default()
            .compile(&engine, line.as_bytes(), "")
            .err()
            .unwrap();
        let Error::Fault(PolicyFault::Invalid(cause)) = error else {
            panic!("expected an invalid component, got {error}");
        };
        let quoted = format!("{cause:#}");
        assert!(quoted.len() < 1000, "{} bytes quoted", quoted.len());
    }
}
