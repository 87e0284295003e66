//! Options that mean something only beside another (`--poll` without
//! `--tail`, `--exact` without `--top-capacity`). One rule for every such
//! pair (docs/behaviour.md#options): given without the option it needs, the
//! command line is refused with a usage error that names both and says
//! why, rather than the option being silently ignored. The same table
//! adds the rule to each option's `--help` text, so the two cannot drift.

use clap::parser::ValueSource;
use clap::{ArgMatches, Command};

use crate::cli::help::{OnlyWith, long_text};

/// `--name` of the argument `id` of `cmd` (the id itself if it has no
/// long name, which a rule's option always has).
fn long_name(cmd: &Command, id: &str) -> String {
    cmd.get_arguments()
        .find(|a| a.get_id() == id)
        .and_then(|a| a.get_long())
        .map_or_else(|| id.to_string(), |long| format!("--{long}"))
}

/// `cmd` with each rule's sentence added to its option's long help,
/// before its example. (Edited in place: `Command::mut_arg` would move
/// the option to the end, and its heading with it.)
pub(super) fn document(cmd: Command, rules: &[OnlyWith]) -> Command {
    let sentences: Vec<(&str, String)> = rules
        .iter()
        .map(|r| {
            let needs = long_name(&cmd, r.needs);
            (r.option, format!("\n\nOnly with {needs}: {}.", r.why))
        })
        .collect();
    cmd.mut_args(|arg| {
        let Some((_, rule)) = sentences.iter().find(|(id, _)| arg.get_id() == *id) else {
            return arg;
        };
        let text = long_text(&arg);
        // Before the example, which ends an option's text.
        let at = text.rfind("\n\nExample:").unwrap_or(text.len());
        arg.long_help(format!("{}{rule}{}", &text[..at], &text[at..]))
    })
}

/// The usage error of the first rule `matches` breaks: an option given on
/// the command line without the option it needs.
pub(super) fn check(cmd: &Command, matches: &ArgMatches, rules: &[OnlyWith]) -> Result<(), String> {
    let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    match rules.iter().find(|r| given(r.option) && !given(r.needs)) {
        Some(rule) => Err(format!(
            "{} applies only with {}: {} (see --help)",
            long_name(cmd, rule.option),
            long_name(cmd, rule.needs),
            rule.why
        )),
        None => Ok(()),
    }
}
