//! Just enough of a gettext PO reader to find the Chinese edition's title of
//! a chapter or section (`po/zh-CN.po`), so a Chinese hint can point at the
//! Chinese page. Entries: `msgid "..."` / `msgstr "..."`, each possibly
//! continued on following `"..."` lines, with C escapes.

use std::collections::HashMap;
use std::path::Path;

/// English text -> its translation (empty translations left out).
#[derive(Debug, Default)]
pub struct Catalog {
    messages: HashMap<String, String>,
}

impl Catalog {
    /// The catalogue at `path`; an empty one when the file is missing or
    /// unreadable (the English text is then shown instead).
    pub fn load(path: &Path) -> Catalog {
        std::fs::read_to_string(path)
            .map(|text| Catalog::parse(&text))
            .unwrap_or_default()
    }

    pub fn parse(text: &str) -> Catalog {
        let mut messages = HashMap::new();
        let (mut id, mut current): (Option<String>, Option<(bool, String)>) = (None, None);
        let mut finish = |id: &mut Option<String>, current: &mut Option<(bool, String)>| {
            if let Some((true, s)) = current.take()
                && let Some(k) = id.take()
                && !k.is_empty()
                && !s.is_empty()
            {
                messages.insert(k, s);
            }
        };
        for line in text.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("msgid ") {
                finish(&mut id, &mut current);
                current = Some((false, unquote(rest)));
            } else if let Some(rest) = line.strip_prefix("msgstr ") {
                if let Some((false, s)) = current.take() {
                    id = Some(s);
                }
                current = Some((true, unquote(rest)));
            } else if line.starts_with('"') {
                if let Some((_, s)) = current.as_mut() {
                    s.push_str(&unquote(line));
                }
            } else {
                finish(&mut id, &mut current);
                current = None;
            }
        }
        finish(&mut id, &mut current);
        Catalog { messages }
    }

    /// The translation of the message whose plain text (`plain(msgid)`) is
    /// `text`, as plain text; `text` itself when there is none.
    pub fn translate_plain(&self, text: &str, plain: fn(&str) -> String) -> String {
        self.messages
            .iter()
            .find(|(id, _)| plain(id) == text)
            .map(|(_, s)| plain(s))
            .unwrap_or_else(|| text.to_string())
    }
}

/// `"a\"b\n"` -> `a"b` + newline.
fn unquote(quoted: &str) -> String {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(quoted);
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> String {
        s.replace('`', "")
    }

    #[test]
    fn reads_continued_and_escaped_messages() {
        let po = Catalog::parse(
            "msgid \"\"\nmsgstr \"\"\n\"Language: zh_CN\\n\"\n\n\
             #: src/a.md\nmsgid \"Fix 3: \"\n\"cap the `clients`\"\nmsgstr \"修复 3：限制\\\"客户端\\\"\"\n\n\
             msgid \"untranslated\"\nmsgstr \"\"\n",
        );
        assert_eq!(
            po.translate_plain("Fix 3: cap the clients", plain),
            "修复 3：限制\"客户端\""
        );
        assert_eq!(po.translate_plain("untranslated", plain), "untranslated");
        assert_eq!(po.translate_plain("missing", plain), "missing");
        assert_eq!(
            po.messages.len(),
            1,
            "the header and empty ones are left out"
        );
    }
}
