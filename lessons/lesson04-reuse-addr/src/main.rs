use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lesson04_reuse_addr::Args::parse();
    common::exit::run(|| lesson04_reuse_addr::run(args))
}
