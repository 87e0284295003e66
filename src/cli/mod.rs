//! Command-line plumbing shared by both tools: argument parsing with
//! one-line errors, the value parsers of the options they share, and shell
//! completions and man pages generated from the same definitions.

pub mod common;
pub mod query;
pub mod stream;
mod usage;

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, Command, Parser, ValueEnum, value_parser};
use clap_complete::{Generator, Shell};

use crate::error::{Error, IoContext};
use crate::parse::format::InputFormat;
use crate::parse::target::Target;
use crate::parse::timestamp::{self, Duration, Timestamp};

// The headings `-h`, `--help` and the man page group the options under,
// so that a screenful of options reads by purpose (as `rg -h` does).
/// Where the log comes from and what it promises.
pub(crate) const INPUT: &str = "Input";
/// `connspy`'s question.
pub(crate) const QUERY: &str = "Query";
/// `connspy-stream`'s question.
pub(crate) const SUMMARY: &str = "Summary";
/// Which records count: port, protocol and action filters.
pub(crate) const FILTERS: &str = "Filters";
/// `connspy-stream`'s windows and counts.
pub(crate) const WINDOWS: &str = "Windows and top hosts";
/// How `connspy-stream` deduplicates its lists.
pub(crate) const DEDUP: &str = "Dedup";
/// What is printed.
pub(crate) const OUTPUT: &str = "Output";
/// What is said on stderr.
pub(crate) const DIAGNOSTICS: &str = "Diagnostics";
/// Help, version and generated documentation, last.
const OTHER: &str = "Other";

/// One example of a tool's use, shown by `--help` and in the man page.
/// A command that names `sample_data/` must print what `about` says: the
/// test `tests/readme_commands.rs` runs it.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// What the command does, one line ending in a colon; a count of
    /// lines in it, as "(53 lines)" or "The 15 hosts", is checked.
    pub about: &'static str,
    /// The command line, as typed in a shell.
    pub command: &'static str,
}

/// The documentation of a tool that is not an option: its examples and
/// its exit statuses, shared by `--help` and the man page so that the two
/// cannot disagree.
pub trait ToolDocs: Parser {
    /// Examples of use, simplest first.
    const EXAMPLES: &'static [Example];
    /// The exit statuses of this tool besides [`COMMON_EXIT_STATUS`], and
    /// what each means.
    const OWN_EXIT_STATUS: &'static [(&'static str, &'static str)];
}

/// The exit statuses both tools share, and what each means.
pub(crate) const COMMON_EXIT_STATUS: &[(&str, &str)] = &[
    (
        "0",
        "success, also when nothing matched, and when stdout is closed early (| head)",
    ),
    (
        "1",
        "an input cannot be read, an output error, or a malformed line with --strict",
    ),
    ("2", "a bad command line (nothing is read)"),
];

/// Every exit status of the tool `C`, in order.
fn exit_statuses<C: ToolDocs>() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    COMMON_EXIT_STATUS.iter().chain(C::OWN_EXIT_STATUS)
}

/// The option that writes documentation instead of running the tool; it
/// must be given alone (see [`parse_args`]).
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
                .long_help(
                    "Print a shell completion script (bash, zsh, fish, elvish, powershell) or \
                     the man page (man), built from the same definitions as the options; \
                     given alone. Installing them: see the README.\n\
                     Example: --generate bash",
                ),
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
            let text = arg
                .get_long_help()
                .or(arg.get_help())
                .map(|h| h.to_string())
                .unwrap_or_default();
            let also = format!("Also accepted as {}.", hidden.join(", "));
            arg.long_help(format!("{text}\n\n{also}"))
        });
    }
    cmd
}

/// The text after `--help`: the examples, then the exit statuses.
fn after_long_help<C: ToolDocs>() -> String {
    let mut text = String::from("Examples:\n");
    for e in C::EXAMPLES {
        text.push_str(&format!("  {}\n", e.about));
        for line in shell_lines(e.command) {
            text.push_str(&format!("    {line}\n"));
        }
    }
    text.push_str("\nExit status:\n");
    for (status, meaning) in exit_statuses::<C>() {
        text.push_str(&format!("  {status:>3}  {meaning}\n"));
    }
    text
}

/// Widest line of an example command in `--help` and the man page.
const EXAMPLE_WIDTH: usize = 72;

