//! Exercise 05-3: its own test target, so it builds on its own.
//! `make exercise EX=05-3` checks your starter. Written by
//! `make register-exercises`.

#[path = "../exercises/3-remote-runner/tests.rs"]
mod ex3;
#[cfg_attr(feature = "starters", path = "../exercises/3-remote-runner/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/3-remote-runner/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex3_code;
