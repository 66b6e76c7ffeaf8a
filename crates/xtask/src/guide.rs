//! The teacher's guide's generated part: per exercise, from `exercise.toml`,
//! the tests and the checked-in wrong answers.

use std::fs;
use std::path::Path;

use crate::model::{self, Exercise, rel};

pub const TABLE_FILE: &str = "book/src/generated/exercises.md";

/// The names of the tests in `tests.rs` (the lines after `#[test]`).
fn test_names(ex: &Exercise) -> Vec<String> {
    let text = fs::read_to_string(ex.dir.join("tests.rs")).unwrap_or_default();
    let mut names = Vec::new();
    let mut after_test = false;
    for line in text.lines() {
        let line = line.trim();
        if line == "#[test]" {
            after_test = true;
        } else if after_test && let Some(rest) = line.strip_prefix("fn ") {
            names.push(rest.split('(').next().unwrap_or(rest).to_string());
            after_test = false;
        }
    }
    names
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

pub fn text(root: &Path) -> Result<String, String> {
    let all = model::discover(root)?;
    let mut out = String::from(
        "<!-- Generated from the exercise directories by `make exercise-table`; `make test-all` checks it is current. -->\n\n\
         | Exercise | Title | Minutes | Limit per test | Starter |\n|---|---|---|---|---|\n",
    );
    for ex in &all {
        let capstone = if ex.meta.capstone { " (capstone)" } else { "" };
        out.push_str(&format!(
            "| `{}` | {}{capstone} | {} | {} s | `{}` |\n",
            ex.id,
            cell(&ex.meta.title),
            ex.meta.minutes,
            ex.meta.time_limit_secs,
            rel(root, &ex.dir.join("starter.rs"))
        ));
    }
    out.push_str(&format!(
        "\n{} exercises, about {} hours in all.\n",
        all.len(),
        all.iter().map(|e| e.meta.minutes).sum::<u64>().div_ceil(60)
    ));
    for ex in &all {
        out.push_str(&format!("\n### {} {}\n\n", ex.id, ex.meta.title));
        out.push_str(&format!("- **Objective:** {}\n", ex.meta.objective));
        out.push_str(&format!("- **Time:** about {} minutes.\n", ex.meta.minutes));
        if let Ok(p) = model::pointer(root, &ex.meta) {
            out.push_str(&format!(
                "- **Chapter:** [{}, «{}»]({}#{})\n",
                p.chapter_title,
                p.section,
                ex.meta.chapter,
                p.url.rsplit('#').next().unwrap_or("")
            ));
        }
        let names = test_names(ex);
        out.push_str(&format!(
            "- **Graded by** {} test(s), each stopped after {} s: {}.\n",
            names.len(),
            ex.meta.time_limit_secs,
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        out.push_str(&format!(
            "- **When a test stalls** the learner is told: {}\n",
            ex.meta.stall_hint
        ));
        let wrong = ex.wrong_answers();
        if !wrong.is_empty() {
            out.push_str("- **Common mistakes** (each a checked-in wrong answer that `make check-exercises` proves is rejected):\n");
            for (path, mistake) in wrong {
                out.push_str(&format!("  - {} (`{}`)\n", mistake, rel(root, &path)));
            }
        }
    }
    Ok(out)
}

/// Prints the generated part and writes it to the book.
pub fn print_table(root: &Path) -> Result<(), String> {
    let text = text(root)?;
    let path = root.join(TABLE_FILE);
    fs::create_dir_all(path.parent().unwrap_or(root)).map_err(|e| e.to_string())?;
    fs::write(&path, &text).map_err(|e| format!("write {}: {e}", path.display()))?;
    print!("{text}");
    Ok(())
}

/// Fails when the committed part differs from the exercises on disk.
pub fn check_table(root: &Path) -> Result<(), String> {
    let committed = fs::read_to_string(root.join(TABLE_FILE)).unwrap_or_default();
    if committed == text(root)? {
        println!("check-exercise-table: {TABLE_FILE} is current");
        Ok(())
    } else {
        Err(format!(
            "{TABLE_FILE} is out of date: run `make exercise-table`"
        ))
    }
}
