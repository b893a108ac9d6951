//! Where fraudloop keeps its files, and how settings are layered.
//!
//! # Brief overview
//! - [`Home`] is the shared volume every service reads and writes: models under
//!   `artifacts/`, production data under `data/`, drift reports under `reports/`.
//!   [`Home::resolve`] is the one way every binary finds it: `--home`, else `FRAUDLOOP_HOME`,
//!   else the current directory. The layout is decided here and nowhere else.
//! - [`load_layered`] builds a typed settings value from its defaults, an optional TOML file
//!   and `PREFIX_`-prefixed environment variables (`__` separates nested keys), in that order
//!   of precedence. Unknown keys are errors, so a typo fails at start-up instead of being
//!   ignored. [`load_service_settings`] does the same for a service, whose prefix other
//!   services share for their own settings (`PREDICT_API_URL` is the web UI's address of
//!   predict-api, not a predict-api setting): there the environment contributes only the
//!   settings the service has, and the file stays strict.
//! - [`AdminToken`] is the bearer token of every service's admin endpoints, with the one
//!   check of an `Authorization` header against it.
//!
//! **Architecture invariant:** no model, HTTP or CLI types; services turn these values into
//! their own settings.
#![deny(missing_docs)]

mod admin;

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::{Figment, Provider};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use admin::{AdminDenied, AdminToken};

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

    /// The home of every binary: the command line's `--home`, else [`HOME_ENV`], else the
    /// current directory.
    pub fn resolve(explicit: Option<PathBuf>) -> Home {
        let from_env = || {
            std::env::var_os(HOME_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Home::new(
            explicit
                .or_else(from_env)
                .unwrap_or_else(|| PathBuf::from(".")),
        )
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

    /// The feedback agent's notices, answers, outbox and embedding cache: `<home>/agent`.
    pub fn agent(&self) -> PathBuf {
        self.root.join("agent")
    }
}

/// Deserializes an optional text setting that the environment may have typed as a number or
/// a boolean (`PREDICT_API_INSTANCE=7` arrives as the number 7).
pub fn string_like<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Unsigned(u64),
        Signed(i64),
        Float(f64),
        Bool(bool),
    }
    let value: Option<Scalar> = serde::Deserialize::deserialize(deserializer)?;
    Ok(value.map(|v| match v {
        Scalar::Text(s) => s,
        Scalar::Unsigned(n) => n.to_string(),
        Scalar::Signed(n) => n.to_string(),
        Scalar::Float(n) => n.to_string(),
        Scalar::Bool(b) => b.to_string(),
    }))
}

/// Settings could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct ConfigError(String);

/// Defaults, then the TOML `file` (when given it must exist), then environment variables
/// starting with `env_prefix` (e.g. `FRAUDLOOP_TRAINER_` + `TFIDF__MIN_DF=3`). Every key,
/// in the file or the environment, must be a setting.
pub fn load_layered<T>(file: Option<&Path>, env_prefix: &str) -> Result<T, ConfigError>
where
    T: Serialize + DeserializeOwned + Default,
{
    layered::<T>(file, Env::prefixed(env_prefix).split("__"))
}

/// Like [`load_layered`], for a service: environment variables with the prefix that do not
/// name a setting are left alone (another service's client settings such as
/// `PREDICT_API_URL`, or secrets the service reads by themselves such as
/// `PREDICT_API_ADMIN_TOKEN`). The file stays strict.
pub fn load_service_settings<T>(file: Option<&Path>, env_prefix: &str) -> Result<T, ConfigError>
where
    T: Serialize + DeserializeOwned + Default,
{
    let known: Vec<String> = match Serialized::defaults(T::default()).data() {
        Ok(data) => data
            .values()
            .flat_map(|dict| dict.keys().cloned())
            .collect(),
        Err(e) => return Err(ConfigError(e.to_string())),
    };
    let env = Env::prefixed(env_prefix)
        .filter(move |key| {
            let top = key.as_str().split("__").next().unwrap_or_default();
            known.iter().any(|k| k.eq_ignore_ascii_case(top))
        })
        .split("__");
    layered::<T>(file, env)
}

fn layered<T>(file: Option<&Path>, env: Env) -> Result<T, ConfigError>
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
    figment
        .merge(env)
        .extract()
        .map_err(|e| ConfigError(e.to_string()))
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
    fn services_read_only_their_own_settings_from_the_environment() {
        std::env::set_var("FRAUDLOOP_CFGTEST_D_FOLDS", "7");
        std::env::set_var("FRAUDLOOP_CFGTEST_D_INNER__MIN_DF", "8");
        // Another service's client setting and a secret share the prefix.
        std::env::set_var("FRAUDLOOP_CFGTEST_D_URL", "http://127.0.0.1:8000");
        std::env::set_var("FRAUDLOOP_CFGTEST_D_ADMIN_TOKEN", "s3cret-token");
        let s: Settings = load_service_settings(None, "FRAUDLOOP_CFGTEST_D_").unwrap();
        assert_eq!((s.folds, s.inner.min_df), (7, 8));
        // The strict loader refuses them.
        assert!(load_layered::<Settings>(None, "FRAUDLOOP_CFGTEST_D_").is_err());
        // A typo inside a known section is still an error.
        std::env::set_var("FRAUDLOOP_CFGTEST_E_INNER__MIN_DX", "8");
        let err = load_service_settings::<Settings>(None, "FRAUDLOOP_CFGTEST_E_").unwrap_err();
        assert!(err.to_string().contains("min_dx"), "{err}");
    }

    #[test]
    fn home_layout() {
        let home = Home::new("/srv/fraudloop");
        assert_eq!(home.artifacts(), PathBuf::from("/srv/fraudloop/artifacts"));
        assert_eq!(home.data(), PathBuf::from("/srv/fraudloop/data"));
        assert_eq!(
            Home::resolve(Some("/x".into())).root(),
            Path::new("/x"),
            "--home wins over the environment"
        );
    }
}
