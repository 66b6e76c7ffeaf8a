//! `make rustlings`: the exercises as a rustlings 6 third-party set,
//! generated from the same files `make exercise` uses.
//!
//! Each exercise becomes one file: the starter (or solution), an empty
//! `main`, and its tests in a `#[cfg(test)] mod tests`, each test starting a
//! `testkit::exercise::watchdog` with the exercise's time limit (rustlings
//! has no limit of its own, so a deadlocked answer would freeze its watch
//! mode). The set's `Cargo.toml` depends on the lesson crates, `testkit` and
//! their dependencies by path into this checkout (so the set lives next to
//! it, like `target/rustlings`), and starts from this workspace's
//! `Cargo.lock` so it builds with the same versions, offline.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::model::{self, Exercise};

/// The rustlings name of an exercise: `ex05_1_client_limit`, at most 32
/// characters of `[a-z0-9_]`.
pub fn name(ex: &Exercise) -> String {
    let slug: String = ex
        .slug_dir()
        .chars()
        .skip_while(char::is_ascii_digit)
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let mut name = format!(
        "ex{}{}",
        ex.id.replace('-', "_"),
        slug.trim_end_matches('_')
    );
    name.truncate(32);
    name.trim_end_matches('_').to_string()
}

/// Rust string literal text.
fn quoted(s: &str) -> String {
    format!("{s:?}")
}

/// The test module of `ex`: `tests.rs` with its imports pointed at the code
/// above it and a watchdog at the top of every test.
fn test_module(ex: &Exercise) -> Result<String, String> {
    let text = fs::read_to_string(ex.dir.join("tests.rs")).map_err(|e| e.to_string())?;
    let code_module = format!("crate::ex{}_code", ex.number);
    let mut out = String::from("#[cfg(test)]\nmod tests {\n");
    let mut pending: Option<String> = None;
    let mut after_test = false;
    for line in text.lines() {
        let line = line.replace(&code_module, "super");
        let line = match line.strip_prefix("//!") {
            Some(rest) => format!("//{rest}"),
            None => line,
        };
        out.push_str(&line);
        out.push('\n');
        let trimmed = line.trim();
        if trimmed == "#[test]" {
            after_test = true;
        } else if after_test && let Some(rest) = trimmed.strip_prefix("fn ") {
            pending = Some(rest.split('(').next().unwrap_or(rest).to_string());
            after_test = false;
        }
        if let Some(test) = &pending
            && trimmed.ends_with('{')
        {
            out.push_str(&format!(
                "let _watchdog = testkit::exercise::watchdog({}, std::time::Duration::from_secs({}), {});\n",
                quoted(test),
                ex.meta.time_limit_secs,
                quoted(&ex.meta.stall_hint)
            ));
            pending = None;
        }
    }
    out.push_str("}\n");
    Ok(out)
}

/// Modules the exercise's harness adds besides its code and tests (06-1's
/// shared service checks), with their paths made absolute.
fn harness_extras(ex: &Exercise) -> String {
    let text = fs::read_to_string(ex.harness()).unwrap_or_default();
    let base = ex.lesson_dir().join("tests");
    let mut out = String::new();
    for item in text.split("\n\n") {
        let is_exercise = item.contains(&format!("mod ex{};", ex.number))
            || item.contains(&format!("mod ex{}_code;", ex.number));
        if !item.contains("mod ") || is_exercise {
            continue;
        }
        let mut item = item.trim().to_string();
        if let Some(start) = item.find("#[path = \"") {
            let rest = &item[start + 10..];
            let end = rest.find('"').unwrap_or(0);
            let absolute = base.join(&rest[..end]);
            item = format!(
                "{}#[path = {}]{}",
                &item[..start],
                quoted(&absolute.display().to_string()),
                &rest[end + 2..]
            );
        }
        out.push_str(&format!("#[cfg(test)]\n{item}\n\n"));
    }
    out
}

fn file_text(ex: &Exercise, code: &str) -> Result<String, String> {
    let mut out = code.trim_end().to_string();
    if !out.contains("// TODO") {
        out.push_str("\n\n// TODO: nothing left to do here; the tests below must pass.");
    }
    out.push_str(&format!(
        "\n\nfn main() {{\n    // Nothing to run: `rustlings` runs the tests below (limit {}s each).\n}}\n\n",
        ex.meta.time_limit_secs
    ));
    out.push_str(&harness_extras(ex));
    out.push_str(&test_module(ex)?);
    Ok(out)
}

/// `[workspace.dependencies]` of the root manifest: name to its spec, with
/// `path`s made absolute.
fn workspace_deps(root: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = fs::read_to_string(root.join("Cargo.toml")).map_err(|e| e.to_string())?;
    let mut deps = BTreeMap::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[workspace.dependencies]";
            continue;
        }
        if !inside || line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some((name, spec)) = line.split_once('=') {
            deps.insert(name.trim().to_string(), absolute_paths(root, spec.trim()));
        }
    }
    Ok(deps)
}

fn absolute_paths(root: &Path, spec: &str) -> String {
    match spec.find("path = \"") {
        Some(i) => {
            let rest = &spec[i + 8..];
            let end = rest.find('"').unwrap_or(0);
            format!(
                "{}path = {}{}",
                &spec[..i],
                quoted(&root.join(&rest[..end]).display().to_string()),
                &rest[end + 1..]
            )
        }
        None => spec.to_string(),
    }
}

