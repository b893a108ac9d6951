//! Where fraudloop keeps its files, and how settings are layered.
//!
//! # Brief overview
//! - [`Home`] is the shared volume every service reads and writes: models under
//!   `artifacts/`, production data under `data/`, drift reports under `reports/`. It comes from
//!   `--home`, else `FRAUDLOOP_HOME`, else the current directory. The layout is decided here and
//!   nowhere else.
//! - [`load_layered`] builds a typed settings value from its defaults, an optional TOML file
//!   and `PREFIX_`-prefixed environment variables (`__` separates nested keys), in that order
//!   of precedence. Unknown keys are errors, so a typo fails at start-up instead of being
//!   ignored.
//! - [`AdminToken`] is the bearer token of every service's admin endpoints, with the one
//!   check of an `Authorization` header against it.
//!
//! **Architecture invariant:** no model, HTTP or CLI types; services turn these values into
//! their own settings.
#![deny(missing_docs)]

mod admin;

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use admin::{AdminDenied, AdminToken, AdminTokenParser};

/// The environment variable naming the shared home directory.
pub const HOME_ENV: &str = "FRAUDLOOP_HOME";

/// The shared home directory and its layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// A home rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Home {
        Home { root: root.into() }
    }

    /// The home from a command-line value (clap fills it from [`HOME_ENV`] too), else the
    /// current directory.
    pub fn from_arg(explicit: Option<PathBuf>) -> Home {
        Home::new(explicit.unwrap_or_else(|| PathBuf::from(".")))
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Model registry: `<home>/artifacts`.
    pub fn artifacts(&self) -> PathBuf {
        self.root.join("artifacts")
    }

    /// Production data (prediction and feedback logs): `<home>/data`.
    pub fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Drift reports: `<home>/reports`.
    pub fn reports(&self) -> PathBuf {
        self.root.join("reports")
    }
}

/// Settings could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct ConfigError(String);

/// Defaults, then the TOML `file` (when given it must exist), then environment variables
/// starting with `env_prefix` (e.g. `FRAUDLOOP_TRAINER_` + `TFIDF__MIN_DF=3`).
pub fn load_layered<T>(file: Option<&Path>, env_prefix: &str) -> Result<T, ConfigError>
where
    T: Serialize + DeserializeOwned + Default,
{
    let mut figment = Figment::from(Serialized::defaults(T::default()));
    if let Some(path) = file {
        if !path.is_file() {
            return Err(ConfigError(format!(
                "config file {} does not exist",
                path.display()
            )));
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    figment = figment.merge(Env::prefixed(env_prefix).split("__"));
    figment.extract().map_err(|e| ConfigError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Inner {
        min_df: usize,
        name: String,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Settings {
        folds: usize,
        inner: Inner,
    }

    impl Default for Inner {
        fn default() -> Self {
            Inner {
                min_df: 2,
                name: "x".into(),
            }
        }
    }

    impl Default for Settings {
        fn default() -> Self {
            Settings {
                folds: 5,
                inner: Inner::default(),
            }
        }
    }

    #[test]
    fn file_overrides_defaults_and_env_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, "folds = 3\n[inner]\nmin_df = 4\n").unwrap();
        let s: Settings = load_layered(Some(&path), "FRAUDLOOP_CFGTEST_A_").unwrap();
        assert_eq!(
            s,
            Settings {
                folds: 3,
                inner: Inner {
                    min_df: 4,
                    name: "x".into()
                }
            }
        );

        std::env::set_var("FRAUDLOOP_CFGTEST_B_INNER__MIN_DF", "9");
        let s: Settings = load_layered(Some(&path), "FRAUDLOOP_CFGTEST_B_").unwrap();
        assert_eq!(s.inner.min_df, 9);
    }

    #[test]
    fn unknown_keys_and_missing_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, "fodls = 3\n").unwrap();
        let err = load_layered::<Settings>(Some(&path), "FRAUDLOOP_CFGTEST_C_").unwrap_err();
        assert!(err.to_string().contains("fodls"), "{err}");
        assert!(load_layered::<Settings>(
            Some(&dir.path().join("none.toml")),
            "FRAUDLOOP_CFGTEST_C_"
        )
        .is_err());
    }

    #[test]
    fn home_layout() {
        let home = Home::new("/srv/fraudloop");
        assert_eq!(home.artifacts(), PathBuf::from("/srv/fraudloop/artifacts"));
        assert_eq!(home.data(), PathBuf::from("/srv/fraudloop/data"));
        assert_eq!(Home::from_arg(None).root(), Path::new("."));
    }
}
