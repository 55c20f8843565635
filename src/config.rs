//! Configuration: `config/pavebot.toml` (compiled in; documents every key), then a user file
//! (`--config FILE`, or `./pavebot.toml` when present), then `PAVEBOT_<SECTION>_<KEY>` environment
//! variables. Layering, value parsing and error locations are figment's. Secrets come only from the
//! environment (`DISCORD_TOKEN`), never from a file.
//!
//! Parsing works on strings and variable pairs ([`Config::parse_layers`]) so tests need no files or
//! environment.

use std::path::{Path, PathBuf};

use figment::value::{Dict, Map, Value};
use figment::{Error as FigmentError, Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Deserializer};

use crate::engine::Limits;
use crate::error::LoadError;

/// Where the compiled-in settings come from, for messages.
pub const SETTINGS_FILE: &str = "config/pavebot.toml";

/// The compiled-in operator settings: every key with its default and its documentation.
pub const SETTINGS_TOML: &str = include_str!("../config/pavebot.toml");

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
    #[serde(deserialize_with = "list")]
    pub guilds: Vec<u64>,
    /// Channels served (empty: all).
    #[serde(deserialize_with = "list")]
    pub channels: Vec<u64>,
    /// This process's shard.
    pub shard_id: u32,
    /// Total shards.
    pub shard_count: u32,
    /// REST proxy base URL ("" = none).
    #[serde(deserialize_with = "text")]
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
    #[serde(deserialize_with = "path")]
    pub data_dir: PathBuf,
    /// replies/ override ("" = compiled in).
    #[serde(deserialize_with = "text")]
    pub replies_dir: String,
    /// Approver role names.
    #[serde(deserialize_with = "list")]
    pub approver_roles: Vec<String>,
    /// Input limits.
    pub limits: LimitsConfig,
    /// Discord.
    pub discord: DiscordConfig,
}

impl Config {
    /// Merges the compiled-in settings, an optional user file's `(name, text)` and
    /// `PAVEBOT_*` environment pairs, then validates.
    pub fn parse_layers(
        user: Option<(&str, &str)>,
        env: &[(String, String)],
    ) -> Result<Config, LoadError> {
        let defaults: toml::Table = toml::from_str(SETTINGS_TOML)
            .map_err(|e| LoadError::new(SETTINGS_FILE, one_line(&e.to_string())))?;
        let mut fig = Figment::from(Named::toml(SETTINGS_FILE, SETTINGS_TOML));
        if let Some((name, text)) = user {
            let table: toml::Table =
                toml::from_str(text).map_err(|e| LoadError::new(name, one_line(&e.to_string())))?;
            known_keys_only(&defaults, &table, name, "")?;
            fig = fig.merge(Named::toml(name, text));
        }
        for (path, var) in env_names(&defaults, "") {
            if let Some((_, raw)) = env.iter().find(|(n, _)| *n == var) {
                fig = fig.merge(Named::env(&var, &path, raw));
            }
        }
        let cfg: Config = fig.extract().map_err(explain)?;
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

/// A figment layer with a name a reader recognises in errors: a TOML text, or one environment
/// variable (its value parsed the way figment's `Env` provider parses values).
struct Named {
    name: String,
    data: Result<Dict, FigmentError>,
}

impl Named {
    fn toml(name: &str, text: &str) -> Named {
        use figment::providers::Format;
        let data = figment::providers::Toml::string(text)
            .data()
            .map(|mut m| m.remove(&Profile::Default).unwrap_or_default());
        Named {
            name: name.to_string(),
            data,
        }
    }

    fn env(var: &str, path: &str, raw: &str) -> Named {
        let value: Value = raw.parse().unwrap_or_else(|e| match e {});
        let data = figment::util::nest(path, value)
            .into_dict()
            .ok_or_else(|| FigmentError::from(format!("{var}: not a key")));
        Named {
            name: format!("environment {var}"),
            data,
        }
    }
}

impl Provider for Named {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name.clone())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, FigmentError> {
        let dict = self.data.clone()?;
        Ok(Profile::Default.collect(dict))
    }
}

/// One line naming where a bad value came from: `<file or environment VAR>: <what is wrong>`.
fn explain(e: FigmentError) -> LoadError {
    let source = e
        .metadata
        .as_ref()
        .map_or_else(|| "configuration".to_string(), |m| m.name.to_string());
    let key = e.path.join(".");
    let what = match &e.kind {
        figment::error::Kind::UnknownField(field, _) if key.is_empty() => {
            format!("unknown key {field:?}")
        }
        figment::error::Kind::UnknownField(field, _) => format!("unknown key \"{key}.{field}\""),
        kind if key.is_empty() => one_line(&kind.to_string()),
        kind => format!("{key}: {}", one_line(&kind.to_string())),
    };
    LoadError::new(source, what)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Rejects a user file's keys the settings file does not have (with the file's name).
fn known_keys_only(
    base: &toml::Table,
    over: &toml::Table,
    file: &str,
    prefix: &str,
) -> Result<(), LoadError> {
    for (k, v) in over {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match (base.get(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => {
                known_keys_only(b, o, file, &path)?
            }
            (Some(_), _) => {}
            (None, _) => return Err(LoadError::new(file, format!("unknown key {path:?}"))),
        }
    }
    Ok(())
}

/// Every settings key as `(dotted.path, PAVEBOT_DOTTED_PATH)`.
fn env_names(table: &toml::Table, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in table {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => out.extend(env_names(t, &path)),
            _ => {
                let var = format!("PAVEBOT_{}", path.replace('.', "_").to_uppercase());
                out.push((path, var));
            }
        }
    }
    out
}

/// A text setting: a string, or a bare number or boolean from the environment (`PAVEBOT_DATA_DIR=2024`).
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        S(String),
        U(u64),
        I(i64),
        F(f64),
        B(bool),
    }
    Ok(match Scalar::deserialize(d)? {
        Scalar::S(s) => s,
        Scalar::U(n) => n.to_string(),
        Scalar::I(n) => n.to_string(),
        Scalar::F(n) => n.to_string(),
        Scalar::B(b) => b.to_string(),
    })
}

