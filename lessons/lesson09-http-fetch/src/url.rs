//! `http://` URLs: just enough of RFC 3986 to fetch and follow redirects.
//!
//! A URL names three things the program needs: which host and port to
//! connect to, and which path to ask for. Everything else (user names,
//! fragments, other schemes) is refused or dropped with a reason, because a
//! half-understood URL is how the original tutorial ended up sending a
//! `https://` address to port 80.

use std::fmt;
use std::net::Ipv6Addr;

/// The port a `http://` URL means when it names none.
pub const DEFAULT_PORT: u16 = 80;

/// A parsed `http://host[:port]/path?query` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// Host name or address, without the brackets of an IPv6 literal
    /// (`::1`, not `[::1]`), ready for `connect`.
    pub host: String,
    /// Port to connect to: the URL's, or 80.
    pub port: u16,
    /// What goes into the request line: the path and the query, always
    /// starting with `/`. The fragment (`#...`) is never sent: it is for the
    /// browser, not the server.
    pub target: String,
}

/// Why a URL cannot be fetched. Typed, so tests and callers can match on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// `https://`: encryption needs TLS, which this lesson does not do.
    Https,
    /// A scheme other than `http` or `https`.
    UnsupportedScheme(String),
    /// No `scheme://` at the start.
    NoScheme,
    /// `http://` followed by no host.
    NoHost,
    /// `user:password@` in the URL; sending credentials is out of scope.
    Credentials,
    /// A port that is not a number from 1 to 65535.
    BadPort(String),
    /// A `[...]` that is not an IPv6 address (zone ids like `%eth0` included).
    BadIpv6(String),
    /// Whitespace or control characters, which would break the request line
    /// (a `\r\n` in a URL could smuggle extra headers into the request).
    ForbiddenCharacter(char),
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Https => write!(
                f,
                "https:// needs TLS (encryption), which is not part of this lesson; \
                 use an http:// URL, or curl for https"
            ),
            UrlError::UnsupportedScheme(s) => {
                write!(
                    f,
                    "unsupported scheme {s:?}: only http:// URLs can be fetched"
                )
            }
            UrlError::NoScheme => write!(f, "not a URL: expected http://host[:port]/path"),
            UrlError::NoHost => write!(f, "no host in URL"),
            UrlError::Credentials => {
                write!(f, "user names and passwords in URLs are not supported")
            }
            UrlError::BadPort(p) => write!(f, "bad port {p:?}: expected a number from 1 to 65535"),
            UrlError::BadIpv6(h) => write!(f, "bad IPv6 address [{h}]"),
            UrlError::ForbiddenCharacter(c) => {
                write!(
                    f,
                    "URL contains {:?}, which cannot go into a request line",
                    c
                )
            }
        }
    }
}

impl std::error::Error for UrlError {}

impl Url {
    // ANCHOR: parse
    /// Parses an absolute `http://` URL.
    pub fn parse(input: &str) -> Result<Url, UrlError> {
        let input = input.trim();
        if let Some(c) = input.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(UrlError::ForbiddenCharacter(c));
        }
        let (scheme, rest) = input.split_once("://").ok_or(UrlError::NoScheme)?;
        if scheme.eq_ignore_ascii_case("https") {
            return Err(UrlError::Https);
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(UrlError::UnsupportedScheme(scheme.to_string()));
        }
        // The authority (host and port) ends where the path, query or fragment begins.
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(end);
        if authority.contains('@') {
            return Err(UrlError::Credentials);
        }
        let (host, port) = split_host_port(authority)?;
        Ok(Url {
            host,
            port,
            target: normalise_target(target),
        })
    }
    // ANCHOR_END: parse

    // ANCHOR: join
    /// Resolves a redirect's `Location` against this URL: absolute
    /// (`http://other/x`), scheme-relative (`//other/x`), absolute path
    /// (`/x`), query only (`?q`) or relative path (`x`, `../x`).
    pub fn join(&self, location: &str) -> Result<Url, UrlError> {
        let location = location.trim();
        if let Some(c) = location
            .chars()
            .find(|c| c.is_whitespace() || c.is_control())
        {
            return Err(UrlError::ForbiddenCharacter(c));
        }
        if has_scheme(location) {
            return Url::parse(location);
        }
        if location.starts_with("//") {
            return Url::parse(&format!("http:{location}"));
        }
        let location = location.split('#').next().unwrap_or_default();
        let base_path = self.target.split('?').next().unwrap_or("/");
        let target = if location.is_empty() {
            self.target.clone()
        } else if location.starts_with('/') {
            remove_dot_segments(location)
        } else if location.starts_with('?') {
            format!("{base_path}{location}")
        } else {
            // Relative path: replace the last segment of the base path.
            let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
            remove_dot_segments(&format!("{dir}{location}"))
        };
        Ok(Url {
            host: self.host.clone(),
            port: self.port,
            target: normalise_target(&target),
        })
    }
    // ANCHOR_END: join

    /// The value of the `Host` header: the host as written in the URL, with
    /// brackets around an IPv6 literal, and the port unless it is 80. A
    /// server hosting several sites picks one by this header.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == DEFAULT_PORT {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.host_header(), self.target)
    }
}

