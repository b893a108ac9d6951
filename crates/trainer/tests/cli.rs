//! End-to-end tests of the `trainer` binary: real processes, real files in temporary homes,
//! no network.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

const METRIC_KEYS: [&str; 8] = [
    "accuracy",
    "precision",
    "recall",
    "f1",
    "balanced_accuracy",
    "roc_auc",
    "pr_auc",
    "confusion",
];

const REF_DATA_HEADER: &str = "text,label,split,fold,risk_score,predicted_label,length,word_count,\
upper_share,digit_share,url_count,email_count,phone_count,money_count,exclamation_count,\
cjk_share,oov_rate,folded";

/// What a finished `trainer` process left behind.
#[derive(Debug)]
struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// A `trainer` command with a clean environment: no inherited fraudloop settings, a fixed
/// `$USER`, an unreachable npm registry (so nothing can reach the network) and `cwd` as the
/// working directory (so a missing `--home` never touches the source tree).
fn trainer(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trainer"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("FRAUDLOOP_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env("USER", "tester")
        .env("NPM_CONFIG_REGISTRY", "http://127.0.0.1:9")
        .env_remove("RUST_LOG")
        .current_dir(cwd);
    cmd
}

fn output(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the trainer binary runs");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `trainer --home <home> <args>`.
fn run(home: &Path, args: &[&str]) -> Output {
    output(trainer(home).arg("--home").arg(home).args(args))
}

/// Runs and asserts success; returns stdout.
fn ok(home: &Path, args: &[&str]) -> String {
    let out = run(home, args);
    assert_eq!(out.code, Some(0), "trainer {args:?} failed: {out:?}");
    out.stdout
}

/// Runs and asserts exit code 1 with an `error:` line; returns stderr.
fn fails(home: &Path, args: &[&str]) -> String {
    let out = run(home, args);
    assert_eq!(out.code, Some(1), "trainer {args:?} should fail: {out:?}");
    assert!(
        out.stderr.starts_with("error: "),
        "stderr of {args:?}: {out:?}"
    );
    assert!(
        out.stdout.is_empty(),
        "a failing {args:?} printed on stdout: {out:?}"
    );
    out.stderr
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn s(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// Writes a demo corpus of `rows` messages into `dir`.
fn demo(dir: &Path, name: &str, rows: usize, seed: u64) -> PathBuf {
    let path = dir.join(name);
    ok(
        dir,
        &[
            "demo-data",
            "--out",
            s(&path),
            "--rows",
            &rows.to_string(),
            "--seed",
            &seed.to_string(),
        ],
    );
    path
}

fn read_json_file(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn assert_metric_keys(v: &Value) {
    for key in METRIC_KEYS {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    for key in METRIC_KEYS.iter().filter(|k| **k != "confusion") {
        let x = v[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} is not a number in {v}"));
        assert!((0.0..=1.0).contains(&x), "{key} = {x}");
    }
    let c = &v["confusion"];
    let mut total = 0;
    for key in ["tp", "fp", "tn", "fn"] {
        total += c[key]
            .as_u64()
            .unwrap_or_else(|| panic!("confusion.{key} missing in {v}"));
    }
    assert_eq!(
        Some(total),
        v["rows"].as_u64(),
        "confusion does not add up: {v}"
    );
}

/// The `artifacts/models/v*` directories of a home.
fn model_dirs(home: &Path) -> Vec<String> {
    let models = home.join("artifacts/models");
    let Ok(entries) = std::fs::read_dir(&models) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('v'))
        .collect();
    names.sort();
    names
}

/// A failed command must leave no model, alias, history entry or staging leftover.
fn assert_nothing_registered(home: &Path) {
    assert_eq!(model_dirs(home), Vec::<String>::new());
    let artifacts = home.join("artifacts");
    assert!(!artifacts.join("aliases.json").exists());
    assert!(!artifacts.join("history.jsonl").exists());
    if let Ok(entries) = std::fs::read_dir(artifacts.join(".staging")) {
        assert_eq!(
            entries.count(),
            0,
            "staging leftovers in {}",
            home.display()
        );
    }
}

/// Writes `content` as `name` in a fresh home, runs `train --data` on it with `extra` args and
/// checks the run fails with every `expected` substring in stderr and writes nothing.
fn assert_train_rejects(name: &str, content: &[u8], extra: &[&str], expected: &[&str]) {
    let home = TempDir::new().unwrap();
    let path = home.path().join(name);
    std::fs::write(&path, content).unwrap();
    let mut args = vec!["train", "--data", s(&path)];
    args.extend_from_slice(extra);
    let stderr = fails(home.path(), &args);
    for e in expected {
        let e = e.replace("{file}", s(&path));
        assert!(stderr.contains(&e), "stderr lacks {e:?}: {stderr}");
    }
    assert_nothing_registered(home.path());
}

// ---------------------------------------------------------------- 1. training, happy path

#[test]
fn train_registers_a_first_production_model_with_its_reference_set() {
    let home = TempDir::new().unwrap();
    let data = demo(home.path(), "data.csv", 600, 7);
    let report = json(&ok(home.path(), &["train", "--data", s(&data), "--json"]));

    assert_metric_keys(&report);
    assert_eq!(report["version"], "v0001");
    assert_eq!(report["promoted"], true);
    assert_eq!(report["evaluated_on"], "test");
    let f1 = report["f1"].as_f64().unwrap();
    assert!(f1 > 0.8, "f1 {f1} on the demo corpus");
    let (train_rows, test_rows) = (
        report["train_rows"].as_u64().unwrap(),
        report["test_rows"].as_u64().unwrap(),
    );
    assert_eq!(train_rows + test_rows, 600);
    assert!((110..=130).contains(&test_rows), "test_rows {test_rows}");
    assert_eq!(report["rows"].as_u64(), Some(test_rows));

    let bundle = home.path().join("artifacts/models/v0001");
    for file in [
        "manifest.json",
        "manifest.sha256",
        "model.json",
        "metrics.json",
        "ref_data.csv",
    ] {
        assert!(
            bundle.join(file).is_file(),
            "{file} missing from the bundle"
        );
    }
    assert_eq!(model_dirs(home.path()), ["v0001"]);
    let metrics = read_json_file(&bundle.join("metrics.json"));
    assert_eq!(metrics["f1"], report["f1"]);
    let manifest = read_json_file(&bundle.join("manifest.json"));
    assert_eq!(manifest["version"], "v0001");
    assert_eq!(manifest["training_data"]["rows"], 600);

    let aliases = read_json_file(&home.path().join("artifacts/aliases.json"));
    assert_eq!(aliases["production"], "v0001");
    assert_eq!(aliases["previous"], Value::Null);

    // ref_data.csv: one row per input row, with unseen scores and fold numbers.
    let ref_bytes = std::fs::read(bundle.join("ref_data.csv")).unwrap();
    let ref_text = String::from_utf8(ref_bytes.clone()).unwrap();
    assert_eq!(ref_text.lines().next(), Some(REF_DATA_HEADER));
    let mut reader = csv::Reader::from_reader(ref_bytes.as_slice());
    let mut ref_rows = Vec::new();
    let (mut n_train, mut n_test) = (0, 0);
    for record in reader.records() {
        let r = record.unwrap();
        assert_eq!(r.len(), REF_DATA_HEADER.split(',').count(), "{r:?}");
        let score: f64 = r[4].parse().unwrap();
        assert!((0.0..=1.0).contains(&score), "risk_score {score} in {r:?}");
        assert!(
            ["fraud", "legit"].contains(&&r[5]),
            "predicted_label in {r:?}"
        );
        match &r[2] {
            "test" => {
                n_test += 1;
                assert_eq!(&r[3], "", "a test row has a fold: {r:?}");
            }
            "train" => {
                n_train += 1;
                let fold: usize = r[3]
                    .parse()
                    .unwrap_or_else(|_| panic!("a train row without a fold: {r:?}"));
                assert!(fold < 5, "fold {fold} with 5 folds");
            }
            other => panic!("split {other:?} in {r:?}"),
        }
        for value in r.iter().skip(6) {
            let v: f64 = value.parse().unwrap();
            assert!(v.is_finite() && v >= 0.0, "descriptor {v} in {r:?}");
        }
        ref_rows.push((r[0].to_string(), r[1].to_string()));
    }
    assert_eq!((n_train, n_test), (train_rows, test_rows));

    let mut input_rows: Vec<(String, String)> = csv::Reader::from_path(&data)
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string())
        })
        .collect();
    assert_eq!(input_rows.len(), 600);
    input_rows.sort();
    ref_rows.sort();
    assert_eq!(
        ref_rows, input_rows,
        "ref_data.csv rows differ from the input"
    );
}

// ---------------------------------------------------------------- 2. promote, rollback

#[test]
fn promote_rollback_and_history() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let data = demo(h, "data.csv", 600, 3);
    let first = json(&ok(h, &["train", "--data", s(&data), "--json"]));
    assert_eq!(
        (&first["version"], &first["promoted"]),
        (&"v0001".into(), &true.into())
    );
    let second = json(&ok(h, &["train", "--data", s(&data), "--json"]));
    assert_eq!(second["version"], "v0002");
    assert_eq!(second["promoted"], false);
    assert_eq!(model_dirs(h), ["v0001", "v0002"]);

    let list = json(&ok(h, &["list", "--json"]));
    assert_eq!(list["production"], "v0001");
    assert_eq!(list["previous"], Value::Null);

    let out = ok(
        h,
        &["promote", "v0002", "--actor", "ci", "--reason", "test"],
    );
    assert_eq!(out.trim(), "v0002 is production (previous: v0001)");
    let list = json(&ok(h, &["list", "--json"]));
    assert_eq!(list["production"], "v0002");
    assert_eq!(list["previous"], "v0001");
    let versions = list["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["version"], "v0001");
    assert_eq!(versions[0]["aliases"], serde_json::json!(["previous"]));
    assert_eq!(versions[1]["version"], "v0002");
    assert_eq!(versions[1]["aliases"], serde_json::json!(["production"]));
    assert_eq!(versions[1]["training_rows"], 600);
    assert!(versions[1]["f1"].as_f64().is_some(), "{list}");

    let stderr = fails(h, &["promote", "v0002", "--actor", "ci"]);
    assert!(stderr.contains("v0002 is already production"), "{stderr}");

    let out = ok(h, &["rollback"]);
    assert_eq!(
        out.trim(),
        "rolled back: v0001 is production again (previous: v0002)"
    );
    let list = json(&ok(h, &["list", "--json"]));
    assert_eq!(list["production"], "v0001");
    assert_eq!(list["previous"], "v0002");
    let aliases = read_json_file(&h.join("artifacts/aliases.json"));
    assert_eq!(aliases["production"], "v0001");

    let history = json(&ok(h, &["history", "--json"]));
    let events = history["events"].as_array().unwrap();
    assert_eq!(events.len(), 3, "{history}");
    let field = |key: &str| events.iter().map(|e| e[key].clone()).collect::<Vec<_>>();
    assert_eq!(
        field("kind"),
        [Value::from("initial"), "promote".into(), "rollback".into()]
    );
    assert_eq!(
        field("version"),
        [Value::from("v0001"), "v0002".into(), "v0001".into()]
    );
    assert_eq!(
        field("replaced"),
        [Value::Null, "v0001".into(), "v0002".into()]
    );
    assert_eq!(
        field("actor"),
        [Value::from("registry"), "ci".into(), "tester".into()]
    );
    assert_eq!(events[1]["reason"], "test");
    assert_eq!(events[2]["reason"], "manual rollback");
}

// ---------------------------------------------------------------- 3. evaluate

#[test]
fn evaluate_reports_metrics_and_rejects_unknown_models() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let train = demo(h, "train.csv", 600, 5);
    let eval = demo(h, "eval.csv", 200, 6);

    let stderr = fails(h, &["evaluate", "--data", s(&eval)]);
    assert!(
        stderr.contains("no model is aliased production yet"),
        "{stderr}"
    );

    ok(h, &["train", "--data", s(&train), "--json"]);
    let v = json(&ok(h, &["evaluate", "--data", s(&eval), "--json"]));
    assert_metric_keys(&v);
    assert_eq!(v["version"], "v0001");
    assert_eq!(v["rows"], 200);
    let metrics = read_json_file(&h.join("artifacts/models/v0001/metrics.json"));
    assert_eq!(v["threshold"], metrics["threshold"]);
    assert!(v["f1"].as_f64().unwrap() > 0.7, "{v}");

    let by_version = json(&ok(
        h,
        &["evaluate", "--data", s(&eval), "--model", "v0001", "--json"],
    ));
    assert_eq!(by_version, v);

    let text = ok(h, &["evaluate", "--data", s(&eval)]);
    assert!(text.starts_with("v0001 on 200 rows\n"), "{text}");

    // The demo CSV has a kind column: recall and precision per kind, counted from the rows.
    let per_kind = v["per_kind"]
        .as_array()
        .expect("per_kind with a kind column");
    let rows: u64 = per_kind.iter().map(|k| k["rows"].as_u64().unwrap()).sum();
    assert_eq!(rows, 200);
    let tp = v["confusion"]["tp"].as_u64().unwrap();
    let caught: f64 = per_kind
        .iter()
        .filter_map(|k| Some(k["recall"].as_f64()? * k["fraud"].as_f64()?))
        .sum();
    assert!((caught - tp as f64).abs() < 1e-6, "{caught} vs tp {tp}");
    assert!(per_kind.iter().any(|k| k["kind"] == "legit_otp"), "{v}");
    assert!(text.contains("per kind\n"), "{text}");
    assert!(text.contains("legit_otp"), "{text}");
    // Without a kind column there is no per-kind block.
    let plain = h.join("plain.csv");
    std::fs::write(
        &plain,
        "text,label\nwin a prize now http://x.top,fraud\nlunch at noon?,legit\n",
    )
    .unwrap();
    let v = json(&ok(h, &["evaluate", "--data", s(&plain), "--json"]));
    assert!(v.get("per_kind").is_none(), "{v}");

    let stderr = fails(
        h,
        &["evaluate", "--data", s(&eval), "--model", "v0009", "--json"],
    );
    assert!(
        stderr.contains("model version v0009 does not exist"),
        "{stderr}"
    );
    let stderr = fails(h, &["evaluate", "--data", s(&eval), "--model", "prod"]);
    assert!(
        stderr.contains("\"prod\" is neither a model version"),
        "{stderr}"
    );
}

