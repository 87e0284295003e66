//! Every `docs/NAME.md#anchor` that the source and the tests name exists
//! in that document: as a heading's GitHub slug or as an explicit
//! `<a id="...">` (how `docs/behaviour.md` marks its numbered rules).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// GitHub's anchor for a heading: its text without markup, lowercased,
/// every character but letters, digits, `-`, `_` and spaces dropped, and
/// spaces made `-`.
fn slug(heading: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in heading.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown document: each heading's slug (a repeated
/// one numbered `-1`, `-2`, as GitHub does) and each `<a id>`/`<a name>`.
fn anchors_of(doc: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    let mut in_code = false;
    for line in doc.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if line.starts_with('#') {
            let base = slug(line.trim_start_matches('#'));
            let mut anchor = base.clone();
            let mut n = 0;
            while anchors.contains(&anchor) {
                n += 1;
                anchor = format!("{base}-{n}");
            }
            anchors.insert(anchor);
        }
        for attr in ["<a id=\"", "<a name=\""] {
            for part in line.split(attr).skip(1) {
                if let Some(end) = part.find('"') {
                    anchors.insert(part[..end].to_string());
                }
            }
        }
    }
    anchors
}

/// Every `docs/NAME.md#anchor` in `text`, as `(NAME.md, anchor)`.
fn references_in(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for part in text.split("docs/").skip(1) {
        let name_end = part
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .unwrap_or(part.len());
        let Some(doc) = part[..name_end].strip_suffix(".md") else {
            continue;
        };
        let Some(rest) = part[name_end..].strip_prefix('#') else {
            continue;
        };
        let anchor: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        found.push((format!("{doc}.md"), anchor));
    }
    found
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn every_doc_anchor_named_in_the_source_and_tests_exists() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    rust_files(&root().join("tests"), &mut files);
    files.sort();
    let mut checked = 0;
    let mut broken = Vec::new();
    for file in files {
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        if name == "tests/doc_anchors.rs" {
            continue; // this file names patterns and examples, not anchors
        }
        let text = fs::read_to_string(&file).unwrap();
        for (doc, anchor) in references_in(&text) {
            let path = root().join("docs").join(&doc);
            let exists = fs::read_to_string(&path).is_ok_and(|d| anchors_of(&d).contains(&anchor));
            let reference = format!("{name}: docs/{doc}#{anchor}");
            checked += 1;
            if !exists {
                broken.push(reference);
            }
        }
    }
    assert!(checked > 20, "only {checked} anchors found");
    assert!(
        broken.is_empty(),
        "anchors that do not exist:\n{}",
        broken.join("\n")
    );
}

#[test]
fn slugs_follow_github() {
    assert_eq!(slug(" Zeek conn.log (TSV)"), "zeek-connlog-tsv");
    assert_eq!(
        slug(" connspy-stream: windows and hour closing"),
        "connspy-stream-windows-and-hour-closing"
    );
    assert_eq!(
        slug(" Lateness: which `--max-log-late-seconds`"),
        "lateness-which---max-log-late-seconds"
    );
    let anchors = anchors_of("# A\n## A\n```\n# not a heading\n```\n### 4.1 B <a id=\"b\"></a>\n");
    let want = ["41-b", "a", "a-1", "b"].map(String::from);
    assert_eq!(anchors, BTreeSet::from(want));
}

#[test]
fn references_are_read_with_their_document() {
    let text = "see `docs/behaviour.md#early-stop`), and (docs/formats.md#zeek-connlog-tsv) but not docs/x.md alone";
    assert_eq!(
        references_in(text),
        [
            ("behaviour.md".to_string(), "early-stop".to_string()),
            ("formats.md".to_string(), "zeek-connlog-tsv".to_string())
        ]
    );
}
