use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lesson01_basic_client::Args::parse();
    common::exit::run(|| lesson01_basic_client::run(&args))
}
