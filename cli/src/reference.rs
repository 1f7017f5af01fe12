//! The reference pages of `docs/reference/`, generated from what the program runs by: every
//! verb, option, default, example and exit code from the clap definitions ([`crate::args`]),
//! [`crate::verb_help`] and [`crate::exit_codes`]; the exit codes' classes from
//! [`ErrorClass`]; the invariants from [`Invariant::rule`]. One source each: the test at the
//! end rewrites a page that is stale and fails, so `cargo test -p worker-policy-cli reference`
//! brings the pages up to date, and CI (which runs every test) fails on a page nobody
//! regenerated. Test code only: the program never writes these pages.

use std::collections::BTreeMap;
use std::path::Path;

use clap::{Arg, Command};
use worker_policy::ErrorClass;
use worker_policy_model::invariants::Invariant;

use crate::args::visible_command;
use crate::interrupt::INTERRUPTED;
use crate::{exit_codes, verb_help};

/// Where the pages live, relative to the workspace root.
const DIR: &str = "docs/reference";

/// The first lines of every page: where it comes from and how to bring it up to date.
const GENERATED: &str =
    "<!-- Generated from the code by `cargo test -p worker-policy-cli reference`; \
edit the code, not this page: CI fails when the page is stale. -->\n\n";

/// Wide enough that clap never wraps a usage line, whatever the terminal.
const NO_WRAP: usize = 10_000;

/// Each page: its file name in [`DIR`] and its text.
fn pages() -> Vec<(&'static str, String)> {
    vec![
        ("commands.md", commands_page()),
        ("exit-codes.md", exit_codes_page()),
        ("invariants.md", invariants_page()),
    ]
}

/// The command-line reference: the top level, then each verb (its own verbs after it), then
/// the option groups several verbs share, written once.
fn commands_page() -> String {
    let mut root = visible_command().term_width(NO_WRAP);
    root.build();
    let shared = SharedGroups::of(&root);
    let mut out = format!("{GENERATED}# Command-line reference\n\n");
    if let Some(about) = root.get_about() {
        out.push_str(&format!("{about}\n\n"));
    }
    out.push_str(&format!("```text\n{}\n```\n\n", usage(&mut root)));
    out.push_str(&options(&root, &SharedGroups::default(), true));
    out.push_str("| verb | what it does |\n|---|---|\n");
    for verb in verbs(&root) {
        let about = verb
            .get_about()
            .map(ToString::to_string)
            .unwrap_or_default();
        out.push_str(&format!(
            "| [`{}`](#{}) | {} |\n",
            verb.get_name(),
            anchor(verb.get_name()),
            cell(&about)
        ));
    }
    out.push_str(
        "\nExit codes: see [exit-codes.md](exit-codes.md); each verb's are listed with it.\n",
    );
    for verb in root.get_subcommands_mut().filter(|verb| !is_help(verb)) {
        let name = verb.get_name().to_owned();
        out.push_str(&verb_section(verb, &name, &name, &shared));
    }
    out.push_str("\n## Option groups\n\nThe options several verbs take, listed once.\n");
    for (heading, group) in &shared.groups {
        out.push_str(&format!(
            "\n### {heading}\n\nTaken by {}.\n\n{}",
            group.verbs.join(", "),
            group.text
        ));
    }
    out
}

/// The section of `command`, the verb `path` (`import restate` for a verb's own verb) whose
/// examples and exit codes are those of the top-level verb `verb`.
fn verb_section(command: &mut Command, path: &str, verb: &str, shared: &SharedGroups) -> String {
    let mut out = format!("\n## {path}\n\n");
    if let Some(about) = command.get_long_about().or(command.get_about()) {
        out.push_str(&format!("{about}\n\n"));
    }
    out.push_str(&format!("```text\n{}\n```\n\n", usage(command)));
    out.push_str(&options(command, shared, false));
    let taken: Vec<String> = shared
        .taken_by(path)
        .map(|heading| format!("[{}](#{})", heading.to_lowercase(), anchor(heading)))
        .collect();
    if !taken.is_empty() {
        out.push_str(&format!("Also takes the {}.\n\n", taken.join(" and the ")));
    }
    if path == verb {
        out.push_str(&examples(verb));
        out.push_str(&verb_codes(verb));
    }
    for sub in command.get_subcommands_mut().filter(|sub| !is_help(sub)) {
        let sub_path = format!("{path} {}", sub.get_name());
        out.push_str(&verb_section(sub, &sub_path, verb, shared));
    }
    out
}

