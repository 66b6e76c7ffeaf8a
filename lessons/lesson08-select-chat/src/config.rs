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

/// The one-line summary the server prints when it stops (lesson 13 prints
/// the same line), counts agreeing in number: "served 1 client".
impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use common::text::count;
        write!(
            f,
            "shut down: served {} (at most {} at once), relayed {}, dropped {}",
            count(self.clients, "client"),
            self.peak,
            count(self.messages, "message"),
            count(self.slow_dropped, "slow reader"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Summary;

    /// One of each reads "1 client", not "1 clients"; zero is plural.
    #[test]
    fn the_summary_line_agrees_in_number() {
        let one = Summary {
            clients: 1,
            peak: 1,
            messages: 1,
            slow_dropped: 1,
        };
        assert_eq!(
            one.to_string(),
            "shut down: served 1 client (at most 1 at once), relayed 1 message, dropped 1 slow reader"
        );
        assert_eq!(
            Summary::default().to_string(),
            "shut down: served 0 clients (at most 0 at once), relayed 0 messages, dropped 0 slow readers"
        );
    }
}
