//! The original chat server translated literally, flaws kept: a client that
//! connects and says nothing freezes the room; a first line without `NAME:`,
//! a reset or a write to a closed peer kills the server (`unwrap` panics
//! where Python raised). `cargo run -p lesson08-select-chat --example naive -- 8888`
use std::io::{BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;

use nix::sys::select::{FdSet, select};

// ANCHOR: naive
fn main() {
    let port = std::env::args().nth(1).unwrap_or("8888".into());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).unwrap();
    println!("listening on {}", listener.local_addr().unwrap());
    let stdin = std::io::stdin();
    let mut clients: Vec<(TcpStream, String)> = Vec::new();
    loop {
        let mut set = FdSet::new(); // at most 1024 descriptors (FD_SETSIZE)
        set.insert(stdin.as_fd());
        set.insert(listener.as_fd());
        clients.iter().for_each(|(s, _)| set.insert(s.as_fd()));
        select(None, &mut set, None, None, None).unwrap(); // wait until one is readable
        let ready: Vec<_> = clients
            .iter()
            .map(|(s, _)| set.contains(s.as_fd()))
            .collect();
        let newcomer = set.contains(listener.as_fd());
        let console = set.contains(stdin.as_fd());
        if newcomer {
            let (mut sock, addr) = listener.accept().unwrap();
            let hello = receive(&mut sock); // waits for the name, and so does the room
            let name = match hello.ends_with("NAME:") {
                true => addr.to_string(),
                false => hello.split("NAME:").nth(1).unwrap().to_string(), // no NAME: panics
            };
            send(&mut sock, &format!("Welcome {name}\n"));
            to_all(&mut clients, None, &format!("Welcome {name} Come In \n"));
            clients.push((sock, name));
        }
        if console {
            let mut line = String::new();
            stdin.lock().read_line(&mut line).unwrap();
            if line.starts_with("QUIT") {
                return;
            }
            to_all(&mut clients, None, &format!("Server : {line}"));
        }
        for i in (0..ready.len()).rev().filter(|&i| ready[i]) {
            let (data, name) = (receive(&mut clients[i].0), clients[i].1.clone());
            if data.is_empty() {
                to_all(&mut clients, None, &format!("{name} leaved \n")); // the leaver too
                clients.remove(i);
            } else if data.starts_with("SECRECT") {
                let words: Vec<&str> = data.split(' ').collect(); // "SECRECT" alone panics
                let line = format!("SECRECT {name} : {}", words[2]); // its first word only
                let to = clients.iter_mut().filter(|(_, n)| n == words[1]);
                to.for_each(|(s, _)| send(s, &line));
            } else {
                to_all(&mut clients, Some(i), &format!("{name} : {data}"));
            }
        }
    }
}
// ANCHOR_END: naive

fn receive(s: &mut TcpStream) -> String {
    let mut buf = [0; 1024];
    let n = s.read(&mut buf).unwrap(); // a reset (ECONNRESET) panics
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn send(s: &mut TcpStream, line: &str) {
    s.write_all(line.as_bytes()).unwrap(); // a closed peer (EPIPE) panics
}

fn to_all(clients: &mut [(TcpStream, String)], except: Option<usize>, line: &str) {
    let others = clients
        .iter_mut()
        .enumerate()
        .filter(|(i, _)| Some(*i) != except);
    others.for_each(|(_, (s, _))| send(s, line));
}
