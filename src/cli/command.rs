//! The full command of a tool: its derived options plus `--generate`,
//! `-h`/`--help` and `-V`/`--version`, and the hidden aliases named in
//! the help, so that parsing, `--help`, completions and the man page all
//! come from one definition.

use clap::{Arg, ArgAction, Command, ValueEnum, value_parser};

use crate::cli::help::{OTHER, ToolDocs, after_long_help, long_text};
use crate::cli::only_with;

/// The option that writes documentation instead of running the tool; it
/// must be given alone (see [`parse_args`](crate::cli::parse_args)).
pub const GENERATE: &str = "--generate";

/// What `--generate` writes on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Generated {
    /// bash completions
    Bash,
    /// zsh completions
    Zsh,
    /// fish completions
    Fish,
    /// elvish completions
    Elvish,
    /// PowerShell completions
    Powershell,
    /// The man page, in roff (`man -l -` shows it).
    Man,
}

/// The tool's full command: its options as derived, plus `--generate`,
/// `-h`/`--help` and `-V`/`--version` under a last heading, the examples
/// and exit statuses after `--help`, and each hidden alias named in its
/// option's long help (so the man page shows the old spellings that
/// completion does not offer).
pub fn command<C: ToolDocs>() -> Command {
    let mut cmd = C::command()
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(
            Arg::new("generate")
                .long(&GENERATE[2..])
                .value_name("SHELL|man")
                .value_parser(value_parser!(Generated))
                .hide_possible_values(true)
                .exclusive(true)
                .help_heading(OTHER)
                .help("Print a shell completion script or the man page")
                .long_help(concat!(
                    "Print a shell completion script (bash, zsh, fish, elvish, powershell) or \
                     the man page (man), built from the same definitions as the options; \
                     given alone. Where to put them: ",
                    env!("CARGO_PKG_REPOSITORY"),
                    "#completions-and-man-pages\n\nExample: --generate bash"
                )),
        )
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help_heading(OTHER)
                .help("Print help (--help: details and examples)"),
        )
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help_heading(OTHER)
                .help("Print version"),
        )
        .after_long_help(after_long_help::<C>());
    cmd = only_with::document(cmd, C::ONLY_WITH);
    let ids: Vec<_> = cmd.get_arguments().map(|a| a.get_id().clone()).collect();
    for id in ids {
        cmd = cmd.mut_arg(id, |arg| {
            let hidden: Vec<String> = arg
                .get_all_aliases()
                .unwrap_or_default()
                .into_iter()
                .map(|a| format!("--{a}"))
                .collect();
            if hidden.is_empty() {
                return arg;
            }
            let text = long_text(&arg);
            let also = format!("Also accepted as {}.", hidden.join(", "));
            arg.long_help(format!("{text}\n\n{also}"))
        });
    }
    cmd
}
