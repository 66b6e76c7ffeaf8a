//! A scratch copy of the workspace's sources, where someone else's version of
//! a starter (a student's submission, a checked-in wrong answer) is compiled
//! without touching the real checkout.

use std::fs;
use std::path::{Path, PathBuf};

use crate::exercises::{self, Verdict};
use crate::model::{Exercise, rel};
use crate::runner::{self, Build, TestResult, Variant};

#[derive(Debug)]
pub struct Sandbox {
    /// The copy of the workspace.
    pub src: PathBuf,
    /// Where it builds: see [`copies_target`].
    pub target: PathBuf,
}

impl Sandbox {
    /// A copy of the workspace under `target/xtask/<name>/src`, brought up
    /// to date file by file: a file whose content has not changed keeps its
    /// time stamp, so cargo does not rebuild the lesson crates every run.
    pub fn create(root: &Path, name: &str) -> Result<Sandbox, String> {
        let src = target_dir(root).join("xtask").join(name).join("src");
        copy_workspace(root, &src, &|_| true)?;
        Ok(Sandbox {
            src,
            target: copies_target(root, name),
        })
    }

    /// Compiles `code` as `ex`'s starter; returns the build.
    pub fn build(&self, ex: &Exercise, code: &str) -> Result<Build, String> {
        let root = ex
            .lesson_dir()
            .parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let starter = self.src.join(rel(&root, &ex.dir)).join("starter.rs");
        fs::write(&starter, code).map_err(|e| format!("write {}: {e}", starter.display()))?;
        let copy = Exercise {
            dir: self.src.join(rel(&root, &ex.dir)),
            ..ex.clone()
        };
        runner::build(&self.src, Some(&self.target), &copy, Variant::Starter)
    }

    /// Compiles `code` as `ex`'s starter and runs its tests in a fresh
    /// scratch directory.
    pub fn check(
        &self,
        ex: &Exercise,
        code: &str,
        parallel: usize,
        progress: &(dyn Fn(&TestResult) + Sync),
    ) -> Result<Verdict, String> {
        let build = self.build(ex, code)?;
        let cwd = self.src.parent().unwrap_or(&self.src).join("run");
        let _ = fs::remove_dir_all(&cwd);
        fs::create_dir_all(&cwd).map_err(|e| e.to_string())?;
        exercises::verdict_of(build, ex, &cwd, parallel, progress)
    }
}

/// Where copies of the workspace build (`name`: `sandbox`, `kit`). Never the
/// workspace's own target directory: cargo hashes a path crate by its path
/// *relative to its workspace root*, so a copy's `lesson03-echo` would share
/// the real one's artifacts and fingerprints (and its `xtask` would replace
/// `target/debug/xtask`). Kept between runs, so only what changed is built.
pub fn copies_target(root: &Path, name: &str) -> PathBuf {
    target_dir(root)
        .join("xtask")
        .join(format!("{name}-target"))
}

/// The build directory cargo uses for this workspace.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// Copies the workspace's sources (no `target/`, no `.git`) to `to`,
/// keeping the files `keep` accepts (a path relative to the root).
pub fn copy_workspace(root: &Path, to: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("create {}: {e}", to.display()))?;
    // Everything at the top (manifests, every member, the book, the
    // Makefile), so a member added later is copied too.
    let entries = fs::read_dir(root).map_err(|e| format!("read {}: {e}", root.display()))?;
    for entry in entries.flatten() {
        copy_tree(root, &entry.path(), to, keep)?;
    }
    Ok(())
}

pub fn copy_tree(
    root: &Path,
    from: &Path,
    to_root: &Path,
    keep: &dyn Fn(&Path) -> bool,
) -> Result<(), String> {
    let relative = from.strip_prefix(root).unwrap_or(from);
    let name = relative
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name == "target" || name == ".git" || !keep(relative) {
        return Ok(());
    }
    let dest = to_root.join(relative);
    if from.is_dir() {
        fs::create_dir_all(&dest).map_err(|e| format!("create {}: {e}", dest.display()))?;
        let entries = fs::read_dir(from).map_err(|e| format!("read {}: {e}", from.display()))?;
        for entry in entries.flatten() {
            copy_tree(root, &entry.path(), to_root, keep)?;
        }
    } else if from.is_file() {
        let same = fs::read(&dest).ok() == Some(fs::read(from).map_err(|e| e.to_string())?);
        if !same {
            fs::copy(from, &dest).map_err(|e| format!("copy {}: {e}", from.display()))?;
        }
    }
    Ok(())
}
