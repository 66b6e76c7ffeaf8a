//! Exercise 13-2: its own test target, so it builds on its own.
//! `make exercise EX=13-2` checks your starter. Written by
//! `make register-exercises`.

#[path = "../exercises/2-line-or-timeout/tests.rs"]
mod ex2;
#[cfg_attr(
    feature = "starters",
    path = "../exercises/2-line-or-timeout/starter.rs"
)]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/2-line-or-timeout/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex2_code;
