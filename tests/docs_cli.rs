//! Shell completions, man pages and `--version` from the real binaries.

mod common;

use std::process::Command;

use clap::Command as Definition;
use common::run;
use connspy::cli::query::QueryArgs;
use connspy::cli::stream::StreamArgs;

const TOOLS: [(&str, &str); 2] = [
    (env!("CARGO_BIN_EXE_connspy"), "connspy"),
    (env!("CARGO_BIN_EXE_connspy-stream"), "connspy-stream"),
];

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

/// An option of each tool that its completions must offer.
fn option_of(tool: &str) -> &'static str {
    if tool == "connspy" {
        "time-init"
    } else {
        "only-complete-hours"
    }
}

#[test]
fn completions_name_the_tools_options() {
    for (bin, tool) in TOOLS {
        for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
            let o = run(bin, &["--generate", shell]);
            assert!(o.status.success() && o.stderr.is_empty(), "{tool} {shell}");
            let script = text(&o.stdout);
            assert!(
                script.contains(tool) && script.contains(option_of(tool)),
                "{tool} {shell}: {script}"
            );
        }
        let bash = run(bin, &["--generate", "bash"]);
        assert!(
            text(&bash.stdout).contains(&format!("--{}", option_of(tool))),
            "{tool}"
        );
    }
}

#[test]
fn man_pages_have_the_usual_sections() {
    for (bin, tool) in TOOLS {
        let o = run(bin, &["--generate", "man"]);
        assert!(o.status.success());
        let page = text(&o.stdout);
        assert!(page.contains(&format!(".TH {tool} 1")), "{page}");
        for section in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH INPUT",
            ".SH OUTPUT",
            ".SH DIAGNOSTICS",
            ".SH EXAMPLES",
            ".SH \"EXIT STATUS\"",
            ".SH VERSION",
        ] {
            assert!(page.contains(section), "{tool} lacks {section}");
        }
        assert!(!page.contains(".SH EXTRA"), "{tool}");
        // roff escapes the dashes of option names.
        let option = option_of(tool).replace('-', "\\-");
        assert!(page.contains(&option), "{tool}");
        // The old spellings, hidden from completion, are named.
        let alias = format!(
            "Also accepted as {}",
            old_spelling(tool).replace('-', "\\-")
        );
        assert!(page.contains(&alias), "{tool} lacks {alias}");
        // Examples are shown as typed: no fill, lines joined by the shell.
        let examples = &page[page.find(".SH EXAMPLES").unwrap()..];
        assert!(
            examples.contains(".nf\n") && examples.contains(".fi\n"),
            "{examples}"
        );
        assert!(
            examples.contains(&format!("{} \\-\\-to", tool.replace('-', "\\-"))),
            "{examples}"
        );
    }
}

/// The original spelling of an option of each tool, now a hidden alias.
fn old_spelling(tool: &str) -> &'static str {
    if tool == "connspy" {
        "--time_init"
    } else {
        "--only_complete_hours"
    }
}

#[test]
fn completion_offers_one_spelling_and_the_old_one_still_works() {
    for (bin, tool) in TOOLS {
        let bash = run(bin, &["--generate", "bash"]);
        let script = text(&bash.stdout);
        assert!(!script.contains(old_spelling(tool)), "{tool}");
        assert!(!script.contains("max_log_late_seconds"), "{tool}");
    }
    let log = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sample_data/input-file-10000.txt"
    );
    let old = run(
        TOOLS[0].0,
        &[
            "--to",
            "zeekraik",
            "--time_init",
            "1565647200",
            "--time_end",
            "1565650800",
            "--max_log_late_seconds",
            "300",
            "--nofastseek",
            log,
        ],
    );
    assert!(old.status.success(), "{}", text(&old.stderr));
    assert_eq!(text(&old.stdout).lines().count(), 15);
    let old = run(
        TOOLS[1].0,
        &[
            "--to",
            "jaibrain",
            "--from",
            "eevous",
            "--only_complete_hours",
            "--max_log_late_seconds",
            "300",
            log,
        ],
    );
    assert!(old.status.success(), "{}", text(&old.stderr));
}

