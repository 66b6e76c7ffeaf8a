//! The services and protocols databases: `/etc/services`, `/etc/protocols`.
//!
//! `getservbyname("http", "tcp")` and friends are C library calls that, on
//! a normal Linux machine, read these two text files (the `files` source of
//! `/etc/nsswitch.conf`). Calling them from Rust would need `unsafe` (they
//! return pointers into static storage and are not thread-safe), so this
//! lesson reads the files itself, with the same rules as glibc's `files`
//! source:
//!
//! - `#` starts a comment, to the end of the line;
//! - fields are separated by spaces or tabs;
//! - services: `name port/protocol alias...`; protocols: `name number alias...`;
//! - a line that does not fit is skipped, not an error;
//! - a look-up returns the *first* matching line; names and aliases match
//!   exactly (case matters), and with no protocol given any protocol matches.
//!
//! Admitted shortcut: only the `files` source is read. A machine whose
//! `nsswitch.conf` lists another source first (`db`, `nis`, `sss`) with
//! different contents would answer differently from `getent`; the chapter
//! shows how to check which sources are configured.

use std::fmt;
use std::path::Path;

use anyhow::{Context, Result};

/// Where glibc reads services from.
pub const SERVICES_FILE: &str = "/etc/services";
/// Where glibc reads protocols from.
pub const PROTOCOLS_FILE: &str = "/etc/protocols";

/// One line of `/etc/services`: a name for a port of a transport protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The official name (`http`).
    pub name: String,
    /// The port (`80`).
    pub port: u16,
    /// The transport protocol (`tcp`, `udp`, `sctp`, `ddp`).
    pub proto: String,
    /// Other names for the same entry (`www`).
    pub aliases: Vec<String>,
}

/// One line of `/etc/protocols`: a name for an IP protocol number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protocol {
    /// The official name (`tcp`).
    pub name: String,
    /// The number in the IP header's protocol field (`6`).
    pub number: u32,
    /// Other names (`TCP`).
    pub aliases: Vec<String>,
}

/// The fields of a line with its comment removed.
fn fields(line: &str) -> impl Iterator<Item = &str> {
    let data = line.split('#').next().unwrap_or_default();
    data.split([' ', '\t']).filter(|f| !f.is_empty())
}

// ANCHOR: parse_service_line
/// Parses one line of `/etc/services`; `None` for comments, blank lines and
/// lines that do not fit the format.
pub fn parse_service_line(line: &str) -> Option<Service> {
    let mut fields = fields(line);
    let name = fields.next()?;
    let (port, proto) = fields.next()?.split_once('/')?;
    let port = port.parse().ok()?;
    if proto.is_empty() {
        return None;
    }
    Some(Service {
        name: name.to_string(),
        port,
        proto: proto.to_string(),
        aliases: fields.map(str::to_string).collect(),
    })
}
// ANCHOR_END: parse_service_line

/// Parses one line of `/etc/protocols`; `None` when it is not an entry.
pub fn parse_protocol_line(line: &str) -> Option<Protocol> {
    let mut fields = fields(line);
    let name = fields.next()?;
    let number = fields.next()?.parse().ok()?;
    Some(Protocol {
        name: name.to_string(),
        number,
        aliases: fields.map(str::to_string).collect(),
    })
}

/// Reads a database file, naming it and the package that provides it
/// when it cannot be read.
fn read_db(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| {
        format!(
            "the {what} database {} cannot be read (on Debian and Ubuntu it comes \
             from the netbase package: apt-get install netbase)",
            path.display()
        )
    })
}

/// The services database, in file order.
#[derive(Debug, Clone, Default)]
pub struct Services(pub Vec<Service>);

impl Services {
    /// Reads and parses a services file (normally [`SERVICES_FILE`]).
    pub fn load(path: &Path) -> Result<Services> {
        Ok(Services::parse(&read_db(path, "services")?))
    }

    /// Parses the text of a services file.
    pub fn parse(text: &str) -> Services {
        Services(text.lines().filter_map(parse_service_line).collect())
    }

