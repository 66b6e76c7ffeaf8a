use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lesson11_errors::Args::parse();
    common::exit::run(|| lesson11_errors::run(args))
}
