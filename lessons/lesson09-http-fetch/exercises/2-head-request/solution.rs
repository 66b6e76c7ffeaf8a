//! Exercise 09-2: HEAD requests (solution).

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context, Result};
use lesson09_http_fetch::{Head, Url, response};

/// The bytes of a HEAD request for `url`: the request line, `Host`
/// (`url.host_header()`), `Connection: close`, and the empty line.
pub fn head_request(url: &Url) -> Vec<u8> {
    // Same shape as a GET; only the method differs. Every line ends in CRLF
    // and an empty line ends the head.
    format!(
        "HEAD {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        url.target,
        url.host_header()
    )
    .into_bytes()
}

/// Sends a HEAD request for `url` and returns the response head.
pub fn fetch_head(url: &Url, timeout: Duration) -> Result<Head> {
    let stream: TcpStream = common::addr::connect_any(&url.host, url.port, Some(timeout))?;
    stream.set_read_timeout(Some(timeout))?;
    let mut reader = BufReader::new(&stream);
    (&stream)
        .write_all(&head_request(url))
        .with_context(|| format!("send HEAD to {url}"))?;
    // The head is all there is: returning here, without copy_body, is the
    // whole point. Content-Length describes the body a GET would get.
    let head = response::read_head(&mut reader).with_context(|| format!("HEAD {url}"))?;
    Ok(head)
}
