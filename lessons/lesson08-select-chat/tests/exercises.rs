//! Exercises for lesson 08. `make exercise EX=08-1` checks your starter.

#[path = "../exercises/1-nick/tests.rs"]
mod ex1;
#[cfg_attr(feature = "starters", path = "../exercises/1-nick/starter.rs")]
#[cfg_attr(not(feature = "starters"), path = "../exercises/1-nick/solution.rs")]
#[allow(unused, clippy::todo)]
mod ex1_code;

#[path = "../exercises/2-write-queue/tests.rs"]
mod ex2;
#[cfg_attr(feature = "starters", path = "../exercises/2-write-queue/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/2-write-queue/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex2_code;

#[path = "../exercises/3-event-loop/tests.rs"]
mod ex3;
#[cfg_attr(feature = "starters", path = "../exercises/3-event-loop/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/3-event-loop/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex3_code;
