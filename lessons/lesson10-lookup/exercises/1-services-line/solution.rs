//! Exercise 10-1: parse a line of /etc/services (solution).

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
    // Everything after `#` is a comment, even right after a field.
    let data = line.split('#').next()?;
    // Runs of spaces and tabs separate fields: skip the empty pieces.
    let mut fields = data.split([' ', '\t']).filter(|f| !f.is_empty());
    let name = fields.next()?;
    // `80/tcp`: `?` turns a missing slash or a bad number into "not an entry".
    let (port, proto) = fields.next()?.split_once('/')?;
    let port: u16 = port.parse().ok()?;
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
