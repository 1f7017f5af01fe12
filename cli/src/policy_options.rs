//! The options every verb that loads a policy shares: which policy (and the digest it must
//! have), how it is compiled, and the sandbox it runs in. The CLI always compiles a policy in a
//! child process of its own binary (the hidden `compile-worker` verb), under a deadline and a
//! memory cap, and keeps what it compiled in the user's compilation cache unless told not to.
//!
//! In help, the sandbox and the compile and cache options come after the verb's own, each under
//! its heading, and only in the long help (`--help`): `-h` shows what the verb itself takes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use worker_policy::compile::{CompileCache, CompileLimits, CompileWorker, Compiler, Isolation};
use worker_policy::embedded::{
    DEFAULT_POLICY, DEFAULT_POLICY_NAME, RESTATE_POLICY, RESTATE_POLICY_NAME,
};
use worker_policy::{Limits, LoadedPolicy, PolicyEngine, PolicySettings};

use crate::error::CliError;
use crate::values;

/// The heading of the sandbox options in help.
pub const SANDBOX_HEADING: &str = "Sandbox options";

/// The heading of the compile and cache options in help.
pub const COMPILE_HEADING: &str = "Compile and cache options";

/// Which policy to load and the sandbox it runs in.
#[derive(Debug, Args)]
pub struct PolicyOptions {
    /// A policy component (.wasm), or a policy this program carries: `default` (the default
    /// policy, also used without the flag) or `restate` (Restate 1.7's own scheduler). These
    /// two words always name the embedded policies; reach a file called so with a path
    /// (`./restate`).
    #[arg(long, value_name = "FILE|NAME")]
    pub policy: Option<PathBuf>,
    /// Refuse to load the policy unless its SHA-256 (hex) is this.
    #[arg(long, value_name = "HEX", value_parser = values::sha256)]
    pub policy_sha256: Option<String>,
    /// The policy's settings: a JSON file that every hook gets (a policy built against
    /// contract 0.2.0 or later; `inspect` shows the settings a policy takes). None: its defaults.
    #[arg(long, value_name = "FILE", conflicts_with = "settings_json")]
    pub settings: Option<PathBuf>,
    /// The policy's settings as JSON text, instead of a file: `--settings-json '{"max_moves": 10}'`.
    #[arg(long, value_name = "JSON")]
    pub settings_json: Option<String>,
    #[command(flatten)]
    pub sandbox: SandboxOptions,
    #[command(flatten)]
    pub compile: CompileOptions,
}

/// The bounds a policy is compiled under (static limits checked before compiling, and the
/// deadline and memory of the compile worker) and where compiled policies are kept.
#[derive(Debug, Args)]
pub struct CompileOptions {
    /// Refuse a component (binary or WAT text) larger than this, in bytes.
    #[arg(long, help_heading = COMPILE_HEADING, hide_short_help = true, value_name = "BYTES", default_value_t = CompileLimits::default().max_component_size)]
    pub max_component_size: u64,
    /// Refuse a component with more functions than this, over all its core modules.
    #[arg(long, help_heading = COMPILE_HEADING, hide_short_help = true, value_name = "N", default_value_t = CompileLimits::default().max_functions)]
    pub max_functions: u64,
    /// Refuse a component with a function that declares more locals than this.
    #[arg(long, help_heading = COMPILE_HEADING, hide_short_help = true, value_name = "N", default_value_t = CompileLimits::default().max_locals)]
    pub max_locals: u64,
    /// Refuse a component with a function body larger than this, in bytes.
    #[arg(long, help_heading = COMPILE_HEADING, hide_short_help = true, value_name = "BYTES", default_value_t = CompileLimits::default().max_function_size)]
    pub max_function_size: u64,
    /// Refuse a component with blocks nested deeper than this in one function.
    #[arg(long, help_heading = COMPILE_HEADING, hide_short_help = true, value_name = "N", default_value_t = CompileLimits::default().max_nesting)]
    pub max_nesting: u64,
    /// Deadline of compiling the policy, in seconds.
    #[arg(long, help_heading = COMPILE_HEADING, hide_short_help = true, value_name = "SECONDS", default_value = "60", value_parser = values::seconds)]
    pub compile_timeout: Duration,
    /// Address space the compile worker may use, in MiB.
    #[arg(long, help_heading = COMPILE_HEADING, hide_short_help = true, value_name = "MIB", default_value_t = 2048, value_parser = clap::value_parser!(u64).range(16..=65536))]
    pub compile_memory: u64,
    /// Keep compiled policies in this directory (created 0700; used only while it belongs to
    /// this user and nobody else may write to it) [default: $XDG_CACHE_HOME/worker-policy, else
    /// $HOME/.cache/worker-policy]
    #[arg(long, help_heading = COMPILE_HEADING, hide_short_help = true, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,
    /// Compile the policy every time: neither read nor write the compilation cache.
    #[arg(long, help_heading = COMPILE_HEADING, hide_short_help = true)]
    pub no_cache: bool,
}

impl CompileOptions {
    /// The static limits these options ask for.
    pub fn limits(&self) -> CompileLimits {
        CompileLimits {
            max_component_size: self.max_component_size,
            max_functions: self.max_functions,
            max_locals: self.max_locals,
            max_function_size: self.max_function_size,
            max_nesting: self.max_nesting,
        }
    }

    /// The compilation cache these options ask for: `--cache-dir`, else the user's cache
    /// directory (none without `XDG_CACHE_HOME` or `HOME`); none with `--no-cache`.
    pub fn cache(&self) -> Option<CompileCache> {
        if self.no_cache {
            return None;
        }
        self.cache_dir
            .clone()
            .map(CompileCache::new)
            .or_else(CompileCache::in_user_cache_dir)
    }

