//! What an exercise is on disk: its directory, its `exercise.toml`, its
//! harness, and the chapter section its hint points to.
//!
//! The format is described in `EXERCISE-FORMAT` terms in the teacher's guide:
//! `lessons/lessonNN-slug/exercises/K-slug/` holds `starter.rs`,
//! `solution.rs`, `tests.rs`, `hint.md`, `exercise.toml` and optionally
//! `wrong/*.rs` or `wrong/*.patch`; `lessons/lessonNN-slug/tests/exK.rs` (written by
//! `cargo run -p xtask -- register`) makes it a test target of its own.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// What marks the learner's work in a starter. Spelled in two pieces so a
/// text search for unfinished code (the `todo` macro outside exercises) does not
/// take this checker for a stub.
pub const TODO_MARKER: &str = concat!("todo", "!(");

/// One exercise directory.
#[derive(Debug, Clone)]
pub struct Exercise {
    /// `03-1`: what `make exercise EX=...` takes.
    pub id: String,
    /// `lesson03-echo`: the package whose `exK` test target runs it.
    pub package: String,
    /// `1`: the `exK` target and module prefix of its tests.
    pub number: u32,
    pub dir: PathBuf,
    pub meta: Meta,
}

/// `exercise.toml`.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub title: String,
    pub minutes: u64,
    pub time_limit_secs: u64,
    pub stall_hint: String,
    pub chapter: String,
    pub section: String,
    pub capstone: bool,
    pub objective: String,
}

impl Exercise {
    /// The test target (`tests/exK.rs`) and the module its tests live in.
    pub fn target(&self) -> String {
        format!("ex{}", self.number)
    }

    /// Test names of this exercise start with this (`ex1::`).
    pub fn prefix(&self) -> String {
        format!("ex{}::", self.number)
    }

    pub fn lesson_dir(&self) -> PathBuf {
        self.dir
            .parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// `lessons/lesson05-threaded/tests/ex1.rs`.
    pub fn harness(&self) -> PathBuf {
        self.lesson_dir()
            .join("tests")
            .join(format!("{}.rs", self.target()))
    }

    pub fn slug_dir(&self) -> String {
        file_name(&self.dir)
    }

    /// The checked-in wrong answers, sorted. A `wrong/NAME.rs` is the
    /// wrong code itself; a `wrong/NAME.patch` (`diff -u solution.rs
    /// NAME.rs`) is a mistake of a few lines in a long program, applied to
    /// `solution.rs` here.
    pub fn wrong_answers(&self) -> Result<Vec<WrongAnswer>, String> {
        let mut paths: Vec<PathBuf> = fs::read_dir(self.dir.join("wrong"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "rs" || x == "patch"))
            .collect();
        paths.sort();
        let read = |p: &Path| fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
        let mut found = Vec::new();
        let mut solution = None;
        for path in paths {
            let mut code = read(&path)?;
            if path.extension().is_some_and(|x| x == "patch") {
                let solution = match &solution {
                    Some(text) => text,
                    None => solution.insert(read(&self.dir.join("solution.rs"))?),
                };
                code = crate::patch::apply(solution, &code).map_err(|e| {
                    format!("{}: does not apply to solution.rs: {e}", path.display())
                })?;
            }
            found.push(WrongAnswer { path, code });
        }
        Ok(found)
    }

    /// The time limit of one test.
    pub fn limit(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.meta.time_limit_secs.max(1))
    }
}

/// A checked-in wrong answer: the file it is kept in, and its code.
#[derive(Debug, Clone)]
pub struct WrongAnswer {
    pub path: PathBuf,
    pub code: String,
}

impl WrongAnswer {
    /// The mistake it makes: its code's first line, a `//!` comment.
    pub fn mistake(&self) -> &str {
        let first = self.code.lines().next().unwrap_or("");
        first.strip_prefix("//!").unwrap_or("").trim()
    }
}

/// Every exercise of every lesson, in lesson then exercise order.
pub fn discover(root: &Path) -> Result<Vec<Exercise>, String> {
    let mut found = Vec::new();
    for lesson in sorted_dirs(&root.join("lessons"))? {
        let package = file_name(&lesson);
        let Some(nn) = package.strip_prefix("lesson").and_then(|s| s.get(..2)) else {
            continue;
        };
        let dir = lesson.join("exercises");
        if !dir.is_dir() {
            continue;
        }
        for ex in sorted_dirs(&dir)? {
            let name = file_name(&ex);
            let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
            let number: u32 = digits
                .parse()
                .map_err(|_| format!("{}: exercise directories are named K-slug", ex.display()))?;
            let meta = read_meta(&ex.join("exercise.toml"))?;
            found.push(Exercise {
                id: format!("{nn}-{number}"),
                package: package.clone(),
                number,
                dir: ex,
                meta,
            });
        }
    }
    found.sort_by(|a, b| (&a.package, a.number).cmp(&(&b.package, b.number)));
    Ok(found)
}