#[test]
fn train_searches_c_unless_the_config_fixes_it() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let data = demo(h, "data.csv", 600, 8);

    let searched = json(&ok(h, &["train", "--data", s(&data), "--json"]));
    let grid = searched["search"]["grid"].as_array().unwrap();
    assert_eq!(searched["search"]["searched"], true);
    assert_eq!(grid.len(), 6, "{searched}");
    let best = grid
        .iter()
        .map(|p| p["score"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    let chosen = searched["c"].as_f64().unwrap();
    let chosen_score = grid.iter().find(|p| p["c"] == chosen).unwrap()["score"]
        .as_f64()
        .unwrap();
    assert_eq!(chosen_score, best, "{searched}");
    assert!(
        searched["calibration"]["ece"].as_f64().is_some(),
        "{searched}"
    );
    assert!(searched["ece"].as_f64().unwrap() < 0.2, "{searched}");

    // A value of C in the file fixes it: one grid point, no search.
    let config = h.join("trainer.toml");
    std::fs::write(&config, "[logistic]\nc = 7.5\n").unwrap();
    let fixed = json(&ok(
        h,
        &[
            "train",
            "--data",
            s(&data),
            "--config",
            s(&config),
            "--json",
        ],
    ));
    assert_eq!(fixed["search"]["searched"], false, "{fixed}");
    assert_eq!(fixed["c"], 7.5);
    assert_eq!(fixed["search"]["grid"].as_array().unwrap().len(), 1);
    // So does the environment, and a grid in the file is searched with its metric.
    let out = output(
        trainer(h)
            .args(["--home", s(h), "train", "--data", s(&data), "--json"])
            .env("FRAUDLOOP_TRAINER_LOGISTIC__C", "30"),
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(json(&out.stdout)["c"], 30.0);
    std::fs::write(&config, "[search]\nc = [0.5, 5.0]\nmetric = \"pr_auc\"\n").unwrap();
    let grid = json(&ok(
        h,
        &[
            "train",
            "--data",
            s(&data),
            "--config",
            s(&config),
            "--json",
        ],
    ));
    assert_eq!(grid["search"]["metric"], "pr_auc");
    assert_eq!(grid["search"]["grid"].as_array().unwrap().len(), 2);

    let list = json(&ok(h, &["list", "--json"]));
    let versions = list["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 4);
    assert_eq!(versions[1]["c"], 7.5);
    assert!(versions[0]["ece"].as_f64().is_some(), "{list}");
    assert!(versions[0]["search"]["grid"].is_array(), "{list}");
    let text = ok(h, &["list"]);
    assert!(text.lines().next().unwrap().contains("ECE"), "{text}");
}

// ---------------------------------------------------------------- 4. bad input

#[test]
fn train_rejects_a_missing_column() {
    let source = TempDir::new().unwrap();
    let data = demo(source.path(), "data.csv", 50, 1);
    let content = std::fs::read(data).unwrap();
    assert_train_rejects(
        "data.csv",
        &content,
        &["--label-col", "nope"],
        &["{file}: missing column \"nope\" (columns found: text, label, theme, language, kind, template)"],
    );
}

#[test]
fn train_rejects_an_empty_file() {
    assert_train_rejects(
        "empty.csv",
        b"",
        &[],
        &["{file}: the file is empty: expected a header line and data rows"],
    );
    assert_train_rejects("blank.csv", b"\n  \n", &[], &["{file}: the file is empty"]);
}

#[test]
fn train_rejects_a_header_only_file() {
    assert_train_rejects(
        "header.csv",
        b"text,label\n",
        &[],
        &["{file}: no data rows after the header"],
    );
}

#[test]
fn train_rejects_an_unknown_label_naming_its_line() {
    assert_train_rejects(
        "labels.csv",
        b"text,label\nhello there,legit\nwin cash now,fraud\nbuy this,maybe\nok,legit\n",
        &[],
        &["{file}:4: unknown label \"maybe\": expected fraud/legit"],
    );
    // A quoted multi-line text counts its physical lines.
    assert_train_rejects(
        "multiline.csv",
        b"text,label\n\"first\nsecond\",legit\nwin cash now,fraud\nbuy this,maybe\n",
        &[],
        &["{file}:5: unknown label \"maybe\""],
    );
}

#[test]
fn train_error_lines_are_physical_lines_with_crlf() {
    assert_train_rejects(
        "crlf.csv",
        b"text,label\r\nhello,legit\r\nwin cash,fraud\r\nbuy this,maybe\r\n",
        &[],
        &["{file}:4: unknown label \"maybe\""],
    );
    assert_train_rejects(
        "crlf_utf8.csv",
        b"text,label\r\nhello,legit\r\nwin cash,fraud\r\ncaf\xe9 prize,fraud\r\n",
        &[],
        &["{file}:4: text is not valid UTF-8"],
    );
}

#[test]
fn train_error_lines_are_physical_lines_after_a_blank_line() {
    assert_train_rejects(
        "blank_line.csv",
        b"text,label\nhello,legit\nwin cash,fraud\n\nbuy this,maybe\n",
        &[],
        &["{file}:5: unknown label \"maybe\""],
    );
}

#[test]
fn train_rejects_a_single_class() {
    assert_train_rejects(
        "one.csv",
        b"text,label\nhello,legit\nsee you at 3,ham\nlunch?,0\n",
        &[],
        &["{file}: only one class present (fraud: 0, legit: 3); training needs both"],
    );
}

#[test]
fn train_rejects_non_utf8_naming_its_line() {
    assert_train_rejects(
        "latin1.csv",
        b"text,label\nhello,legit\nwin cash,fraud\ncaf\xe9 prize,fraud\n",
        &[],
        &["{file}:4: text is not valid UTF-8 (field 1); re-encode the file as UTF-8"],
    );
}

#[test]
fn train_rejects_empty_text_and_ragged_rows() {
    assert_train_rejects(
        "blank_text.csv",
        b"text,label\nhello,legit\n   ,fraud\n",
        &[],
        &["{file}:3: empty text in column \"text\""],
    );
    assert_train_rejects(
        "ragged.csv",
        b"text,label\nhello,legit\nwin,fraud,extra\n",
        &[],
        &["{file}:3: 3 fields where the header has 2"],
    );
}

#[test]
fn train_rejects_a_missing_data_file() {
    let home = TempDir::new().unwrap();
    let missing = home.path().join("nowhere.csv");
    let stderr = fails(home.path(), &["train", "--data", s(&missing)]);
    assert!(
        stderr.contains(&format!("{}: cannot read: ", s(&missing))),
        "{stderr}"
    );
    assert!(stderr.contains("No such file or directory"), "{stderr}");
    assert_nothing_registered(home.path());
}

#[test]
fn train_rejects_a_bad_test_data_file() {
    let home = TempDir::new().unwrap();
    let data = demo(home.path(), "data.csv", 100, 2);
    let test = home.path().join("test.csv");
    std::fs::write(&test, "text,label\nhello,legit\nwin,fraud\nhm,perhaps\n").unwrap();
    let stderr = fails(
        home.path(),
        &["train", "--data", s(&data), "--test-data", s(&test)],
    );
    assert!(
        stderr.contains(&format!("{}:4: unknown label \"perhaps\"", s(&test))),
        "{stderr}"
    );
    assert_nothing_registered(home.path());
}

#[test]
fn train_rejects_an_unknown_config_key() {
    let source = TempDir::new().unwrap();
    let data = demo(source.path(), "data.csv", 50, 1);
    let config = source.path().join("trainer.toml");
    std::fs::write(&config, "fodls = 3\n").unwrap();
    let home = TempDir::new().unwrap();
    let stderr = fails(
        home.path(),
        &["train", "--data", s(&data), "--config", s(&config)],
    );
    assert!(stderr.contains("invalid settings"), "{stderr}");
    assert!(stderr.contains("fodls"), "{stderr}");
    assert_nothing_registered(home.path());

    let stderr = fails(
        home.path(),
        &[
            "train",
            "--data",
            s(&data),
            "--config",
            s(&source.path().join("absent.toml")),
        ],
    );
    assert!(stderr.contains("absent.toml does not exist"), "{stderr}");
    assert_nothing_registered(home.path());
}

#[test]
fn train_rejects_an_invalid_config_value() {
    let source = TempDir::new().unwrap();
    let data = demo(source.path(), "data.csv", 50, 1);
    let config = source.path().join("trainer.toml");
    std::fs::write(&config, "folds = 1\n").unwrap();
    let home = TempDir::new().unwrap();
    let stderr = fails(
        home.path(),
        &["train", "--data", s(&data), "--config", s(&config)],
    );
    assert!(
        stderr.contains("invalid training configuration"),
        "{stderr}"
    );
    assert!(stderr.contains("folds must be at least 2"), "{stderr}");
    assert_nothing_registered(home.path());

    // A value of the wrong type names the key too.
    std::fs::write(&config, "folds = \"five\"\n").unwrap();
    let stderr = fails(
        home.path(),
        &["train", "--data", s(&data), "--config", s(&config)],
    );
    assert!(stderr.contains("folds"), "{stderr}");
    assert_nothing_registered(home.path());
}

// ---------------------------------------------------------------- 5. demo data

#[test]
fn demo_data_is_deterministic_per_seed() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let gen = |name: &str, extra: &[&str]| {
        let path = d.join(name);
        let mut args = vec!["demo-data", "--out", s(&path), "--rows", "300"];
        args.extend_from_slice(extra);
        let stdout = ok(d, &args);
        (std::fs::read(&path).unwrap(), stdout)
    };
    let (a, out_a) = gen("a.csv", &["--seed", "11"]);
    let (b, _) = gen("b.csv", &["--seed", "11"]);
    let (c, _) = gen("c.csv", &["--seed", "12"]);
    let (drifted, out_drifted) = gen("drifted.csv", &["--seed", "11", "--drifted"]);
    assert_eq!(a, b, "same seed, different files");
    assert_ne!(a, c, "different seeds, same file");
    assert_ne!(a, drifted, "--drifted changed nothing");

    assert!(out_a.starts_with("wrote 300 messages ("), "{out_a}");
    assert!(out_a
        .trim_end()
        .ends_with(&format!("to {}", s(&d.join("a.csv")))));
    assert!(
        out_drifted.starts_with("wrote 300 drifted messages ("),
        "{out_drifted}"
    );

    for bytes in [&a, &drifted] {
        let text = std::str::from_utf8(bytes).unwrap();
        assert_eq!(
            text.lines().next(),
            Some("text,label,theme,language,kind,template")
        );
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 300);
        let labels: BTreeSet<&str> = rows.iter().map(|r| &r[1]).collect();
        assert_eq!(labels, BTreeSet::from(["fraud", "legit"]));
    }

    // The file is written atomically: no temporary file is left beside it.
    let mut names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a.csv", "b.csv", "c.csv", "drifted.csv"]);
}

// ---------------------------------------------------------------- 6. import

const SPAM_MAIL: &str = "From: promo@example.com\nTo: you@example.org\nSubject: Cheap pills\n\
Content-Type: text/html; charset=\"iso-8859-1\"\nContent-Transfer-Encoding: quoted-printable\n\n\
<html><body><p>Buy now=3D cheap!</p>\n<p>Visit   us</p></body></html>\n";
const SPAM_MAIL_2: &str =
    "From: lottery@example.com\nSubject: You won\n\nClaim your $1,000,000 prize today!\n";
const HAM_MAIL: &str = "From: bob@example.org\nSubject: Meeting\n\nSee you at 3.\n";
const HAM_MAIL_2: &str =
    "From: alice@example.org\nSubject: Re: build\n\nThe build is green again.\nThanks!\n";
const EMPTY_MAIL: &str = "From: nobody@example.org\n\n\n";

/// Writes `<root>/package/data/<group>/<id>.json` files like the npm package's.
fn write_mail(root: &Path, group: &str, id: &str, text: &str) {
    let dir = root.join("package/data").join(group);
    std::fs::create_dir_all(&dir).unwrap();
    let mail = serde_json::json!({"id": id, "group": group, "checksum": {}, "text": text});
    std::fs::write(
        dir.join(format!("{id}.json")),
        serde_json::to_vec(&mail).unwrap(),
    )
    .unwrap();
}

#[test]
fn import_spamassassin_from_an_unpacked_package() {
    let dir = TempDir::new().unwrap();
    let pkg = dir.path().join("pkg");
    write_mail(&pkg, "spam-1", "00001", SPAM_MAIL);
    write_mail(&pkg, "spam-1", "00002", SPAM_MAIL); // exact duplicate
    write_mail(&pkg, "spam-2", "00003", SPAM_MAIL_2);
    write_mail(&pkg, "easy-ham-1", "00001", HAM_MAIL);
    write_mail(&pkg, "easy-ham-1", "00004", EMPTY_MAIL);
    write_mail(&pkg, "hard-ham-1", "00002", HAM_MAIL_2);
    std::fs::write(pkg.join("package/data/file_list.json"), "[]").unwrap();
    std::fs::write(pkg.join("package/data/spam-1/README.txt"), "not a mail").unwrap();

    let out = dir.path().join("out/spamassassin.csv");
    let stdout = ok(
        dir.path(),
        &[
            "import",
            "spamassassin",
            "--from",
            s(&pkg),
            "--out",
            s(&out),
        ],
    );
    assert_eq!(
        stdout.trim(),
        format!(
            "wrote 4 messages (2 fraud, 2 legit; 1 duplicates and 1 empty dropped) to {}",
            s(&out)
        )
    );

    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().next(), Some("text,label,group,id"));
    let rows: Vec<Vec<String>> = csv::Reader::from_path(&out)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let summary: Vec<[&str; 3]> = rows
        .iter()
        .map(|r| [r[1].as_str(), r[2].as_str(), r[3].as_str()])
        .collect();
    assert_eq!(
        summary,
        [
            ["legit", "easy-ham-1", "00001"],
            ["legit", "hard-ham-1", "00002"],
            ["fraud", "spam-1", "00001"],
            ["fraud", "spam-2", "00003"],
        ]
    );
    assert_eq!(rows[0][0], "Meeting\nSee you at 3.");
    assert!(rows[2][0].starts_with("Cheap pills\n"), "{:?}", rows[2][0]);
    assert!(rows[2][0].contains("Buy now= cheap!"), "{:?}", rows[2][0]);
    assert!(!rows[2][0].contains("<p>"), "{:?}", rows[2][0]);
}

