use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lesson06_thread_pool::Args::parse();
    common::exit::run(|| lesson06_thread_pool::run(args))
}
