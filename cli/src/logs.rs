//! What the policy logged, on stderr when `-v` asks for it.

use worker_policy::bindings::logging::Level;
use worker_policy::policy::HookLog;
use worker_policy::LoadedPolicy;

use crate::output::write_stderr_line;

/// Takes what the policy logged and, when `verbose`, prints it to stderr.
pub fn print_logs(policy: &LoadedPolicy, verbose: bool) {
    for HookLog { hook, record } in policy.take_logs() {
        if verbose {
            let level = match record.level {
                Level::Debug => "debug",
                Level::Info => "info",
                Level::Warn => "warn",
                Level::Error => "error",
            };
            write_stderr_line(&format!("policy {hook} [{level}]: {}", record.message));
        }
    }
}
