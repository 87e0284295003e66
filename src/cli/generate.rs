//! What `--generate` writes: a shell completion script (clap_complete)
//! or the man page (clap_mangen, with the examples and exit statuses
//! added in the same words as `--help`).

use std::io;

use clap::Command;
use clap_complete::{Generator, Shell};

use crate::cli::command::{Generated, command};
use crate::cli::help::{ToolDocs, exit_statuses, shell_lines};

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
/// option sections (one per heading), then EXAMPLES, EXIT STATUS and SEE
/// ALSO (the other tool, the project's address) written here (clap_mangen would put the `--help` epilogue under
/// "EXTRA", reflowed mid-option), then the version.
fn man_page<C: ToolDocs>(cmd: Command, page: &mut Vec<u8>) -> io::Result<()> {
    let man = clap_mangen::Man::new(cmd);
    let mut out = Vec::new();
    let out = &mut out;
    man.render_title(out)?;
    // No hyphenation (an option or path broken at a hyphen it does not
    // have is copied wrong) and ragged right (no stretched gaps beside a
    // long address).
    out.extend_from_slice(b".nh\n.ad l\n");
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
    out.extend_from_slice(b".SH \"SEE ALSO\"\n");
    for tool in C::SEE_ALSO {
        let text = format!(".BR {} (1),\n", roff_text(tool));
        out.extend_from_slice(text.as_bytes());
    }
    let project = format!(
        "and the project, with its guide and the log formats: {}\n",
        roff_text(env!("CARGO_PKG_REPOSITORY"))
    );
    out.extend_from_slice(project.as_bytes());
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

#[cfg(test)]
mod tests {
    use super::*;

    use clap::ValueEnum;

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
    fn roff_text_escapes_dashes_and_requests() {
        assert_eq!(roff_text("--to a\\b"), "\\-\\-to a\\eb");
        assert_eq!(roff_text(".x"), "\\&.x");
    }
}