#[test]
fn import_spamassassin_from_a_tarball() {
    let dir = TempDir::new().unwrap();
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (path, group, id, text) in [
        (
            "package/data/spam-1/00001.a.json",
            "spam-1",
            "00001",
            SPAM_MAIL_2,
        ),
        (
            "package/data/easy-ham-2/00007.b.json",
            "easy-ham-2",
            "00007",
            HAM_MAIL,
        ),
        (
            "package/data/easy-ham-2/00008.c.json",
            "easy-ham-2",
            "00008",
            HAM_MAIL,
        ),
    ] {
        let bytes = serde_json::to_vec(
            &serde_json::json!({"id": id, "group": group, "checksum": {}, "text": text}),
        )
        .unwrap();
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, path, bytes.as_slice())
            .unwrap();
    }
    let tgz = dir.path().join("datasets-spam-assassin.tgz");
    std::fs::write(&tgz, builder.into_inner().unwrap().finish().unwrap()).unwrap();

    let out = dir.path().join("sa.csv");
    let stdout = ok(
        dir.path(),
        &[
            "import",
            "spamassassin",
            "--from",
            s(&tgz),
            "--out",
            s(&out),
        ],
    );
    assert!(
        stdout.starts_with("wrote 2 messages (1 fraud, 1 legit; 1 duplicates and 0 empty dropped)"),
        "{stdout}"
    );
    let rows: Vec<[String; 3]> = csv::Reader::from_path(&out)
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            [r[1].to_string(), r[2].to_string(), r[3].to_string()]
        })
        .collect();
    assert_eq!(
        rows,
        [
            ["legit".to_string(), "easy-ham-2".into(), "00007".into()],
            ["fraud".to_string(), "spam-1".into(), "00001".into()],
        ]
    );
}

