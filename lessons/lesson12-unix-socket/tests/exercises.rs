//! Exercises for lesson 12. `make exercise EX=12-1` checks your starter.

#[path = "../exercises/1-world-writable/tests.rs"]
mod ex1;
#[cfg_attr(
    feature = "starters",
    path = "../exercises/1-world-writable/starter.rs"
)]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/1-world-writable/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex1_code;

#[path = "../exercises/2-socket-pair/tests.rs"]
mod ex2;
#[cfg_attr(feature = "starters", path = "../exercises/2-socket-pair/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/2-socket-pair/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex2_code;
