//! What the policy logged, on stderr when `-v` asks for it, with what the sandbox's bounds made
//! the log lose.

use worker_policy::policy::CallLog;
use worker_policy::sandbox::{LogLosses, MAX_LOG_RECORDS, MAX_OUTPUT_BYTES, MAX_POLICY_TEXT};
use worker_policy::LoadedPolicy;

use crate::output::write_stderr_line;

/// Takes what the policy logged and, when `verbose`, prints it to stderr: each call's records,
/// then a line saying what it lost, if anything.
pub fn print_logs(policy: &LoadedPolicy, verbose: bool) {
    for CallLog {
        hook,
        records,
        losses,
    } in policy.take_logs()
    {
        if !verbose {
            continue;
        }
        for record in records {
            write_stderr_line(&format!(
                "policy {hook} [{}]: {}",
                record.level, record.message
            ));
        }
        if let Some(summary) = losses_summary(&losses) {
            write_stderr_line(&format!("policy {hook}: {summary}"));
        }
    }
}

/// What one call's log lost, in words, or `None` when it lost nothing.
fn losses_summary(losses: &LogLosses) -> Option<String> {
    let mut parts = Vec::new();
    if losses.dropped_records > 0 {
        parts.push(format!(
            "{} log record(s) dropped past {} per call",
            grouped(losses.dropped_records),
            grouped(MAX_LOG_RECORDS)
        ));
    }
    if losses.cut_messages > 0 {
        parts.push(format!(
            "{} byte(s) cut from {} message(s) over {} bytes",
            grouped(losses.cut_bytes),
            grouped(losses.cut_messages),
            grouped(MAX_POLICY_TEXT)
        ));
    }
    if losses.full_outputs > 0 {
        parts.push(format!(
            "{} output stream(s) (stdout, stderr) reached {} bytes and were closed",
            losses.full_outputs,
            grouped(MAX_OUTPUT_BYTES)
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `n` with its thousands separated by commas: `1,000`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(104_853_504), "104,853,504");
    }

    #[test]
    fn a_call_that_lost_records_and_bytes_says_how_many() {
        let losses = LogLosses {
            dropped_records: 999_001,
            cut_messages: 1,
            cut_bytes: 104_853_504,
            full_outputs: 0,
        };
        assert_eq!(
            losses_summary(&losses).as_deref(),
            Some(
                "999,001 log record(s) dropped past 1,000 per call; \
                 104,853,504 byte(s) cut from 1 message(s) over 4,096 bytes"
            )
        );
        assert_eq!(losses_summary(&LogLosses::default()), None);
    }
}
