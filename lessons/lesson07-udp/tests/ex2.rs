//! Exercise 07-2: its own test target, so it builds on its own.
//! `make exercise EX=07-2` checks your starter. Written by
//! `make register-exercises`.

#[path = "../exercises/2-largest-datagram/tests.rs"]
mod ex2;
#[cfg_attr(
    feature = "starters",
    path = "../exercises/2-largest-datagram/starter.rs"
)]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/2-largest-datagram/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex2_code;
