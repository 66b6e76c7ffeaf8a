//! Showing bytes that came from a peer without trusting them.
//!
//! A peer can send anything: invalid UTF-8, or control characters such as
//! `ESC [2J` that would clear the terminal of whoever reads the server log.
//! Lessons echo bytes back unchanged, but everything they *print* goes
//! through here.

use std::borrow::Cow;
use std::time::Duration;

/// Decodes UTF-8, replacing invalid sequences with U+FFFD (never fails).
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Lossy UTF-8 with control characters escaped (`\u{1b}`), for logs.
///
/// Tabs are kept; everything else in the Unicode `Cc` category is escaped so
/// a hostile line cannot move the cursor or recolour the terminal.
pub fn printable(bytes: &[u8]) -> String {
    let text = lossy(bytes);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Lossy UTF-8 with control characters removed, for text relayed to other
/// users (lesson 08's chat), where an escape would be noise.
pub fn strip_controls(bytes: &[u8]) -> String {
    lossy(bytes).chars().filter(|c| !c.is_control()).collect()
}

/// A duration as seconds for messages: `5s`, `0.25s`.
pub fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

/// `n` and a noun that agrees with it: `1 client`, `0 clients`, `2 lines`.
/// (Only regular plurals: every noun the lessons count takes an `s`.)
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossy_replaces_invalid_utf8() {
        assert_eq!(lossy(b"ok \xff\xfe end"), "ok \u{fffd}\u{fffd} end");
    }

    #[test]
    fn printable_escapes_terminal_controls() {
        assert_eq!(printable(b"a\x1b[2Jb\tc\x07"), "a\\u{1b}[2Jb\tc\\u{7}");
    }

    #[test]
    fn strip_controls_removes_escapes_and_keeps_text() {
        assert_eq!(strip_controls("héllo\x1b[31m\r".as_bytes()), "héllo[31m");
    }

    #[test]
    fn secs_formats_fractions() {
        assert_eq!(secs(Duration::from_millis(250)), "0.25s");
        assert_eq!(secs(Duration::from_secs(5)), "5s");
    }

    #[test]
    fn counts_agree_in_number() {
        assert_eq!(count(0u64, "client"), "0 clients");
        assert_eq!(count(1u64, "client"), "1 client");
        assert_eq!(count(2u32, "datagram"), "2 datagrams");
    }
}
