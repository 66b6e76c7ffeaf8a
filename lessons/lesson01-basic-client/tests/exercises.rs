//! Exercises for lesson 01. `make exercise EX=01-1` checks your starter.

#[path = "../exercises/1-connect-each/tests.rs"]
mod ex1;
#[cfg_attr(feature = "starters", path = "../exercises/1-connect-each/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/1-connect-each/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex1_code;

#[path = "../exercises/2-capped-reply/tests.rs"]
mod ex2;
#[cfg_attr(feature = "starters", path = "../exercises/2-capped-reply/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/2-capped-reply/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex2_code;
