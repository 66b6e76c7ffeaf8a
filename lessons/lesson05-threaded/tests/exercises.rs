//! Exercises for lesson 05. `make exercise EX=05-1` checks your starter.

#[path = "../exercises/1-client-limit/tests.rs"]
mod ex1;
#[cfg_attr(feature = "starters", path = "../exercises/1-client-limit/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/1-client-limit/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex1_code;

#[path = "../exercises/2-join-every-thread/tests.rs"]
mod ex2;
#[cfg_attr(
    feature = "starters",
    path = "../exercises/2-join-every-thread/starter.rs"
)]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/2-join-every-thread/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex2_code;

#[path = "../exercises/3-remote-runner/tests.rs"]
mod ex3;
#[cfg_attr(feature = "starters", path = "../exercises/3-remote-runner/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/3-remote-runner/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex3_code;
