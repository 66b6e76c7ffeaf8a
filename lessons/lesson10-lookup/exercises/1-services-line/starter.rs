//! Exercise 10-1: parse a line of /etc/services.
//!
//! `/etc/services` maps service names to ports, one entry per line:
//!
//! ```text
//! http            80/tcp          www             # WorldWideWeb HTTP
//! ```
//!
//! name, then `port/protocol`, then any number of aliases; `#` starts a
//! comment; fields are separated by spaces or tabs (any number of them).
//! Blank lines, comment lines and lines that do not fit (no `/`, a port that
//! is not a number from 0 to 65535, an empty protocol) are not entries.
//!
//! Write `parse_service_line`.
//!
//! Check your work: `make exercise EX=10-1`.

/// One entry of /etc/services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Official name, e.g. `http`.
    pub name: String,
    /// Port number, e.g. 80.
    pub port: u16,
    /// Transport protocol, e.g. `tcp`.
    pub proto: String,
    /// Other names, e.g. `www`.
    pub aliases: Vec<String>,
}

/// Parses one line; `None` when the line is not an entry.
pub fn parse_service_line(line: &str) -> Option<Service> {
    // TODO: cut the line at the first `#`.
    // TODO: split what is left on spaces and tabs, skipping empty fields.
    // TODO: the first field is the name; the second is `port/proto`
    //       (split_once('/'), then parse the port as a u16).
    // TODO: every further field is an alias.
    todo!("parse {line:?}")
}
