//! `pavebot-bench`: the load benchmark (`cargo run --release -p pavebot-bench -- --help`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let run = || -> anyhow::Result<()> {
        let engine = pavebot::engine_from(&pavebot::config::Config::load(None)?)?;
        pavebot_bench::loadbench::main(engine, &args)
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pavebot-bench: {e:#}");
            ExitCode::from(2)
        }
    }
}
