//! The chat's line protocol, with no sockets in sight: what a line means and
//! which names are allowed. The chat core in [`crate::chat`] decides what
//! to do; this module only reads.

/// The longest line a client may send, in bytes (without the `\n`).
pub const MAX_LINE: usize = 4096;
/// The longest name, in characters.
pub const MAX_NAME: usize = 32;
/// The prefix of the first line every client sends.
pub const NAME_PREFIX: &[u8] = b"NAME:";
/// Names nobody may take: `Server` would let a user impersonate the console
/// (`Server: ...` lines).
pub const RESERVED_NAMES: [&str; 1] = ["Server"];
/// The original chat's private-message command (its spelling), kept as an
/// alias of `/msg`.
pub const SECRECT: &str = "SECRECT";

// ANCHOR: request
/// What a line from a client that has joined asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    /// Plain text, relayed to everyone else as `<name>: <text>`.
    Say(&'a str),
    /// `/msg <to> <text>`: a private message.
    Msg {
        /// The recipient's name.
        to: &'a str,
        /// What to tell them.
        text: &'a str,
    },
    /// `/who`: the list of names online.
    Who,
    /// `/quit`: leave the room.
    Quit,
    /// A line that says nothing (empty or only spaces): ignored.
    Nothing,
    /// A command we do not know, or one used wrongly; the text is the
    /// `error: ...` line to send back.
    Invalid(String),
}

/// Reads one line (already stripped of control characters) as a request.
///
/// Anything that does not start with `/` (or the word `SECRECT`) is text. Unknown `/commands` are an
/// error rather than text, so a typo such as `/mgs bob secret` is not shouted
/// to the whole room.
pub fn parse(line: &str) -> Request<'_> {
    if line.trim().is_empty() {
        return Request::Nothing;
    }
    let (command, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    if !line.starts_with('/') && command != SECRECT {
        return Request::Say(line);
    }
    let rest = rest.trim_start();
    match command {
        "/who" if rest.trim().is_empty() => Request::Who,
        "/quit" if rest.trim().is_empty() => Request::Quit,
        // The original's spelling of a private message: never text, or a
        // secret would be shouted to the room.
        "/msg" | SECRECT => match rest.split_once(char::is_whitespace) {
            Some((to, text)) if !text.trim().is_empty() => Request::Msg {
                to,
                text: text.trim_start(),
            },
            _ => Request::Invalid(format!("error: usage: {command} <name> <text>")),
        },
        "/who" | "/quit" => Request::Invalid(format!("error: usage: {command}")),
        _ => Request::Invalid(format!(
            "error: unknown command {command} (try /msg <name> <text>, /who, /quit)"
        )),
    }
}
// ANCHOR_END: request

// ANCHOR: names
/// Checks a name a client asked for; `Err` holds the reason for the
/// `error: ...` line.
pub fn check_name(name: &str) -> Result<(), String> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME {
        return Err(format!("a name has 1 to {MAX_NAME} characters"));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a name cannot contain spaces or control characters".into());
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(format!("the name {name} is reserved"));
    }
    Ok(())
}

/// What the first line of a new client says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hello<'a> {
    /// `NAME:<name>` with a name to check.
    Name(&'a str),
    /// `NAME:` alone: use the peer address as the name.
    Anonymous,
    /// Not a `NAME:` line, or a name that is not UTF-8: the reason.
    Refused(&'static str),
}

/// Reads the line a client must send before anything else.
pub fn parse_hello(line: &[u8]) -> Hello<'_> {
    let Some(rest) = line.strip_prefix(NAME_PREFIX) else {
        return Hello::Refused("say who you are first: NAME:<name>");
    };
    match std::str::from_utf8(rest) {
        Ok("") => Hello::Anonymous,
        Ok(name) => Hello::Name(name),
        Err(_) => Hello::Refused("a name must be valid UTF-8"),
    }
}
// ANCHOR_END: names

/// The `/who` answer: `online: ann, bob` (sorted, comma and space between
/// names, so the line reads the same whatever order people joined in).
pub fn who_line<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut names: Vec<&str> = names.collect();
    names.sort_unstable();
    format!("online: {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_text() {
        assert_eq!(parse("hello all"), Request::Say("hello all"));
        assert_eq!(parse("  "), Request::Nothing);
        assert_eq!(parse("/who"), Request::Who);
        assert_eq!(parse("/quit"), Request::Quit);
        assert_eq!(
            parse("/msg bob  see  you"),
            Request::Msg {
                to: "bob",
                text: "see  you"
            }
        );
        assert!(matches!(parse("/msg bob"), Request::Invalid(e) if e.contains("usage")));
        assert!(matches!(parse("/msg bob   "), Request::Invalid(_)));
        assert!(matches!(parse("/who is there"), Request::Invalid(_)));
        assert!(
            matches!(parse("/mgs x"), Request::Invalid(e) if e.contains("unknown command /mgs"))
        );
        assert_eq!(parse("a /who"), Request::Say("a /who"));
        assert_eq!(
            parse("SECRECT bob hi"),
            Request::Msg {
                to: "bob",
                text: "hi"
            }
        );
        assert!(matches!(parse("SECRECT"), Request::Invalid(e) if e.contains("usage: SECRECT")));
        assert_eq!(parse("SECRECTS x"), Request::Say("SECRECTS x"));
    }

    #[test]
    fn name_rules() {
        assert!(check_name("ann").is_ok());
        assert!(check_name("čaj_ü").is_ok());
        assert!(check_name(&"x".repeat(32)).is_ok());
        assert!(check_name(&"é".repeat(32)).is_ok(), "characters, not bytes");
        assert!(check_name(&"x".repeat(33)).is_err());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("a\tb").is_err());
        assert!(check_name("a\u{1b}b").is_err());
        assert!(check_name("Server").is_err());
    }

    #[test]
    fn hello_lines() {
        assert_eq!(parse_hello(b"NAME:ann"), Hello::Name("ann"));
        assert_eq!(parse_hello(b"NAME:"), Hello::Anonymous);
        assert!(matches!(parse_hello(b"hi"), Hello::Refused(_)));
        assert!(matches!(parse_hello(b"name:ann"), Hello::Refused(_)));
        assert!(matches!(parse_hello(b"NAME:\xff"), Hello::Refused(r) if r.contains("UTF-8")));
    }

    #[test]
    fn who_is_sorted_and_comma_separated() {
        assert_eq!(
            who_line(["cy", "ann", "bob"].into_iter()),
            "online: ann, bob, cy"
        );
        assert_eq!(who_line(["ann"].into_iter()), "online: ann");
    }
}
