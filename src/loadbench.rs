//! `pavebot bench`: the load benchmark. Not built yet: see the benchmarks issue.

use crate::engine::Engine;

/// Runs the load benchmark with command-line style `args`.
pub fn main(_engine: Engine, _args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("the load benchmark is not built yet")
}
