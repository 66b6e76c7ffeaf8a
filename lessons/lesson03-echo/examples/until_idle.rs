//! Another original client, translated literally: it reads until the
//! server has been "idle" for a while, and mistakes the end of the
//! connection for idleness.
//!
//! `cargo run -p lesson03-echo --example until_idle [port]` (default 9999)

// ANCHOR: until_idle
use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

fn main() -> std::io::Result<()> {
    let port = std::env::args().nth(1).unwrap_or("9999".to_string());
    let mut s = TcpStream::connect(format!("127.0.0.1:{port}"))?;
    let mut stat = 1;
    loop {
        let mut data = [0u8; 2048];
        let n = s.read(&mut data)?;
        if n > 0 {
            stat = 1;
            println!("{}", String::from_utf8_lossy(&data[..n]));
        } else {
            // FLAW: 0 means the server closed; no more data will ever come.
            // Taken for "nothing yet", it costs four one-second naps.
            stat += 1;
            std::thread::sleep(Duration::from_secs(1));
            if stat == 5 {
                break;
            }
        }
    }
    Ok(())
}
// ANCHOR_END: until_idle
