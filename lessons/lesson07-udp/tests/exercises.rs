//! Exercises for lesson 07. `make exercise EX=07-1` checks your starter.

#[path = "../exercises/1-retransmit/tests.rs"]
mod ex1;
#[cfg_attr(feature = "starters", path = "../exercises/1-retransmit/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/1-retransmit/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex1_code;

#[path = "../exercises/2-largest-datagram/tests.rs"]
mod ex2;
#[cfg_attr(
    feature = "starters",
    path = "../exercises/2-largest-datagram/starter.rs"
)]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/2-largest-datagram/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex2_code;

#[path = "../exercises/3-retransmit/tests.rs"]
mod ex3;
#[cfg_attr(feature = "starters", path = "../exercises/3-retransmit/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/3-retransmit/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex3_code;
