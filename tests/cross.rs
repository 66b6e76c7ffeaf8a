//! Cross-lesson, black-box tests: the real binaries of different lessons
//! talking to each other. Binaries are found in the workspace target
//! directory, which `cargo test --workspace` fills before any test runs.

mod util;
