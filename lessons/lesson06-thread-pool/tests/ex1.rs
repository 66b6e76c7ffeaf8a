//! Exercise 06-1: its own test target, so it builds on its own.
//! `make exercise EX=06-1` checks your starter. Written by
//! `make register-exercises`.

/// Lesson 05's service checks, which exercise 06-1's server must pass too.
#[path = "../../lesson05-threaded/tests/shared/mod.rs"]
mod shared;

#[path = "../exercises/1-own-pool/tests.rs"]
mod ex1;
#[cfg_attr(feature = "starters", path = "../exercises/1-own-pool/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/1-own-pool/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex1_code;
