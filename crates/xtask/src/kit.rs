//! `make student-kit OUT=<dir>`: the workspace without anything that gives
//! an answer away, ready to hand to a class.
//!
//! Left out: every `solution.rs`, every `wrong/` directory (each wrong
//! answer is one bug away from a right one), the teacher's guide and its
//! generated exercise table (they list the common mistakes), and `target/`
//! (so no generated rustlings set with its `solutions/`). Each exercise
//! harness is rewritten to compile the starter only. A hash of every starter
//! is recorded in [`HASHES`] so `make exercises` can tell "not started" from
//! "started" without git.

use std::fs;
use std::path::Path;

use crate::model::{self, rel};
use crate::sandbox::{copies_target, copy_workspace, target_dir};

/// The recorded starter hashes, at the kit's root.
pub const HASHES: &str = ".exercise-starters";

/// 64-bit FNV-1a, in hex: stable across Rust versions (unlike std's hasher).
pub fn fnv64(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Whether a path (relative to the root) gives an answer away.
pub fn is_answer(path: &Path) -> bool {
    let name = model::file_name(path);
    let in_exercise = path.components().any(|c| c.as_os_str() == "exercises");
    (in_exercise && (name == "solution.rs" || name == "wrong"))
        || path.ends_with("book/src/teachers-guide.md")
}

pub fn build(root: &Path, out: &Path) -> Result<(), String> {
    if out.exists()
        && fs::read_dir(out)
            .map_err(|e| e.to_string())?
            .next()
            .is_some()
    {
        return Err(format!("{} exists and is not empty", out.display()));
    }
    let keep = |p: &Path| !is_answer(p);
    copy_workspace(root, out, &keep)?;
    let note =
        "# Teacher's guide to the exercises\n\nNot part of the student kit: ask your teacher.\n";
    let guide = out.join("book/src/teachers-guide.md");
    if let Some(dir) = guide.parent() {
        fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    fs::write(&guide, note).map_err(|e| e.to_string())?;
    let mut hashes = String::new();
    for ex in model::discover(root)? {
        let harness = out.join(rel(root, &ex.harness()));
        let text =
            fs::read_to_string(&harness).map_err(|e| format!("{}: {e}", harness.display()))?;
        fs::write(&harness, text.replace("/solution.rs\"", "/starter.rs\""))
            .map_err(|e| e.to_string())?;
        let starter = ex.dir.join("starter.rs");
        let bytes = fs::read(&starter).map_err(|e| e.to_string())?;
        hashes.push_str(&format!("{} {}\n", fnv64(&bytes), rel(root, &starter)));
    }
    fs::write(out.join(HASHES), hashes).map_err(|e| e.to_string())?;
    println!(
        "student-kit: wrote {} (no solutions, no wrong answers, no teacher's guide)",
        out.display()
    );
    Ok(())
}

/// The automated check of the kit: nothing in it gives an answer away, and
/// `make exercise` works in it (FAIL on the untouched starter, PASS once the
/// solution is pasted in).
pub fn selftest(root: &Path) -> Result<(), String> {
    let base = target_dir(root).join("xtask/kit-selftest");
    let out = base.join("kit");
    let _ = fs::remove_dir_all(&out);
    build(root, &out)?;
    let mut leaks = Vec::new();
    find_answers(&out, &out, &mut leaks);
    if !leaks.is_empty() {
        return Err(format!("the kit gives answers away: {}", leaks.join(", ")));
    }
    let ex = model::find(root, "03-1")?;
    let make = |expect_pass: bool| -> Result<String, String> {
        let out_put = std::process::Command::new("make")
            .current_dir(&out)
            .args(["-s", "exercise", "EX=03-1"])
            .env("CARGO_TARGET_DIR", copies_target(root, "kit"))
            .output()
            .map_err(|e| format!("make: {e}"))?;
        let text = String::from_utf8_lossy(&out_put.stdout).into_owned();
        if out_put.status.success() != expect_pass {
            return Err(format!(
                "make exercise EX=03-1 in the kit: expected {}, got:\n{text}\n{}",
                if expect_pass { "PASS" } else { "FAIL" },
                String::from_utf8_lossy(&out_put.stderr)
            ));
        }
        Ok(text)
    };
    let failed = make(false)?;
    if !failed.contains("FAIL") || !failed.contains("Read: chapter") {
        return Err(format!("the kit's FAIL report lacks the hint:\n{failed}"));
    }
    let solution = fs::read(ex.dir.join("solution.rs")).map_err(|e| e.to_string())?;
    fs::write(out.join(rel(root, &ex.dir)).join("starter.rs"), solution)
        .map_err(|e| e.to_string())?;
    make(true)?;
    println!("student-kit selftest: no answers in the kit; make exercise fails, then passes");
    Ok(())
}

fn find_answers(root: &Path, dir: &Path, found: &mut Vec<String>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let relative = path.strip_prefix(root).unwrap_or(&path);
        if model::file_name(&path) == "target" {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap_or_default();
        if (is_answer(relative) && !text.contains("Not part of the student kit"))
            || model::file_name(&path) == "solutions"
        {
            found.push(relative.display().to_string());
        }
        if path.is_dir() {
            find_answers(root, &path, found);
        }
    }
}
