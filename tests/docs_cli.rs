//! Shell completions, man pages and `--version` from the real binaries.

use std::process::{Command, Output};

const TOOLS: [(&str, &str); 2] = [
    (env!("CARGO_BIN_EXE_connspy"), "connspy"),
    (env!("CARGO_BIN_EXE_connspy-stream"), "connspy-stream"),
];

fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin).args(args).output().unwrap()
}

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
        for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH VERSION"] {
            assert!(page.contains(section), "{tool} lacks {section}");
        }
        // roff escapes the dashes of option names.
        let option = option_of(tool).replace('-', "\\-");
        assert!(page.contains(&option), "{tool}");
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
