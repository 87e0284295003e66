//! Every documented command that reads `sample_data/` prints what its text
//! says: the README and the guide show the exact output under each such
//! command, and `--help` examples state how many lines they print.
//!
//! Markdown rule (checked here, so a new example cannot slip past it): a
//! ```` ```sh ```` block that names `sample_data/` holds one command (lines
//! ending in `\` continue it), and the next fenced block is ```` ```text ````
//! with its exact stdout. Commands run through `sh -c` from the repository
//! root, with the tools under test first on `PATH`; `cargo run --release
//! --bin TOOL --` stands for `TOOL`, as building in release inside a test
//! would take minutes.

use std::path::Path;
use std::process::Command;

const CONNSPY: &str = env!("CARGO_BIN_EXE_connspy");
const STREAM: &str = env!("CARGO_BIN_EXE_connspy-stream");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const DOCS: [&str; 2] = ["README.md", "docs/guide.md"];

/// Runs `command` as a shell would from the repository root; returns its
/// stdout, after checking it ran cleanly.
fn sh(command: &str) -> String {
    let bin_dir = Path::new(CONNSPY).parent().unwrap();
    assert_eq!(Path::new(STREAM).parent().unwrap(), bin_dir);
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let command = command.replace("cargo run --release --bin connspy -- ", "connspy ");
    let o = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .current_dir(ROOT)
        .env("PATH", path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && err.is_empty(), "{command}: {err}");
    String::from_utf8(o.stdout).unwrap()
}

/// A fenced block of a markdown file: its info string and its lines.
struct Block {
    info: String,
    text: String,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for line in markdown.lines() {
        match (open.as_mut(), line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.trim().to_string(),
                    text: String::new(),
                })
            }
            (Some(_), Some(_)) => blocks.push(open.take().unwrap()),
            (Some(block), None) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "an unclosed fenced block");
    blocks
}

/// The commands of a shell block: comments dropped, `\` lines joined.
fn commands(script: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in script.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(start) => current.push_str(start),
            None => {
                current.push_str(line);
                commands.push(std::mem::take(&mut current));
            }
        }
    }
    commands
}

#[test]
fn markdown_commands_on_the_sample_print_what_is_shown() {
    let mut checked = 0;
    for doc in DOCS {
        let text = std::fs::read_to_string(Path::new(ROOT).join(doc)).unwrap();
        let blocks = blocks(&text);
        for (i, block) in blocks.iter().enumerate() {
            if block.info != "sh" || !block.text.contains("sample_data/") {
                continue;
            }
            let commands = commands(&block.text);
            assert_eq!(
                commands.len(),
                1,
                "{doc}: one command a block: {commands:?}"
            );
            let shown = blocks.get(i + 1).filter(|b| b.info == "text");
            let shown = shown.unwrap_or_else(|| panic!("{doc}: no output under {commands:?}"));
            assert_eq!(sh(&commands[0]), shown.text, "{doc}: {}", commands[0]);
            checked += 1;
        }
    }
    // The README's two quick starts and the first set-up command, at least.
    assert!(checked >= 10, "only {checked} commands found");
}

/// The number a `--help` example's description gives: "The 15 hosts" or
/// "(53 lines)".
fn stated_lines(about: &str) -> Option<usize> {
    if let Some((_, inner)) = about.rsplit_once('(')
        && let Some(n) = inner.strip_suffix(" lines):")
    {
        return n.parse().ok();
    }
    let rest = about.strip_prefix("The ")?;
    let (n, rest) = rest.split_once(' ')?;
    rest.starts_with("hosts").then(|| n.parse().ok())?
}

#[test]
fn help_examples_on_the_sample_print_the_lines_they_state() {
    let mut checked = 0;
    for bin in [CONNSPY, STREAM] {
        let o = Command::new(bin).arg("--help").output().unwrap();
        let help = String::from_utf8(o.stdout).unwrap();
        let examples = help.split("Examples:\n").nth(1).unwrap();
        let examples = examples.split("\n\n").next().unwrap();
        // Descriptions are indented by 2, command lines by 4 or more; a
        // description may wrap onto a second line indented by 2.
        let mut about = String::new();
        let mut command = String::new();
        for line in examples.lines() {
            if line.starts_with("    ") {
                let part = line.trim();
                match part.strip_suffix('\\') {
                    Some(start) => command.push_str(start),
                    None => {
                        command.push_str(part);
                        if command.contains("sample_data/") {
                            let n = stated_lines(&about)
                                .unwrap_or_else(|| panic!("no line count in {about:?}"));
                            assert_eq!(sh(&command).lines().count(), n, "{about} {command}");
                            checked += 1;
                        }
                        command.clear();
                        about.clear();
                    }
                }
            } else {
                if !about.is_empty() {
                    about.push(' ');
                }
                about.push_str(line.trim());
            }
        }
    }
    assert!(checked >= 4, "only {checked} examples found");
}

#[test]
fn the_line_count_of_an_example_is_read_from_its_description() {
    assert_eq!(stated_lines("The 15 hosts that connected:"), Some(15));
    assert_eq!(
        stated_lines("Who connected, hour by hour (53 lines):"),
        Some(53)
    );
    assert_eq!(
        stated_lines("The 3 most active hosts (42 lines):"),
        Some(42)
    );
    assert_eq!(stated_lines("Standard input:"), None);
}

/// The README's snippet that installs completions and man pages works as
/// written in a fresh home directory, with the tools in `~/.cargo/bin` as
/// `cargo install` puts them: it creates its directories, and `man` (when
/// installed) finds the pages without any MANPATH.
#[test]
fn the_install_snippet_works_in_a_fresh_home() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let snippet = blocks(&readme)
        .into_iter()
        .find(|b| b.info == "sh" && b.text.contains("--generate man"))
        .expect("the install snippet")
        .text;
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join(".cargo/bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in [CONNSPY, STREAM] {
        let name = Path::new(tool).file_name().unwrap();
        std::os::unix::fs::symlink(tool, bin.join(name)).unwrap();
    }
    let has_man = Command::new("sh")
        .args(["-c", "command -v man"])
        .output()
        .unwrap()
        .status
        .success();
    // `man connspy` would page; `man -w` prints the file it found.
    let last = if has_man { "man -w connspy\n" } else { "\n" };
    let script = snippet.replace("man connspy\n", last);
    let o = Command::new("sh")
        .args(["-e", "-c", &script])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && err.is_empty(), "{err}");
    let page = home.path().join(".cargo/share/man/man1/connspy.1");
    for file in [
        ".local/share/bash-completion/completions/connspy",
        ".local/share/bash-completion/completions/connspy-stream",
        ".zfunc/_connspy",
        ".zfunc/_connspy-stream",
        ".cargo/share/man/man1/connspy-stream.1",
    ] {
        assert!(
            home.path().join(file).metadata().unwrap().len() > 0,
            "{file}"
        );
    }
    if has_man {
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).trim(),
            page.display().to_string()
        );
    }
}