/// `command`'s verbs, without the `help` verb clap adds (its `--help` says it all).
fn verbs(command: &Command) -> impl Iterator<Item = &Command> {
    command.get_subcommands().filter(|verb| !is_help(verb))
}

/// Whether `verb` is the `help` verb clap adds.
fn is_help(verb: &Command) -> bool {
    verb.get_name() == "help"
}

/// `command`'s usage line, without clap's `Usage: `.
fn usage(command: &mut Command) -> String {
    let usage = command.render_usage().to_string();
    usage
        .strip_prefix("Usage: ")
        .unwrap_or(&usage)
        .trim()
        .to_owned()
}

/// `command`'s options, a list per help heading; the groups in `shared` are left to their own
/// section. `--help`, `--version` and the global options are listed only at the top level
/// (`top`).
fn options(command: &Command, shared: &SharedGroups, top: bool) -> String {
    let mut out = String::new();
    for (heading, args) in by_heading(command, top) {
        let text = arg_list(&args);
        if heading
            .as_deref()
            .is_some_and(|heading| shared.holds(heading, &text))
        {
            continue;
        }
        let title = match heading {
            Some(heading) => heading,
            None if args.iter().all(|arg| arg.is_positional()) => "Arguments".to_owned(),
            None => "Options".to_owned(),
        };
        out.push_str(&format!("**{title}**\n\n{text}\n"));
    }
    out
}

/// `command`'s visible arguments by help heading, in the order clap shows them (positional
/// arguments first, then options without a heading, then each heading as first met).
fn by_heading(command: &Command, top: bool) -> Vec<(Option<String>, Vec<&Arg>)> {
    let mut groups: Vec<(Option<String>, Vec<&Arg>)> = Vec::new();
    let visible = command.get_arguments().filter(|arg| {
        !arg.is_hide_set()
            && (top
                || !(arg.is_global_set() || matches!(arg.get_id().as_str(), "help" | "version")))
    });
    let (positional, named): (Vec<&Arg>, Vec<&Arg>) = visible.partition(|arg| arg.is_positional());
    if !positional.is_empty() {
        groups.push((None, positional));
    }
    for arg in named {
        let heading = arg.get_help_heading().map(str::to_owned);
        match groups
            .iter_mut()
            .find(|(h, args)| *h == heading && !args[0].is_positional())
        {
            Some((_, args)) => args.push(arg),
            None => groups.push((heading, vec![arg])),
        }
    }
    groups
}

/// A Markdown list item per argument (see [`arg_item`]).
fn arg_list(args: &[&Arg]) -> String {
    args.iter().map(|arg| arg_item(arg)).collect()
}

/// One argument's list item: its help, then whether it is required, its default and its
/// values, in parentheses.
fn arg_item(arg: &Arg) -> String {
    let takes_values = arg.get_action().takes_values();
    let mut facts = Vec::new();
    if arg.is_required_set() {
        facts.push("required".to_owned());
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|value| format!("`{}`", value.to_string_lossy()))
        .collect();
    if takes_values && !defaults.is_empty() && !arg.is_hide_default_value_set() {
        facts.push(format!("default {}", defaults.join(", ")));
    }
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|value| !value.is_hide_set())
        .map(|value| format!("`{}`", value.get_name()))
        .collect();
    if takes_values && !values.is_empty() && !arg.is_hide_possible_values_set() {
        facts.push(format!("one of {}", values.join(", ")));
    }
    let mut text = arg
        .get_long_help()
        .or(arg.get_help())
        .map(|help| help.to_string().trim().to_owned())
        .unwrap_or_default();
    if !facts.is_empty() {
        text = format!("{text} ({})", facts.join("; "));
    }
    // Continuation lines stay inside the list item.
    format!("- `{}`: {}\n", spelling(arg), text.replace('\n', "\n  "))
}

