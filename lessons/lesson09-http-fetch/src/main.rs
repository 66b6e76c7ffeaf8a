use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lesson09_http_fetch::Args::parse();
    common::exit::run_code(|| lesson09_http_fetch::run(&args))
}
