//! Cross-lesson, black-box tests: the real binaries of different lessons
//! talking to each other. Binaries are found in the workspace target
//! directory, which `cargo test --workspace` fills before any test runs.

mod util;

/// Lesson 01's client against lesson 02's server.
mod lesson01_02;
/// Lesson 03's client and server, stdin a pipe.
mod lesson03_pipe;
