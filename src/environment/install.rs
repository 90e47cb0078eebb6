//! What to install into a new environment and the installer command line that does it: exact
//! pins (`name==version`, `--no-deps` so nothing else sneaks in), `--only-binary` for the pins
//! assessed as wheels (never `--no-binary`), the index settings passed through, and credential
//! redaction for everything we log or report. The redaction is written here rather than taken
//! from the index client so this module stands alone.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::EnvError;

/// One pinned distribution to install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// The distribution name as written (validated as a PEP 508 name).
    pub name: String,
    /// The exact version (validated as a PEP 440 version).
    pub version: String,
    /// Install from a wheel only (the package was assessed as having one).
    pub binary_only: bool,
}

impl Pin {
    /// A pin, validated: a name or version that is not well-formed (or could pass for an installer
    /// option) is refused here, before any subprocess sees it.
    pub fn new(name: &str, version: &str, binary_only: bool) -> Result<Self, EnvError> {
        pep508_rs::PackageName::new(name.to_string())
            .map_err(|e| EnvError::InvalidPin(format!("{name}=={version}: {e}")))?;
        pep440_rs::Version::from_str(version)
            .map_err(|e| EnvError::InvalidPin(format!("{name}=={version}: {e}")))?;
        Ok(Self {
            name: name.to_string(),
            version: version.to_string(),
            binary_only,
        })
    }

    /// Parses `name==version`.
    pub fn parse(spec: &str, binary_only: bool) -> Result<Self, EnvError> {
        let (name, version) = spec
            .split_once("==")
            .ok_or_else(|| EnvError::InvalidPin(format!("{spec}: expected name==version")))?;
        Self::new(name.trim(), version.trim(), binary_only)
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=={}", self.name, self.version)
    }
}

/// Where the installer looks for distributions; passed through as-is (credentials included, but
/// never logged: see [`redact_text`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallIndex {
    /// `--index-url`; `None` leaves the installer's own default or configuration.
    pub index_url: Option<String>,
    /// `--extra-index-url`, in order.
    pub extra_index_urls: Vec<String>,
    /// `--find-links`: directories or URLs.
    pub find_links: Vec<String>,
    /// `--no-index`.
    pub no_index: bool,
}

/// Which installer fills the new environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Installer {
    /// `python -m pip` of the new environment itself (the default).
    #[default]
    Pip,
    /// `uv pip install --python <new env>`: this executable, or `uv` found on `PATH`.
    Uv(Option<PathBuf>),
}

impl Installer {
    /// The installer's display name.
    pub fn name(&self) -> &'static str {
        match self {
            Installer::Pip => "pip",
            Installer::Uv(_) => "uv",
        }
    }

    /// Checks the installer can run, before anything is built: uv must exist.
    pub(crate) fn resolve(&self) -> Result<Option<PathBuf>, EnvError> {
        match self {
            Installer::Pip => Ok(None),
            Installer::Uv(Some(path)) => {
                if path.is_file() {
                    Ok(Some(path.clone()))
                } else {
                    Err(EnvError::UvNotFound(format!(
                        "{} does not exist",
                        path.display()
                    )))
                }
            }
            Installer::Uv(None) => find_on_path("uv")
                .map(Some)
                .ok_or_else(|| EnvError::UvNotFound("no `uv` executable on PATH".to_string())),
        }
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The full installer command for `pins` into the environment whose interpreter is `env_python`.
/// `uv` is the resolved uv executable when the installer is uv.
pub(crate) fn install_command(
    env_python: &Path,
    uv: Option<&Path>,
    pins: &[Pin],
    index: &InstallIndex,
) -> Command {
    let mut cmd;
    if let Some(uv) = uv {
        cmd = Command::new(uv);
        cmd.args(["pip", "install", "--python"])
            .arg(env_python)
            .arg("--no-deps");
        for pin in pins.iter().filter(|p| p.binary_only) {
            cmd.arg(format!("--only-binary={}", pin.name));
        }
    } else {
        cmd = Command::new(env_python);
        cmd.args([
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-input",
            "--disable-pip-version-check",
        ]);
        let binary: Vec<&str> = pins
            .iter()
            .filter(|p| p.binary_only)
            .map(|p| p.name.as_str())
            .collect();
        if !binary.is_empty() {
            cmd.arg(format!("--only-binary={}", binary.join(",")));
        }
    }
    // `--opt=value` so that a value can never be read as an option.
    if let Some(url) = &index.index_url {
        cmd.arg(format!("--index-url={url}"));
    }
    for url in &index.extra_index_urls {
        cmd.arg(format!("--extra-index-url={url}"));
    }
    for link in &index.find_links {
        cmd.arg(format!("--find-links={link}"));
    }
    if index.no_index {
        cmd.arg("--no-index");
    }
    cmd.args(pins.iter().map(ToString::to_string));
    cmd
}

pub use crate::util::redact::redact_text;

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cmd: &Command) -> Vec<String> {
        cmd.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn pins_are_validated() {
        assert!(Pin::parse("requests==2.31.0", true).is_ok());
        assert!(Pin::parse("--index-url==1.0", true).is_err());
        assert!(Pin::parse("requests>=2", true).is_err());
        assert!(Pin::parse("requests==not a version", true).is_err());
    }

    #[test]
    fn pip_command_is_exact_and_binary_only_for_wheels() {
        let pins = vec![
            Pin::parse("numpy==2.0.0", true).unwrap(),
            Pin::parse("oldthing==0.1", false).unwrap(),
            Pin::parse("attrs==23.1.0", true).unwrap(),
        ];
        let index = InstallIndex {
            index_url: Some("https://u:secret@mirror.example/simple".into()),
            extra_index_urls: vec!["https://extra.example/simple".into()],
            find_links: vec!["/wheels dir".into()],
            no_index: false,
        };
        let cmd = install_command(Path::new("/env/bin/python"), None, &pins, &index);
        let a = args(&cmd);
        assert_eq!(&a[..4], ["-m", "pip", "install", "--no-deps"]);
        assert!(a.contains(&"--only-binary=numpy,attrs".to_string()));
        assert!(!a.iter().any(|x| x.contains("no-binary")));
        assert!(a.contains(&"--find-links=/wheels dir".to_string()));
        assert_eq!(
            &a[a.len() - 3..],
            ["numpy==2.0.0", "oldthing==0.1", "attrs==23.1.0"]
        );
        let shown = super::super::process::display(&cmd);
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("***@mirror.example"), "{shown}");
    }

    #[test]
    fn uv_command_targets_the_new_env() {
        let pins = vec![Pin::parse("numpy==2.0.0", true).unwrap()];
        let index = InstallIndex {
            no_index: true,
            ..InstallIndex::default()
        };
        let cmd = install_command(
            Path::new("/env/bin/python"),
            Some(Path::new("/usr/bin/uv")),
            &pins,
            &index,
        );
        assert_eq!(cmd.get_program(), "/usr/bin/uv");
        let a = args(&cmd);
        assert_eq!(
            a,
            [
                "pip",
                "install",
                "--python",
                "/env/bin/python",
                "--no-deps",
                "--only-binary=numpy",
                "--no-index",
                "numpy==2.0.0"
            ]
        );
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact_text("Looking in https://alice:pw@host/simple and http://tok@h2/x"),
            "Looking in https://***@host/simple and http://***@h2/x"
        );
        assert_eq!(
            redact_text("no creds https://host/a@b"),
            "no creds https://host/a@b"
        );
    }
}
