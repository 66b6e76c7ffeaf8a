//! Exercises for lesson 04. `make exercise EX=04-1` checks your starter.

#[path = "../exercises/1-set-before-bind/tests.rs"]
mod ex1;
#[cfg_attr(
    feature = "starters",
    path = "../exercises/1-set-before-bind/starter.rs"
)]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/1-set-before-bind/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex1_code;

#[path = "../exercises/2-client-closes-first/tests.rs"]
mod ex2;
#[cfg_attr(
    feature = "starters",
    path = "../exercises/2-client-closes-first/starter.rs"
)]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/2-client-closes-first/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex2_code;
