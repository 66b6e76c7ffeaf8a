use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = loadgen::Args::parse();
    common::exit::run(|| loadgen::run(args))
}