#[test]
fn short_help_is_one_line_a_flag_under_headings() {
    for (bin, tool) in TOOLS {
        let o = run(bin, &["-h"]);
        assert!(o.status.success());
        let help = text(&o.stdout);
        // Every option, one line each (the README's promise, checked
        // against the definition below), in about one screen.
        assert!(help.lines().count() <= 55, "{tool}: {help}");
        for heading in ["Input:", "Output:", "Diagnostics:"] {
            assert!(help.lines().any(|l| l == heading), "{tool} lacks {heading}");
        }
        let heading = if tool == "connspy" {
            "Query:"
        } else {
            "Summary:"
        };
        assert!(help.lines().any(|l| l == heading), "{tool} lacks {heading}");
        // Every option line holds its description: no line is a
        // continuation of the one before.
        for line in help.lines().filter(|l| l.starts_with("  ")) {
            let flag = line.trim_start();
            assert!(
                flag.starts_with('-') || flag.starts_with('<') || flag.starts_with('['),
                "{tool}: wrapped line {line:?}"
            );
        }
        assert!(help.contains("--generate <SHELL|man>"), "{tool}");
        assert!(
            !help.contains("time_init") && !help.contains("Examples:"),
            "{tool}"
        );
    }
}

#[test]
fn long_help_has_examples_exit_statuses_and_generate() {
    for (bin, tool) in TOOLS {
        let o = run(bin, &["--help"]);
        assert!(o.status.success());
        let help = text(&o.stdout);
        for needle in [
            "Examples:",
            "Exit status:",
            "--generate <SHELL|man>",
            "sample_data/",
        ] {
            assert!(help.contains(needle), "{tool} lacks {needle}");
        }
        // Every option's long text has an example.
        let options = help
            .split("\n\n")
            .filter(|p| p.trim_start().starts_with("--"));
        for option in options {
            let name = option.split_whitespace().next().unwrap();
            if ["--help", "--version"].contains(&name) {
                continue;
            }
            assert!(option.contains("Example:"), "{tool} {name} has no example");
        }
    }
}

#[test]
fn generate_accepts_the_equals_form() {
    for (bin, tool) in TOOLS {
        let o = run(bin, &["--generate=bash"]);
        assert!(o.status.success(), "{tool}: {}", text(&o.stderr));
        assert!(text(&o.stdout).contains(tool));
    }
}

#[test]
fn generate_must_come_alone_with_a_known_value() {
    for (bin, tool) in TOOLS {
        for args in [
            &["--generate", "tcsh"][..],
            &["--generate"],
            &["--generate", "bash", "extra"],
        ] {
            let o = run(bin, args);
            assert_eq!(o.status.code(), Some(2), "{tool} {args:?}");
            assert!(o.stdout.is_empty());
            let err = text(&o.stderr);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.starts_with(&format!("{tool}: ")), "{err}");
        }
    }
}

#[test]
fn version_prints_the_package_version() {
    for (bin, tool) in TOOLS {
        for flag in ["--version", "-V"] {
            let o = run(bin, &[flag]);
            assert!(o.status.success());
            assert_eq!(
                text(&o.stdout),
                format!("{tool} {}\n", env!("CARGO_PKG_VERSION"))
            );
        }
    }
}

/// Each tool's full command, as the binaries parse it.
fn commands() -> [(&'static str, &'static str, Definition); 2] {
    [
        (TOOLS[0].0, TOOLS[0].1, connspy::cli::command::<QueryArgs>()),
        (
            TOOLS[1].0,
            TOOLS[1].1,
            connspy::cli::command::<StreamArgs>(),
        ),
    ]
}

/// The option (`--to`) or argument (`FILE`) each entry of a `-h` text
/// starts with.
fn entries(help: &str) -> Vec<String> {
    help.lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l
                .strip_prefix('-')
                .filter(|r| r.chars().nth(1) == Some(','))
                .map_or(l, |r| r[2..].trim_start());
            l.split(' ').next()
        })
        .map(|word| {
            word.trim_end_matches("...")
                .replace(['<', '>', '[', ']'], "")
        })
        .collect()
}

#[test]
fn short_help_lists_every_option_of_the_definition() {
    // As the README says. Was: connspy-stream -h left out --poll and
    // --poll-interval.
    for (bin, tool, cmd) in commands() {
        let help = text(&run(bin, &["-h"]).stdout).to_string();
        let listed = entries(&help);
        let defined: Vec<String> = cmd
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .map(|a| match a.get_long() {
                Some(long) => format!("--{long}"),
                None => a.get_value_names().unwrap()[0].to_string(),
            })
            .collect();
        assert!(defined.len() > 10, "{tool}");
        for name in &defined {
            assert!(listed.contains(name), "{tool} -h lacks {name}: {help}");
        }
        assert_eq!(listed.len(), defined.len(), "{tool}: {listed:?}");
    }
}

/// The words a completion script offers for `--input-format`, in the
/// shell's own syntax.
fn input_format_completion(shell: &str) -> &'static str {
    match shell {
        "bash" => "compgen -W \"auto plain zeek zeek-json vpc\"",
        "zsh" => ":FORMAT:(auto plain zeek zeek-json vpc)'",
        _ => {
            "-l input-format -d 'Log format: auto, plain, zeek, zeek-json or vpc' -r -f \
             -a \"auto\\t''\nplain\\t''\nzeek\\t''\nzeek-json\\t''\nvpc\\t''\""
        }
    }
}

