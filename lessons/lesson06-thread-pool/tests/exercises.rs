//! Exercises for lesson 06. `make exercise EX=06-1` checks your starter.

#[path = "../exercises/1-own-pool/tests.rs"]
mod ex1;
#[cfg_attr(feature = "starters", path = "../exercises/1-own-pool/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/1-own-pool/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex1_code;

#[path = "../exercises/2-bounded-queue/tests.rs"]
mod ex2;
#[cfg_attr(feature = "starters", path = "../exercises/2-bounded-queue/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/2-bounded-queue/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex2_code;
