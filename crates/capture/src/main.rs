use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = capture::Args::parse();
    common::exit::run(|| capture::run(&args))
}
