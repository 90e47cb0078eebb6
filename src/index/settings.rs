//! Index settings and pip's configuration. [`IndexSettings`] is what the client needs;
//! [`pip_configuration`] reads the same sources pip reads (`PIP_*` environment variables,
//! `PIP_CONFIG_FILE`, and the global, user and site `pip.conf` files with their `[global]` and
//! `[install]` sections) in pip's precedence order, remembering where each value came from so
//! `wheelwatch config` can show it. Command-line flags are the caller's business.
//!
//! The INI reading is hand-written: pip's files are Python `configparser` files (with
//! continuation lines for multi-line values), a format no well-kept Rust crate reproduces
//! exactly, and we need only four keys.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::DEFAULT_INDEX_URL;

/// How the on-disk cache is used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheMode {
    /// Use fresh entries, revalidate stale ones.
    #[default]
    Normal,
    /// Neither read nor write the cache.
    NoCache,
    /// Answer only from the cache; never touch the network.
    Offline,
    /// Ignore freshness: always ask the index (revalidating when possible), then store.
    Refresh,
}

/// On-disk cache settings.
#[derive(Clone, Debug)]
pub struct CacheSettings {
    /// The cache directory (`None`: no cache, as with [`CacheMode::NoCache`]).
    pub dir: Option<PathBuf>,
    /// How the cache is used.
    pub mode: CacheMode,
    /// How long a page without `Cache-Control: max-age` stays fresh.
    pub max_age: Duration,
}

impl CacheSettings {
    /// The platform's user cache directory for wheelwatch (`~/.cache/wheelwatch` on Linux), if
    /// a home directory is known. Callers honour `WHEELWATCH_CACHE_DIR` before this.
    pub fn default_dir() -> Option<PathBuf> {
        crate::util::default_cache_dir()
    }
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            dir: Self::default_dir(),
            mode: CacheMode::Normal,
            max_age: Duration::from_mins(10),
        }
    }
}

/// Everything the index client needs. Its `Debug` output redacts credentials in URLs.
#[derive(Clone)]
pub struct IndexSettings {
    /// The primary index (Simple API root). May embed credentials.
    pub index_url: String,
    /// Further indexes, merged with the primary one.
    pub extra_index_urls: Vec<String>,
    /// `--find-links` locations: directories, `file://` URLs or HTML pages of links.
    pub find_links: Vec<String>,
    /// Ignore `index_url` and `extra_index_urls` (find-links only).
    pub no_index: bool,
    /// The on-disk cache.
    pub cache: CacheSettings,
    /// A PEM bundle of extra trusted roots (added to the system trust store).
    pub cert: Option<PathBuf>,
    /// Per-request timeout (connect + whole response). One request with all its retries ends
    /// within [`super::TOTAL_TIMEOUT_FACTOR`] times this.
    pub timeout: Duration,
    /// Retries after the first attempt, for connection failures, timeouts, a connection lost
    /// mid-body, 429 and 5xx.
    pub retries: u32,
    /// The first retry's delay; doubled for each further retry (capped at 10 s).
    pub retry_backoff: Duration,
    /// At most this many requests in flight.
    pub concurrency: usize,
}

impl Default for IndexSettings {
    fn default() -> Self {
        Self {
            index_url: DEFAULT_INDEX_URL.to_string(),
            extra_index_urls: Vec::new(),
            find_links: Vec::new(),
            no_index: false,
            cache: CacheSettings::default(),
            cert: None,
            timeout: Duration::from_secs(30),
            retries: 3,
            retry_backoff: Duration::from_millis(250),
            concurrency: 16,
        }
    }
}

impl fmt::Debug for IndexSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact_all = |urls: &[String]| {
            urls.iter()
                .map(|u| super::redact_url(u))
                .collect::<Vec<_>>()
        };
        f.debug_struct("IndexSettings")
            .field("index_url", &super::redact_url(&self.index_url))
            .field("extra_index_urls", &redact_all(&self.extra_index_urls))
            .field("find_links", &redact_all(&self.find_links))
            .field("no_index", &self.no_index)
            .field("cache", &self.cache)
            .field("cert", &self.cert)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("retry_backoff", &self.retry_backoff)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

