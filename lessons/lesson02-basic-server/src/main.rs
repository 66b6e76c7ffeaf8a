use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lesson02_basic_server::Args::parse();
    common::exit::run(|| lesson02_basic_server::run(args))
}