/// A command broken into lines of at most [`EXAMPLE_WIDTH`] columns that
/// a shell reads as one (` \` at each break, the rest indented), so that
/// no help renderer wraps it where a copy would break it.
pub(crate) fn shell_lines(command: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in command.split(' ') {
        let indent = if lines.is_empty() { 0 } else { 4 };
        if !line.is_empty() && indent + line.len() + 1 + word.len() + 2 > EXAMPLE_WIDTH {
            lines.push(format!("{}{line} \\", " ".repeat(indent)));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    let indent = if lines.is_empty() { 0 } else { 4 };
    lines.push(format!("{}{line}", " ".repeat(indent)));
    lines
}

/// Parses the command line; `Ok(None)` means `--help`, `--version` or
/// `--generate` output was printed and the tool should exit 0. Any other
/// parse error becomes a one-sentence [`Error::Usage`] in the tool's own
/// words (exit status 2).
///
/// `TOOL --generate WHAT` writes a shell completion script or the man page
/// built from the same definitions as the parser, so neither can drift
/// from the options. It takes no other option (those require hosts and
/// files), which clap's `exclusive` enforces.
pub fn parse_args<C: ToolDocs>() -> Result<Option<C>, Error> {
    parse_from::<C>(std::env::args_os())
}

/// [`parse_args`] over given arguments (the first is the program name).
pub(crate) fn parse_from<C: ToolDocs>(
    args: impl IntoIterator<Item = OsString>,
) -> Result<Option<C>, Error> {
    let matches = match command::<C>().try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.print().doing(|| "cannot write to stdout".into())?;
            return Ok(None);
        }
        Err(e) => return Err(Error::Usage(usage::sentence(&e))),
    };
    if let Some(what) = matches.get_one::<Generated>("generate") {
        let text = generate::<C>(*what).doing(|| "cannot write the output".into())?;
        io::stdout()
            .lock()
            .write_all(&text)
            .doing(|| "cannot write to stdout".into())?;
        return Ok(None);
    }
    C::from_arg_matches(&matches)
        .map(Some)
        .map_err(|e| Error::Usage(usage::sentence(&e)))
}

/// A completion script for the tool `C`, or its man page.
pub fn generate<C: ToolDocs>(what: Generated) -> io::Result<Vec<u8>> {
    let mut cmd = command::<C>();
    let mut out = Vec::new();
    let shell = match what {
        Generated::Man => {
            man_page::<C>(cmd, &mut out)?;
            return Ok(out);
        }
        Generated::Bash => Shell::Bash,
        Generated::Zsh => Shell::Zsh,
        Generated::Fish => Shell::Fish,
        Generated::Elvish => Shell::Elvish,
        Generated::Powershell => Shell::PowerShell,
    };
    let name = cmd.get_name().to_string();
    cmd.set_bin_name(name);
    cmd.build();
    shell
        .try_generate(&cmd, &mut out)
        .map_err(|e| io::Error::other(e.to_string()))?;
    Ok(out)
}

/// The man page: clap_mangen's title, name, synopsis, description and
/// option sections (one per heading), then EXAMPLES and EXIT STATUS
/// written here (clap_mangen would put the `--help` epilogue under
/// "EXTRA", reflowed mid-option), then the version.
fn man_page<C: ToolDocs>(cmd: Command, page: &mut Vec<u8>) -> io::Result<()> {
    let man = clap_mangen::Man::new(cmd);
    let mut out = Vec::new();
    let out = &mut out;
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    out.extend_from_slice(b".SH EXAMPLES\n");
    for e in C::EXAMPLES {
        // `.nf`: the command is shown as typed, never filled or hyphenated.
        let lines: Vec<String> = shell_lines(e.command)
            .iter()
            .map(|l| roff_text(l))
            .collect();
        let text = format!(
            ".PP\n{}\n.PP\n.RS 4\n.nf\n{}\n.fi\n.RE\n",
            roff_text(e.about),
            lines.join("\n")
        );
        out.extend_from_slice(text.as_bytes());
    }
    out.extend_from_slice(b".SH \"EXIT STATUS\"\n");
    for (status, meaning) in exit_statuses::<C>() {
        let text = format!(".TP\n.B {status}\n{}\n", roff_text(meaning));
        out.extend_from_slice(text.as_bytes());
    }
    man.render_version_section(out)?;
    // Each `render_*` call repeats clap_mangen's two-line preamble (the
    // definition of the quote string); once, before everything, is enough.
    let mut seen = std::collections::HashSet::new();
    for line in out.split_inclusive(|&b| b == b'\n') {
        if !line.starts_with(b".ie ") && !line.starts_with(b".el ") || seen.insert(line) {
            page.extend_from_slice(line);
        }
    }
    Ok(())
}

/// Text for a roff line: backslashes and dashes escaped (a plain `-` may
/// be typeset as a hyphen, which breaks copied options), and a leading
/// `.` or `'` kept from reading as a request.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// `--time-init` / `--time-end`: the log's `TS` syntax or RFC 3339.
pub fn time_arg(text: &str) -> Result<Timestamp, String> {
    timestamp::parse_cli_time(text)
}

/// `--max_log_late_seconds`: non-negative seconds, fractions allowed.
pub fn lateness_arg(text: &str) -> Result<Duration, String> {
    timestamp::parse_lateness(text)
}

/// `--top`, `--top-capacity`, `--bloom-capacity`: a whole number, at
/// least 1, written as digits only (no sign, no spaces).
pub(crate) fn count_arg(text: &str) -> Result<u64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not a whole number of at least 1"));
    }
    match text.parse::<u64>() {
        Ok(0) => Err(format!("'{text}' is not a whole number of at least 1")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{text}' is too large")),
    }
}