/// The dependencies a lesson's code and tests use (`name.workspace = true`
/// under `[dependencies]` and `[dev-dependencies]`).
fn lesson_deps(lesson: &Path) -> Vec<String> {
    let text = fs::read_to_string(lesson.join("Cargo.toml")).unwrap_or_default();
    let mut names = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]" || line == "[dev-dependencies]";
            continue;
        }
        if inside && line.contains("workspace = true") {
            let name = line.split(['.', '=', ' ']).next().unwrap_or("").to_string();
            if !name.is_empty() {
                names.push(name);
            }
        }
    }
    names
}

fn manifest(root: &Path, all: &[Exercise]) -> Result<String, String> {
    let known = workspace_deps(root)?;
    let mut deps: BTreeMap<String, String> = BTreeMap::new();
    deps.insert(
        "testkit".into(),
        known.get("testkit").cloned().unwrap_or_default(),
    );
    for ex in all {
        let lesson = ex.lesson_dir();
        deps.insert(
            ex.package.clone(),
            format!("{{ path = {} }}", quoted(&lesson.display().to_string())),
        );
        for name in lesson_deps(&lesson) {
            if let Some(spec) = known.get(&name) {
                deps.insert(name, spec.clone());
            }
        }
    }
    let mut bins = String::new();
    for ex in all {
        let n = name(ex);
        bins.push_str(&format!(
            "  {{ name = \"{n}\", path = \"exercises/{n}.rs\" }},\n  {{ name = \"{n}_sol\", path = \"solutions/{n}.rs\" }},\n"
        ));
    }
    let mut out = format!(
        "# Generated by `make rustlings` from socket-lessons' exercises; do not edit.\n\
         # Don't edit the `bin` list manually! It is updated by `rustlings dev update`\n\
         bin = [\n{bins}]\n\n\
         [package]\nname = \"exercises\"\nedition = \"2024\"\npublish = false\n\n\
         # Its own workspace, although it may sit inside the checkout's target/.\n\
         [workspace]\n\n[dependencies]\n"
    );
    for (name, spec) in deps {
        out.push_str(&format!("{name} = {spec}\n"));
    }
    Ok(out)
}

fn info_toml(root: &Path, all: &[Exercise]) -> String {
    let mut out = String::from(
        "format_version = 1\n\n\
         welcome_message = \"\"\"socket-lessons: TCP, UDP and Unix sockets in Rust.\n\
         Each exercise is one of the book's exercises; the tests use real sockets on 127.0.0.1\n\
         and stop themselves after a time limit.\"\"\"\n\n\
         final_message = \"\"\"Every exercise passes. Try the capstones and `make grade` next.\"\"\"\n",
    );
    for ex in all {
        let hint = model::hint_text(root, ex)
            .replace('\\', "\\\\")
            .replace("\"\"\"", "\\\"\\\"\\\"");
        out.push_str(&format!(
            "\n# {} {}\n[[exercises]]\nname = \"{}\"\ntest = true\nhint = \"\"\"\n{}\"\"\"\n",
            ex.id,
            ex.meta.title,
            name(ex),
            hint
        ));
    }
    out
}

pub fn generate(root: &Path, out: &Path) -> Result<(), String> {
    let all = model::discover(root)?;
    for dir in ["exercises", "solutions"] {
        let path = out.join(dir);
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).map_err(|e| format!("create {}: {e}", path.display()))?;
    }
    let mut written: Vec<PathBuf> = Vec::new();
    for ex in &all {
        let n = name(ex);
        for (dir, file) in [("exercises", "starter.rs"), ("solutions", "solution.rs")] {
            let code = fs::read_to_string(ex.dir.join(file)).map_err(|e| e.to_string())?;
            let path = out.join(dir).join(format!("{n}.rs"));
            fs::write(&path, file_text(ex, &code)?).map_err(|e| e.to_string())?;
            written.push(path);
        }
    }
    fs::write(out.join("Cargo.toml"), manifest(root, &all)?).map_err(|e| e.to_string())?;
    fs::write(out.join("info.toml"), info_toml(root, &all)).map_err(|e| e.to_string())?;
    fs::copy(root.join("Cargo.lock"), out.join("Cargo.lock")).map_err(|e| e.to_string())?;
    fs::write(out.join(".gitignore"), "target/\n").map_err(|e| e.to_string())?;
    fs::write(
        out.join("rust-analyzer.toml"),
        "check.command = \"clippy\"\ncheck.extraArgs = [\"--profile\", \"test\"]\ncargo.targetDir = true\n",
    )
    .map_err(|e| e.to_string())?;
    fs::write(
        out.join("README.md"),
        "# socket-lessons for rustlings\n\nGenerated by `make rustlings`; run `rustlings` here.\n",
    )
    .map_err(|e| e.to_string())?;
    fs::write(
        out.join("exercises/README.md"),
        "# Exercises\n\nEach file is one exercise of the socket-lessons book. `rustlings` shows the hint.\n",
    )
    .map_err(|e| e.to_string())?;
    // rustlings wants the files as rustfmt writes them.
    let status = Command::new("rustfmt")
        .args(["--edition", "2024"])
        .args(&written)
        .status()
        .map_err(|e| format!("rustfmt: {e}"))?;
    if !status.success() {
        return Err("rustfmt failed on the generated files".into());
    }
    println!(
        "rustlings: wrote {} exercises to {} (run `rustlings` there)",
        all.len(),
        out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_rustlings_rules() {
        let ex = Exercise {
            id: "05-1".into(),
            package: "lesson05-threaded".into(),
            number: 1,
            dir: PathBuf::from(
                "lessons/lesson05-threaded/exercises/1-client-limit-with-a-very-long-slug",
            ),
            meta: model::Meta::default(),
        };
        let n = name(&ex);
        assert!(n.starts_with("ex05_1_client_limit"), "{n}");
        assert!(n.len() <= 32, "{n}");
        assert!(
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        );
    }
}
