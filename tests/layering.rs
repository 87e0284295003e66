//! The walls between the library's modules hold: each top-level module of
//! `src/` uses only the modules the layering table of
//! `docs/development.md#layering` allows it (the table `src/lib.rs`
//! repeats), and no file reaches, through other files, back to itself.
//!
//! Both checks read the source as text: the `crate::` paths of each file
//! (and its `super::` paths, outside its unit tests), comments left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The allowed uses of each module, as `docs/development.md` states them.
type Layering = BTreeMap<String, BTreeSet<String>>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The names between backticks in `text`, with "all/everything above"
/// standing for every module named before.
fn uses_in(text: &str, earlier: &[String]) -> BTreeSet<String> {
    if text.contains("above") {
        return earlier.iter().cloned().collect();
    }
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(|name| name.trim_end_matches('/').to_string())
        .collect()
}

/// The table under `## Layering` in `docs/development.md`: `| `module` |
/// may use |` rows.
fn documented_layering() -> Layering {
    let doc = fs::read_to_string(root().join("docs/development.md")).unwrap();
    let section = doc
        .split("\n## Layering\n")
        .nth(1)
        .expect("docs/development.md has a ## Layering section");
    let section = section.split("\n## ").next().unwrap();
    let mut layering = Layering::new();
    let mut order = Vec::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let name = cells[1].split('`').nth(1).unwrap().to_string();
        let uses = uses_in(cells[2], &order);
        order.push(name.clone());
        layering.insert(name, uses);
    }
    assert!(layering.len() > 5, "no layering table found: {section}");
    layering
}

