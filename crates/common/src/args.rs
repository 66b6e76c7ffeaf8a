//! Command-line pieces several lessons share.

use std::time::Duration;

/// The `--host` flag every server shares. The port is declared by each lesson,
/// because each has its own default (8081, 8001, 9999, ...).
#[derive(Debug, Clone, clap::Args)]
pub struct HostArg {
    /// Address to bind. Anything other than a loopback address makes the
    /// server reachable from other machines, so it is only done on request.
    #[arg(long = "host", value_name = "HOST", default_value = "127.0.0.1")]
    pub address: String,
}

/// Parses a number of seconds (`5`, `0.5`) into a `Duration`, for
/// `--timeout` and `--idle-timeout` flags: `#[arg(value_parser = common::args::parse_secs)]`.
///
/// Zero is refused: for a socket timeout it would mean "block forever" to
/// some APIs and "fail at once" to others, a trap better avoided.
pub fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 1e9) {
        return Err(format!("{s} must be more than 0 seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_secs_accepts_fractions_and_refuses_zero() {
        assert_eq!(parse_secs("0.25").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_secs("30").unwrap(), Duration::from_secs(30));
        assert!(parse_secs("0").is_err());
        assert!(parse_secs("-1").is_err());
        assert!(parse_secs("soon").is_err());
        assert!(parse_secs("NaN").is_err());
    }
}
