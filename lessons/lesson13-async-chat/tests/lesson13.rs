//! Lesson 13: lesson 08's chat on tokio. It must behave exactly as lesson
//! 08 does, so it runs lesson 08's behaviour tests unchanged, against its
//! own library (`serve`) and its own binary.

use lesson13_async_chat::{Config, Summary, serve};

const BIN: &str = env!("CARGO_BIN_EXE_lesson13-async-chat");

#[path = "../../lesson08-select-chat/tests/shared/mod.rs"]
mod shared;
