use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lesson08_select_chat::Args::parse();
    common::exit::run(|| lesson08_select_chat::run(args))
}
