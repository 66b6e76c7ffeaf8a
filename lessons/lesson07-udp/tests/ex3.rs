//! Exercise 07-3: its own test target, so it builds on its own.
//! `make exercise EX=07-3` checks your starter. Written by
//! `make register-exercises`.

#[path = "../exercises/3-retransmit/tests.rs"]
mod ex3;
#[cfg_attr(feature = "starters", path = "../exercises/3-retransmit/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/3-retransmit/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex3_code;
