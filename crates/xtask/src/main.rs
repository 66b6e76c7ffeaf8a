//! `cargo run -p xtask -- <task>`: the project's chores, written in Rust so
//! they run wherever cargo does (the "xtask" convention).
//!
//! | task | what it does |
//! |---|---|
//! | `exercise NN-K` | runs exercise K of lesson NN against the learner's starter: pass, or fail with the hint |
//! | `check-exercises` | every solution passes its tests; every untouched starter fails at least one |
//! | `check-includes` | every `{{#include}}` in the book names an existing file and anchor |
//! | `exercise-table` | prints the exercise table the teacher's guide includes |
//! | `check-exercise-table` | fails when the committed table is out of date |

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod exercises;
mod includes;
mod transcripts;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["exercise", id] => exercises::run_one(&root, id),
        ["check-exercises"] => exercises::check_all(&root),
        ["exercise-table"] => exercises::print_table(&root),
        ["check-exercise-table"] => exercises::check_table(&root),
        ["check-includes"] => includes::check(&root),
        ["transcripts", args @ ..] => transcripts::main(&root, args),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo run -p xtask -- \
    (exercise NN-K | check-exercises | check-includes | exercise-table | check-exercise-table)";

/// The workspace root: two levels above this crate's manifest.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/xtask is two levels below the root")
        .to_path_buf()
}
