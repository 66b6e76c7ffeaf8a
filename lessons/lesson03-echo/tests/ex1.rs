//! Exercise 03-1: its own test target, so it builds on its own.
//! `make exercise EX=03-1` checks your starter. Written by
//! `make register-exercises`.

#[path = "../exercises/1-length-prefix/tests.rs"]
mod ex1;
#[cfg_attr(feature = "starters", path = "../exercises/1-length-prefix/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/1-length-prefix/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex1_code;
