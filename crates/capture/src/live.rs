//! Recording loopback packets with an `AF_PACKET` socket.
//!
//! The socket is opened for `ETH_P_IP`, not `ETH_P_ALL`: a protocol-specific
//! packet socket sees frames only on the receive path, and on `lo` every
//! packet is sent and then received, so each appears exactly once (an
//! `ETH_P_ALL` socket would see both copies). Opening it needs CAP_NET_RAW.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use nix::sys::socket::sockopt;
use socket2::{Domain, Protocol, Socket, Type};

use crate::packet::{Packet, decode};

/// At most this many packets are kept: other programs' loopback traffic
/// (tests, benchmarks) is recorded too until the scenario's filter drops
/// it, and memory must stay bounded.
const MAX_PACKETS: usize = 200_000;

/// The packet socket's receive buffer, in bytes.
const RECV_BUFFER: usize = 64 << 20;

/// Records every IPv4 packet on loopback until [`Recorder::stop`].
#[derive(Debug)]
pub struct Recorder {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<io::Result<Vec<Packet>>>,
}

/// Opens the packet socket; `PermissionDenied` without CAP_NET_RAW.
pub fn open() -> io::Result<Socket> {
    let eth_p_ip = (libc::ETH_P_IP as u16).to_be();
    let socket = Socket::new(
        Domain::PACKET,
        Type::RAW,
        Some(Protocol::from(i32::from(eth_p_ip))),
    )?;
    // A large queue, so a burst of other programs' loopback traffic (eight
    // test suites may share this machine) does not make the kernel drop the
    // scenario's packets before we read them. SO_RCVBUF is capped by
    // net.core.rmem_max (about 200 KB by default); SO_RCVBUFFORCE is not,
    // but needs CAP_NET_ADMIN, which root has.
    if nix::sys::socket::setsockopt(&socket, sockopt::RcvBufForce, &RECV_BUFFER).is_err() {
        socket.set_recv_buffer_size(RECV_BUFFER)?;
    }
    // Wake up regularly to see the stop flag.
    socket.set_read_timeout(Some(Duration::from_millis(50)))?;
    Ok(socket)
}

impl Recorder {
    /// Starts recording on a thread of its own.
    pub fn start() -> io::Result<Recorder> {
        let socket = open()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = thread::spawn(move || record(socket, &flag));
        Ok(Recorder { stop, thread })
    }

    /// Stops and returns the loopback packets seen, in arrival order.
    pub fn stop(self) -> io::Result<Vec<Packet>> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| io::Error::other("the recording thread panicked"))?
    }
}

/// The recording loop: read frames, keep the decoded loopback ones.
fn record(mut socket: Socket, stop: &AtomicBool) -> io::Result<Vec<Packet>> {
    let mut packets = Vec::new();
    let mut frame = vec![0u8; 65_536 + 64];
    while !stop.load(Ordering::Relaxed) {
        match socket.read(&mut frame) {
            Ok(n) => {
                let loopback = |p: &Packet| p.src.ip().is_loopback() && p.dst.ip().is_loopback();
                if let Some(p) = decode(&frame[..n]).filter(loopback)
                    && packets.len() < MAX_PACKETS
                {
                    packets.push(p);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(packets)
}
