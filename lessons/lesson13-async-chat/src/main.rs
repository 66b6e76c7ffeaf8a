use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lesson13_async_chat::Args::parse();
    common::exit::run(|| lesson13_async_chat::run(args))
}
