//! The chat core on a level-triggered `poll(2)` loop: the closest Rust gets
//! to the original's `select()` loop, without its FD_SETSIZE limit.
//!
//! `cargo run -p lesson08-select-chat --example poll_chat -- --port 0`
//!
//! Left out on purpose (the mio server has them): idle timeouts, a polite
//! close (a leaving client gets one try to send its last lines), signal
//! handling, and a pause when out of descriptors (here a listener that
//! cannot accept stays "ready", and the loop spins).

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, Read};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsFd;

use clap::Parser;
use common::LineBuffer;
use lesson08_select_chat::chat::{Chat, GOODBYE, Id, Out};
use lesson08_select_chat::{outbuf::OutBuf, protocol::MAX_LINE};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// The chat on poll(2).
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8888)]
    port: u16,
}

/// A connection: its socket, its partial line, what it is owed (at most
/// 1 MiB, like the mio server).
struct Client {
    stream: TcpStream,
    input: LineBuffer,
    output: OutBuf,
}

const IN: PollFlags = PollFlags::POLLIN;

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    common::exit::run(|| run(&args))
}

// ANCHOR: poll_loop
fn run(args: &Args) -> anyhow::Result<()> {
    lesson08_select_chat::limits::guard_stdio(); // no socket becomes "stdin"
    let listener = common::addr::bind_tcp(&args.host, args.port)?;
    listener.set_nonblocking(true)?;
    common::ready::announce(listener.local_addr()?)?;
    // The console is polled like a socket, as in the original's select().
    let mut stdin = Some(File::from(io::stdin().as_fd().try_clone_to_owned()?));
    let mut console = LineBuffer::new(MAX_LINE);
    let (mut chat, mut clients) = (Chat::new(), HashMap::new());
    for next in 0.. {
        // Which descriptors, waiting for what: the whole list, every turn.
        let ids: Vec<Id> = clients.keys().copied().collect();
        let mut fds = vec![PollFd::new(listener.as_fd(), IN)];
        fds.extend(stdin.as_ref().map(|f| PollFd::new(f.as_fd(), IN)));
        fds.extend(ids.iter().map(|id| interest(&clients[id])));
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
        let ready: Vec<bool> = fds.iter().map(is_ready).collect();
        drop(fds); // they borrow the sockets
        let (mut ready, mut out) = (ready.into_iter(), Vec::new());
        // Level-triggered: one accept, one read per turn is enough; what is
        // left is reported again next turn.
        if ready.next() == Some(true)
            && let Ok((stream, peer)) = listener.accept()
        {
            stream.set_nonblocking(true)?;
            stream.set_nodelay(true)?; // small lines go out at once (no Nagle)
            let (input, output) = (LineBuffer::new(MAX_LINE), OutBuf::new(1 << 20));
            clients.insert(
                Id(next),
                Client {
                    stream,
                    input,
                    output,
                },
            );
            out.extend(chat.connected(Id(next), peer));
        }
        if let Some(file) = stdin.as_mut()
            && ready.next() == Some(true)
            && !read_into(file, &mut console)
        {
            stdin = None; // EOF: no console any more
        }
        while let Ok(Some(line)) = console.next_line() {
            out.extend(chat.console(&line));
        }
        for (id, _) in ids.into_iter().zip(ready).filter(|(_, ready)| *ready) {
            out.extend(serve_client(&mut chat, &mut clients, id));
        }
        if apply(&mut chat, &mut clients, out) {
            return Ok(()); // QUIT on the console
        }
    }
    Ok(())
}
// ANCHOR_END: poll_loop

/// Whether poll reported anything (readable, writable, hang-up, error).
fn is_ready(fd: &PollFd) -> bool {
    fd.revents() != Some(PollFlags::empty())
}

/// One read from `file` into `lines`; false at EOF or on an error.
fn read_into(file: &mut File, lines: &mut LineBuffer) -> bool {
    let mut buf = [0u8; 4096];
    let n = file.read(&mut buf).unwrap_or(0);
    lines.push(&buf[..n]);
    n > 0
}

/// POLLIN always; POLLOUT only while output waits: a socket with room in its
/// send buffer is always writable, so asking would wake every turn at once.
fn interest(c: &Client) -> PollFd<'_> {
    let out = match c.output.is_empty() {
        true => PollFlags::empty(),
        false => PollFlags::POLLOUT,
    };
    PollFd::new(c.stream.as_fd(), PollFlags::POLLIN | out)
}

/// One flush and one read for a client the kernel reported ready.
fn serve_client(chat: &mut Chat, clients: &mut HashMap<Id, Client>, id: Id) -> Vec<Out> {
    let Some(c) = clients.get_mut(&id) else {
        return Vec::new();
    };
    let mut buf = [0u8; 8192];
    let flushed = c.output.flush_to(&mut c.stream);
    match flushed.and_then(|_| c.stream.read(&mut buf)) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Ok(0) | Err(_) => {
            clients.remove(&id);
            return chat.left(id, "closed the connection");
        }
        Ok(n) => c.input.push(&buf[..n]),
    }
    let mut out = Vec::new();
    loop {
        match c.input.next_line() {
            Ok(Some(line)) => out.extend(chat.line(id, &line)),
            Ok(None) => return out,
            Err(_) => return [out, chat.too_long(id)].concat(),
        }
    }
}

// ANCHOR: apply
/// Does what the chat asked; true when the console said `QUIT` (everyone is
/// told, once). A client
/// dropped here (too slow, or done) makes the chat say more: the work list.
fn apply(chat: &mut Chat, clients: &mut HashMap<Id, Client>, out: Vec<Out>) -> bool {
    let mut work = VecDeque::from(out);
    while let Some(o) = work.pop_front() {
        let mut gone = Vec::new();
        let mut send = |id: Id, line: &str| {
            let c = clients.get_mut(&id);
            if c.is_some_and(|c| c.output.push_line(line.as_bytes()).is_err()) {
                gone.push((id, "dropped: not reading"));
            }
        };
        match o {
            Out::To(id, line) => send(id, &line),
            Out::AllBut(except, line) => {
                let room = chat.members().filter(|&m| Some(m) != except);
                room.for_each(|m| send(m, &line));
            }
            Out::Close(id) => gone.push((id, "left")),
            Out::Log(line) => println!("{line}"),
            Out::Stop => {
                for c in clients.values_mut() {
                    let _ = c.output.push_line(GOODBYE.as_bytes());
                    let _ = c.output.flush_to(&mut c.stream); // one try
                }
                return true;
            }
        }
        for (id, why) in gone {
            if let Some(mut c) = clients.remove(&id) {
                let _ = c.output.flush_to(&mut c.stream); // one try
                let _ = c.stream.shutdown(Shutdown::Both);
                work.extend(chat.left(id, why));
            }
        }
    }
    false
}
// ANCHOR_END: apply
