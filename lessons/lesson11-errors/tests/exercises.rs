//! Exercises for lesson 11. `make exercise EX=11-1` checks your starter.

#[path = "../exercises/1-eisconn/tests.rs"]
mod ex1;
#[cfg_attr(feature = "starters", path = "../exercises/1-eisconn/starter.rs")]
#[cfg_attr(not(feature = "starters"), path = "../exercises/1-eisconn/solution.rs")]
#[allow(unused, clippy::todo)]
mod ex1_code;

#[path = "../exercises/2-nonblocking-accept/tests.rs"]
mod ex2;
#[cfg_attr(
    feature = "starters",
    path = "../exercises/2-nonblocking-accept/starter.rs"
)]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/2-nonblocking-accept/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex2_code;
