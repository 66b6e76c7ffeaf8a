//! The chat client: two things to wait for at once, the keyboard and the
//! server.
//!
//! The original client `select()`ed on stdin and the socket. Here a thread
//! reads stdin and writes to the socket, while the main thread reads the
//! socket and prints: two blocking loops, each simple, and no descriptor
//! that epoll would refuse (a file or `/dev/null` on stdin works too).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use common::text::printable;
use common::{LineError, LineReader};

use crate::ClientArgs;
use crate::chat::PROMPT;
use crate::protocol::MAX_LINE;

/// The longest line accepted from the server. Generous: a `/who` of many
/// users is long; the bound only stops a broken server filling our memory.
const MAX_SERVER_LINE: usize = 1024 * 1024;
/// After `/quit`, how long to wait for the server to close before leaving
/// anyway.
const QUIT_GRACE: Duration = Duration::from_secs(2);

/// How a chat session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The user typed `QUIT` or `/quit`.
    UserQuit,
    /// The server closed the connection.
    ServerClosed,
}

// ANCHOR: client
/// Joins the chat as `args.name` and relays lines both ways until the user
/// quits or the server closes. Server lines go to `out`, user lines come
/// from `input`.
pub fn chat(
    args: &ClientArgs,
    input: impl Read + Send + 'static,
    out: &mut impl Write,
) -> Result<Ending> {
    let stream = common::addr::connect_any(&args.host, args.port, Some(args.timeout))?;
    let peer = stream.peer_addr().context("peer address")?;
    let _ = stream.set_nodelay(true);
    let mut writer = stream.try_clone().context("clone socket")?;
    writeln!(writer, "NAME:{}", args.name.as_deref().unwrap_or(""))
        .with_context(|| format!("send name to {peer}"))?;

    let quitting = Arc::new(AtomicBool::new(false));
    let keyboard = {
        let quitting = Arc::clone(&quitting);
        thread::Builder::new()
            .name("stdin".into())
            .spawn(move || forward_input(input, writer, &quitting))
            .context("start stdin thread")?
    };

    // The main thread: every line from the server, printed as it comes.
    let mut lines = LineReader::new(&stream, MAX_SERVER_LINE);
    let mut first = true;
    let ending = loop {
        match lines.read_line() {
            // The prompt tells a user on `nc` how to join: we already did.
            Ok(Some(line)) if std::mem::take(&mut first) && line == PROMPT.as_bytes() => {}
            Ok(Some(line)) => {
                writeln!(out, "{}", printable(&line))?;
                out.flush()?;
            }
            Ok(None) | Err(LineError::UnexpectedEof { .. }) => break quit_or_closed(&quitting),
            Err(_) if quitting.load(Ordering::SeqCst) => break Ending::UserQuit,
            Err(e) => return Err(e).with_context(|| format!("read from {peer}")),
        }
    };
    drop(keyboard); // not joined: it may be blocked reading a terminal
    Ok(ending)
}
// ANCHOR_END: client

fn quit_or_closed(quitting: &AtomicBool) -> Ending {
    if quitting.load(Ordering::SeqCst) {
        Ending::UserQuit
    } else {
        Ending::ServerClosed
    }
}

/// The stdin thread: sends each line; `QUIT` or `/quit` leaves politely;
/// end of input closes our sending side (the server treats it as leaving).
fn forward_input(input: impl Read, mut socket: TcpStream, quitting: &AtomicBool) {
    let mut lines = LineReader::new(input, MAX_LINE);
    loop {
        match lines.read_line() {
            Ok(Some(line)) => {
                let trimmed = line.trim_ascii();
                if trimmed == b"QUIT" || trimmed == b"/quit" {
                    quitting.store(true, Ordering::SeqCst);
                    let _ = socket.write_all(b"/quit\n");
                    // The server answers /quit by closing, which ends the
                    // main thread's read. If it does not, stop waiting.
                    thread::sleep(QUIT_GRACE);
                    let _ = socket.shutdown(Shutdown::Both);
                    return;
                }
                let mut framed = line;
                framed.push(b'\n');
                if socket.write_all(&framed).is_err() {
                    return; // the server is gone; the main thread reports it
                }
            }
            Err(LineError::TooLong { limit }) => {
                common::errln!(
                    "error: input line longer than {limit} bytes; not sent, input closed"
                );
                let _ = socket.shutdown(Shutdown::Write);
                return;
            }
            Ok(None) | Err(_) => {
                let _ = socket.shutdown(Shutdown::Write);
                return;
            }
        }
    }
}

/// Runs the client on the process's stdin and stdout.
pub fn run(args: &ClientArgs) -> Result<()> {
    let ending = chat(args, io::stdin(), &mut io::stdout().lock())?;
    if ending == Ending::ServerClosed {
        common::errln!("server closed the connection");
    }
    Ok(())
}
