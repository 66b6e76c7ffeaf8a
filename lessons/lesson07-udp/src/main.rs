use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lesson07_udp::Args::parse();
    common::exit::run(|| lesson07_udp::run(args))
}
