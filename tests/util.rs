//! Finding the lesson binaries built by the workspace.

use std::path::PathBuf;

/// Path of a workspace binary (`target/debug/<name>`), next to this test's own
/// executable. Panics with the fix if it has not been built.
#[allow(dead_code)]
pub fn bin(name: &str) -> String {
    let exe = std::env::current_exe().expect("current exe");
    // target/debug/deps/cross-<hash> -> target/debug/<name>
    let dir: PathBuf = exe
        .parent()
        .and_then(|p| p.parent())
        .expect("target dir")
        .to_path_buf();
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` (or `cargo test --workspace`)",
        path.display()
    );
    path.to_string_lossy().into_owned()
}