impl IndexSettings {
    /// Applies what pip's configuration sets (callers apply command-line flags afterwards).
    pub fn apply_pip_config(&mut self, config: &PipConfig) {
        if let Some(url) = &config.index_url {
            self.index_url.clone_from(&url.value);
        }
        if let Some(urls) = &config.extra_index_urls {
            self.extra_index_urls.clone_from(&urls.value);
        }
        if let Some(links) = &config.find_links {
            self.find_links.clone_from(&links.value);
        }
        if let Some(no_index) = &config.no_index {
            self.no_index = no_index.value;
        }
        if let Some(cert) = &config.cert {
            self.cert = Some(cert.value.clone());
        }
    }
}

/// Where a configuration value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// An environment variable.
    Env(String),
    /// A key in a section of a configuration file.
    File {
        /// The file.
        path: PathBuf,
        /// `global` or `install`.
        section: String,
        /// The key as written.
        key: String,
    },
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env(var) => write!(f, "environment variable {var}"),
            Self::File { path, section, key } => write!(f, "{} [{section}] {key}", path.display()),
        }
    }
}

/// A value and where it came from in pip's configuration.
pub type Sourced<T> = crate::util::Sourced<T, ConfigSource>;

/// The kinds of pip configuration files, in load order (later overrides earlier).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigFileKind {
    /// `/etc/xdg/pip/pip.conf`, `/etc/pip.conf` (`$XDG_CONFIG_DIRS`).
    Global,
    /// `~/.pip/pip.conf`, `~/.config/pip/pip.conf` (`$XDG_CONFIG_HOME`).
    User,
    /// `$VIRTUAL_ENV/pip.conf`.
    Site,
    /// `$PIP_CONFIG_FILE`.
    EnvFile,
}

/// What pip's configuration says about the index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PipConfig {
    /// `index-url`.
    pub index_url: Option<Sourced<String>>,
    /// `extra-index-url` (whitespace / line separated).
    pub extra_index_urls: Option<Sourced<Vec<String>>>,
    /// `find-links`.
    pub find_links: Option<Sourced<Vec<String>>>,
    /// `no-index`.
    pub no_index: Option<Sourced<bool>>,
    /// `cert`.
    pub cert: Option<Sourced<PathBuf>>,
    /// Configuration files that existed and were read, in order.
    pub files_read: Vec<PathBuf>,
    /// Problems met (unreadable files, bad booleans), for display; never fatal, as in pip.
    pub warnings: Vec<String>,
}

/// The configuration files pip would consider, in load order, given the environment.
pub fn pip_config_files(env: &impl Fn(&str) -> Option<String>) -> Vec<(ConfigFileKind, PathBuf)> {
    let mut files = Vec::new();
    let env_file = env("PIP_CONFIG_FILE").filter(|s| !s.is_empty());
    if env_file.as_deref() == Some("/dev/null") {
        return files;
    }
    let xdg_dirs = env("XDG_CONFIG_DIRS")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/etc/xdg".into());
    for dir in xdg_dirs.split(':').filter(|d| !d.is_empty()) {
        files.push((
            ConfigFileKind::Global,
            Path::new(dir).join("pip").join("pip.conf"),
        ));
    }
    files.push((ConfigFileKind::Global, PathBuf::from("/etc/pip.conf")));
    let env_file_exists = env_file.as_deref().is_some_and(|f| Path::new(f).exists());
    if !env_file_exists && let Some(home) = env("HOME").filter(|h| !h.is_empty()) {
        let home = PathBuf::from(home);
        files.push((ConfigFileKind::User, home.join(".pip").join("pip.conf")));
        let config_home = env("XDG_CONFIG_HOME")
            .filter(|s| !s.is_empty())
            .map_or_else(|| home.join(".config"), PathBuf::from);
        files.push((
            ConfigFileKind::User,
            config_home.join("pip").join("pip.conf"),
        ));
    }
    if let Some(venv) = env("VIRTUAL_ENV").filter(|s| !s.is_empty()) {
        files.push((ConfigFileKind::Site, Path::new(&venv).join("pip.conf")));
    }
    if let Some(file) = env_file {
        files.push((ConfigFileKind::EnvFile, PathBuf::from(file)));
    }
    files
}