/// The module list of `src/lib.rs`'s docs: `//! - [`module`]: ... Uses ...`.
fn lib_rs_layering() -> Layering {
    let lib = fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let mut entries: Vec<String> = Vec::new();
    for line in lib.lines().filter_map(|l| l.strip_prefix("//!")) {
        if let Some(entry) = line.strip_prefix(" - ") {
            entries.push(entry.to_string());
        } else if let Some(last) = entries.last_mut()
            && line.starts_with("   ")
        {
            last.push_str(line);
        }
    }
    let mut layering = Layering::new();
    let mut order = Vec::new();
    for entry in entries {
        let name = entry.split('`').nth(1).unwrap().to_string();
        let uses = entry.split(" Uses ").nth(1).unwrap_or_default();
        let uses = uses_in(uses, &order);
        order.push(name.clone());
        layering.insert(name, uses);
    }
    layering
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A file's code without its comments, split at its unit tests (the
/// `#[cfg(test)]` module at its end, if any).
fn code_of(path: &Path) -> (String, String) {
    let text = fs::read_to_string(path).unwrap();
    let code: Vec<&str> = text
        .lines()
        .map(|line| match line.find("//") {
            // `//` inside a string (a URL) is rare enough in this crate
            // not to matter; a path after it would be missed, not invented.
            Some(at) => &line[..at],
            None => line,
        })
        .collect();
    let code = code.join("\n");
    match code.find("#[cfg(test)]\nmod tests") {
        Some(at) => (code[..at].to_string(), code[at..].to_string()),
        None => (code, String::new()),
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The paths that follow `prefix` in `code` (`crate::a::b`, and each path
/// of a group such as `crate::a::{b, c::d}`), as segments after `prefix`.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let mut paths = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find(prefix) {
        let at = from + found;
        from = at + prefix.len();
        if at > 0 && (is_ident(bytes[at - 1]) || bytes[at - 1] == b':') {
            continue;
        }
        tree_at(code, from, Vec::new(), &mut paths);
    }
    paths
}

/// Reads a use tree at `at` (`a::b`, `a::{b, c}`), adding each full path
/// to `paths`; returns where it ends.
fn tree_at(
    code: &str,
    mut at: usize,
    mut path: Vec<String>,
    paths: &mut Vec<Vec<String>>,
) -> usize {
    let bytes = code.as_bytes();
    loop {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if at < bytes.len() && bytes[at] == b'{' {
            at += 1;
            loop {
                while at < bytes.len() && (bytes[at].is_ascii_whitespace() || bytes[at] == b',') {
                    at += 1;
                }
                if at >= bytes.len() || bytes[at] == b'}' {
                    return at + 1;
                }
                at = tree_at(code, at, path.clone(), paths);
            }
        }
        let start = at;
        while at < bytes.len() && is_ident(bytes[at]) {
            at += 1;
        }
        if at > start {
            path.push(code[start..at].to_string());
        }
        if code[at..].starts_with("::") {
            at += 2;
        } else {
            if !path.is_empty() {
                paths.push(path);
            }
            return at;
        }
    }
}

/// The module path of a file under `src/` (`src/a/b.rs` and
/// `src/a/b/mod.rs` are both `["a", "b"]`).
fn module_of(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(root().join("src")).unwrap();
    let mut segments: Vec<String> = relative
        .iter()
        .map(|s| s.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if segments.last().is_some_and(|s| s == "mod" || s == "lib") {
        segments.pop();
    }
    segments
}

#[test]
fn the_module_docs_and_the_development_guide_state_one_layering() {
    assert_eq!(lib_rs_layering(), documented_layering());
}

#[test]
fn each_module_uses_only_what_the_layering_allows() {
    let layering = documented_layering();
    let src = root().join("src");
    let mut crossed = Vec::new();
    for file in rust_files(&src) {
        let module = module_of(&file);
        let Some(top) = module.first() else { continue };
        if top == "bin" {
            continue;
        }
        let allowed = layering.get(top).unwrap_or_else(|| {
            panic!(
                "{top} (from {}) has no row in the layering table",
                file.display()
            )
        });
        let (code, tests) = code_of(&file);
        for path in paths_after(&format!("{code}\n{tests}"), "crate::") {
            let used = &path[0];
            if used != top && !allowed.contains(used) {
                crossed.push(format!("{}: crate::{}", name_of(&file), path.join("::")));
            }
        }
    }
    for bin in rust_files(&src.join("bin")) {
        let (code, _) = code_of(&bin);
        for path in paths_after(&code, "connspy::") {
            if !["cli", "tool"].contains(&path[0].as_str()) {
                crossed.push(format!("{}: connspy::{}", name_of(&bin), path.join("::")));
            }
        }
    }
    assert!(crossed.is_empty(), "walls crossed:\n{}", crossed.join("\n"));
}

/// The files of `src/` (but `bin/`) and, for each, the files it names:
/// the longest module prefix of each `crate::` path, and of each `super::`
/// path outside its unit tests. A folder's `mod.rs` naming its own
/// children by their short names (`mod x; pub use x::Y;`) is not an
/// edge: that is the folder's structure (its facade re-exports what the
/// children define), and counting it would report every child that uses
/// a name the folder re-exports.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let files: Vec<PathBuf> = rust_files(&src)
        .into_iter()
        .filter(|f| !f.starts_with(src.join("bin")))
        .collect();
    let by_module: BTreeMap<Vec<String>, String> =
        files.iter().map(|f| (module_of(f), name_of(f))).collect();
    let resolve = |path: &[String]| -> Option<&String> {
        (0..=path.len())
            .rev()
            .find_map(|n| by_module.get(&path[..n]))
    };
    let mut graph = BTreeMap::new();
    for file in &files {
        let module = module_of(file);
        let is_folder = file.ends_with("mod.rs") || file.ends_with("lib.rs");
        let (code, tests) = code_of(file);
        let mut absolute = paths_after(&format!("{code}\n{tests}"), "crate::");
        for relative in paths_after(&code, "super::") {
            let mut parent = module.clone();
            parent.pop();
            if is_folder {
                parent.pop();
            }
            parent.extend(relative);
            absolute.push(parent);
        }
        let name = name_of(file);
        let edges: BTreeSet<String> = absolute
            .iter()
            .filter_map(|path| resolve(path))
            .filter(|target| **target != name)
            .cloned()
            .collect();
        graph.insert(name, edges);
    }
    graph
}

fn name_of(file: &Path) -> String {
    file.strip_prefix(root()).unwrap().display().to_string()
}

/// The strongly connected components of more than one file (Tarjan),
/// each sorted.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Tarjan<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, node: &'g str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.to_string());
                    if top == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !tarjan.index.contains_key(node.as_str()) {
            tarjan.visit(node);
        }
    }
    tarjan.found
}

#[test]
fn no_file_reaches_back_to_itself() {
    let graph = import_graph();
    assert!(graph.len() > 50, "too few files read: {}", graph.len());
    let unexpected = cycles(&graph);
    assert!(
        unexpected.is_empty(),
        "import cycles between files: {unexpected:?}"
    );
}

#[test]
fn the_cycle_finder_finds_a_cycle_of_three_and_ignores_a_chain() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a", "d"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(n, e)| (n.to_string(), e.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(cycles(&graph), [["a", "b", "c"]]);
}

#[test]
fn grouped_and_nested_use_paths_are_each_read() {
    let code = "use crate::cli::{self, common::CommonArgs, x::{y, z::W}};\nlet a = crate::io::open(); notcrate::q; ";
    let paths: Vec<String> = paths_after(code, "crate::")
        .into_iter()
        .map(|p| p.join("::"))
        .collect();
    assert_eq!(
        paths,
        [
            "cli::self",
            "cli::common::CommonArgs",
            "cli::x::y",
            "cli::x::z::W",
            "io::open"
        ]
    );
}
