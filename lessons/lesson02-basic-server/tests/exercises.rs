//! Exercises for lesson 02. `make exercise EX=02-1` checks your starter.

#[path = "../exercises/1-read-line/tests.rs"]
mod ex1;
#[cfg_attr(feature = "starters", path = "../exercises/1-read-line/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/1-read-line/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex1_code;

#[path = "../exercises/2-graceful-close/tests.rs"]
mod ex2;
#[cfg_attr(
    feature = "starters",
    path = "../exercises/2-graceful-close/starter.rs"
)]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/2-graceful-close/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex2_code;