#[test]
fn completions_offer_the_input_formats() {
    // Was: no value completion for --input-format in bash, zsh or fish.
    for (bin, tool) in TOOLS {
        for shell in ["bash", "zsh", "fish"] {
            let o = run(bin, &["--generate", shell]);
            let script = text(&o.stdout);
            let want = input_format_completion(shell);
            assert!(
                script.contains(want),
                "{tool} {shell} lacks {want}: {script}"
            );
        }
    }
}

#[test]
fn long_help_names_every_csv_and_json_column() {
    // Was: connspy --help named none of its columns.
    let columns = [
        (TOOLS[0], connspy::query::COLUMNS),
        (TOOLS[1], connspy::stream::rows::COLUMNS),
    ];
    for ((bin, tool), names) in columns {
        let help = text(&run(bin, &["--help"]).stdout).to_string();
        let list = names.join(", ");
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            help.contains(&list),
            "{tool} --help lacks the columns {list}"
        );
    }
}

/// The section `name` of a roff man page, up to the next.
fn man_section<'a>(page: &'a str, name: &str) -> &'a str {
    let start = page
        .find(&format!(".SH {name}\n"))
        .unwrap_or_else(|| panic!("no {name}"));
    let rest = &page[start + 4..];
    &rest[..rest.find("\n.SH ").unwrap_or(rest.len())]
}

#[test]
fn man_pages_say_what_they_need_without_the_repository_files() {
    for (bin, tool) in TOOLS {
        let page = text(&run(bin, &["--generate", "man"]).stdout).to_string();
        // Neither file is installed with the page. Were: "see the
        // README", "See docs/formats.md", "docs/guide.md".
        for absent in ["README", "docs/", "`"] {
            assert!(!page.contains(absent), "{tool}'s man page has {absent}");
        }
        // Was: no SEE ALSO.
        let see_also = man_section(&page, "\"SEE ALSO\"");
        let other = if tool == "connspy" {
            "connspy\\-stream"
        } else {
            "connspy"
        };
        assert!(
            see_also.contains(&format!(".BR {other} (1)")),
            "{tool}: {see_also}"
        );
        let project = env!("CARGO_PKG_REPOSITORY").replace('-', "\\-");
        assert!(see_also.contains(&project), "{tool}: {see_also}");
        // Was: only the plain format, in backticks.
        let description = man_section(&page, "DESCRIPTION");
        for format in ["Zeek", "VPC"] {
            assert!(description.contains(format), "{tool}: {description}");
        }
    }
}

#[test]
fn help_links_only_to_the_project() {
    for (bin, tool) in TOOLS {
        for args in [&["--help"][..], &["--generate", "man"]] {
            let out = text(&run(bin, args).stdout).replace("\\-", "-");
            for (at, _) in out.match_indices("https://") {
                assert!(
                    out[at..].starts_with(env!("CARGO_PKG_REPOSITORY")),
                    "{tool} {args:?}: {}",
                    &out[at..out.len().min(at + 80)]
                );
            }
        }
    }
}

/// The man page of `bin` as `man -l` shows it, or `None` without `man`.
fn rendered_man_page(bin: &str) -> Option<String> {
    Command::new("man").arg("--version").output().ok()?;
    let page = run(bin, &["--generate", "man"]).stdout;
    let mut man = Command::new("man");
    man.args(["-l", "-"])
        .env("MANWIDTH", "80")
        .env("MAN_KEEP_FORMATTING", "");
    let o = common::run_command_with_stdin(&mut man, &page);
    assert!(o.status.success(), "{}", text(&o.stderr));
    Some(text(&o.stdout).to_string())
}

#[test]
fn rendered_man_pages_put_each_example_on_a_line_of_its_own() {
    for (bin, tool) in TOOLS {
        let Some(page) = rendered_man_page(bin) else {
            eprintln!("skipped: man cannot render pages here");
            return;
        };
        // Was: "... see the README. Ex-ample: --generate bash", run into
        // the sentence before it and hyphenated.
        let source = text(&run(bin, &["--generate", "man"]).stdout)
            .matches("Example:")
            .count();
        let starting = page
            .lines()
            .filter(|l| l.trim_start().starts_with("Example:"))
            .count();
        assert!(source > 10, "{tool}");
        assert_eq!(starting, source, "{tool}: {page}");
        assert!(page.contains("\nSEE ALSO\n"), "{tool}: {page}");
    }
}