pub fn find(root: &Path, id: &str) -> Result<Exercise, String> {
    let all = discover(root)?;
    let ids: Vec<String> = all.iter().map(|e| e.id.clone()).collect();
    all.into_iter().find(|e| e.id == id).ok_or_else(|| {
        format!(
            "no exercise {id:?}; there are: {} (make exercises lists them)",
            ids.join(" ")
        )
    })
}

/// Reads `exercise.toml`: `key = value` lines, values a "string", an integer
/// or a boolean. (A tiny subset of TOML, which is all the format uses; a
/// missing file gives defaults so `check-exercises` can name what is missing.)
fn read_meta(path: &Path) -> Result<Meta, String> {
    let Ok(text) = fs::read_to_string(path) else {
        return Ok(Meta {
            time_limit_secs: 10,
            ..Meta::default()
        });
    };
    let map = parse_flat_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = |k: &str| match map.get(k) {
        Some(Value::Text(s)) => s.clone(),
        _ => String::new(),
    };
    let int = |k: &str, default: u64| match map.get(k) {
        Some(Value::Int(n)) => *n,
        _ => default,
    };
    Ok(Meta {
        title: text("title"),
        minutes: int("minutes", 0),
        time_limit_secs: int("time_limit_secs", 10),
        stall_hint: text("stall_hint"),
        chapter: text("chapter"),
        section: text("section"),
        capstone: matches!(map.get("capstone"), Some(Value::Bool(true))),
        objective: text("objective"),
    })
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(u64),
    Bool(bool),
}

/// `key = value` per line; `#` starts a comment outside a string.
pub fn parse_flat_toml(text: &str) -> Result<BTreeMap<String, Value>, String> {
    let mut map = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, rest) = line
            .split_once('=')
            .ok_or_else(|| format!("line {}: expected key = value", n + 1))?;
        let rest = rest.trim();
        let value = if let Some(body) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = body.chars();
            loop {
                match chars.next() {
                    None => return Err(format!("line {}: unterminated string", n + 1)),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('n') => out.push('\n'),
                        Some(c) => out.push(c),
                        None => return Err(format!("line {}: bad escape", n + 1)),
                    },
                    Some(c) => out.push(c),
                }
            }
            Value::Text(out)
        } else {
            let word = rest.split('#').next().unwrap_or("").trim();
            match word {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::Int(
                    word.replace('_', "")
                        .parse()
                        .map_err(|_| format!("line {}: {word:?} is not a value", n + 1))?,
                ),
            }
        };
        map.insert(key.trim().to_string(), value);
    }
    Ok(map)
}

/// A heading of a chapter: its text and mdBook's anchor for it.
#[derive(Debug)]
pub struct Heading {
    pub text: String,
    pub anchor: String,
}

/// The `#`, `##` and `###` headings of a chapter, outside code blocks.
pub fn headings(markdown: &str) -> Vec<(usize, Heading)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let level = line.chars().take_while(|&c| c == '#').count();
        if !(1..=4).contains(&level) || !line[level..].starts_with(' ') {
            continue;
        }
        let text = plain(line[level..].trim());
        out.push((
            level,
            Heading {
                anchor: anchor(&text),
                text,
            },
        ));
    }
    out
}

