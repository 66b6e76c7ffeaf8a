//! Exercises for lesson 10. `make exercise EX=10-1` checks your starter.

#[path = "../exercises/1-services-line/tests.rs"]
mod ex1;
#[cfg_attr(feature = "starters", path = "../exercises/1-services-line/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/1-services-line/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex1_code;

#[path = "../exercises/2-which-source/tests.rs"]
mod ex2;
#[cfg_attr(feature = "starters", path = "../exercises/2-which-source/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/2-which-source/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex2_code;
