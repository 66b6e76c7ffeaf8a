//! Finding a lesson's example binary (`examples/naive.rs`) from its tests.
//!
//! Cargo gives integration tests the path of the package's *binaries*
//! (`CARGO_BIN_EXE_<name>`), not of its examples. `cargo test` builds the
//! examples too, into `target/<profile>/examples/`, so a test finds them
//! there. Several lessons have an example called `naive`, and the plain
//! `examples/naive` copy is whichever was built last; each build also keeps
//! a copy with a hash (`naive-1a2b3c...`) and a `.d` file naming its source
//! file, which tells the lessons' copies apart.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The freshest build of the example `name` of the package in
/// `manifest_dir` (pass `env!("CARGO_MANIFEST_DIR")`). Panics, saying how to
/// build it, when there is none or when it is older than its source.
pub fn example(manifest_dir: &str, name: &str) -> PathBuf {
    let source = Path::new(manifest_dir)
        .join("examples")
        .join(format!("{name}.rs"));
    let test_exe = std::env::current_exe().expect("path of the test binary");
    // target/<profile>/deps/<test binary> -> target/<profile>/examples
    let dir = test_exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps")
        .join("examples");
    let package = Path::new(manifest_dir)
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or("?");
    // The `.d` file names the source relative to the workspace root.
    let wanted = format!("{package}/examples/{name}.rs");
    let prefix = format!("{name}-");
    let newest = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
            file.starts_with(&prefix) && !file.contains('.')
        })
        .filter(|path| {
            std::fs::read_to_string(path.with_extension("d"))
                .is_ok_and(|deps| deps.contains(&wanted))
        })
        .max_by_key(|path| modified(path));
    let build =
        format!("build it with `cargo build --examples -p {package}` (plain `cargo test` does)");
    let Some(bin) = newest else {
        panic!(
            "no build of {} in {}: {build}",
            source.display(),
            dir.display()
        )
    };
    assert!(
        modified(&bin) >= modified(&source),
        "{} is older than {}: {build}",
        bin.display(),
        source.display()
    );
    bin
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}
