//! What each verb's help says after its options: two or three examples and its exit codes
//! (from [`crate::exit_codes`]) in the long help (`--help`); in the short help (`-h`), a line
//! saying that `--help` has them and the options `-h` leaves out (the sandbox, compile and
//! cache limits).

use clap::Command;

use crate::exit_codes;

/// Examples of each visible verb: what it does, then the command.
const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    ("evaluate", &[
        ("The plan for a snapshot, with reasons", "worker-policy evaluate --snapshot examples/three-zones-draining.json"),
        ("At most 10 moves, as JSON", "worker-policy evaluate --snapshot cluster.json --max-moves 10 --format json"),
        ("As a restatectl script, planned by Restate's own scheduler", "worker-policy evaluate --snapshot cluster.json --policy restate --emit restatectl > plan.sh"),
    ]),
    ("transition", &[
        ("May N5 be drained?", "worker-policy transition --snapshot cluster.json --node N5 --to draining"),
        ("Disable N5 and save the new snapshot (nothing is written when refused)", "worker-policy transition --snapshot cluster.json --node N5 --to disabled --write cluster.json"),
    ]),
    ("simulate", &[
        ("Round after round until the cluster is settled", "worker-policy simulate --snapshot examples/new-cluster.json"),
        ("Every round as one restatectl script", "worker-policy simulate --snapshot cluster.json --max-moves 10 --emit restatectl > plan.sh"),
        ("Keep the final snapshot", "worker-policy simulate --snapshot cluster.json --write final.json"),
    ]),
    ("apply", &[
        ("What apply would do on a live cluster (a dry run: nothing changes)", "worker-policy apply --address http://admin-node:5122/"),
        ("Drain N4 and carry the plan out, two partitions at a time", "worker-policy apply --address http://admin-node:5122/ --drain N4 --execute --max-concurrent 2"),
        ("One JSON line per event, for a log", "worker-policy apply --address http://admin-node:5122/ --execute --format json"),
    ]),
    ("control", &[
        ("Keep the cluster on the default policy, with metrics", "worker-policy control --address http://admin-node:5122/ --metrics 127.0.0.1:9464"),
        ("Only log what would be done", "worker-policy control --address http://admin-node:5122/ --dry-run"),
        ("Hand every partition back to Restate and release the lease", "worker-policy control --address http://admin-node:5122/ --hand-back"),
    ]),
    ("inspect", &[
        ("The embedded default policy", "worker-policy inspect"),
        ("A component file, as JSON (its digest is what `--policy-sha256` pins)",
            "worker-policy inspect --policy my-policy.wasm --format json"),
    ]),
    ("conformance", &[
        ("Certify a component", "worker-policy conformance --policy my-policy.wasm"),
        ("More cases, keeping the counterexamples", "worker-policy conformance --policy my-policy.wasm --cases 1000 --counterexamples failures/"),
    ]),
    ("diff", &[
        ("The default policy against Restate's own scheduler", "worker-policy diff --against restate --snapshot cluster.json"),
        ("A candidate on every snapshot of a directory", "worker-policy diff --policy current.wasm --against candidate.wasm --dir snapshots/"),
    ]),
    ("decommission", &[
        ("Remove three nodes, one at a time", "worker-policy decommission --snapshot cluster.json --nodes N3,N4,N7"),
        ("Two at a time, as a restatectl script (to stdout)", "worker-policy decommission --snapshot c.json --nodes N3,N4 --max-draining 2 --emit restatectl"),
    ]),
    ("rollout", &[
        ("Restart every worker, one at a time", "worker-policy rollout --snapshot cluster.json"),
        ("Two nodes, as a restatectl script", "worker-policy rollout --snapshot cluster.json --nodes N1,N2 --emit restatectl > restart.sh"),
    ]),
    ("report", &[
        ("The plan as a page", "worker-policy report --snapshot cluster.json -o report.html"),
        ("Restate's own scheduler beside the default", "worker-policy report --snapshot cluster.json --against restate -o report.html"),
    ]),
    ("scenarios", &[
        ("The default shapes", "worker-policy scenarios"),
        ("Another shape and policy", "worker-policy scenarios --zones 5,3,2 --partitions 300 --policy my-policy.wasm"),
    ]),
    ("bench", &[
        ("The default size", "worker-policy bench"),
        ("Restate's own scheduler, as JSON", "worker-policy bench --policy restate --format json"),
    ]),
    ("nodes", &[
        ("Every node, or only those that stand out in a long table", "worker-policy nodes cluster.json"),
        ("A snapshot on stdin, as JSON", "worker-policy generate --zones 4,4,4 --placed | worker-policy nodes - --format json"),
    ]),
    ("partitions", &[
        ("The partitions N4 holds", "worker-policy partitions cluster.json --node N4"),
        ("Every partition, even in a long table", "worker-policy partitions --snapshot cluster.json --all"),
    ]),
    ("generate", &[
        ("Three zones of four hosts", "worker-policy generate --zones 4,4,4 --partitions 1000 --output cluster.json"),
        ("Placed, with one node draining", "worker-policy generate --zones 4,4,4 --partitions 1000 --placed --draining 1"),
    ]),
    ("import", &[
        ("A live cluster, read-only", "worker-policy import restate --address http://admin-node:5122/ --output cluster.json"),
        ("From SQL dumps, to stdout", "worker-policy import restate --sql-nodes nodes.json --sql-partitions partitions.json"),
    ]),
    ("completions", &[
        ("Bash, for this session", "source <(worker-policy completions bash)"),
        ("Zsh, installed", "worker-policy completions zsh > ~/.zfunc/_worker-policy"),
    ]),
    ("man", &[
        ("Read it", "worker-policy man | man -l -"),
        ("One page per verb", "worker-policy man --out-dir /usr/local/share/man/man1"),
    ]),
];

