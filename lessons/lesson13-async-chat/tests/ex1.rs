//! Exercise 13-1: its own test target, so it builds on its own.
//! `make exercise EX=13-1` checks your starter. Written by
//! `make register-exercises`.

#[path = "../exercises/1-keep-the-executor-free/tests.rs"]
mod ex1;
#[cfg_attr(
    feature = "starters",
    path = "../exercises/1-keep-the-executor-free/starter.rs"
)]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/1-keep-the-executor-free/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex1_code;