#[test]
fn import_spamassassin_rejects_a_folder_without_the_corpus() {
    let dir = TempDir::new().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = dir.path().join("sa.csv");
    let stderr = fails(
        dir.path(),
        &[
            "import",
            "spamassassin",
            "--from",
            s(&empty),
            "--out",
            s(&out),
        ],
    );
    assert!(
        stderr.contains(&format!("{} holds no data/spam-1 folder", s(&empty))),
        "{stderr}"
    );
    assert!(!out.exists());
}

// ---------------------------------------------------------------- 7. FRAUDLOOP_HOME

#[test]
fn fraudloop_home_env_replaces_the_home_flag() {
    let home = TempDir::new().unwrap();
    let cwd = TempDir::new().unwrap();
    let data = demo(cwd.path(), "data.csv", 600, 9);
    let with_env = |args: &[&str]| {
        let out = output(
            trainer(cwd.path())
                .env("FRAUDLOOP_HOME", home.path())
                .args(args),
        );
        assert_eq!(out.code, Some(0), "trainer {args:?} failed: {out:?}");
        out.stdout
    };
    let report = json(&with_env(&["train", "--data", s(&data), "--json"]));
    assert_eq!(report["version"], "v0001");
    assert_eq!(model_dirs(home.path()), ["v0001"]);
    assert!(
        !cwd.path().join("artifacts").exists(),
        "wrote into the working directory"
    );
    let list = json(&with_env(&["list", "--json"]));
    assert_eq!(list["production"], "v0001");

    // --home wins over the environment.
    let other = TempDir::new().unwrap();
    let list = json(&with_env(&["--home", s(other.path()), "list", "--json"]));
    assert_eq!(list["production"], Value::Null);
    assert_eq!(list["versions"], serde_json::json!([]));
}