/// `--bloom-fp-rate`: a probability strictly between 0 and 1, in decimal
/// or exponent form (`0.001`, `1e-9`).
pub(crate) fn rate_arg(text: &str) -> Result<f64, String> {
    let bad = || {
        format!(
            "'{text}' is not a false-positive rate: give a number between 0 and 1, such as 1e-9"
        )
    };
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if !plain {
        return Err(bad());
    }
    match text.parse::<f64>() {
        Ok(p) if p > 0.0 && p < 1.0 => Ok(p),
        _ => Err(bad()),
    }
}

/// `--input-format`.
pub fn input_format_arg(text: &str) -> Result<InputFormat, String> {
    text.parse()
}

/// A wait in seconds, decimals allowed (`5`, `0.05`).
pub fn seconds_arg(text: &str) -> Result<std::time::Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("`{text}` is not a number of seconds (0 or more)"))
}

/// The value parser of `--to` and `--from`, for
/// `#[arg(value_parser = target_arg())]`: a host, an address, a network
/// (`10.1.0.0/16`), or `@FILE`, a list of them one a line.
pub fn target_arg() -> impl TypedValueParser<Value = Target> {
    clap::builder::OsStringValueParser::new().try_map(|s: OsString| parse_target(&s))
}

/// A target: one token with no whitespace, or `@FILE` (read here, so that
/// a list that cannot be read or parsed is a usage error like any other
/// bad value).
fn parse_target(text: &OsStr) -> Result<Target, String> {
    let bytes = text.as_bytes();
    match bytes.strip_prefix(b"@") {
        Some(path) if !path.is_empty() => {
            let path = std::path::Path::new(OsStr::from_bytes(path));
            let list = std::fs::read(path)
                .map_err(|e| format!("cannot read the host list {}: {e}", path.display()))?;
            Target::parse_list(bytes, &list).map_err(|e| format!("{}: {e}", path.display()))
        }
        _ => Target::parse(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::cli::query::QueryArgs;
    use crate::cli::stream::StreamArgs;

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn completions_and_man_pages_come_from_the_definitions() {
        for what in Generated::value_variants() {
            let text = text(generate::<QueryArgs>(*what).unwrap());
            let option = if *what == Generated::Man {
                "time\\-init"
            } else {
                "time-init"
            };
            assert!(text.contains(option), "{what:?}: {text}");
        }
        let man = text(generate::<StreamArgs>(Generated::Man).unwrap());
        assert!(
            man.contains(".SH NAME") && man.contains("Hour\\-by\\-hour"),
            "{man}"
        );
    }

    #[test]
    fn the_help_and_man_page_name_the_hidden_aliases() {
        let mut cmd = command::<QueryArgs>();
        let help = cmd.render_long_help().to_string();
        assert!(help.contains("Also accepted as --time_init."), "{help}");
        assert!(help.contains("Also accepted as --nofastseek."), "{help}");
        let short = command::<QueryArgs>().render_help().to_string();
        assert!(!short.contains("time_init"), "{short}");
        let man = text(generate::<QueryArgs>(Generated::Man).unwrap());
        assert!(man.contains("\\-\\-time_init"), "{man}");
    }

    #[test]
    fn count_and_rate_values() {
        assert_eq!(count_arg("10"), Ok(10));
        for bad in ["0", "-1", " 5", "5 ", "", "1e3", "99999999999999999999"] {
            assert!(count_arg(bad).is_err(), "{bad:?}");
        }
        assert_eq!(rate_arg("1e-9"), Ok(1e-9));
        assert_eq!(rate_arg("0.5"), Ok(0.5));
        for bad in ["0", "1", "-0.1", "nan", "inf", " 0.1", "", "1e9"] {
            assert!(rate_arg(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn example_commands_break_where_a_shell_joins_them() {
        let long = "connspy --to zeekraik --time-init 2019-08-12T22:00:00Z --time-end 2019-08-12T23:00:00Z sample_data/input-file-10000.txt";
        let lines = shell_lines(long);
        assert!(lines.len() > 1 && lines.iter().all(|l| l.len() <= EXAMPLE_WIDTH));
        let joined = lines.join("\n").replace(" \\\n    ", " ");
        assert_eq!(joined, long);
        assert_eq!(shell_lines("a b"), ["a b"]);
    }

    #[test]
    fn roff_text_escapes_dashes_and_requests() {
        assert_eq!(roff_text("--to a\\b"), "\\-\\-to a\\eb");
        assert_eq!(roff_text(".x"), "\\&.x");
    }

    #[test]
    fn targets_are_single_tokens_or_lists() {
        assert!(parse_target(OsStr::new("Zyla")).unwrap().matches(b"zyla"));
        assert!(parse_target(OsStr::new("")).is_err());
        assert!(parse_target(OsStr::new("a b")).is_err());
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("internal.txt");
        std::fs::write(&list, "# mine\n10.1.0.0/16\nzyla\n").unwrap();
        let arg = format!("@{}", list.display());
        let target = parse_target(OsStr::new(&arg)).unwrap();
        assert!(target.matches(b"10.1.9.9") && target.matches(b"ZYLA"));
        let missing = format!("@{}", dir.path().join("nope").display());
        assert!(
            parse_target(OsStr::new(&missing))
                .unwrap_err()
                .contains("cannot read")
        );
    }
}
