use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lesson10_lookup::Args::parse();
    common::exit::run(|| lesson10_lookup::run(&args))
}