// ---------------------------------------------------------------- 8. command line

#[test]
fn help_lists_subcommands_and_unknown_ones_exit_2() {
    let dir = TempDir::new().unwrap();
    let help = output(trainer(dir.path()).arg("--help"));
    assert_eq!(help.code, Some(0), "{help:?}");
    for sub in [
        "train",
        "evaluate",
        "list",
        "promote",
        "rollback",
        "history",
        "demo-data",
        "import",
    ] {
        assert!(
            help.stdout.lines().any(|l| l.trim_start().starts_with(sub)),
            "--help does not list {sub}: {}",
            help.stdout
        );
    }

    let unknown = output(trainer(dir.path()).arg("frobnicate"));
    assert_eq!(unknown.code, Some(2), "{unknown:?}");
    assert!(
        unknown
            .stderr
            .contains("unrecognized subcommand 'frobnicate'"),
        "{unknown:?}"
    );
    let none = output(&mut trainer(dir.path()));
    assert_eq!(none.code, Some(2), "{none:?}");
    let bad_flag = output(trainer(dir.path()).args(["train", "--nope"]));
    assert_eq!(bad_flag.code, Some(2), "{bad_flag:?}");

    let version = output(trainer(dir.path()).arg("--version"));
    assert_eq!(version.code, Some(0));
    assert!(version.stdout.starts_with("trainer "), "{version:?}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
