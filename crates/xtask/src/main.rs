//! `cargo run -p xtask -- <task>`: the project's chores, written in Rust so
//! they run wherever cargo does (the "xtask" convention).
//!
//! | task | what it does |
//! |---|---|
//! | `exercise NN-K` | runs exercise K of lesson NN against the learner's starter: pass, or fail with the hint |
//! | `exercises` | lists every exercise with its state (not started, failing, passing) |
//! | `watch NN-K` | checks the exercise again on every save until it passes |
//! | `grade DIR` | grades `DIR/<student>/<NN-K>.rs`, writes `DIR/report.csv` and `DIR/report.md` |
//! | `student-kit OUT` | writes a copy of the workspace without any solution |
//! | `rustlings OUT` | generates a rustlings 6 exercise set from the exercises |
//! | `register` | writes the missing `tests/exK.rs` harness of each exercise |
//! | `check-exercises [NN-K...]` | every solution passes its tests; every untouched starter and wrong answer fails |
//! | `selftest-grade`, `selftest-kit` | the grader and the student kit, checked end to end |
//! | `check-includes` | every `{{#include}}` names an existing file and anchor; every exercise's section exists |
//! | `exercise-table` | writes the teacher's guide's generated part |
//! | `check-exercise-table` | fails when that part is out of date |
//! | `transcripts [NAME...]` | runs the book's scenarios (`book/scenarios/`) and rewrites their transcripts |
//! | `transcripts --check` | fails, with a diff, when a committed transcript differs from a fresh run |

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod exercises;
mod grade;
mod guide;
mod includes;
mod kit;
mod model;
mod patch;
mod po;
mod runner;
mod rustlings;
mod sandbox;
mod transcripts;
mod watch;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    // Ctrl-C or SIGTERM stops every test process this run started.
    runner::kill_groups_on_signal();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["exercise", id] => exercises::run_one(&root, id),
        ["exercises"] => exercises::list(&root),
        ["watch", id] => watch::watch(&root, id),
        ["grade", dir] => grade::grade(&root, Path::new(dir)),
        ["student-kit", out] => kit::build(&root, Path::new(out)),
        ["rustlings", out] => rustlings::generate(&root, Path::new(out)),
        ["register"] => exercises::register(&root),
        ["check-exercises", only @ ..] => exercises::check_all(&root, only),
        ["selftest-grade"] => grade::selftest(&root),
        ["selftest-kit"] => kit::selftest(&root),
        ["exercise-table"] => guide::print_table(&root),
        ["check-exercise-table"] => guide::check_table(&root),
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
    (exercise NN-K | exercises | watch NN-K | grade DIR | student-kit OUT | rustlings OUT \
    | register | check-exercises | selftest-grade | selftest-kit | check-includes \
    | exercise-table | check-exercise-table | transcripts [--check | NAME...])";

/// The workspace root: two levels above this crate's manifest.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/xtask is two levels below the root")
        .to_path_buf()
}