/// How an argument is typed: `<FILE>` for a positional one, `-s, --snapshot <FILE>` (and its
/// visible aliases) for an option.
fn spelling(arg: &Arg) -> String {
    let value_names: Vec<String> = match arg.get_value_names() {
        Some(names) => names.iter().map(|name| format!("<{name}>")).collect(),
        None => vec![format!("<{}>", arg.get_id().as_str().to_uppercase())],
    };
    if arg.is_positional() {
        return value_names.join(" ");
    }
    let mut names: Vec<String> = arg
        .get_short()
        .map(|short| format!("-{short}"))
        .into_iter()
        .collect();
    names.extend(arg.get_long().map(|long| format!("--{long}")));
    names.extend(
        arg.get_visible_aliases()
            .into_iter()
            .flatten()
            .map(|alias| format!("--{alias}")),
    );
    let names = names.join(", ");
    if arg.get_action().takes_values() {
        format!("{names} {}", value_names.join(" "))
    } else {
        names
    }
}

/// The option groups (a help heading with the same options) that more than one verb takes.
#[derive(Default)]
struct SharedGroups {
    /// Each shared heading: its options' list and the verbs that take it.
    groups: BTreeMap<String, Group>,
}

/// One option group and the verbs that take it.
struct Group {
    /// The options' list, as [`arg_list`] writes it.
    text: String,
    /// The verbs, as typed (`import restate` for a verb's own verb), in the order of the help.
    verbs: Vec<String>,
}

impl SharedGroups {
    /// The groups of `root`'s verbs (and their own verbs) that more than one verb takes alike.
    fn of(root: &Command) -> SharedGroups {
        let mut seen: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        let mut queue: Vec<(String, &Command)> = verbs(root)
            .map(|verb| (verb.get_name().to_owned(), verb))
            .collect();
        let mut i = 0;
        while i < queue.len() {
            let (path, command) = queue[i].clone();
            for (heading, args) in by_heading(command, false) {
                if let Some(heading) = heading {
                    seen.entry((heading, arg_list(&args)))
                        .or_default()
                        .push(path.clone());
                }
            }
            queue.extend(verbs(command).map(|sub| (format!("{path} {}", sub.get_name()), sub)));
            i += 1;
        }
        let mut groups = BTreeMap::new();
        for ((heading, text), verbs) in seen {
            // A heading that verbs take with different options is written once, with the first
            // list; the verbs with another list show theirs in their own section.
            if verbs.len() > 1 {
                groups.entry(heading).or_insert(Group { text, verbs });
            }
        }
        SharedGroups { groups }
    }

    /// Whether `heading` with the list `text` is a shared group.
    fn holds(&self, heading: &str, text: &str) -> bool {
        self.groups
            .get(heading)
            .is_some_and(|group| group.text == text)
    }

    /// The shared headings the verb `path` takes.
    fn taken_by<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.groups
            .iter()
            .filter(move |(_, group)| group.verbs.iter().any(|verb| verb == path))
            .map(|(heading, _)| heading.as_str())
    }
}

/// The examples of `verb`, from [`verb_help::EXAMPLES`], as a shell block.
fn examples(verb: &str) -> String {
    let lines: Vec<String> = verb_help::examples(verb)
        .iter()
        .map(|(what, command)| format!("# {what}\n{command}"))
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    format!("**Examples**\n\n```sh\n{}\n```\n\n", lines.join("\n"))
}

/// The exit codes of `verb`, from [`exit_codes::VERBS`], as a table.
fn verb_codes(verb: &str) -> String {
    let Some(codes) = exit_codes::of(verb) else {
        return String::new();
    };
    let rows: String = codes
        .codes()
        .map(|(code, meaning)| format!("| {code} | {} |\n", cell(meaning)))
        .collect();
    format!("**Exit codes**\n\n| code | meaning |\n|---|---|\n{rows}")
}

/// The exit codes: each class, then what each code means for each verb.
fn exit_codes_page() -> String {
    let mut out = format!("{GENERATED}# Exit codes\n\n");
    out.push_str(
        "| code | meaning |\n|---|---|\n| 0 | success: what it means is the verb's own (below) |\n",
    );
    for class in ErrorClass::ALL {
        out.push_str(&format!(
            "| {} | {} |\n",
            class.exit_code(),
            class.meaning()
        ));
    }
    out.push_str(&format!(
        "| {INTERRUPTED} | interrupted (Ctrl-C, SIGTERM, SIGHUP): what the run would leave behind is removed first |\n"
    ));
    out.push_str("\nWhat each code means for each verb (`-`: the verb never ends with it):\n\n");
    let codes: Vec<String> = std::iter::once(0)
        .chain(ErrorClass::ALL.iter().map(|class| class.exit_code()))
        .map(|code| code.to_string())
        .collect();
    out.push_str(&format!("| verb | {} |\n", codes.join(" | ")));
    out.push_str(&format!("|---|{}\n", "---|".repeat(codes.len())));
    for verb in exit_codes::VERBS {
        let cells: Vec<String> = std::iter::once(verb.success)
            .chain(ErrorClass::ALL.iter().map(|class| {
                verb.failures
                    .iter()
                    .find(|(c, _)| c == class)
                    .map_or("-", |(_, meaning)| meaning)
            }))
            .map(cell)
            .collect();
        out.push_str(&format!(
            "| [`{}`](commands.md#{}) | {} |\n",
            verb.verb,
            anchor(verb.verb),
            cells.join(" | ")
        ));
    }
    out
}