/// Splits `host[:port]` or `[v6]:port`.
fn split_host_port(authority: &str) -> Result<(String, u16), UrlError> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest
            .split_once(']')
            .ok_or_else(|| UrlError::BadIpv6(rest.to_string()))?;
        if v6.parse::<Ipv6Addr>().is_err() {
            return Err(UrlError::BadIpv6(v6.to_string()));
        }
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| UrlError::BadPort(after.to_string()))?,
            ),
        };
        (v6, port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    let port = match port {
        None | Some("") => DEFAULT_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(UrlError::BadPort(p.to_string())),
        },
    };
    Ok((host.to_string(), port))
}

/// Drops the fragment, makes sure the target starts with `/`, and
/// percent-encodes bytes that may not appear raw in a request line.
fn normalise_target(target: &str) -> String {
    let target = target.split('#').next().unwrap_or_default();
    let mut out = String::with_capacity(target.len() + 1);
    if !target.starts_with('/') {
        out.push('/');
    }
    for b in target.bytes() {
        if b.is_ascii_graphic() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether `s` starts with `scheme:` (a letter, then letters, digits, `+-.`).
fn has_scheme(s: &str) -> bool {
    match s.split_once(':') {
        Some((scheme, _)) => {
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Applies `.` and `..` segments (RFC 3986 section 5.2.4), keeping the query.
fn remove_dot_segments(target: &str) -> String {
    let (path, query) = match target.find('?') {
        Some(i) => target.split_at(i),
        None => (target, ""),
    };
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
        // `/a/.` and `/a/b/..` name a directory: keep the trailing slash.
        if last && matches!(*segment, "." | "..") {
            out.push("");
        }
    }
    format!("/{}{query}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn parses_host_port_and_target() {
        let u = url("http://example.com:8080/a/b?x=1#frag");
        assert_eq!(
            (u.host.as_str(), u.port, u.target.as_str()),
            ("example.com", 8080, "/a/b?x=1")
        );
        assert_eq!(url("http://h").target, "/");
        assert_eq!(url("http://h?q").target, "/?q");
        assert_eq!(url("HTTP://h:/x").port, 80);
        assert_eq!(
            Url::parse("http://h/a b"),
            Err(UrlError::ForbiddenCharacter(' '))
        );
        assert_eq!(url("http://h/é").target, "/%C3%A9");
    }

    #[test]
    fn ipv6_literals_keep_their_brackets_only_in_the_host_header() {
        let u = url("http://[::1]:8080/x");
        assert_eq!(u.host, "::1");
        assert_eq!(u.host_header(), "[::1]:8080");
        assert_eq!(url("http://[::1]/").host_header(), "[::1]");
        assert_eq!(u.to_string(), "http://[::1]:8080/x");
        assert!(matches!(
            Url::parse("http://[::1/"),
            Err(UrlError::BadIpv6(_))
        ));
        assert!(matches!(
            Url::parse("http://[zz]/"),
            Err(UrlError::BadIpv6(_))
        ));
        assert!(matches!(
            Url::parse("http://[::1]x/"),
            Err(UrlError::BadPort(_))
        ));
    }

    #[test]
    fn refuses_what_it_cannot_do() {
        assert_eq!(Url::parse("https://example.com/"), Err(UrlError::Https));
        assert!(UrlError::Https.to_string().contains("TLS"));
        assert!(matches!(
            Url::parse("ftp://h/"),
            Err(UrlError::UnsupportedScheme(_))
        ));
        assert_eq!(Url::parse("example.com"), Err(UrlError::NoScheme));
        assert_eq!(Url::parse("http:///x"), Err(UrlError::NoHost));
        assert_eq!(Url::parse("http://u:p@h/"), Err(UrlError::Credentials));
        assert!(matches!(
            Url::parse("http://h:0/"),
            Err(UrlError::BadPort(_))
        ));
        assert!(matches!(
            Url::parse("http://h:99999/"),
            Err(UrlError::BadPort(_))
        ));
        assert!(matches!(
            Url::parse("http://h:+80/"),
            Err(UrlError::BadPort(_))
        ));
        assert_eq!(
            Url::parse("http://h/a\r\nX: y"),
            Err(UrlError::ForbiddenCharacter('\r'))
        );
    }

    #[test]
    fn joins_redirect_locations() {
        let base = url("http://h:81/a/b/c?q=1");
        let joined = |l: &str| base.join(l).unwrap().to_string();
        assert_eq!(joined("d"), "http://h:81/a/b/d");
        assert_eq!(joined("../d"), "http://h:81/a/d");
        assert_eq!(joined("../../../../d"), "http://h:81/d");
        assert_eq!(joined("./"), "http://h:81/a/b/");
        assert_eq!(joined(".."), "http://h:81/a/");
        assert_eq!(joined("/x/./y"), "http://h:81/x/y");
        assert_eq!(joined("?z"), "http://h:81/a/b/c?z");
        assert_eq!(joined(""), "http://h:81/a/b/c?q=1");
        assert_eq!(joined("d#frag"), "http://h:81/a/b/d");
        assert_eq!(joined("//other/p"), "http://other/p");
        assert_eq!(joined("http://[::1]:9/z"), "http://[::1]:9/z");
        assert_eq!(base.join("https://h/"), Err(UrlError::Https));
    }
}
