//! Exercises for lesson 03. `make exercise EX=03-1` checks your starter.

#[path = "../exercises/1-length-prefix/tests.rs"]
mod ex1;
#[cfg_attr(feature = "starters", path = "../exercises/1-length-prefix/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/1-length-prefix/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex1_code;

#[path = "../exercises/2-counting-echo/tests.rs"]
mod ex2;
#[cfg_attr(feature = "starters", path = "../exercises/2-counting-echo/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/2-counting-echo/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex2_code;

#[path = "../exercises/3-framed-rpc/tests.rs"]
mod ex3;
#[cfg_attr(feature = "starters", path = "../exercises/3-framed-rpc/starter.rs")]
#[cfg_attr(
    not(feature = "starters"),
    path = "../exercises/3-framed-rpc/solution.rs"
)]
#[allow(unused, clippy::todo)]
mod ex3_code;