/// The short help's last line.
const SHORT: &str =
    "See `--help` for every option (sandbox, compile and cache), examples and exit codes.";

/// `command` with each visible verb's examples and exit codes in its long help, and the
/// pointer to them in its short help; a verb's own verbs (`import restate`) say the same.
pub fn decorate(command: Command) -> Command {
    visible_names(&command)
        .iter()
        .fold(command, |command, verb| {
            command.mut_subcommand(verb, |sub| with_texts(sub, verb))
        })
}

/// `command` (the verb `verb` or one of its own) and its own verbs with `verb`'s texts.
fn with_texts(command: Command, verb: &str) -> Command {
    let command = command.after_help(SHORT).after_long_help(long_help(verb));
    visible_names(&command)
        .iter()
        .fold(command, |command, name| {
            command.mut_subcommand(name, |sub| with_texts(sub, verb))
        })
}

/// The names of `command`'s visible verbs.
fn visible_names(command: &Command) -> Vec<String> {
    command
        .get_subcommands()
        .filter(|verb| !verb.is_hide_set())
        .map(|verb| verb.get_name().to_owned())
        .collect()
}

/// The examples of `verb`: what each does, then the command; none for a verb without.
pub fn examples(verb: &str) -> &'static [(&'static str, &'static str)] {
    EXAMPLES
        .iter()
        .find(|(name, _)| *name == verb)
        .map_or(&[], |(_, examples)| examples)
}

/// The long help's text after the options of `verb`: its examples, then its exit codes.
pub fn long_help(verb: &str) -> String {
    let lines: Vec<String> = examples(verb)
        .iter()
        .map(|(what, command)| format!("  # {what}\n  {command}"))
        .collect();
    let examples = if lines.is_empty() {
        String::new()
    } else {
        format!("Examples:\n{}\n\n", lines.join("\n"))
    };
    let codes = exit_codes::of(verb)
        .map(exit_codes::VerbCodes::help)
        .unwrap_or_default();
    format!("{examples}{codes}")
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::args::Cli;

    #[test]
    fn every_visible_verb_has_examples_and_exit_codes_and_no_other() {
        let command = Cli::command();
        let visible: Vec<&str> = command
            .get_subcommands()
            .filter(|verb| !verb.is_hide_set())
            .map(Command::get_name)
            .collect();
        let with_examples: Vec<&str> = EXAMPLES.iter().map(|(verb, _)| *verb).collect();
        let with_codes: Vec<&str> = exit_codes::VERBS.iter().map(|codes| codes.verb).collect();
        assert_eq!(with_examples, visible);
        assert_eq!(with_codes, visible);
    }

    #[test]
    fn each_verbs_long_help_lists_the_exit_codes_of_the_table() {
        let mut command = crate::args::command();
        for codes in exit_codes::VERBS {
            let verb = command
                .find_subcommand_mut(codes.verb)
                .unwrap_or_else(|| panic!("no verb {}", codes.verb));
            let long = verb.render_long_help().to_string();
            assert!(long.contains(&codes.help()), "{}:\n{long}", codes.verb);
        }
    }

    #[test]
    fn each_example_parses() {
        for (verb, examples) in EXAMPLES {
            for (_, example) in examples.iter() {
                let words: Vec<&str> = example
                    .split_whitespace()
                    .take_while(|word| !matches!(*word, ">" | "|"))
                    .collect();
                if words.first() != Some(&"worker-policy") {
                    continue;
                }
                let parsed = crate::args::command().try_get_matches_from(&words);
                assert!(parsed.is_ok(), "{verb}: {example}: {parsed:?}");
            }
        }
    }

    #[test]
    fn each_example_fits_one_line_of_help() {
        for (verb, _) in EXAMPLES {
            for line in long_help(verb).lines() {
                assert!(line.len() <= 96, "{verb}: {line}");
            }
        }
    }
}
