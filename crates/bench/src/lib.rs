//! pavebot's benchmark tooling, kept out of the product crate: the load benchmark ([`loadbench`],
//! run by the `pavebot-bench` binary and by `cargo bench`) and the allocator probes it reports
//! ([`mem`]). The criterion micro benchmarks are in `benches/pavebot.rs`.

#![warn(missing_docs)]

pub mod loadbench;
pub mod mem;