/// Heading markdown as text: no backticks, emphasis or link targets.
pub fn plain(md: &str) -> String {
    let mut out = String::new();
    let mut rest = md;
    while let Some(i) = rest.find("](") {
        let Some(end) = rest[i..].find(')') else {
            break;
        };
        out.push_str(&rest[..i]);
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    out.chars()
        .filter(|c| !matches!(c, '`' | '*' | '['))
        .collect()
}

/// mdBook's `normalize_id`: lower-case letters, digits, `-` and `_`; spaces
/// become `-`; everything else is dropped.
pub fn anchor(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_lowercase().next().unwrap_or(c))
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// Where the hint sends the learner: chapter title, section, URL.
#[derive(Debug)]
pub struct Pointer {
    pub chapter_title: String,
    pub section: String,
    pub url: String,
}

/// Resolves `chapter` + `section` of `exercise.toml` against the book; an
/// error says which does not exist.
pub fn pointer(root: &Path, meta: &Meta) -> Result<Pointer, String> {
    if meta.chapter.is_empty() || meta.section.is_empty() {
        return Err("exercise.toml needs `chapter` and `section`".into());
    }
    let path = root.join("book/src").join(&meta.chapter);
    let text = fs::read_to_string(&path)
        .map_err(|_| format!("chapter {} does not exist under book/src", meta.chapter))?;
    let all = headings(&text);
    let chapter_title = all
        .iter()
        .find(|(level, _)| *level == 1)
        .map(|(_, h)| h.text.clone())
        .unwrap_or_else(|| meta.chapter.clone());
    let Some((_, section)) = all
        .iter()
        .find(|(level, h)| *level >= 2 && h.text == meta.section)
    else {
        let names: Vec<String> = all
            .iter()
            .filter(|(l, _)| *l >= 2)
            .map(|(_, h)| format!("{:?}", h.text))
            .collect();
        return Err(format!(
            "section {:?} does not exist in {} (its sections: {})",
            meta.section,
            meta.chapter,
            names.join(", ")
        ));
    };
    let page = meta.chapter.trim_end_matches(".md");
    Ok(Pointer {
        chapter_title,
        section: section.text.clone(),
        url: format!("http://localhost:3000/{page}.html#{}", section.anchor),
    })
}

/// True when the learner's locale is Chinese (`LC_ALL` or `LANG` starts
/// with `zh`): hints and the pointer into the book are then in Chinese.
pub fn chinese() -> bool {
    ["LC_ALL", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .any(|v| v.starts_with("zh"))
}

/// The hint a learner sees: `hint.zh-CN.md` when it exists and the locale is
/// Chinese, else `hint.md`; then where to read (in the Chinese edition, with
/// the chapter's and section's Chinese titles from `po/zh-CN.po`).
pub fn hint_text(root: &Path, ex: &Exercise) -> String {
    let chinese = chinese();
    let zh = ex.dir.join("hint.zh-CN.md");
    let file = if chinese && zh.is_file() {
        zh
    } else {
        ex.dir.join("hint.md")
    };
    let mut text = fs::read_to_string(file)
        .unwrap_or_default()
        .trim_end()
        .to_string();
    match pointer(root, &ex.meta) {
        Ok(p) if chinese => {
            let po = crate::po::Catalog::load(&root.join("po/zh-CN.po"));
            let chapter = po.translate_plain(&p.chapter_title, plain);
            let section = po.translate_plain(&p.section, plain);
            let page = ex.meta.chapter.trim_end_matches(".md");
            text.push_str(&format!(
                "\n\n阅读：《{chapter}》一章的“{section}”一节（make serve-book-zh：http://localhost:3001/{page}.html#{}）",
                anchor(&section)
            ));
        }
        Ok(p) => text.push_str(&format!(
            "\n\nRead: chapter «{}», section «{}» (make serve-book: {})",
            p.chapter_title, p.section, p.url
        )),
        Err(e) => text.push_str(&format!("\n\n({e})")),
    }
    text
}

/// Every exercise's section exists in its chapter, and no hint carries its
/// own link or path (the runner adds the pointer), and every hint exists in
/// English and Chinese. Run by `check-includes`.
pub fn check_pointers(root: &Path) -> Result<usize, Vec<String>> {
    let all = discover(root).map_err(|e| vec![e])?;
    let mut problems = Vec::new();
    for ex in &all {
        if let Err(e) = pointer(root, &ex.meta) {
            problems.push(format!("exercise {}: {e}", ex.id));
        }
        for name in ["hint.md", "hint.zh-CN.md"] {
            // Every hint has its Chinese version (shown when LANG starts with zh).
            if !ex.dir.join(name).is_file() {
                problems.push(format!("exercise {}: {name} is missing", ex.id));
            }
            let text = fs::read_to_string(ex.dir.join(name)).unwrap_or_default();
            if text.contains("](") || text.contains("book/src") || text.contains(".md") {
                problems.push(format!(
                    "exercise {}: {name} has a link or path; exercise.toml's chapter and section are the pointer",
                    ex.id
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(all.len())
    } else {
        Err(problems)
    }
}

pub fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}

pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_follow_mdbook() {
        assert_eq!(anchor("Capping the clients"), "capping-the-clients");
        assert_eq!(
            anchor(&plain("`write` versus `write_all`")),
            "write-versus-write_all"
        );
        assert_eq!(anchor("Who answers: /etc/hosts"), "who-answers-etchosts");
    }

    #[test]
    fn flat_toml_reads_strings_ints_and_bools() {
        let m =
            parse_flat_toml("title = \"a \\\"b\\\" # c\" # note\nminutes = 30\ncapstone = false\n")
                .unwrap();
        assert_eq!(m["title"], Value::Text("a \"b\" # c".into()));
        assert_eq!(m["minutes"], Value::Int(30));
        assert_eq!(m["capstone"], Value::Bool(false));
        assert!(parse_flat_toml("x = \"open").is_err());
    }
}
