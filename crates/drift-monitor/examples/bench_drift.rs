//! Drift-monitor benchmark (bench/drift/run.sh drives it).
//!
//! Targets: (1) a full report on 10k reference vs 10k current messages in ≤ 1 s; (2) a
//! 1M-row prediction log scanned in ≤ 10 s with memory bounded by the window, not the log;
//! (3) false alarms ≤ 5 % per report for dataset drift and for text drift at every window size
//! on same-distribution data, and a real shift detected in ≥ 90 % of 100-row windows.
//!
//! ```text
//! bench_drift report    [--rows 10000] [--current 10000] [--labelled 1000] [--runs 5] [--home DIR]
//! bench_drift scan      [--rows 1000000] [--last-n 5000] [--runs 3] [--feedback-share 0.01]
//!                       [--compare-rows 100000] [--home DIR]
//! bench_drift scan-only HOME [--last-n 5000] [--what current|parse|io|stamps]
//! bench_drift report-only HOME [--runs 5]      (timings only, on a `report --home HOME`)
//! bench_drift false-alarms [--sizes 100,200,500,1000,2000,5000] [--windows 200]
//!                       [--shift-windows 200] [--shift-size 100] [--seed 1]
//!                       [--reference 5000] [--pool 100000]         (demo corpus)
//!                       [--csv FILE --train-share 0.5]             (real mail instead)
//! ```
//!
//! Every figure is also printed as a `BENCH key=value` line for the script to pick up.
//! `report` trains a model on demo messages (`ref_data.csv` holds every row, train and test),
//! logs `--current` predictions of the production model (half clean, half drifted, the first
//! `--labelled` with feedback) as predict-api does, then times `run_once` and, separately,
//! its phases through the public API. `scan` writes a JSONL prediction log directly with
//! serde_json and times `Current::read` in fresh `scan-only` processes, so that their VmHWM
//! is the scan's alone.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use artifact_store::Registry;
use chrono::{Duration, Utc};
use demo_corpus::{generate, write_csv, DemoOptions};
use drift_monitor::{build_report, run_once, Current, DriftConfig, Reference, WindowSpec};
use fraudloop_config::Home;
use prod_data::{FeedbackLog, FeedbackRecord, PredictionLog, PredictionRecord, SCHEMA_VERSION};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use text_model::DESCRIPTOR_COLUMNS;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(mode) = args.first() else {
        bail!("usage: bench_drift report|scan|scan-only|report-only|false-alarms [HOME] [options] (see the source header)");
    };
    let opts = Opts::parse(&args[1..])?;
    match mode.as_str() {
        "report" => report(&opts),
        "scan" => scan(&opts),
        "scan-only" => scan_only(&opts),
        "report-only" => report_only(&opts),
        "false-alarms" => false_alarms(&opts),
        other => {
            bail!("unknown mode {other:?}: report, scan, scan-only, report-only or false-alarms")
        }
    }
}

/// Command-line options (every mode ignores those it does not use).
struct Opts {
    positional: Vec<String>,
    flags: BTreeMap<String, String>,
}

impl Opts {
    fn parse(args: &[String]) -> Result<Opts> {
        let (mut positional, mut flags) = (Vec::new(), BTreeMap::new());
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if let Some(name) = a.strip_prefix("--") {
                let (name, value) = match name.split_once('=') {
                    Some((n, v)) => (n.to_string(), v.to_string()),
                    None => (
                        name.to_string(),
                        it.next()
                            .with_context(|| format!("--{name} needs a value"))?
                            .clone(),
                    ),
                };
                flags.insert(name, value);
            } else {
                positional.push(a.clone());
            }
        }
        Ok(Opts { positional, flags })
    }

    fn get<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match self.flags.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|e| anyhow::anyhow!("--{name} {v:?}: {e}")),
        }
    }

    fn str(&self, name: &str, default: &str) -> String {
        self.flags
            .get(name)
            .cloned()
            .unwrap_or_else(|| default.to_string())
    }

    /// `--home DIR`, else a new temporary directory (removed on drop).
    fn home(&self, prefix: &str) -> Result<(Option<tempfile::TempDir>, Home)> {
        match self.flags.get("home") {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                Ok((None, Home::new(dir)))
            }
            None => {
                let tmp = tempfile::Builder::new().prefix(prefix).tempdir()?;
                let home = Home::new(tmp.path());
                Ok((Some(tmp), home))
            }
        }
    }
}

fn bench(key: &str, value: impl std::fmt::Display) {
    println!("BENCH {key}={value}");
}

/// A field of `/proc/self/status` in kB (VmHWM: peak RSS; VmRSS: current RSS).
fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU seconds (user + system, all threads) of this process so far, from `/proc/self/stat`
/// (clock ticks of 1/100 s, the Linux default `CLK_TCK`).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name; utime and stime are fields 14 and 15 of the line.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

fn stats(samples: &[f64]) -> Stats {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let median = if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    };
    Stats {
        median,
        min: s[0],
        max: s[n - 1],
    }
}

/// Runs `f` `runs` times; prints the wall-clock and CPU seconds and returns the median wall
/// time and the last result.
fn time_phase<T>(key: &str, runs: usize, mut f: impl FnMut() -> Result<T>) -> Result<(f64, T)> {
    let mut samples = Vec::with_capacity(runs);
    let mut cpu = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let (c, t) = (cpu_seconds(), Instant::now());
        let out = f()?;
        samples.push(t.elapsed().as_secs_f64());
        cpu.push(cpu_seconds() - c);
        last = Some(out);
    }
    let s = stats(&samples);
    let c = stats(&cpu);
    let list: Vec<String> = samples.iter().map(|x| format!("{x:.3}")).collect();
    println!(
        "  {key:<30} median {:.4} s  min {:.4}  max {:.4}  cpu {:.2} s  runs [{}]",
        s.median,
        s.min,
        s.max,
        c.median,
        list.join(", ")
    );
    bench(&format!("{key}.median_s"), format!("{:.4}", s.median));
    bench(&format!("{key}.min_s"), format!("{:.4}", s.min));
    bench(&format!("{key}.max_s"), format!("{:.4}", s.max));
    bench(&format!("{key}.cpu_median_s"), format!("{:.2}", c.median));
    Ok((s.median, last.expect("runs >= 1")))
}

