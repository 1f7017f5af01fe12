//! Each verb's exit codes, in one table: what success means for the verb, and which error
//! classes it can end with and what each means there. The codes themselves come from
//! [`ErrorClass::exit_code`], so the help texts made here cannot drift from what the program
//! returns. Every verb can end with 2 (clap's own usage errors exit 2 as well) and 4.

use worker_policy::ErrorClass;

/// What one verb's exit codes mean.
#[derive(Debug, Clone, Copy)]
pub struct VerbCodes {
    /// The verb, as typed.
    pub verb: &'static str,
    /// What exit 0 means for it.
    pub success: &'static str,
    /// The classes it can end with, in the order of their codes, each with what it means here.
    pub failures: &'static [(ErrorClass, &'static str)],
}

/// Bad input, as every verb that reads a snapshot and loads a policy means it.
const BAD_SNAPSHOT: &str =
    "bad input: arguments, a snapshot that cannot be read or trusted, a policy file or settings";
/// A policy that misbehaved, as every verb that calls one means it.
const MISBEHAVED: &str =
    "the policy misbehaved: trap, timeout, memory, fuel, a broken invariant, a wrong contract";
/// A host error, as every verb means it.
const HOST: &str = "host error, for example a file that cannot be written";

/// The exit codes of every visible verb.
pub const VERBS: &[VerbCodes] = &[
    VerbCodes {
        verb: "evaluate",
        success: "the plan was printed",
        failures: &[
            (ErrorClass::Refused, "the policy refused: a cluster it cannot place"),
            (ErrorClass::BadInput, BAD_SNAPSHOT),
            (ErrorClass::PolicyFault, "the policy misbehaved, or the `restatectl` script would not reach the plan"),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "transition",
        success: "allowed, by the policy and the host (or forced past the host's check)",
        failures: &[
            (ErrorClass::Refused, "the policy refused the transition"),
            (ErrorClass::BadInput, BAD_SNAPSHOT),
            (ErrorClass::PolicyFault, "the policy misbehaved, or allowed what no policy may"),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "simulate",
        success: "the plan converged: the cluster is settled",
        failures: &[
            (ErrorClass::Refused, "the policy refused: a cluster it cannot place"),
            (ErrorClass::BadInput, BAD_SNAPSHOT),
            (ErrorClass::PolicyFault, "the policy misbehaved, looped, did not converge, or stopped with partitions unplaced"),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "apply",
        success: "dry run: the steps were printed; --execute: the policy has nothing left to do",
        failures: &[
            (ErrorClass::Refused, "the policy refused a --drain, or a cluster it cannot place"),
            (ErrorClass::BadInput, "bad input: arguments, restatectl, the addresses, a policy file"),
            (ErrorClass::PolicyFault, "the policy misbehaved, or restatectl cannot reach its plan"),
            (ErrorClass::Host, HOST),
            (ErrorClass::Diverged, "a step the cluster did not confirm in time, or too many re-plans"),
        ],
    },
    VerbCodes {
        verb: "control",
        success: "stopped by SIGTERM, Ctrl-C or --max-looks; --hand-back: handed back",
        failures: &[
            (ErrorClass::Refused, "another controller holds the cluster's lease"),
            (ErrorClass::BadInput, "bad input: arguments, restatectl, the addresses, a policy file"),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "inspect",
        success: "the component was described",
        failures: &[
            (ErrorClass::BadInput, "bad input: arguments, an unreadable or mis-pinned policy file, settings"),
            (ErrorClass::PolicyFault, "not a policy this host loads: not a component, an unknown contract, forbidden imports"),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "conformance",
        success: "every safety property passes",
        failures: &[
            (ErrorClass::BadInput, "bad input: arguments, a policy file or settings"),
            (ErrorClass::PolicyFault, "a safety property fails, or the policy misbehaved"),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "diff",
        success: "every decision is the same",
        failures: &[
            (ErrorClass::Refused, "the two policies decide differently"),
            (ErrorClass::BadInput, BAD_SNAPSHOT),
            (ErrorClass::PolicyFault, "either policy misbehaved on any snapshot"),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "decommission",
        success: "every node of the set ends disabled",
        failures: &[
            (ErrorClass::Refused, "refused: the set cannot leave, or the policy does not drain or disable one of its nodes"),
            (ErrorClass::BadInput, "bad input: as `evaluate`, or a node not in the snapshot, named twice, or not a worker"),
            (ErrorClass::PolicyFault, "the policy misbehaved, or the `restatectl` script would not reach the plan"),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "rollout",
        success: "the waves were printed",
        failures: &[
            (ErrorClass::Refused, "no safe order exists"),
            (ErrorClass::BadInput, "bad input: a snapshot, or a node not in it, named twice, dead, disabled or not a worker"),
            (ErrorClass::PolicyFault, "the `restatectl` script would not reach the plan (a leader affinity Restate honours first)"),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "report",
        success: "the page was written",
        failures: &[
            (ErrorClass::Refused, "a policy refused: a cluster it cannot place"),
            (ErrorClass::BadInput, BAD_SNAPSHOT),
            (ErrorClass::PolicyFault, MISBEHAVED),
            (ErrorClass::Host, "host error, for example a page that cannot be written (nothing is)"),
        ],
    },
    VerbCodes {
        verb: "scenarios",
        success: "the scorecard was printed",
        failures: &[
            (ErrorClass::Refused, "the policy refused a synthetic cluster"),
            (ErrorClass::BadInput, "bad input: arguments, a policy file or settings"),
            (ErrorClass::PolicyFault, MISBEHAVED),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "bench",
        success: "the timings were printed",
        failures: &[
            (ErrorClass::Refused, "the policy refused the synthetic cluster"),
            (ErrorClass::BadInput, "bad input: arguments, a policy file"),
            (ErrorClass::PolicyFault, MISBEHAVED),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "nodes",
        success: "the nodes were printed",
        failures: &[
            (ErrorClass::BadInput, "bad input: arguments, a snapshot that cannot be read or trusted"),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "partitions",
        success: "the partitions were printed",
        failures: &[
            (ErrorClass::BadInput, "bad input: arguments, a snapshot that cannot be read or trusted, a --node not in it"),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "generate",
        success: "the snapshot was written",
        failures: &[
            (ErrorClass::BadInput, "bad input: a shape it cannot build"),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "import",
        success: "the snapshot was written",
        failures: &[
            (ErrorClass::BadInput, "bad input: a dump or cluster address it cannot use (named with the fix); nothing is written"),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "completions",
        success: "the script was printed",
        failures: &[
            (ErrorClass::BadInput, "bad input: a shell it does not know"),
            (ErrorClass::Host, HOST),
        ],
    },
    VerbCodes {
        verb: "man",
        success: "the page (or pages) were written",
        failures: &[
            (ErrorClass::BadInput, "bad input: arguments"),
            (ErrorClass::Host, HOST),
        ],
    },
];

/// The exit codes of `verb`, if it is in the table.
pub fn of(verb: &str) -> Option<&'static VerbCodes> {
    VERBS.iter().find(|codes| codes.verb == verb)
}

impl VerbCodes {
    /// Every code with its meaning, success first.
    pub fn codes(&self) -> impl Iterator<Item = (u8, &'static str)> + '_ {
        std::iter::once((0, self.success)).chain(
            self.failures
                .iter()
                .map(|(class, meaning)| (class.exit_code(), *meaning)),
        )
    }

    /// The help section: `Exit codes:` and one line per code.
    pub fn help(&self) -> String {
        let lines: Vec<String> = self
            .codes()
            .map(|(code, meaning)| format!("  {code}  {meaning}"))
            .collect();
        format!("Exit codes:\n{}", lines.join("\n"))
    }
}

/// The summary under the top-level help: what each code means in general.
pub fn summary() -> String {
    let codes: Vec<String> = ErrorClass::ALL
        .iter()
        .map(|class| format!("{} {}", class.exit_code(), class.meaning()))
        .collect();
    format!(
        "Exit codes: 0 ok; {}. Each verb's `--help` says what they mean for it.",
        codes.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_fits_one_line_of_help() {
        for verb in VERBS {
            for line in verb.help().lines() {
                assert!(line.len() <= 96, "{}: {line}", verb.verb);
            }
        }
    }

    #[test]
    fn codes_ascend_and_every_verb_can_fail_on_bad_input() {
        for verb in VERBS {
            let codes: Vec<u8> = verb.codes().map(|(code, _)| code).collect();
            assert!(codes.windows(2).all(|w| w[0] < w[1]), "{}", verb.verb);
            assert!(codes.contains(&ErrorClass::BadInput.exit_code()));
        }
    }
}
