//! Lesson 08: the one-thread chat room (mio). Its behaviour tests are
//! shared with lesson 13, which runs the same chat on tokio: see
//! `shared/mod.rs`.

use lesson08_select_chat::{Config, Summary, serve};

const BIN: &str = env!("CARGO_BIN_EXE_lesson08-select-chat");

mod shared;
