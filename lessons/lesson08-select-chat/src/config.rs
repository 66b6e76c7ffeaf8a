//! The server's settings, and what it reports when it stops.

use std::time::Duration;

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// A client that sends nothing for this long is disconnected.
    pub idle_timeout: Duration,
    /// The most unsent output a client may have queued (1 MiB by default).
    pub max_output: usize,
    /// How long a leaving client gets to read its last lines and close its
    /// side before the server closes the socket anyway.
    pub linger: Duration,
    /// No log line per join, leave and message.
    pub quiet: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            idle_timeout: Duration::from_secs(300),
            max_output: crate::outbuf::DEFAULT_CAP,
            linger: Duration::from_secs(2),
            quiet: false,
        }
    }
}

/// What the server did before it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Connections accepted.
    pub clients: u64,
    /// The most connections open at once.
    pub peak: usize,
    /// Chat lines relayed (public and private).
    pub messages: u64,
    /// Clients disconnected for not reading their output.
    pub slow_dropped: u64,
}