/// Reads pip's configuration: the files of [`pip_config_files`], then `PIP_*` variables.
pub fn pip_configuration(env: &impl Fn(&str) -> Option<String>) -> PipConfig {
    pip_configuration_from(env, &pip_config_files(env))
}

/// Like [`pip_configuration`] with an explicit list of files (load order).
pub fn pip_configuration_from(
    env: &impl Fn(&str) -> Option<String>,
    files: &[(ConfigFileKind, PathBuf)],
) -> PipConfig {
    let mut config = PipConfig::default();
    // pip applies all [global] items (file order), then all [install] items, then env vars.
    let mut items: Vec<(String, String, ConfigSource)> = Vec::new();
    let mut install_items = Vec::new();
    for (_, path) in files {
        let text = match fs_err::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => {
                config
                    .warnings
                    .push(format!("could not read pip configuration: {err}"));
                continue;
            }
        };
        config.files_read.push(path.clone());
        for (section, key, value) in parse_ini(&text) {
            let source = ConfigSource::File {
                path: path.clone(),
                section: section.clone(),
                key: key.clone(),
            };
            match section.as_str() {
                "global" => items.push((key, value, source)),
                "install" => install_items.push((key, value, source)),
                _ => {}
            }
        }
    }
    items.extend(install_items);
    for (key, var) in [
        ("index-url", "PIP_INDEX_URL"),
        ("extra-index-url", "PIP_EXTRA_INDEX_URL"),
        ("find-links", "PIP_FIND_LINKS"),
        ("no-index", "PIP_NO_INDEX"),
        ("cert", "PIP_CERT"),
    ] {
        if let Some(value) = env(var) {
            items.push((key.to_string(), value, ConfigSource::Env(var.to_string())));
        }
    }
    for (key, value, source) in items {
        let key = key.to_ascii_lowercase().replace('_', "-");
        let list = || {
            value
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        match key.as_str() {
            "index-url" | "i" => {
                config.index_url = Some(Sourced {
                    value: value.trim().to_string(),
                    source,
                });
            }
            "extra-index-url" => {
                config.extra_index_urls = Some(Sourced {
                    value: list(),
                    source,
                });
            }
            "find-links" | "f" => {
                config.find_links = Some(Sourced {
                    value: list(),
                    source,
                });
            }
            "cert" => {
                config.cert = Some(Sourced {
                    value: PathBuf::from(value.trim()),
                    source,
                });
            }
            "no-index" => match parse_bool(&value) {
                Some(b) => config.no_index = Some(Sourced { value: b, source }),
                None => config
                    .warnings
                    .push(format!("{source}: `{}` is not a boolean", value.trim())),
            },
            _ => {}
        }
    }
    config
}

/// pip's `strtobool`.
fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "on" | "1" => Some(true),
        "n" | "no" | "f" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// Minimal `configparser` reading: `[section]`, `key = value` / `key: value`, indented
