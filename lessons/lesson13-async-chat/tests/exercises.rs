//! Exercises for lesson 13. `make exercise EX=13-1` checks your starter.

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
