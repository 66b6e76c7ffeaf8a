//! Exercises for lesson 09. `make exercise EX=09-1` checks your starter.

#[path = "../exercises/1-chunk-size/tests.rs"]
mod ex1;
#[cfg_attr(feature = "starters", path = "../exercises/1-chunk-size/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/1-chunk-size/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex1_code;

#[path = "../exercises/2-head-request/tests.rs"]
mod ex2;
#[cfg_attr(feature = "starters", path = "../exercises/2-head-request/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/2-head-request/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex2_code;