    /// A compiler that checks these limits, then loads the component from the cache or
    /// compiles it in a worker: this very program, running its hidden `compile-worker` verb.
    pub fn compiler(&self) -> anyhow::Result<Compiler> {
        let program = std::env::current_exe()
            .context("cannot find this program's own executable to compile the policy with")?;
        Ok(Compiler {
            limits: self.limits(),
            isolation: Isolation::Worker(CompileWorker {
                program,
                args: vec![crate::compile_worker::VERB.into()],
                timeout: self.compile_timeout,
                memory_mib: self.compile_memory,
            }),
            cache: self.cache(),
        })
    }
}

/// The limits every policy call runs under.
#[derive(Debug, Args)]
pub struct SandboxOptions {
    /// Deadline of each policy call, in seconds.
    #[arg(long, help_heading = SANDBOX_HEADING, hide_short_help = true, value_name = "SECONDS", default_value = "5", value_parser = values::seconds)]
    pub timeout: Duration,
    /// Memory cap of each policy instance, in MiB.
    #[arg(long, help_heading = SANDBOX_HEADING, hide_short_help = true, value_name = "MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub max_memory: u64,
    /// Meter fuel: stop a policy call after this many units (reproducible on any machine).
    #[arg(long, help_heading = SANDBOX_HEADING, hide_short_help = true, value_name = "N")]
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

/// Where the policy comes from: a component file, or one the program carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySource<'a> {
    /// A component file.
    File(&'a Path),
    /// An embedded component, with the name output gives it.
    Embedded {
        /// The component.
        component: &'static [u8],
        /// How output names it.
        name: &'static str,
    },
}

impl<'a> PolicySource<'a> {
    /// The source `--policy` names: `None`, `default` and `restate` are embedded policies (the
    /// words exactly; `./restate` is a file), anything else a file.
    pub fn of(policy: Option<&'a Path>) -> PolicySource<'a> {
        let default = PolicySource::Embedded {
            component: DEFAULT_POLICY,
            name: DEFAULT_POLICY_NAME,
        };
        let Some(path) = policy else {
            return default;
        };
        match path.to_str() {
            Some("default") => default,
            Some("restate") => PolicySource::Embedded {
                component: RESTATE_POLICY,
                name: RESTATE_POLICY_NAME,
            },
            _ => PolicySource::File(path),
        }
    }
}

impl PolicyOptions {
    /// The options of a second policy to set beside this one (`--against FILE|NAME`): the same
    /// compile and sandbox options, without the pin and the settings (`--policy-sha256` and
    /// `--settings` are the first policy's).
    pub fn candidate(self, against: PathBuf) -> PolicyOptions {
        PolicyOptions {
            policy: Some(against),
            policy_sha256: None,
            settings: None,
            settings_json: None,
            ..self
        }
    }

    /// The settings `--settings` or `--settings-json` give, checked to be JSON.
    pub fn policy_settings(&self) -> Result<Option<PolicySettings>, worker_policy::Error> {
        let settings = match (&self.settings, &self.settings_json) {
            (Some(path), _) => Some(PolicySettings::read(path)?),
            (None, Some(text)) => Some(PolicySettings::parse("--settings-json", text.as_str())?),
            (None, None) => None,
        };
        Ok(settings)
    }

    /// Where the policy comes from.
    pub fn source(&self) -> PolicySource<'_> {
        PolicySource::of(self.policy.as_deref())
    }

    /// How output names the policy: its file, or the embedded policy's name.
    pub fn source_name(&self) -> String {
        match self.source() {
            PolicySource::File(path) => path.display().to_string(),
            PolicySource::Embedded { name, .. } => name.to_string(),
        }
    }

    /// Reads, pins and loads the policy under the limits these options ask for.
    pub fn load(&self) -> anyhow::Result<LoadedPolicy> {
        self.load_with(self.sandbox.limits())
    }

    /// Reads, pins and loads the policy under `limits`.
    pub fn load_with(&self, limits: Limits) -> anyhow::Result<LoadedPolicy> {
        let bytes = match self.source() {
            PolicySource::File(path) => {
                std::fs::read(path).map_err(|error| CliError::PolicyUnreadable {
                    path: path.to_path_buf(),
                    error,
                })?
            }
            PolicySource::Embedded { component, .. } => component.to_vec(),
        };
        if let Some(pin) = &self.policy_sha256 {
            worker_policy::policy::check_pin(&bytes, pin)?;
        }
        let settings = self.policy_settings()?;
        let compiler = self.compile.compiler()?;
        let mut policy = PolicyEngine::new(limits.fuel.is_some())
            .and_then(|engine| {
                LoadedPolicy::load_in(&engine.with_compiler(compiler), &bytes, limits)
            })
            .with_context(|| format!("cannot load the policy {}", self.source_name()))?;
        if let Some(settings) = settings {
            policy.configure(&settings)?;
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_words_name_embedded_policies_and_anything_else_a_file() {
        fn source(policy: Option<&str>) -> PolicySource<'_> {
            PolicySource::of(policy.map(Path::new))
        }
        let embedded_name = |policy| match source(policy) {
            PolicySource::Embedded { name, .. } => Some(name),
            PolicySource::File(_) => None,
        };
        assert_eq!(embedded_name(None), Some(DEFAULT_POLICY_NAME));
        assert_eq!(embedded_name(Some("default")), Some(DEFAULT_POLICY_NAME));
        assert_eq!(embedded_name(Some("restate")), Some(RESTATE_POLICY_NAME));
        for file in ["./restate", "restate.wasm", "Restate", "dir/default"] {
            assert_eq!(source(Some(file)), PolicySource::File(Path::new(file)));
        }
    }
}
