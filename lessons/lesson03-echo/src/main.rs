use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lesson03_echo::Args::parse();
    common::exit::run(|| lesson03_echo::run(args))
}
