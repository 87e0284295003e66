//! Finding the files of a directory argument: every regular file below
//! it, whatever its name, except those the skip rule passes over by name
//! (`docs/behaviour.md#archive-files`).
//!
//! Memory: the paths found, and the entries of one directory at a time
//! (plus the paths of the directories still to be walked). The walk keeps
//! its own stack, so a deep tree cannot overflow the thread's.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::archive::skip::{Skip, skip_by_name};
use crate::error::{IoContext, Result};

/// The files below a directory: the candidates, and those passed over.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    /// Regular files to read, in path order.
    pub(crate) files: Vec<PathBuf>,
    /// Files passed over by name or type, and why.
    pub(crate) skipped: Vec<(PathBuf, Skip)>,
}

/// Walks `dir` recursively. A directory that cannot be listed is an error
/// naming it: an archive read in part would give an incomplete answer.
pub(crate) fn walk(dir: &Path) -> Result<Walked> {
    let mut walked = Walked::default();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let shown = || format!("cannot read directory {}", dir.display());
        let mut entries = fs::read_dir(&dir)
            .doing(shown)?
            .collect::<std::io::Result<Vec<_>>>()
            .doing(shown)?;
        entries.sort_by_key(|entry| entry.file_name());
        let mut subdirs = Vec::new();
        for entry in entries {
            let path = entry.path();
            let kind = entry.file_type().doing(shown)?;
            let name = entry.file_name();
            if let Some(skip) = skip_by_name(name.as_bytes()) {
                walked.skipped.push((path, skip));
            } else if kind.is_dir() {
                subdirs.push(path);
            } else if kind.is_file() {
                walked.files.push(path);
            } else if kind.is_symlink() {
                // A link is what it points to: a file is read, a directory
                // is not followed, a dangling link is an error (as a
                // missing file named on the command line is).
                let target =
                    fs::metadata(&path).doing(|| format!("cannot open {}", path.display()))?;
                let skip = if target.is_dir() {
                    Some(Skip::LinkedDirectory)
                } else if !target.is_file() {
                    Some(Skip::NotRegular)
                } else {
                    None
                };
                match skip {
                    Some(skip) => walked.skipped.push((path, skip)),
                    None => walked.files.push(path),
                }
            } else {
                // A FIFO, a socket or a device.
                walked.skipped.push((path, Skip::NotRegular));
            }
        }
        // Popped last first: push in reverse so that folders are walked
        // in name order.
        pending.extend(subdirs.into_iter().rev());
    }
    walked.files.sort();
    Ok(walked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_every_folder_and_passes_over_hidden_and_backup_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, text) in [
            ("a/2019-08-12/conn.log.gz", "x"),
            ("a/2019-08-13/conn.log", "x"),
            ("b.log", "x"),
            (".hidden/c.log", "x"),
            ("a/.d.log", "x"),
            ("a/e.log~", "x"),
            ("a/.e.log.swp", "x"),
            ("f.swp", "x"),
        ] {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, text).unwrap();
        }
        std::os::unix::fs::symlink(root.join("b.log"), root.join("link.log")).unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("linked")).unwrap();
        let walked = walk(root).unwrap();
        let rel = |p: &PathBuf| p.strip_prefix(root).unwrap().to_str().unwrap().to_string();
        let files: Vec<String> = walked.files.iter().map(rel).collect();
        assert_eq!(
            files,
            [
                "a/2019-08-12/conn.log.gz",
                "a/2019-08-13/conn.log",
                "b.log",
                "link.log"
            ]
        );
        let mut skipped: Vec<(String, Skip)> = walked
            .skipped
            .iter()
            .map(|(p, s)| (rel(p), s.clone()))
            .collect();
        skipped.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            skipped,
            [
                (".hidden".to_string(), Skip::Hidden),
                ("a/.d.log".to_string(), Skip::Hidden),
                ("a/.e.log.swp".to_string(), Skip::Hidden),
                ("a/e.log~".to_string(), Skip::Backup),
                ("f.swp".to_string(), Skip::Backup),
                ("linked".to_string(), Skip::LinkedDirectory),
            ]
        );
    }

    #[test]
    fn an_unreadable_place_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = walk(&missing).unwrap_err().to_string();
        assert!(err.contains("nope"), "{err}");
        std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("dangling")).unwrap();
        let err = walk(dir.path()).unwrap_err().to_string();
        assert!(err.contains("dangling"), "{err}");
    }
}