fn path<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    text(d).map(PathBuf::from)
}

/// A list: an array, or (from the environment) one comma-separated value.
fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr + Deserialize<'de>,
    T::Err: std::fmt::Display,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(#[serde(deserialize_with = "text")] String),
    }
    match OneOrMany::<T>::deserialize(d)? {
        OneOrMany::Many(v) => Ok(v),
        OneOrMany::One(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse().map_err(|e| {
                    serde::de::Error::custom(format!("expected a comma-separated list: {s:?}: {e}"))
                })
            })
            .collect(),
    }
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

    #[test]
    fn environment_lists_and_scalars_parse_like_the_file() {
        let env = vec![
            ("PAVEBOT_DISCORD_GUILDS".to_string(), "123, 456".to_string()),
            ("PAVEBOT_DISCORD_CHANNELS".to_string(), "789".to_string()),
            ("PAVEBOT_DATA_DIR".to_string(), "2024".to_string()),
            ("PAVEBOT_NOT_A_SETTING".to_string(), "ignored".to_string()),
        ];
        let c = Config::parse_layers(None, &env).unwrap();
        assert_eq!(c.discord.guilds, vec![123, 456]);
        assert_eq!(c.discord.channels, vec![789]);
        assert_eq!(c.data_dir, PathBuf::from("2024"));
        let e = Config::parse_layers(None, &[("PAVEBOT_DISCORD_GUILDS".into(), "12,x".into())])
            .unwrap_err()
            .to_string();
        assert!(e.contains("PAVEBOT_DISCORD_GUILDS"), "{e}");
        assert!(!e.contains('\n'), "one line: {e}");
    }

    #[test]
    fn file_errors_name_the_file_and_the_key_on_one_line() {
        let e = Config::parse_layers(Some(("u.toml", "[limits]\ncache_mb = \"big\"\n")), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("u.toml") && e.contains("limits.cache_mb"), "{e}");
        let e = Config::parse_layers(Some(("u.toml", "[discord]\nnope = 1\n")), &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("u.toml") && e.contains("unknown key \"discord.nope\""),
            "{e}"
        );
        let e = Config::parse_layers(Some(("u.toml", "data_dir = [unclosed\n")), &[])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("u.toml") && !e.contains('\n'), "{e}");
    }

    #[test]
    fn the_settings_file_documents_every_key() {
        let is_key = |l: &str| !l.starts_with('#') && !l.starts_with('[') && l.contains(" = ");
        let lines: Vec<&str> = SETTINGS_TOML.lines().collect();
        let mut keys = 0;
        for (i, l) in lines.iter().enumerate().filter(|(_, l)| is_key(l)) {
            keys += 1;
            // A key, or a run of related keys, sits right under its comment.
            let above = lines[..i].iter().rev().find(|l| !is_key(l));
            assert!(
                above.is_some_and(|a| a.starts_with('#')),
                "{SETTINGS_FILE}: {l:?} has no comment above it"
            );
        }
        assert_eq!(
            keys,
            env_names(&toml::from_str(SETTINGS_TOML).unwrap(), "").len()
        );
    }
}
