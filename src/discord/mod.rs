//! The Discord adapter (serenity + poise). Not built yet: see the Discord adapter issue.

use crate::config::Config;

/// Runs the bot against Discord.
pub async fn run(_cfg: Config, _token: String) -> anyhow::Result<()> {
    anyhow::bail!("the Discord adapter is not built yet; run `pavebot console` for now")
}