/// continuation lines appended with a newline, `#`/`;` comment lines. Section names are
/// compared case-sensitively (as configparser does), keys lowercased.
fn parse_ini(text: &str) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    let mut section: Option<String> = None;
    let mut continuing = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continuing = false;
            continue;
        }
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) && continuing {
            if let Some(last) = out.last_mut() {
                if !last.2.is_empty() {
                    last.2.push('\n');
                }
                last.2.push_str(trimmed);
            }
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = Some(name.trim().to_string());
            continuing = false;
            continue;
        }
        let Some(section) = &section else { continue };
        let Some(split) = trimmed.find(['=', ':']) else {
            continue;
        };
        let key = trimmed[..split].trim().to_ascii_lowercase();
        let value = trimmed[split + 1..].trim().to_string();
        out.push((section.clone(), key, value));
        continuing = true;
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    #[test]
    fn files_in_pip_order_and_env_file_suppresses_user_files() {
        let env = env_of(&[("HOME", "/home/u"), ("VIRTUAL_ENV", "/venv")]);
        let files: Vec<PathBuf> = pip_config_files(&env).into_iter().map(|(_, p)| p).collect();
        let expected: Vec<PathBuf> = [
            "/etc/xdg/pip/pip.conf",
            "/etc/pip.conf",
            "/home/u/.pip/pip.conf",
            "/home/u/.config/pip/pip.conf",
            "/venv/pip.conf",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(files, expected);
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("p.conf");
        fs_err::write(&conf, "").unwrap();
        let conf_s = conf.to_str().unwrap();
        let pairs = [("HOME", "/home/u"), ("PIP_CONFIG_FILE", conf_s)];
        let env = env_of(&pairs);
        let kinds: Vec<ConfigFileKind> =
            pip_config_files(&env).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            kinds,
            [
                ConfigFileKind::Global,
                ConfigFileKind::Global,
                ConfigFileKind::EnvFile
            ]
        );
        assert!(pip_config_files(&env_of(&[("PIP_CONFIG_FILE", "/dev/null")])).is_empty());
    }

    #[test]
    fn precedence_install_over_global_env_over_files_with_sources() {
        let dir = tempfile::tempdir().unwrap();
        let global = dir.path().join("global.conf");
        let user = dir.path().join("user.conf");
        fs_err::write(&global, "[install]\nindex-url = https://from-global-install/simple\n[global]\nfind-links = /a\n").unwrap();
        fs_err::write(
            &user,
            "# comment\n[global]\nindex_url = https://from-user-global/simple\nextra-index-url =\n    https://x1/simple\n    https://x2/simple\nno-index = yes\n",
        )
        .unwrap();
        let files = vec![
            (ConfigFileKind::Global, global.clone()),
            (ConfigFileKind::User, user.clone()),
        ];
        let config = pip_configuration_from(&env_of(&[]), &files);
        let index = config.index_url.unwrap();
        assert_eq!(
            index.value, "https://from-global-install/simple",
            "[install] beats [global]"
        );
        assert_eq!(
            index.source,
            ConfigSource::File {
                path: global.clone(),
                section: "install".into(),
                key: "index-url".into()
            }
        );
        assert_eq!(
            config.extra_index_urls.unwrap().value,
            ["https://x1/simple", "https://x2/simple"]
        );
        assert_eq!(config.find_links.unwrap().value, ["/a"]);
        assert!(config.no_index.unwrap().value);
        assert_eq!(config.files_read, [global.clone(), user.clone()]);

        let env = env_of(&[
            ("PIP_INDEX_URL", "https://env/simple"),
            ("PIP_EXTRA_INDEX_URL", "https://e1 https://e2"),
            ("PIP_NO_INDEX", "0"),
        ]);
        let config = pip_configuration_from(&env, &files);
        assert_eq!(
            config.index_url.as_ref().unwrap().value,
            "https://env/simple"
        );
        assert_eq!(
            config.index_url.unwrap().source,
            ConfigSource::Env("PIP_INDEX_URL".into())
        );
        assert_eq!(
            config.extra_index_urls.unwrap().value,
            ["https://e1", "https://e2"]
        );
        assert!(!config.no_index.unwrap().value);

        let mut settings = IndexSettings::default();
        settings.apply_pip_config(&pip_configuration_from(&env, &files));
        settings.extra_index_urls = vec!["https://u:hunter2@x/simple/".into()];
        assert!(!format!("{settings:?}").contains("hunter2"));
        assert_eq!(settings.index_url, "https://env/simple");
        assert_eq!(settings.find_links, ["/a"]);
    }
}
