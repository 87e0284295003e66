//! The words of `--help` and the man page that are not options: the
//! headings options are grouped under, the examples, the exit statuses,
//! and how a long example command is broken into lines.

use clap::Parser;

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
pub(crate) const OTHER: &str = "Other";

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
    /// The exit statuses of this tool besides those both tools share (0, 1
    /// and 2), and what each means.
    const OWN_EXIT_STATUS: &'static [(&'static str, &'static str)];
    /// The options that apply only with another, refused without it.
    const ONLY_WITH: &'static [OnlyWith] = &[];
    /// The other tools the man page's SEE ALSO names (section 1).
    const SEE_ALSO: &'static [&'static str];
}

/// An option that means something only beside another (`--poll`
/// without `--tail`), and the option it needs (see `only_with.rs`, which
/// holds the rule), by their clap ids (the field names).
#[derive(Debug, Clone, Copy)]
pub struct OnlyWith {
    /// The option that applies only with `needs`.
    pub option: &'static str,
    /// The option it needs.
    pub needs: &'static str,
    /// Why `option` means nothing without `needs`, as the end of a
    /// sentence ("only a followed file is polled").
    pub why: &'static str,
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
    (
        "2",
        "a bad command line (nothing is read), or a filter on a field an input lacks",
    ),
];

/// Every exit status of the tool `C`, in order.
pub(crate) fn exit_statuses<C: ToolDocs>()
-> impl Iterator<Item = &'static (&'static str, &'static str)> {
    COMMON_EXIT_STATUS.iter().chain(C::OWN_EXIT_STATUS)
}

/// The text after `--help`: the examples, then the exit statuses.
pub(crate) fn after_long_help<C: ToolDocs>() -> String {
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

/// An option's `--help` text as it stands: its long help, else its short
/// one, so that more can be added to it.
pub(crate) fn long_text(arg: &clap::Arg) -> String {
    arg.get_long_help()
        .or(arg.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_commands_break_where_a_shell_joins_them() {
        let long = "connspy --to zeekraik --time-init 2019-08-12T22:00:00Z --time-end 2019-08-12T23:00:00Z sample_data/input-file-10000.txt";
        let lines = shell_lines(long);
        assert!(lines.len() > 1 && lines.iter().all(|l| l.len() <= EXAMPLE_WIDTH));
        let joined = lines.join("\n").replace(" \\\n    ", " ");
        assert_eq!(joined, long);
        assert_eq!(shell_lines("a b"), ["a b"]);
    }
}
