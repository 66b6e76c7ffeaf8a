//! 10,000 clients at once, all joined, all receiving one broadcast.
//!
//! Too slow for the test suite in a debug build (every join is announced to
//! everyone already there: about 50 million `joined` lines, some 650 MB),
//! so it is an example you run by hand:
//!
//! ```text
//! cargo build -p lesson08-select-chat --bins --examples
//! target/debug/examples/ten_thousand [CLIENTS]
//! ```
//!
//! It needs about 20,000 descriptors (10,000 for the clients here, 10,000 in
//! the server process); both raise their soft limit to the hard limit.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use lesson08_select_chat::chat::PROMPT;

const THREADS: usize = 8;
const MARKER: &[u8] = b"Server: all hands\n";

fn main() {
    let clients: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let limit = rlimit::increase_nofile_limit(u64::MAX).expect("raise descriptor limit");
    println!("descriptor limit here: {limit}");
    // target/debug/examples/ten_thousand -> target/debug/lesson08-select-chat
    let exe = std::env::current_exe().expect("own path");
    let bin = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target dir")
        .join("lesson08-select-chat");
    let mut server = Command::new(&bin)
        .args(["server", "--port", "0", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start server");
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut ready = String::new();
    out.read_line(&mut ready).unwrap();
    println!("{}", ready.trim_end());
    let addr: std::net::SocketAddr = ready.split(' ').nth(2).unwrap().parse().unwrap();

    let start = Instant::now();
    let barrier = Arc::new(Barrier::new(THREADS + 1));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                let mut socks = Vec::new();
                for i in (t..clients).step_by(THREADS) {
                    let mut s = TcpStream::connect(addr).expect("connect");
                    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
                    writeln!(s, "NAME:c{i}").unwrap();
                    socks.push(BufReader::with_capacity(64 * 1024, s));
                }
                let mut line = Vec::new();
                // Each client's first lines are the prompt and its welcome.
                for s in &mut socks {
                    line.clear();
                    s.read_until(b'\n', &mut line).expect("read prompt");
                    assert_eq!(line, format!("{PROMPT}\n").as_bytes());
                    line.clear();
                    s.read_until(b'\n', &mut line).expect("read welcome");
                    assert!(line.starts_with(b"Welcome c"));
                }
                barrier.wait();
                for s in &mut socks {
                    read_to_marker(s, &mut line);
                }
                socks.len()
            })
        })
        .collect();
    barrier.wait();
    println!("{clients} clients joined in {:.1?}", start.elapsed());
    let sent = Instant::now();
    writeln!(server.stdin.as_mut().unwrap(), "all hands").unwrap();
    let got: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    println!(
        "{got} of {clients} clients received the broadcast ({:.1?} after it was sent)",
        sent.elapsed()
    );
    writeln!(server.stdin.as_mut().unwrap(), "QUIT").unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    print!("{rest}");
    let status = server.wait().unwrap();
    assert!(status.success() && got == clients);
}

/// Reads lines until the marker line (the lines before it are `joined`
/// notices of later clients).
fn read_to_marker(s: &mut BufReader<TcpStream>, line: &mut Vec<u8>) {
    loop {
        line.clear();
        let n = s.read_until(b'\n', line).expect("read");
        assert!(n > 0, "EOF before the broadcast");
        if line.as_slice() == MARKER {
            return;
        }
    }
}
