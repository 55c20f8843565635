//! Prints what the reader reads in each message: one message per argument, or per line of standard
//! input ("\n" in a line stands for a line break).
//!
//! `cargo run -p pavebot-engine --example read -- "12 app teams; pain: tickets"`

use std::io::BufRead;

use pavebot_engine::read::Reader;
use pavebot_engine::state::Source;

fn main() {
    let data = include_str!("../../../config/reading.toml");
    let reader = match Reader::parse(data) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let texts: Vec<String> = if args.is_empty() {
        std::io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .map(|l| l.replace("\\n", "\n"))
            .collect()
    } else {
        args
    };
    for t in texts {
        let p = reader.read(&t, &Source::Message);
        println!("{t}\n  => {}", p.contract().0);
    }
}
