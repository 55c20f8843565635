//! Configuration: `config/default.toml` (compiled in), then a user file, then `PAVEBOT_*` environment
//! variables. Secrets come only from the environment (`DISCORD_TOKEN`), never from a file.
//!
//! Parsing works on strings ([`Config::parse_layers`]) so tests need no files or environment.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::Limits;
use crate::error::LoadError;

/// The compiled-in defaults.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Limits section.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Longest message, in characters.
    pub max_message_chars: usize,
    /// Largest attachment, in bytes.
    pub max_attachment_bytes: usize,
    /// Most attachments per message.
    pub max_attachments: usize,
    /// sled page cache, in MiB.
    pub cache_mb: u64,
}

/// Discord section.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DiscordConfig {
    /// Guilds served (empty: all).
    pub guilds: Vec<u64>,
    /// Channels served (empty: all).
    pub channels: Vec<u64>,
    /// This process's shard.
    pub shard_id: u32,
    /// Total shards.
    pub shard_count: u32,
    /// REST proxy base URL ("" = none).
    pub proxy: String,
    /// Thread auto-archive minutes.
    pub thread_auto_archive_minutes: u16,
    /// Largest attachment downloaded.
    pub max_download_bytes: usize,
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// sled directory.
    pub data_dir: PathBuf,
    /// replies/ override ("" = compiled in).
    pub replies_dir: String,
    /// Approver role names.
    pub approver_roles: Vec<String>,
    /// Input limits.
    pub limits: LimitsConfig,
    /// Discord.
    pub discord: DiscordConfig,
}

impl Config {
    /// Merges the defaults, an optional user file's text and environment pairs, then validates.
    pub fn parse_layers(
        user: Option<(&str, &str)>,
        env: &[(String, String)],
    ) -> Result<Config, LoadError> {
        let mut root: toml::Table = toml::from_str(DEFAULT_TOML)
            .map_err(|e| LoadError::new("config/default.toml", e.to_string()))?;
        if let Some((name, text)) = user {
            let over: toml::Table = toml::from_str(text)
                .map_err(|e| LoadError::new(name, e.to_string().trim().replace('\n', " ")))?;
            merge(&mut root, over, name, "")?;
        }
        apply_env(&mut root, env, "PAVEBOT")?;
        let cfg: Config = toml::Value::Table(root)
            .try_into()
            .map_err(|e: toml::de::Error| LoadError::new("configuration", e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Loads the configuration the usual way: `path` (or `./pavebot.toml` if present) and the process
    /// environment.
    pub fn load(path: Option<&Path>) -> Result<Config, LoadError> {
        let default_user = Path::new("pavebot.toml");
        let chosen = path
            .map(Path::to_path_buf)
            .or_else(|| default_user.exists().then(|| default_user.to_path_buf()));
        let text = match &chosen {
            Some(p) => Some(std::fs::read_to_string(p).map_err(|e| {
                LoadError::new(p.display().to_string(), format!("cannot read: {e}"))
            })?),
            None => None,
        };
        let name = chosen
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with("PAVEBOT_"))
            .collect();
        Config::parse_layers(text.as_deref().map(|t| (name.as_str(), t)), &env)
    }

    fn validate(&self) -> Result<(), LoadError> {
        let e = |m: &str| Err(LoadError::new("configuration", m.to_string()));
        if self.discord.shard_count == 0 || self.discord.shard_id >= self.discord.shard_count {
            return e(
                "discord.shard_id must be below discord.shard_count (and the count at least 1)",
            );
        }
        if ![60, 1440, 4320, 10080].contains(&self.discord.thread_auto_archive_minutes) {
            return e("discord.thread_auto_archive_minutes must be 60, 1440, 4320 or 10080");
        }
        if self.limits.max_message_chars == 0 || self.limits.max_attachment_bytes == 0 {
            return e("limits must be positive");
        }
        let proxy = &self.discord.proxy;
        if !proxy.is_empty() && !proxy.starts_with("http://") && !proxy.starts_with("https://") {
            return e("discord.proxy must be an http:// or https:// base URL");
        }
        Ok(())
    }

    /// The engine's limits.
    pub fn engine_limits(&self) -> Limits {
        Limits {
            max_message_chars: self.limits.max_message_chars,
            max_attachment_bytes: self.limits.max_attachment_bytes,
            max_attachments: self.limits.max_attachments,
        }
    }
}

fn merge(
    base: &mut toml::Table,
    over: toml::Table,
    file: &str,
    prefix: &str,
) -> Result<(), LoadError> {
    for (k, v) in over {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o, file, &path)?,
            (Some(slot), v) => *slot = v,
            (None, _) => return Err(LoadError::new(file, format!("unknown key {path:?}"))),
        }
    }
    Ok(())
}

fn apply_env(
    table: &mut toml::Table,
    env: &[(String, String)],
    prefix: &str,
) -> Result<(), LoadError> {
    for (k, v) in table.iter_mut() {
        let name = format!("{prefix}_{}", k.to_uppercase());
        if let toml::Value::Table(t) = v {
            apply_env(t, env, &name)?;
            continue;
        }
        let Some((_, raw)) = env.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let err = |what: &str| {
            LoadError::new(
                format!("environment {name}"),
                format!("expected {what}, got {raw:?}"),
            )
        };
        *v = match v {
            toml::Value::Integer(_) => {
                toml::Value::Integer(raw.trim().parse().map_err(|_| err("an integer"))?)
            }
            toml::Value::Boolean(_) => {
                toml::Value::Boolean(raw.trim().parse().map_err(|_| err("true or false"))?)
            }
            toml::Value::Array(_) => {
                let items = raw.split(',').map(str::trim).filter(|s| !s.is_empty());
                let parsed: Result<Vec<toml::Value>, LoadError> =
                    if name.ends_with("GUILDS") || name.ends_with("CHANNELS") {
                        items
                            .map(|s| {
                                s.parse::<i64>()
                                    .map(toml::Value::Integer)
                                    .map_err(|_| err("comma-separated ids"))
                            })
                            .collect()
                    } else {
                        Ok(items.map(|s| toml::Value::String(s.to_string())).collect())
                    };
                toml::Value::Array(parsed?)
            }
            _ => toml::Value::String(raw.clone()),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let user = "data_dir = \"/tmp/x\"\n[discord]\nshard_count = 4\n";
        let env = vec![
            ("PAVEBOT_DISCORD_SHARD_ID".to_string(), "3".to_string()),
            ("PAVEBOT_APPROVER_ROLES".to_string(), "a, b".to_string()),
        ];
        let c = Config::parse_layers(Some(("u.toml", user)), &env).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!((c.discord.shard_id, c.discord.shard_count), (3, 4));
        assert_eq!(c.approver_roles, vec!["a", "b"]);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_clear_errors() {
        let e = Config::parse_layers(Some(("u.toml", "token = \"x\"")), &[]).unwrap_err();
        assert!(e.to_string().contains("unknown key \"token\""), "{e}");
        let e = Config::parse_layers(
            None,
            &[("PAVEBOT_LIMITS_MAX_ATTACHMENTS".into(), "many".into())],
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("PAVEBOT_LIMITS_MAX_ATTACHMENTS"),
            "{e}"
        );
        let e =
            Config::parse_layers(Some(("u.toml", "[discord]\nshard_id = 2\n")), &[]).unwrap_err();
        assert!(e.to_string().contains("shard_id"), "{e}");
    }
}
