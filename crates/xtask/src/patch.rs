//! Applies a unified diff (as `diff -u` writes it) to a text, exactly.
//!
//! A wrong answer that differs from its solution in a few lines of a long
//! program is kept as such a diff (`wrong/NAME.patch`), not as a second copy
//! of the program that would drift from the solution unnoticed. Every
//! context and removed line must match where its hunk says: when the
//! solution changes under a patch, applying it fails and says where, rather
//! than landing somewhere else.

/// `base` with `patch` applied. Text before the first `@@` (the `---` and
/// `+++` lines) is ignored.
pub fn apply(base: &str, patch: &str) -> Result<String, String> {
    let old: Vec<&str> = base.lines().collect();
    let mut out: Vec<&str> = Vec::with_capacity(old.len());
    let mut next = 0; // index of the next line of `old` not yet copied
    let mut lines = patch
        .lines()
        .skip_while(|l| !l.starts_with("@@"))
        .peekable();
    while let Some(header) = lines.next() {
        let (start, old_len, new_len) = hunk_header(header)?;
        // `-0,0` inserts before line 1; otherwise the hunk starts at line `start`.
        let at = if old_len == 0 { start } else { start - 1 };
        if at < next || at > old.len() {
            return Err(format!("hunk `{header}` is out of order or past the end"));
        }
        out.extend(&old[next..at]);
        next = at;
        let (mut seen_old, mut seen_new) = (0, 0);
        while let Some(line) = lines.next_if(|l| !l.starts_with("@@")) {
            // An empty line is an empty context line whose space an editor
            // trimmed.
            let kind = line.chars().next().unwrap_or(' ');
            let text = line.get(kind.len_utf8()..).unwrap_or("");
            match kind {
                ' ' | '-' => {
                    if old.get(next) != Some(&text) {
                        return Err(format!(
                            "line {}: expected {text:?}, found {:?}",
                            next + 1,
                            old.get(next).copied().unwrap_or("<end of file>")
                        ));
                    }
                    next += 1;
                    seen_old += 1;
                    if kind == ' ' {
                        out.push(text);
                        seen_new += 1;
                    }
                }
                '+' => {
                    out.push(text);
                    seen_new += 1;
                }
                '\\' => {} // "\ No newline at end of file"
                _ => return Err(format!("not a diff line: {line:?}")),
            }
        }
        if (seen_old, seen_new) != (old_len, new_len) {
            return Err(format!("hunk `{header}` is cut short"));
        }
    }
    out.extend(&old[next..]);
    Ok(out.iter().flat_map(|line| [*line, "\n"]).collect())
}

/// `@@ -12,5 +12,6 @@` → (12, 5, 6). A missing count means 1.
fn hunk_header(line: &str) -> Result<(usize, usize, usize), String> {
    let bad = || format!("not a hunk header: {line:?}");
    let mut ranges = line.split_whitespace().skip(1).take(2);
    let mut range = |sign: char| -> Result<(usize, usize), String> {
        let r = ranges
            .next()
            .and_then(|r| r.strip_prefix(sign))
            .ok_or_else(bad)?;
        let (start, len) = r.split_once(',').unwrap_or((r, "1"));
        Ok((
            start.parse().map_err(|_| bad())?,
            len.parse().map_err(|_| bad())?,
        ))
    };
    let (start, old_len) = range('-')?;
    let (_, new_len) = range('+')?;
    Ok((start, old_len, new_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "a\nb\nc\nd\ne\n";

    #[test]
    fn applies_changes_insertions_and_removals() {
        let patch = "--- solution.rs\n+++ wrong.rs\n@@ -0,0 +1 @@\n+//! header\n\
                     @@ -2,3 +3,2 @@\n b\n-c\n-d\n+D\n@@ -5 +5,2 @@\n e\n+f\n";
        assert_eq!(apply(BASE, patch).unwrap(), "//! header\na\nb\nD\ne\nf\n");
    }

    #[test]
    fn refuses_a_patch_whose_context_changed() {
        let patch = "@@ -2,2 +2,2 @@\n b\n-x\n+y\n";
        let err = apply(BASE, patch).unwrap_err();
        assert!(err.contains("line 3: expected \"x\", found \"c\""), "{err}");
    }

    #[test]
    fn refuses_a_cut_hunk_and_a_bad_header() {
        assert!(
            apply(BASE, "@@ -2,3 +2,3 @@\n b\n")
                .unwrap_err()
                .contains("cut short")
        );
        assert!(
            apply(BASE, "@@ -x +1 @@\n")
                .unwrap_err()
                .contains("not a hunk header")
        );
        assert!(apply(BASE, "@@ -9,1 +9,1 @@\n-z\n+y\n").is_err());
    }

    #[test]
    fn agrees_with_diff_u_on_a_real_wrong_answer() {
        // The patch format the wrong answers use, end to end: `diff -u` of
        // two texts, applied back, gives the second text.
        let new = "//! mistake\na\nb\nC\nd\ne\nextra\n";
        let dir = std::env::temp_dir().join(format!("xtask-patch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("old"), BASE).unwrap();
        std::fs::write(dir.join("new"), new).unwrap();
        let diff = std::process::Command::new("diff")
            .args(["-u", "old", "new"])
            .current_dir(&dir)
            .output()
            .expect("run diff");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            apply(BASE, &String::from_utf8_lossy(&diff.stdout)).unwrap(),
            new
        );
    }
}
