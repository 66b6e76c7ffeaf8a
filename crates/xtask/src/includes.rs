//! The book's include check.
//!
//! mdBook prints an error for an `{{#include}}` of a missing file but still
//! exits 0, and renders a missing anchor as an empty code block. A chapter
//! whose code silently vanished is worse than a failed build, so this check
//! fails on both.

use std::fs;
use std::path::{Path, PathBuf};

/// Checks every include directive in `book/src/**/*.md`.
pub fn check(root: &Path) -> Result<(), String> {
    let src = root.join("book/src");
    let mut problems = Vec::new();
    let mut count = 0;
    for chapter in markdown_files(&src)? {
        let text =
            fs::read_to_string(&chapter).map_err(|e| format!("read {}: {e}", chapter.display()))?;
        for (line_no, spec) in directives(&text) {
            count += 1;
            let here = format!(
                "{}:{line_no}",
                chapter.strip_prefix(root).unwrap_or(&chapter).display()
            );
            if let Err(why) = check_one(chapter.parent().unwrap_or(&src), &spec) {
                problems.push(format!("{here}: {{{{#include {spec}}}}}: {why}"));
            }
        }
    }
    // A hint's pointer into the book is checked like an include: a section
    // renamed in a chapter must not leave an exercise pointing at nothing.
    let exercises = match crate::model::check_pointers(root) {
        Ok(n) => n,
        Err(found) => {
            problems.extend(found);
            0
        }
    };
    if problems.is_empty() {
        println!(
            "check-includes: {count} includes, all files and anchors found; \
             {exercises} exercises point at sections that exist"
        );
        Ok(())
    } else {
        Err(format!(
            "{} broken include(s) or exercise pointer(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

/// The `path[:anchor|:from:to]` part of each include directive, with its line
/// number. A directive escaped as `\{{#include ...}}` is text, not an include.
fn directives(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("{{#") {
            let escaped = rest[..start].ends_with('\\');
            let after = &rest[start + 3..];
            let Some(end) = after.find("}}") else { break };
            let body = after[..end].trim();
            if !escaped {
                for kind in ["include ", "rustdoc_include "] {
                    if let Some(spec) = body.strip_prefix(kind) {
                        found.push((i + 1, spec.trim().to_string()));
                    }
                }
            }
            rest = &after[end + 2..];
        }
    }
    found
}

/// The longest listing the book shows (SPEC: one idea per listing, at most
/// 60 lines).
const MAX_LISTING: usize = 60;

fn check_one(dir: &Path, spec: &str) -> Result<(), String> {
    let mut parts = spec.splitn(2, ':');
    let file = parts.next().unwrap_or_default();
    let selector = parts.next();
    let path = dir.join(file);
    let text =
        fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let Some(selector) = selector else {
        return Ok(());
    };
    if selector.chars().all(|c| c.is_ascii_digit() || c == ':') {
        let lines = text.lines().count();
        for n in selector.split(':').filter(|s| !s.is_empty()) {
            let n: usize = n.parse().map_err(|_| format!("bad line number {n}"))?;
            if n == 0 || n > lines {
                return Err(format!(
                    "line {n} is outside {} ({lines} lines)",
                    path.display()
                ));
            }
        }
        return Ok(());
    }
    let anchor_lines = |marker: &str| {
        text.lines()
            .filter(|l| is_marker(l, marker, selector))
            .count()
    };
    let (starts, ends) = (anchor_lines("ANCHOR:"), anchor_lines("ANCHOR_END:"));
    match (starts, ends) {
        (1, 1) => {}
        (0, _) => return Err(format!("no `ANCHOR: {selector}` in {}", path.display())),
        (_, 0) => return Err(format!("no `ANCHOR_END: {selector}` in {}", path.display())),
        _ => {
            return Err(format!(
                "anchor {selector} appears more than once in {}",
                path.display()
            ));
        }
    }
    let body: Vec<&str> = text
        .lines()
        .skip_while(|l| !is_marker(l, "ANCHOR:", selector))
        .skip(1)
        .take_while(|l| !is_marker(l, "ANCHOR_END:", selector))
        .filter(|l| !l.contains("ANCHOR"))
        .collect();
    if body.iter().all(|l| l.trim().is_empty()) {
        return Err(format!(
            "anchor {selector} in {} is empty or ends before it starts",
            path.display()
        ));
    }
    if body.len() > MAX_LISTING {
        return Err(format!(
            "anchor {selector} in {} is {} lines: a listing shows one idea, \
             in at most {MAX_LISTING} lines (split it, or move a helper out)",
            path.display(),
            body.len()
        ));
    }
    Ok(())
}

/// Whether `line` is `... <marker> <name>` for exactly this anchor name.
fn is_marker(line: &str, marker: &str, name: &str) -> bool {
    line.split_once(marker)
        .is_some_and(|(_, rest)| rest.split_whitespace().next() == Some(name))
}

fn markdown_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| format!("read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            files.extend(markdown_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_directives_and_skips_escaped_ones() {
        let text =
            "a\n{{#include ../x.rs:main}}\n\\{{#include nope.rs}}\n{{#rustdoc_include y.rs:1:3}}";
        assert_eq!(
            directives(text),
            [(2, "../x.rs:main".to_string()), (4, "y.rs:1:3".to_string())]
        );
    }

    #[test]
    fn checks_files_anchors_and_line_ranges() {
        let dir = std::env::temp_dir().join(format!("xtask-includes-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("a.rs"), "// ANCHOR: one\nfn one() {}\n// ANCHOR_END: one\n// ANCHOR: empty\n// ANCHOR_END: empty\n").unwrap();
        assert!(check_one(&dir, "a.rs:one").is_ok());
        assert!(check_one(&dir, "a.rs").is_ok());
        assert!(check_one(&dir, "a.rs:2:3").is_ok());
        assert!(check_one(&dir, "a.rs:9").unwrap_err().contains("outside"));
        assert!(
            check_one(&dir, "a.rs:two")
                .unwrap_err()
                .contains("no `ANCHOR: two`")
        );
        assert!(check_one(&dir, "a.rs:empty").unwrap_err().contains("empty"));
        assert!(
            check_one(&dir, "missing.rs:one")
                .unwrap_err()
                .contains("cannot read")
        );
        // `one` must not match an anchor named `one_more`.
        fs::write(
            dir.join("b.rs"),
            "// ANCHOR: one_more\nx\n// ANCHOR_END: one_more\n",
        )
        .unwrap();
        assert!(check_one(&dir, "b.rs:one").is_err());
        // At most MAX_LISTING lines between the markers.
        let listing = |n: usize| format!("// ANCHOR: l\n{}// ANCHOR_END: l\n", "x\n".repeat(n));
        fs::write(dir.join("c.rs"), listing(MAX_LISTING)).unwrap();
        assert!(check_one(&dir, "c.rs:l").is_ok());
        fs::write(dir.join("c.rs"), listing(MAX_LISTING + 1)).unwrap();
        assert!(check_one(&dir, "c.rs:l").unwrap_err().contains("61 lines"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
