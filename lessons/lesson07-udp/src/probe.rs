//! What `connect()` changes for a UDP socket: it hears ICMP errors.
//!
//! Nothing is sent by `connect` on UDP; the kernel records the peer. From
//! then on an ICMP "port unreachable" for our datagrams comes back as
//! `ECONNREFUSED` on the next `recv`. An unconnected socket never hears it.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::client::{Received, local_for, receive};

// ANCHOR: probe
/// What sending one datagram to `server` on a connected socket found out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// A reply came back.
    Answered,
    /// The kernel got an ICMP "port unreachable" back and reported it as
    /// ECONNREFUSED: nobody listens there.
    Refused,
    /// Nothing at all within the timeout: the datagram, or its answer, may
    /// be lost, or the server may ignore it. UDP cannot tell these apart.
    Silent,
}

/// Sends one datagram to `server` on a connected UDP socket and waits up to
/// `timeout` for an answer. Only a connected socket learns of ICMP errors.
pub fn probe(server: SocketAddr, timeout: Duration) -> Result<Probe> {
    let socket = UdpSocket::bind(local_for(server)).context("bind")?;
    socket.connect(server).context("connect")?;
    socket.send(b"probe").context("send")?;
    let mut buf = [0u8; 64];
    Ok(
        match receive(&socket, &mut buf, Instant::now() + timeout)? {
            Received::Datagram(_) => Probe::Answered,
            Received::Refused => Probe::Refused,
            Received::TimedOut => Probe::Silent,
        },
    )
}
// ANCHOR_END: probe