// ---------------------------------------------------------------------------------------------
// report

fn report(opts: &Opts) -> Result<()> {
    let ref_rows: usize = opts.get("rows", 10_000)?;
    let cur_rows: usize = opts.get("current", 10_000)?;
    let labelled: usize = opts.get("labelled", 1000)?;
    let runs: usize = opts.get("runs", 5)?.max(1);
    let (_tmp, home) = opts.home("fraudloop-bench-drift-report.")?;
    println!("report benchmark in {}", home.root().display());

    // Train on `ref_rows` demo messages; ref_data.csv gets every row (train and test).
    let data = home.root().join("train.csv");
    let messages = generate(&DemoOptions {
        rows: ref_rows,
        seed: 42,
        ..DemoOptions::default()
    });
    write_csv(&messages, std::fs::File::create(&data)?)?;
    let registry = Registry::open(home.artifacts())?;
    let t = Instant::now();
    trainer::train::train(
        &registry,
        &trainer::train::TrainArgs {
            data,
            test_data: None,
            text_col: "text".into(),
            label_col: "label".into(),
            config: text_model::TrainingConfig::default(),
            progress: false,
        },
    )?;
    let train_s = t.elapsed().as_secs_f64();
    println!("setup: trained on {ref_rows} messages in {train_s:.1} s");
    bench("setup.train_s", format!("{train_s:.2}"));

    // Production: score and log `cur_rows` messages, half clean and half drifted.
    let t = Instant::now();
    let bundle = registry.load_production()?;
    let log = PredictionLog::open(&home.data(), "bench", cur_rows.max(1) + 16)?;
    let feedback = FeedbackLog::open(&home.data(), "bench")?;
    let clean = cur_rows / 2;
    let batches = [
        DemoOptions {
            rows: clean,
            seed: 99,
            ..DemoOptions::default()
        },
        DemoOptions {
            rows: cur_rows - clean,
            seed: 7,
            drifted: true,
            ..DemoOptions::default()
        },
    ];
    let mut n = 0usize;
    for options in &batches {
        for m in generate(options) {
            let p = bundle.model.predict(&m.text);
            let id = format!("bench-{n}");
            let descriptors: BTreeMap<String, f64> = DESCRIPTOR_COLUMNS
                .iter()
                .zip(p.descriptors.values())
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            let accepted = log.log(&PredictionRecord {
                schema: SCHEMA_VERSION,
                prediction_id: id.clone(),
                at: Utc::now(),
                instance: "bench".into(),
                model_version: bundle.manifest.version.to_string(),
                text: m.text.clone(),
                client_id: None,
                channel: Some("sms".into()),
                meta: None,
                risk_score: p.score,
                predicted_label: p.label.to_string(),
                threshold: bundle.model.threshold(),
                risk_level: "low".into(),
                descriptors,
                latency_us: 1,
            });
            if !accepted {
                bail!("the prediction log dropped a record");
            }
            // Label every (cur_rows / labelled)-th prediction, spread over both batches.
            let every = (cur_rows / labelled.max(1)).max(1);
            if labelled > 0 && n.is_multiple_of(every) && n / every < labelled {
                feedback.append(&FeedbackRecord {
                    schema: SCHEMA_VERSION,
                    feedback_id: format!("f-{id}"),
                    at: Utc::now(),
                    instance: "bench".into(),
                    prediction_id: Some(id),
                    text: m.text,
                    label: m.label.as_str().into(),
                    source: "operator".into(),
                    contact: None,
                    comment: None,
                    model_version: None,
                    risk_score: Some(p.score),
                })?;
            }
            n += 1;
        }
    }
    log.flush();
    drop(log);
    println!(
        "setup: scored and logged {n} predictions in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    report_timing(&home, ref_rows, cur_rows, runs)
}

/// `report-only HOME`: the timings of `report` on a home it set up before (`--home`).
fn report_only(opts: &Opts) -> Result<()> {
    let home = Home::new(opts.positional.first().context("report-only needs HOME")?);
    report_timing(
        &home,
        opts.get("rows", 10_000)?,
        opts.get("current", 10_000)?,
        opts.get("runs", 5)?.max(1),
    )
}

fn report_timing(home: &Home, ref_rows: usize, cur_rows: usize, runs: usize) -> Result<()> {
    let window = WindowSpec {
        last_n: cur_rows,
        max_age: None,
    };
    let config = DriftConfig::default();

    println!("timing ({runs} runs each):");
    let (total, report) = time_phase("report.run_once", runs, || {
        Ok(run_once(home, window, &config)?)
    })?;
    let text = report.text_drift.as_ref();
    println!(
        "  report: {} reference rows, {} current rows, {} labelled; {}; text AUC {:.3}",
        report.window.reference_rows,
        report.window.rows,
        report.performance.labelled_rows,
        report.status,
        text.map_or(f64::NAN, |t| t.roc_auc),
    );
    bench("report.reference_rows", report.window.reference_rows);
    bench("report.current_rows", report.window.rows);
    bench("report.labelled_rows", report.performance.labelled_rows);
    bench("report.dataset_drift", report.dataset_drift);
    bench("report.text_drift", text.is_some_and(|t| t.detected));
    if report.window.reference_rows != ref_rows || report.window.rows != cur_rows {
        eprintln!(
            "warning: expected {ref_rows} reference and {cur_rows} current rows, got {} and {}",
            report.window.reference_rows, report.window.rows
        );
    }

    // The phases of run_once, each on its own.
    println!("phases of run_once ({runs} runs each):");
    let (_, bundle) = time_phase("phase.load_production", runs, || {
        Ok(Registry::open(home.artifacts())?.load_production()?)
    })?;
    let ref_path = bundle.dir.join("ref_data.csv");
    let (_, reference) = time_phase("phase.reference_read", runs, || {
        Ok(Reference::read(&ref_path)?)
    })?;
    let (_, current) = time_phase("phase.current_read", runs, || {
        Ok(Current::read(&home.data(), window)?)
    })?;
    let tokenizer = bundle.model.vectorizer().tokenizer_config().clone();
    let version = bundle.manifest.version.to_string();
    let (_, built) = time_phase("phase.build_report", runs, || {
        Ok(build_report(
            &version,
            &reference,
            &current,
            &bundle.metrics,
            &tokenizer,
            &config,
        ))
    })?;
    // Inside build_report: the text-drift domain classifier alone.
    let ref_texts: Vec<&str> = reference.rows.iter().map(|r| r.text.as_str()).collect();
    let cur_texts: Vec<&str> = current.rows.iter().map(|r| r.text.as_str()).collect();
    time_phase("phase.build_report.text_drift", runs, || {
        Ok(drift_monitor::text_drift::text_drift(
            &ref_texts,
            &cur_texts,
            reference.rows.len(),
            &tokenizer,
            &config.text,
        ))
    })?;
    // Inside text_drift: tokenising its two samples (≤ max_per_side texts each; the first
    // ones here, text_drift samples them at random), the rest is TF-IDF and the L-BFGS fit.
    let sample: Vec<&str> = ref_texts
        .iter()
        .take(config.text.max_per_side)
        .chain(cur_texts.iter().take(config.text.max_per_side))
        .copied()
        .collect();
    time_phase("phase.text_drift.tokenize", runs, || {
        Ok(text_model::Corpus::build(&sample, &tokenizer)?.len())
    })?;
    let reports_dir = home.reports();
    time_phase("phase.store", runs, || {
        Ok(drift_monitor::store(&reports_dir, &built)?)
    })?;
    let hwm = proc_status_kb("VmHWM").unwrap_or(0);
    bench("report.process_vmhwm_kb", hwm);
    println!(
        "run_once median {total:.3} s (target ≤ 1 s: {}); process peak RSS {:.1} MB (includes training)",
        if total <= 1.0 { "PASS" } else { "FAIL" },
        hwm as f64 / 1024.0
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// scan

/// Demo texts of 200–400 characters: demo messages (clean and drifted, English and Chinese)
/// joined until at least 200 characters, cut at 400.
fn text_pool(size: usize) -> Vec<String> {
    let mut messages = generate(&DemoOptions {
        rows: size * 2,
        seed: 1,
        ..DemoOptions::default()
    });
    messages.extend(generate(&DemoOptions {
        rows: size,
        seed: 2,
        drifted: true,
        ..DemoOptions::default()
    }));
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut pool = Vec::with_capacity(size);
    while pool.len() < size {
        let mut text = String::new();
        while text.chars().count() < 200 {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&messages[rng.gen_range(0..messages.len())].text);
        }
        if text.chars().count() > 400 {
            text = text.chars().take(400).collect();
        }
        pool.push(text);
    }
    pool
}

/// Plausible descriptors of a text (counted, not the model's exact rules).
fn descriptors_of(text: &str, rng: &mut ChaCha8Rng) -> BTreeMap<String, f64> {
    let (mut chars, mut non_space, mut letters, mut upper, mut digits, mut cjk, mut bangs) =
        (0u32, 0u32, 0u32, 0u32, 0u32, 0u32, 0u32);
    for c in text.chars() {
        chars += 1;
        if c.is_whitespace() {
            continue;
        }
        non_space += 1;
        if c.is_alphabetic() {
            letters += 1;
        }
        if c.is_uppercase() {
            upper += 1;
        }
        if c.is_ascii_digit() {
            digits += 1;
        }
        if ('\u{4e00}'..='\u{9fff}').contains(&c) {
            cjk += 1;
        }
        if c == '!' || c == '！' {
            bangs += 1;
        }
    }
    let share = |a: u32, b: u32| {
        if b == 0 {
            0.0
        } else {
            f64::from(a) / f64::from(b)
        }
    };
    let values = [
        f64::from(chars),
        text.split_whitespace().count() as f64 + f64::from(cjk),
        share(upper, letters),
        share(digits, non_space),
        text.matches("http").count() as f64,
        text.matches('@').count() as f64,
        f64::from(rng.gen_range(0..2u8)),
        text.matches('$').count() as f64 + text.matches('元').count() as f64,
        f64::from(bangs),
        share(cjk, non_space),
        rng.gen_range(0.0..0.2),
    ];
    DESCRIPTOR_COLUMNS
        .iter()
        .zip(values)
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Writes `rows` predictions to `<data>/predictions/bench.jsonl` (one second apart, ending
/// now) and feedback on a `feedback_share` of them; returns the prediction log's bytes.
fn write_log(data_dir: &Path, rows: usize, feedback_share: f64) -> Result<u64> {
    let pool = text_pool(4096);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let pool_desc: Vec<BTreeMap<String, f64>> =
        pool.iter().map(|t| descriptors_of(t, &mut rng)).collect();
    let pdir = prod_data::predictions_dir(data_dir);
    let fdir = prod_data::feedback_dir(data_dir);
    std::fs::create_dir_all(&pdir)?;
    std::fs::create_dir_all(&fdir)?;
    let ppath = pdir.join("bench.jsonl");
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&ppath)?);
    let mut fb =
        BufWriter::with_capacity(1 << 16, std::fs::File::create(fdir.join("bench.jsonl"))?);
    let start = Utc::now() - Duration::seconds(rows as i64);
    for i in 0..rows {
        let k = rng.gen_range(0..pool.len());
        let score: f64 = rng.gen();
        let id = format!(
            "{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}",
            i as u32,
            rng.gen::<u16>(),
            rng.gen::<u16>() & 0xfff,
            rng.gen::<u16>(),
            rng.gen::<u64>() & 0xffff_ffff_ffff
        );
        let at = start
            + Duration::seconds(i as i64)
            + Duration::microseconds(rng.gen_range(0..1_000_000));
        let record = PredictionRecord {
            schema: SCHEMA_VERSION,
            prediction_id: id.clone(),
            at,
            instance: "predict-api-0".into(),
            model_version: "v0001".into(),
            text: pool[k].clone(),
            client_id: None,
            channel: Some(["sms", "email", "chat"][k % 3].into()),
            meta: None,
            risk_score: score,
            predicted_label: if score >= 0.5 { "fraud" } else { "legit" }.into(),
            threshold: 0.5,
            risk_level: if score >= 0.8 {
                "high"
            } else if score >= 0.5 {
                "medium"
            } else {
                "low"
            }
            .into(),
            descriptors: pool_desc[k].clone(),
            latency_us: rng.gen_range(200..3000),
        };
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
        if rng.gen::<f64>() < feedback_share {
            let f = FeedbackRecord {
                schema: SCHEMA_VERSION,
                feedback_id: format!("f-{id}"),
                at: at + Duration::seconds(60),
                instance: "predict-api-0".into(),
                prediction_id: Some(id),
                text: record.text,
                label: if rng.gen::<f64>() < 0.3 {
                    "fraud"
                } else {
                    "legit"
                }
                .into(),
                source: "operator".into(),
                contact: None,
                comment: None,
                model_version: Some("v0001".into()),
                risk_score: Some(score),
            };
            serde_json::to_writer(&mut fb, &f)?;
            fb.write_all(b"\n")?;
        }
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    fb.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(std::fs::metadata(&ppath)?.len())
}

/// Runs `bench_drift scan-only` in a fresh process and returns its BENCH values.
fn run_scan_only(home: &Path, last_n: usize, what: &str) -> Result<BTreeMap<String, String>> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .arg("scan-only")
        .arg(home)
        .args(["--last-n", &last_n.to_string(), "--what", what])
        .output()?;
    if !out.status.success() {
        bail!(
            "scan-only failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("BENCH scan_only."))
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

fn num(values: &BTreeMap<String, String>, key: &str) -> Result<f64> {
    values
        .get(key)
        .with_context(|| format!("scan-only printed no {key}"))?
        .parse()
        .with_context(|| format!("scan-only {key}"))
}

fn scan(opts: &Opts) -> Result<()> {
    let rows: usize = opts.get("rows", 1_000_000)?;
    let last_n: usize = opts.get("last-n", 5000)?;
    let runs: usize = opts.get("runs", 3)?.max(1);
    let feedback_share: f64 = opts.get("feedback-share", 0.01)?;
    let compare_rows: usize = opts.get("compare-rows", 100_000)?;
    let (_tmp, home) = opts.home("fraudloop-bench-drift-scan.")?;
    println!("scan benchmark in {}", home.root().display());

    let t = Instant::now();
    let bytes = write_log(&home.data(), rows, feedback_share)?;
    let mb = bytes as f64 / 1e6;
    println!(
        "setup: wrote {rows} predictions ({mb:.1} MB, {:.0} B/line) in {:.1} s",
        bytes as f64 / rows.max(1) as f64,
        t.elapsed().as_secs_f64()
    );
    bench("scan.log_rows", rows);
    bench("scan.log_mb", format!("{mb:.1}"));

    println!("Current::read(last_n {last_n}) in fresh processes ({runs} runs):");
    let mut secs = Vec::new();
    let mut cpus = Vec::new();
    let mut hwms = Vec::new();
    for run in 0..runs {
        let v = run_scan_only(home.root(), last_n, "current")?;
        let (s, before, after) = (
            num(&v, "seconds")?,
            num(&v, "vmhwm_before_kb")?,
            num(&v, "vmhwm_after_kb")?,
        );
        let cpu = num(&v, "cpu_seconds")?;
        println!(
            "  run {}: {s:.3} s (cpu {cpu:.2} s), {} predictions read, {} rows kept, {} feedback-labelled, VmHWM {:.1} MB (before the scan {:.1} MB)",
            run + 1,
            v.get("predictions_read").map_or("?", String::as_str),
            v.get("rows").map_or("?", String::as_str),
            v.get("labelled").map_or("?", String::as_str),
            after / 1024.0,
            before / 1024.0
        );
        if num(&v, "predictions_read")? as usize != rows {
            bail!(
                "scan-only read {:?} predictions, expected {rows}",
                v.get("predictions_read")
            );
        }
        secs.push(s);
        cpus.push(cpu);
        hwms.push(after);
    }
    let s = stats(&secs);
    let h = stats(&hwms);
    bench("scan.median_s", format!("{:.3}", s.median));
    bench("scan.min_s", format!("{:.3}", s.min));
    bench("scan.max_s", format!("{:.3}", s.max));
    bench("scan.vmhwm_median_kb", h.median);
    bench("scan.cpu_median_s", format!("{:.2}", stats(&cpus).median));
    bench("scan.rows_per_s", format!("{:.0}", rows as f64 / s.median));
    bench("scan.mb_per_s", format!("{:.1}", mb / s.median));
    println!(
        "scan median {:.3} s (cpu {:.2} s; {:.0} rows/s, {:.0} MB/s), VmHWM {:.1} MB for a {mb:.0} MB log",
        s.median,
        stats(&cpus).median,
        rows as f64 / s.median,
        mb / s.median,
        h.median / 1024.0
    );

    // Where the time goes: line splitting alone, then parsing every record, then the window.
    println!("split (one fresh process each):");
    for what in ["io", "stamps", "parse"] {
        let v = run_scan_only(home.root(), last_n, what)?;
        let secs = num(&v, "seconds")?;
        let cpu = num(&v, "cpu_seconds")?;
        println!(
            "  {what:<6} {secs:.3} s (cpu {cpu:.2} s)  VmHWM {:.1} MB",
            num(&v, "vmhwm_after_kb")? / 1024.0
        );
        bench(&format!("scan.split.{what}_s"), format!("{secs:.3}"));
        bench(&format!("scan.split.{what}_cpu_s"), format!("{cpu:.2}"));
    }

    // Memory follows the window, not the log: a 10x window on the same log, and the same
    // window on a 10x smaller log.
    let big_window = last_n * 10;
    let v = run_scan_only(home.root(), big_window, "current")?;
    let hwm_big = num(&v, "vmhwm_after_kb")?;
    println!(
        "  last_n {big_window}: {:.3} s (cpu {:.2} s), VmHWM {:.1} MB",
        num(&v, "seconds")?,
        num(&v, "cpu_seconds")?,
        hwm_big / 1024.0
    );
    bench("scan.window10x.last_n", big_window);
    bench("scan.window10x.vmhwm_kb", hwm_big);
    if compare_rows > 0 {
        let small_tmp = tempfile::Builder::new()
            .prefix("fraudloop-bench-drift-scan-small.")
            .tempdir()?;
        let small_home = small_tmp.path().to_path_buf();
        let small_bytes = write_log(&Home::new(&small_home).data(), compare_rows, feedback_share)?;
        let v = run_scan_only(&small_home, last_n, "current")?;
        let hwm_small = num(&v, "vmhwm_after_kb")?;
        println!(
            "  log of {compare_rows} rows ({:.1} MB), last_n {last_n}: {:.3} s, VmHWM {:.1} MB",
            small_bytes as f64 / 1e6,
            num(&v, "seconds")?,
            hwm_small / 1024.0
        );
        bench("scan.small_log.rows", compare_rows);
        bench("scan.small_log.vmhwm_kb", hwm_small);
    }
    println!(
        "scan target ≤ 10 s: {}",
        if s.median <= 10.0 { "PASS" } else { "FAIL" }
    );
    Ok(())
}

fn scan_only(opts: &Opts) -> Result<()> {
    let home = opts
        .positional
        .first()
        .map(PathBuf::from)
        .context("scan-only needs HOME")?;
    let data = Home::new(home).data();
    let last_n: usize = opts.get("last-n", 5000)?;
    let what = opts.str("what", "current");
    let before = proc_status_kb("VmHWM").unwrap_or(0);
    let cpu = cpu_seconds();
    let t = Instant::now();
    match what.as_str() {
        // The whole of Current::read: parse, window, feedback join.
        "current" => {
            let current = Current::read(
                &data,
                WindowSpec {
                    last_n,
                    max_age: None,
                },
            )?;
            let secs = t.elapsed().as_secs_f64();
            bench("scan_only.seconds", format!("{secs:.4}"));
            bench("scan_only.predictions_read", current.predictions_read);
            bench("scan_only.rows", current.rows.len());
            bench(
                "scan_only.labelled",
                current
                    .rows
                    .iter()
                    .filter(|r| r.actual_fraud.is_some())
                    .count(),
            );
            bench("scan_only.skipped", current.skipped_lines);
        }
        // Every prediction parsed into a PredictionRecord and dropped (no window).
        "parse" => {
            let mut n = 0u64;
            prod_data::read_records(&prod_data::predictions_dir(&data), |_: PredictionRecord| {
                n += 1
            })?;
            bench(
                "scan_only.seconds",
                format!("{:.4}", t.elapsed().as_secs_f64()),
            );
            bench("scan_only.predictions_read", n);
        }
        // Reading and splitting lines only, as read_records does (64 KiB BufReader).
        "io" => {
            let mut n = 0u64;
            let mut line = Vec::new();
            let dir = prod_data::predictions_dir(&data);
            let mut files: Vec<_> = std::fs::read_dir(&dir)?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect();
            files.sort();
            for path in files {
                let mut reader = BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
                loop {
                    line.clear();
                    if reader.read_until(b'\n', &mut line)? == 0 {
                        break;
                    }
                    n += 1;
                }
            }
            bench(
                "scan_only.seconds",
                format!("{:.4}", t.elapsed().as_secs_f64()),
            );
            bench("scan_only.predictions_read", n);
        }
        // Lower bound of a cheaper first pass (not what the crate does): parse only the
        // timestamp of each line (serde skips the other fields without building them) and
        // keep the latest `last_n` (time, line number) pairs in a min-heap.
        "stamps" => {
            #[derive(serde::Deserialize)]
            struct Stamp {
                schema: u32,
                at: chrono::DateTime<Utc>,
            }
            let mut heap = std::collections::BinaryHeap::new();
            let mut n = 0u64;
            let mut line = Vec::new();
            let dir = prod_data::predictions_dir(&data);
            let mut files: Vec<_> = std::fs::read_dir(&dir)?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect();
            files.sort();
            for path in files {
                let mut reader = BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
                loop {
                    line.clear();
                    if reader.read_until(b'\n', &mut line)? == 0 {
                        break;
                    }
                    if let Ok(stamp) = serde_json::from_slice::<Stamp>(&line) {
                        if stamp.schema == SCHEMA_VERSION {
                            n += 1;
                            heap.push(std::cmp::Reverse((stamp.at, n)));
                            if heap.len() > last_n {
                                heap.pop();
                            }
                        }
                    }
                }
            }
            bench(
                "scan_only.seconds",
                format!("{:.4}", t.elapsed().as_secs_f64()),
            );
            bench("scan_only.predictions_read", n);
            bench("scan_only.rows", heap.len());
        }
        other => bail!("--what {other:?}: current, parse, io or stamps"),
    }
    bench(
        "scan_only.cpu_seconds",
        format!("{:.2}", cpu_seconds() - cpu),
    );
    bench("scan_only.vmhwm_before_kb", before);
    bench(
        "scan_only.vmhwm_after_kb",
        proc_status_kb("VmHWM").unwrap_or(0),
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// false-alarms

/// A window row from a message scored by the production model, as `Current::read` builds it.
fn scored_row(model: &text_model::FraudModel, text: String, fraud: bool) -> drift_monitor::Row {
    let p = model.predict(&text);
    drift_monitor::Row {
        risk_score: p.score,
        predicted_fraud: p.label.is_fraud(),
        actual_fraud: Some(fraud),
        descriptors: p.descriptors.values(),
        text,
    }
}

/// Wilson score interval (95 %) of a binomial share `k / n`.
fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (k, n, z) = (k as f64, n as f64, 1.959_963_984_540_054_f64);
    let p = k / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// `k/n = x.x % [lo–hi]`.
fn rate(k: usize, n: usize) -> String {
    let (lo, hi) = wilson(k, n);
    format!(
        "{k}/{n} = {:.1} % [{:.1}–{:.1}]",
        100.0 * k as f64 / n.max(1) as f64,
        100.0 * lo,
        100.0 * hi
    )
}

/// Verdicts of one report, with today's rules and with the rules of schema version 1
/// (Evidently's fixed thresholds: dataset drift when at least half the columns pass their
/// fixed threshold; text drift when the AUC is above 0.55), which the column scores and the
/// AUC — computed exactly as before — reproduce.
#[derive(Default, Clone, Copy)]
struct Verdicts {
    dataset: bool,
    text: bool,
    old_dataset: bool,
    old_text: bool,
}

impl Verdicts {
    fn of(report: &drift_monitor::DriftReport, old_share: f64) -> Verdicts {
        let old_drifted = report
            .columns
            .iter()
            .filter(|c| {
                let test = drift_stats::StatTest::from_name(c.test).expect("known test");
                test.drifted(c.score, test.default_threshold())
            })
            .count();
        let text = report.text_drift.as_ref();
        Verdicts {
            dataset: report.dataset_drift,
            text: text.is_some_and(|t| t.detected),
            old_dataset: !report.columns.is_empty()
                && old_drifted as f64 / report.columns.len() as f64 >= old_share,
            // Version 1 used 0.55 above 1000 reference rows (the only case run here) on the
            // same held-out AUC.
            old_text: text.is_some_and(|t| t.roc_auc > 0.55),
        }
    }
}

/// Counts of alarms over a set of windows.
#[derive(Default)]
struct Tally {
    windows: usize,
    dataset: usize,
    text: usize,
    any: usize,
    old_dataset: usize,
    old_text: usize,
    old_any: usize,
    /// Per column: drifted now, drifted by the fixed threshold; sums of threshold, score,
    /// reference mean and current mean.
    columns: BTreeMap<String, (usize, usize, f64, f64, f64, f64)>,
    text_threshold: f64,
    seconds: f64,
}

impl Tally {
    fn add(&mut self, report: &drift_monitor::DriftReport, seconds: f64) {
        let v = Verdicts::of(report, 0.5);
        self.windows += 1;
        self.dataset += usize::from(v.dataset);
        self.text += usize::from(v.text);
        self.any += usize::from(v.dataset || v.text);
        self.old_dataset += usize::from(v.old_dataset);
        self.old_text += usize::from(v.old_text);
        self.old_any += usize::from(v.old_dataset || v.old_text);
        for c in &report.columns {
            let test = drift_stats::StatTest::from_name(c.test).expect("known test");
            let e = self.columns.entry(c.name.clone()).or_default();
            e.0 += usize::from(c.drifted);
            e.1 += usize::from(test.drifted(c.score, test.default_threshold()));
            e.2 += c.threshold;
            e.3 += c.score;
            e.4 += c.reference_mean;
            e.5 += c.current_mean;
        }
        self.text_threshold += report.text_drift.as_ref().map_or(f64::NAN, |t| t.threshold);
        self.seconds += seconds;
    }
}

/// Prints one size's rates (and `BENCH` lines).
fn print_tally(label: &str, size: usize, tally: &Tally) {
    println!(
        "  {label} n={size}: dataset {} | text {} | either {} || fixed rules: dataset {} | text {} | either {}  ({:.2} s/report)",
        rate(tally.dataset, tally.windows),
        rate(tally.text, tally.windows),
        rate(tally.any, tally.windows),
        rate(tally.old_dataset, tally.windows),
        rate(tally.old_text, tally.windows),
        rate(tally.old_any, tally.windows),
        tally.seconds / tally.windows.max(1) as f64,
    );
    let mut per_column = Vec::new();
    for (name, (now, old, threshold, score, ref_mean, cur_mean)) in &tally.columns {
        let n = tally.windows.max(1) as f64;
        per_column.push(format!(
            "{name} {now}/{old} (thr {:.3}, score {:.3}, mean {:.4} → {:.4})",
            threshold / n,
            score / n,
            ref_mean / n,
            cur_mean / n
        ));
    }
    println!(
        "    per column, drifted now/by fixed threshold (mean threshold, mean score, mean of the reference → the window): {}",
        per_column.join("; ")
    );
    println!(
        "    mean text threshold {:.4}",
        tally.text_threshold / tally.windows.max(1) as f64
    );
    for (key, k) in [
        ("dataset", tally.dataset),
        ("text", tally.text),
        ("either", tally.any),
        ("fixed_dataset", tally.old_dataset),
        ("fixed_text", tally.old_text),
        ("fixed_either", tally.old_any),
    ] {
        bench(&format!("{label}.{size}.{key}"), k);
    }
    bench(&format!("{label}.{size}.windows"), tally.windows);
}

/// One report on `rows`, with its wall time.
fn report_on(
    rows: Vec<drift_monitor::Row>,
    reference: &Reference,
    bundle: &artifact_store::LoadedBundle,
    config: &DriftConfig,
) -> (drift_monitor::DriftReport, f64) {
    let tokenizer = bundle.model.vectorizer().tokenizer_config();
    let current = Current {
        rows,
        ..Current::default()
    };
    let t = Instant::now();
    let report = build_report(
        &bundle.manifest.version.to_string(),
        reference,
        &current,
        &bundle.metrics,
        tokenizer,
        config,
    );
    (report, t.elapsed().as_secs_f64())
}

/// The window of `size` rows that window `w` draws from a pool of `pool` rows (without
/// replacement; the same rows for the same seed).
fn window_rows(pool: usize, size: usize, w: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (size as u64).rotate_left(32) ^ w as u64);
    rand::seq::index::sample(&mut rng, pool, size).into_vec()
}

/// Runs `windows` reports on random windows of `size` rows drawn without replacement from
/// `pool` (window `w` of size `size` always gets the same rows for a given `seed`).
#[allow(clippy::too_many_arguments)]
fn run_windows(
    label: &str,
    pool: &[drift_monitor::Row],
    size: usize,
    windows: usize,
    seed: u64,
    reference: &Reference,
    bundle: &artifact_store::LoadedBundle,
    config: &DriftConfig,
) -> Tally {
    let mut tally = Tally::default();
    if windows == 0 {
        return tally;
    }
    for w in 0..windows {
        let rows = window_rows(pool.len(), size, w, seed)
            .into_iter()
            .map(|i| pool[i].clone())
            .collect();
        let (report, seconds) = report_on(rows, reference, bundle, config);
        tally.add(&report, seconds);
    }
    print_tally(label, size, &tally);
    tally
}

/// `false-alarms`: how often same-distribution windows raise an alarm, per window size, and how
/// often windows of a real shift are caught.
/// Trains a production model on `data` (a `text,label` CSV) in a fresh home under `dir`; returns
/// the loaded bundle and its reference set.
fn train_reference(dir: &Path, data: PathBuf) -> Result<(artifact_store::LoadedBundle, Reference)> {
    let registry = Registry::open(Home::new(dir).artifacts())?;
    trainer::train::train(
        &registry,
        &trainer::train::TrainArgs {
            data,
            test_data: None,
            text_col: "text".into(),
            label_col: "label".into(),
            config: text_model::TrainingConfig::default(),
            progress: false,
        },
    )?;
    let bundle = registry.load_production()?;
    let reference = Reference::read(&bundle.dir.join("ref_data.csv"))?;
    Ok((bundle, reference))
}

/// `false-alarms --csv FILE`: real mail is a finite corpus, so a fixed split into a reference
/// and a pool would compare every window with the same accidental differences between the two
/// halves (heavy-tailed counts make them large). Window `w` gets its own random split instead:
/// a model trained on a random `train-share` of the corpus, and one window of each size drawn
/// from the rest, so that reference and window are exchangeable as in production.
fn false_alarms_csv(
    opts: &Opts,
    path: &str,
    sizes: &[usize],
    windows: usize,
    seed: u64,
) -> Result<()> {
    let share: f64 = opts.get("train-share", 0.5)?;
    let all = trainer::data::read_labelled_csv(Path::new(path), "text", "label", true)?;
    let cut = (all.texts.len() as f64 * share).round() as usize;
    let sizes: Vec<usize> = sizes
        .iter()
        .copied()
        .filter(|&n| {
            let fits = n <= all.texts.len() - cut;
            if !fits {
                println!("  n={n}: skipped, larger than the pool");
            }
            fits
        })
        .collect();
    println!(
        "setup: {path}: {} messages; per window a fresh random split: {cut} train the model (the reference), {} form the pool",
        all.texts.len(),
        all.texts.len() - cut
    );
    let config = DriftConfig::default();
    let mut tallies: Vec<Tally> = sizes.iter().map(|_| Tally::default()).collect();
    let t = Instant::now();
    for w in 0..windows {
        let mut order: Vec<usize> = (0..all.texts.len()).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(seed.rotate_left(17) ^ w as u64);
        rand::seq::SliceRandom::shuffle(&mut order[..], &mut rng);
        let dir = tempfile::Builder::new()
            .prefix("fraudloop-bench-drift-split.")
            .tempdir()?;
        let data = dir.path().join("train.csv");
        let mut writer = csv::Writer::from_path(&data)?;
        writer.write_record(["text", "label"])?;
        for &i in &order[..cut] {
            writer.write_record([all.texts[i].as_str(), all.labels[i].as_str()])?;
        }
        writer.flush()?;
        let (bundle, reference) = train_reference(dir.path(), data)?;
        let pool = &order[cut..];
        for (size, tally) in sizes.iter().zip(tallies.iter_mut()) {
            let rows = window_rows(pool.len(), *size, w, seed)
                .into_iter()
                .map(|k| {
                    let i = pool[k];
                    scored_row(
                        &bundle.model,
                        all.texts[i].clone(),
                        all.labels[i].is_fraud(),
                    )
                })
                .collect();
            let (report, seconds) = report_on(rows, &reference, &bundle, &config);
            tally.add(&report, seconds);
        }
        if (w + 1) % 20 == 0 {
            println!(
                "  {} of {windows} splits done in {:.0} s",
                w + 1,
                t.elapsed().as_secs_f64()
            );
        }
    }
    for (size, tally) in sizes.iter().zip(&tallies) {
        print_tally("null", *size, tally);
    }
    print_table(
        &sizes.iter().copied().zip(tallies).collect::<Vec<_>>(),
        None,
        0,
    );
    Ok(())
}

/// The markdown table of the rates, and the verdict against the targets.
fn print_table(table: &[(usize, Tally)], shift: Option<&Tally>, shift_size: usize) {
    println!();
    println!("| window rows | windows | dataset drift (calibrated) | text drift (calibrated) | either (calibrated) | dataset drift (fixed thresholds, schema 1) | text drift (fixed 0.55, schema 1) | either (schema 1) |");
    println!("|---|---|---|---|---|---|---|---|");
    let row = |label: String, t: &Tally| {
        println!(
            "| {label} | {} | {} | {} | {} | {} | {} | {} |",
            t.windows,
            rate(t.dataset, t.windows),
            rate(t.text, t.windows),
            rate(t.any, t.windows),
            rate(t.old_dataset, t.windows),
            rate(t.old_text, t.windows),
            rate(t.old_any, t.windows),
        );
    };
    for (size, t) in table {
        row(size.to_string(), t);
    }
    if let Some(shift) = shift {
        row(format!("**shift**, {shift_size} rows (detection)"), shift);
    }
    let worst = table
        .iter()
        .map(|(_, t)| (t.dataset.max(t.text)) as f64 / t.windows.max(1) as f64)
        .fold(0.0, f64::max);
    println!();
    println!(
        "false alarms ≤ 5 % per verdict at every size: {} (worst {:.1} %)",
        if worst <= 0.05 { "PASS" } else { "FAIL" },
        100.0 * worst
    );
    if let Some(shift) = shift {
        let caught = shift.any as f64 / shift.windows.max(1) as f64;
        println!(
            "shift caught (either verdict) in ≥ 90 % of {shift_size}-row windows: {} ({:.1} %)",
            if caught >= 0.9 { "PASS" } else { "FAIL" },
            100.0 * caught
        );
    }
}

fn false_alarms(opts: &Opts) -> Result<()> {
    let sizes: Vec<usize> = opts
        .str("sizes", "100,200,500,1000,2000,5000")
        .split(',')
        .map(|s| s.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .context("--sizes: comma-separated row counts")?;
    let windows: usize = opts.get("windows", 200)?;
    let seed: u64 = opts.get("seed", 1)?;
    if let Some(path) = opts.flags.get("csv") {
        // A drifted demo batch is no shift of real mail: only false alarms are measured.
        return false_alarms_csv(opts, path, &sizes, windows, seed);
    }
    let shift_windows: usize = opts.get("shift-windows", 200)?;
    let shift_size: usize = opts.get("shift-size", 100)?;
    let (_tmp, home) = opts.home("fraudloop-bench-drift-false-alarms.")?;
    println!("false-alarm benchmark in {}", home.root().display());

    // Train the production model; its ref_data.csv is the reference.
    let rows: usize = opts.get("reference", 5000)?;
    let data = home.root().join("train.csv");
    let messages = generate(&DemoOptions {
        rows,
        seed: 42,
        ..DemoOptions::default()
    });
    write_csv(&messages, std::fs::File::create(&data)?)?;
    let t = Instant::now();
    let (bundle, reference) = train_reference(home.root(), data)?;
    println!(
        "setup: demo corpus: reference of {rows} messages (seed 42); trained in {:.1} s; {} reference rows",
        t.elapsed().as_secs_f64(),
        reference.rows.len()
    );

    // Pools of production messages scored by the production model: 100,000 fresh messages of
    // the same distribution (as good as the distribution itself for windows of ≤ 5000 rows),
    // and messages of the drifted mode.
    let t = Instant::now();
    let pool: Vec<drift_monitor::Row> = generate(&DemoOptions {
        rows: opts.get("pool", 100_000)?,
        seed: 4242,
        ..DemoOptions::default()
    })
    .into_iter()
    .map(|m| scored_row(&bundle.model, m.text, m.label.is_fraud()))
    .collect();
    let shifted: Vec<drift_monitor::Row> = generate(&DemoOptions {
        rows: if shift_windows > 0 { 20_000 } else { 0 },
        seed: 7,
        drifted: true,
        ..DemoOptions::default()
    })
    .into_iter()
    .map(|m| scored_row(&bundle.model, m.text, m.label.is_fraud()))
    .collect();
    println!(
        "setup: scored a pool of {} same-distribution messages and {} drifted ones in {:.1} s",
        pool.len(),
        shifted.len(),
        t.elapsed().as_secs_f64()
    );

    let config = DriftConfig::default();
    println!(
        "windows: {windows} per size, drawn without replacement from the pool (seed {seed}); alpha {} (dataset), {} (text)",
        config.alpha, config.text.alpha
    );
    let mut table = Vec::new();
    for &size in &sizes {
        if size > pool.len() {
            println!("  n={size}: skipped, larger than the pool");
            continue;
        }
        let tally = run_windows(
            "null", &pool, size, windows, seed, &reference, &bundle, &config,
        );
        table.push((size, tally));
    }
    if shift_windows > 0 {
        println!("shift (demo corpus, drifted: true):");
    }
    let shift = run_windows(
        "shift",
        &shifted,
        shift_size,
        shift_windows,
        seed,
        &reference,
        &bundle,
        &config,
    );

    print_table(&table, (shift_windows > 0).then_some(&shift), shift_size);
    Ok(())
}