/// The invariants the host checks every answer against, from [`Invariant::rule`].
fn invariants_page() -> String {
    let mut out = format!(
        "{GENERATED}# Invariants\n\nThe host checks every transition and step a policy answers \
         against these, in order, on the snapshot as it is at that point; the first one broken \
         stops the command (exit code {}) with a message naming it.\n\n| invariant | rule |\n|---|---|\n",
        ErrorClass::PolicyFault.exit_code()
    );
    for invariant in Invariant::ALL {
        out.push_str(&format!(
            "| `{}` | {} |\n",
            invariant.name(),
            cell(invariant.rule())
        ));
    }
    out
}

/// `text` as one table cell: on one line, its pipes escaped.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// The anchor a Markdown renderer (GitHub's, mdBook's) gives a heading: lower case, spaces
/// to hyphens, punctuation other than `-` and `_` dropped.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Writes each page of `pages` whose file in `dir` is missing or differs; returns their names.
fn write_stale(dir: &Path, pages: &[(&'static str, String)]) -> std::io::Result<Vec<&'static str>> {
    std::fs::create_dir_all(dir)?;
    let mut stale = Vec::new();
    for (name, text) in pages {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text)?;
            stale.push(*name);
        }
    }
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn the_reference_pages_are_current() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(DIR);
        let stale = write_stale(&dir, &pages()).expect("the reference pages can be written");
        assert!(
            stale.is_empty(),
            "{DIR}/{{{}}} did not match the code and have been regenerated: review them (git diff) and commit them",
            stale.join(",")
        );
    }

    /// A folder of its own under the system's temporary folder, removed when dropped (also
    /// when the test fails).
    struct Scratch(PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_stale_page_is_rewritten_and_reported_once() {
        let dir = Scratch(
            std::env::temp_dir().join(format!("worker-policy-reference-{}", std::process::id())),
        );
        std::fs::create_dir_all(&dir.0).unwrap();
        std::fs::write(dir.0.join("a.md"), "by hand\n").unwrap();
        std::fs::write(dir.0.join("b.md"), "current\n").unwrap();
        let pages = [
            ("a.md", "generated\n".to_owned()),
            ("b.md", "current\n".to_owned()),
            ("c.md", "new\n".to_owned()),
        ];
        assert_eq!(write_stale(&dir.0, &pages).unwrap(), ["a.md", "c.md"]);
        let a = std::fs::read_to_string(dir.0.join("a.md")).unwrap();
        assert_eq!(a, "generated\n");
        assert!(write_stale(&dir.0, &pages).unwrap().is_empty());
    }

    #[test]
    fn every_visible_verb_and_option_is_in_the_reference() {
        let page = commands_page();
        let mut root = visible_command();
        root.build();
        for verb in verbs(&root) {
            assert!(
                page.contains(&format!("\n## {}\n", verb.get_name())),
                "{}",
                verb.get_name()
            );
            for arg in verb.get_arguments().filter(|arg| !arg.is_hide_set()) {
                if let Some(long) = arg.get_long() {
                    assert!(
                        page.contains(&format!("--{long}")),
                        "{} --{long}",
                        verb.get_name()
                    );
                }
            }
        }
        assert!(
            !page.contains("compile-worker"),
            "a hidden verb is in the reference"
        );
    }

    #[test]
    fn anchors_are_those_markdown_renderers_make() {
        assert_eq!(anchor("import restate"), "import-restate");
        assert_eq!(
            anchor("Compile and cache options"),
            "compile-and-cache-options"
        );
        assert_eq!(anchor("Sandbox options (0.2.0)"), "sandbox-options-020");
    }
}
