//! Exercise 09-2: HEAD requests.
//!
//! `HEAD` asks for the head only: the server answers with the status and
//! headers a `GET` would get, `Content-Length` included, but sends no body.
//! A client that trusted that `Content-Length` would sit waiting for bytes
//! that never come, so HEAD is the one case where the request method, not
//! the response, decides the framing.
//!
//! Write `head_request` (the bytes of the request) and finish `fetch_head`
//! (send it, read the head, and stop: no body).
//!
//! Check your work: `make exercise EX=09-2`.

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context, Result};
use lesson09_http_fetch::{Head, Url, response};

/// The bytes of a HEAD request for `url`: the request line, `Host`
/// (`url.host_header()`), `Connection: close`, and the empty line.
pub fn head_request(url: &Url) -> Vec<u8> {
    // TODO: build "HEAD <target> HTTP/1.1\r\n", a Host line, a
    //       "Connection: close" line and the final "\r\n", like
    //       lesson09_http_fetch::request does for GET.
    todo!("the HEAD request for {url}")
}

/// Sends a HEAD request for `url` and returns the response head.
pub fn fetch_head(url: &Url, timeout: Duration) -> Result<Head> {
    let stream = common::addr::connect_any(&url.host, url.port, Some(timeout))?;
    stream.set_read_timeout(Some(timeout))?;
    let mut reader = BufReader::new(&stream);
    // TODO: write head_request(url) to the stream (write_all), then read the
    //       head with response::read_head(&mut reader) and return it.
    //       Do not read a body: there is none, whatever Content-Length says.
    todo!("send the HEAD request and read the head")
}
