//! Exercise 02-1: its own test target, so it builds on its own.
//! `make exercise EX=02-1` checks your starter. Written by
//! `make register-exercises`.

#[path = "../exercises/1-read-line/tests.rs"]
mod ex1;
#[cfg_attr(feature = "starters", path = "../exercises/1-read-line/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/1-read-line/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex1_code;