    // ANCHOR: by_name
    /// `getservbyname(name, proto)`: the first entry whose name or alias is
    /// `name`, for `proto` if given.
    pub fn by_name(&self, name: &str, proto: Option<&str>) -> Option<&Service> {
        self.0.iter().find(|s| {
            (s.name == name || s.aliases.iter().any(|a| a == name))
                && proto.is_none_or(|p| s.proto == p)
        })
    }
    // ANCHOR_END: by_name

    /// `getservbyport(port, proto)`: the first entry for `port`, for `proto` if given.
    pub fn by_port(&self, port: u16, proto: Option<&str>) -> Option<&Service> {
        self.0
            .iter()
            .find(|s| s.port == port && proto.is_none_or(|p| s.proto == p))
    }
}

/// The protocols database, in file order.
#[derive(Debug, Clone, Default)]
pub struct Protocols(pub Vec<Protocol>);

impl Protocols {
    /// Reads and parses a protocols file (normally [`PROTOCOLS_FILE`]).
    pub fn load(path: &Path) -> Result<Protocols> {
        Ok(Protocols::parse(&read_db(path, "protocols")?))
    }

    /// Parses the text of a protocols file.
    pub fn parse(text: &str) -> Protocols {
        Protocols(text.lines().filter_map(parse_protocol_line).collect())
    }

    /// `getprotobyname(name)`: the first entry whose name or alias is `name`.
    pub fn by_name(&self, name: &str) -> Option<&Protocol> {
        self.0
            .iter()
            .find(|p| p.name == name || p.aliases.iter().any(|a| a == name))
    }

    /// `getprotobynumber(number)`: the first entry with that number.
    pub fn by_number(&self, number: u32) -> Option<&Protocol> {
        self.0.iter().find(|p| p.number == number)
    }
}

/// Shows `aliases: a, b` or nothing.
fn aliases(list: &[String]) -> String {
    if list.is_empty() {
        String::new()
    } else {
        format!(", aliases: {}", list.join(" "))
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}{}",
            self.name,
            self.port,
            self.proto,
            aliases(&self.aliases)
        )
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}{}", self.name, self.number, aliases(&self.aliases))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICES: &str = "\
# comment line
tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer
http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP
domain 53/tcp
domain 53/udp
broken 99999/tcp
noproto 7/
justname
kerberos\t88/tcp\t\tkerberos5 krb5 kerberos-sec
kerberos\t88/udp\t\tkerberos5 krb5 kerberos-sec
";

    #[test]
    fn parses_lines_like_glibc() {
        let db = Services::parse(SERVICES);
        assert_eq!(db.0.len(), 6, "{db:?}");
        let http = db.by_name("www", None).unwrap();
        assert_eq!(
            (http.name.as_str(), http.port, http.proto.as_str()),
            ("http", 80, "tcp")
        );
        assert_eq!(http.to_string(), "http 80/tcp, aliases: www");
    }

    #[test]
    fn first_match_wins_and_proto_filters() {
        let db = Services::parse(SERVICES);
        assert_eq!(db.by_name("domain", None).unwrap().proto, "tcp");
        assert_eq!(db.by_name("domain", Some("udp")).unwrap().proto, "udp");
        assert_eq!(db.by_port(88, Some("udp")).unwrap().proto, "udp");
        assert!(db.by_name("krb5", Some("sctp")).is_none());
        assert!(db.by_name("HTTP", None).is_none(), "names match exactly");
        assert!(db.by_port(99, None).is_none());
    }

    #[test]
    fn protocols() {
        let db =
            Protocols::parse("ip\t0\tIP\t# internet protocol\ntcp 6 TCP\nudp\t17\tUDP\nbad x\n");
        assert_eq!(db.by_name("TCP").unwrap().number, 6);
        assert_eq!(db.by_number(17).unwrap().name, "udp");
        assert_eq!(db.by_number(6).unwrap().to_string(), "tcp 6, aliases: TCP");
        assert!(db.by_name("bad").is_none());
    }

    #[test]
    fn missing_file_names_the_file_and_the_package() {
        let err = Services::load(Path::new("/nonexistent/services")).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("/nonexistent/services"), "{text}");
        assert!(text.contains("netbase"), "{text}");
        assert!(text.contains("No such file"), "{text}");
    }
}
