use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lesson12_unix_socket::Args::parse();
    common::exit::run(|| lesson12_unix_socket::run(args))
}
