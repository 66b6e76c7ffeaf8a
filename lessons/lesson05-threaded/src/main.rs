use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lesson05_threaded::Args::parse();
    common::exit::run(|| lesson05_threaded::run(args))
}
