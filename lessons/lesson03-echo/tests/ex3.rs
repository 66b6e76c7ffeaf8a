//! Exercise 03-3: its own test target, so it builds on its own.
//! `make exercise EX=03-3` checks your starter. Written by
//! `make register-exercises`.

#[path = "../exercises/3-framed-rpc/tests.rs"]
mod ex3;
#[cfg_attr(feature = "starters", path = "../exercises/3-framed-rpc/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/3-framed-rpc/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex3_code;
