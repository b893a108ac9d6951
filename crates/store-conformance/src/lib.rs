//! One test suite per store interface, run against every backend: the file registry and files
//! (always, in `cargo test`), PostgreSQL and an S3-compatible server (when
//! `tests/stores/run.sh` starts them and names them in the environment). A backend passes
//! when it keeps the same promises as the files: atomic, verified bundles; serialised alias
//! changes with a history that matches them; durable feedback; predictions found by id and in
//! the monitor's window from any replica.
//!
//! Each suite panics with what broke, so a test calls it once per backend.
#![deny(missing_docs)]

use std::collections::BTreeMap;

use artifact_store::{
    AliasStore, BundleStore, DataFingerprint, HistoryKind, ModelVersion, NewBundle,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use prod_data::{FeedbackRecord, LoopRecords, PredictionRecord, ProductionStore};
use text_model::{
    stratified_split, train_cross_validated, Corpus, FraudModel, TfidfConfig, TrainingConfig,
};

/// A small real model (trained, not built by hand), different per `seed`.
pub fn small_model(seed: u64) -> FraudModel {
    let texts: Vec<String> = (0..40)
        .map(|i| {
            if i % 2 == 0 {
                format!("urgent claim prize {i} http://x{i}.top verify account now")
            } else {
                format!("lunch at noon {i} bring the notes for the meeting")
            }
        })
        .collect();
    let labels: Vec<bool> = (0..40).map(|i| i % 2 == 0).collect();
    let config = TrainingConfig {
        tfidf: TfidfConfig {
            min_df: 1,
            ..Default::default()
        },
        seed,
        ..Default::default()
    };
    let corpus = Corpus::build(&texts, &config.tokenizer).expect("corpus");
    let (train, test) = stratified_split(&labels, 0.25, seed);
    train_cross_validated(&corpus, &labels, &train, &test, &config, &|_| {})
        .expect("training")
        .model
}

/// A bundle of `model` with a reference file.
pub fn new_bundle(model: &FraudModel) -> NewBundle<'_> {
    NewBundle {
        model,
        metrics: serde_json::json!({"test": {"f1": 1.0}}),
        training_config: serde_json::json!({"folds": 5}),
        training_data: DataFingerprint {
            sha256: "ab".repeat(32),
            rows: 40,
            fraud: 20,
            legit: 20,
            source: "conformance".into(),
        },
        code_version: "store-conformance".into(),
        extra_files: vec![("ref_data.csv".into(), b"text,label\nhello,legit\n".to_vec())],
    }
}

const PROBES: [&str; 3] = [
    "urgent claim prize verify account now http://x.top",
    "lunch at noon, bring the notes",
    "verify the meeting notes",
];

/// Overwrites one stored object of a bundle, the way damage or tampering would.
pub trait Tamper {
    /// Replaces `name` (`model.json`, `manifest.json`, ...) of `version` with `bytes`.
    fn overwrite(&self, version: ModelVersion, name: &str, bytes: &[u8]);
}

/// The [`BundleStore`] contract, on an empty store.
pub fn bundle_store_suite(store: &(dyn BundleStore + Sync), tamper: &dyn Tamper) {
    assert_eq!(
        store.versions().unwrap(),
        Vec::<ModelVersion>::new(),
        "a new store is empty"
    );
    let v1 = ModelVersion::new(1);
    assert!(
        matches!(store.load(v1), Err(artifact_store::Error::NotFound(_))),
        "loading a missing version is NotFound"
    );

    // Published bundles load verified and predict exactly as the model that was stored.
    let first = small_model(1);
    let second = small_model(2);
    assert_eq!(store.publish_bundle(new_bundle(&first)).unwrap(), v1);
    let v2 = store.publish_bundle(new_bundle(&second)).unwrap();
    assert_eq!(v2, ModelVersion::new(2));
    assert_eq!(store.versions().unwrap(), vec![v1, v2]);
    for (version, model) in [(v1, &first), (v2, &second)] {
        let loaded = store.load(version).unwrap();
        assert_eq!(loaded.manifest.version, version);
        for probe in PROBES {
            assert_eq!(
                loaded.model.score(probe),
                model.score(probe),
                "{version} scores {probe:?} differently after the round trip"
            );
        }
        assert_eq!(
            loaded.reference_data.as_deref(),
            Some(&b"text,label\nhello,legit\n"[..])
        );
        assert_eq!(loaded.metrics["test"]["f1"], 1.0);
        assert_eq!(store.read_metrics(version).unwrap(), loaded.metrics);
        assert_eq!(store.read_manifest(version).unwrap(), loaded.manifest);
    }

    // Datasets are content-addressed beside the bundles: stored once, read back verified.
    let rows = b"text,label\nurgent prize,fraud\nlunch,legit\n";
    let sha = store.store_dataset(rows).unwrap();
    assert_eq!(sha.len(), 64);
    assert_eq!(
        store.store_dataset(rows).unwrap(),
        sha,
        "same rows, same name"
    );
    assert_eq!(
        store.read_dataset(&sha).unwrap().as_deref(),
        Some(&rows[..])
    );
    assert_eq!(store.read_dataset(&"0".repeat(64)).unwrap(), None);
    assert_eq!(store.read_dataset("../models").unwrap(), None);
    // Nothing is staged after complete publishes; nothing young is removed.
    assert_eq!(
        store
            .remove_stale_staging(std::time::Duration::from_secs(3600))
            .unwrap(),
        0
    );

    // Writers racing (two trainers on two machines) never share a version number.
    let model = small_model(3);
    let published: Vec<ModelVersion> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| store.publish_bundle(new_bundle(&model)).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = published.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        4,
        "concurrent publishes shared a version: {published:?}"
    );
    for version in &published {
        store.load(*version).unwrap();
    }
    assert_eq!(store.versions().unwrap().len(), 6);

    // Damage is refused, never served as a model.
    let model_bytes = b"{\"not\": \"the model\"}\n";
    tamper.overwrite(v2, "model.json", model_bytes);
    let err = store.load(v2).unwrap_err();
    assert!(
        err.is_untrusted_bundle(),
        "a changed model file loaded: {err}"
    );
    tamper.overwrite(v1, "manifest.json", b"{}");
    let err = store.read_manifest(v1).unwrap_err();
    assert!(
        err.is_untrusted_bundle(),
        "a changed manifest was trusted: {err}"
    );
    assert!(store.load(v1).unwrap_err().is_untrusted_bundle());
}

/// The [`AliasStore`] contract, on an empty alias store beside a bundle store.
pub fn alias_store_suite(bundles: &(dyn BundleStore + Sync), aliases: &(dyn AliasStore + Sync)) {
    assert_eq!(
        aliases.aliases().unwrap(),
        artifact_store::Aliases::default()
    );
    assert!(aliases.history().unwrap().is_empty());
    let models: Vec<FraudModel> = (1..=3).map(small_model).collect();
    let versions: Vec<ModelVersion> = models
        .iter()
        .map(|m| bundles.publish_bundle(new_bundle(m)).unwrap())
        .collect();
    let (v1, v2, v3) = (versions[0], versions[1], versions[2]);

    assert!(
        aliases.initialize(v1).unwrap(),
        "the first production is set"
    );
    assert!(
        !aliases.initialize(v2).unwrap(),
        "initialize never replaces production"
    );
    assert_eq!(aliases.aliases().unwrap().production, Some(v1));

    let event = artifact_store::promote_verified(bundles, aliases, v2, "alice", "better").unwrap();
    assert_eq!(
        (event.kind, event.version, event.replaced),
        (HistoryKind::Promote, v2, Some(v1))
    );
    let now = aliases.aliases().unwrap();
    assert_eq!((now.production, now.previous), (Some(v2), Some(v1)));
    assert!(
        matches!(
            aliases.promote(v2, "alice", "again"),
            Err(artifact_store::Error::Rejected(_))
        ),
        "promoting production again is refused"
    );
    let back = aliases.rollback("bob", "false positives").unwrap();
    assert_eq!(
        (back.kind, back.version, back.replaced),
        (HistoryKind::Rollback, v1, Some(v2))
    );
    let production = artifact_store::load_production(bundles, aliases).unwrap();
    assert_eq!(production.manifest.version, v1);

    // Promotions from many places at once are serialised: each change replaces exactly the
    // version the one before it installed, and the aliases end where the history ends.
    std::thread::scope(|s| {
        for i in 0..8 {
            let target = [v2, v3][i % 2];
            s.spawn(move || {
                for _ in 0..5 {
                    // Refused when the target already is production: that is a valid outcome.
                    let _ = aliases.promote(target, &format!("writer-{i}"), "race");
                }
            });
        }
    });
    let history = aliases.history().unwrap();
    assert_eq!(
        history.iter().map(|e| e.kind).take(3).collect::<Vec<_>>(),
        vec![
            HistoryKind::Initial,
            HistoryKind::Promote,
            HistoryKind::Rollback
        ]
    );
    assert!(history.len() > 3, "no racing promotion succeeded");
    for pair in history.windows(2) {
        assert_eq!(
            pair[1].replaced,
            Some(pair[0].version),
            "a change replaced a version that was no longer production: {pair:?}"
        );
    }
    let last = history.last().unwrap();
    let end = aliases.aliases().unwrap();
    assert_eq!(
        (end.production, end.previous),
        (Some(last.version), last.replaced)
    );
}

/// Microsecond precision: what PostgreSQL keeps of a time, and more than a log line needs.
fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_micros(at.timestamp_micros()).unwrap()
}

/// A prediction record at `at`.
pub fn prediction(id: usize, at: DateTime<Utc>) -> PredictionRecord {
    let mut descriptors = BTreeMap::new();
    descriptors.insert("length".to_string(), 40.0 + id as f64);
    // Binary fractions: JSON text round-trips them exactly on every backend (the file logs'
    // reader, like PostgreSQL's, parses decimals to the nearest double, not always the same
    // one the writer had).
    descriptors.insert("digit_share".to_string(), (id % 512) as f64 / 1024.0);
    PredictionRecord {
        schema: prod_data::SCHEMA_VERSION,
        prediction_id: format!("p-{id:06}"),
        at: micros(at),
        instance: "replica-a".into(),
        model_version: "v0001".into(),
        text: format!("message {id}: 您的包裹 \"quoted\" \\ back\\slash"),
        client_id: id.is_multiple_of(3).then(|| format!("c{id}")),
        channel: Some("sms".into()),
        meta: id
            .is_multiple_of(5)
            .then(|| serde_json::json!({"contact": {"email": "a@b.example"}, "n": id})),
        risk_score: (id % 256) as f64 / 256.0,
        predicted_label: if id.is_multiple_of(2) {
            "fraud"
        } else {
            "legit"
        }
        .into(),
        threshold: 0.5,
        risk_level: "high".into(),
        descriptors,
        latency_us: id as u64,
    }
}

/// A feedback record at `at`.
pub fn feedback(id: usize, at: DateTime<Utc>) -> FeedbackRecord {
    FeedbackRecord {
        schema: prod_data::SCHEMA_VERSION,
        feedback_id: format!("f-{id:06}"),
        at: micros(at),
        instance: "replica-b".into(),
        prediction_id: Some(format!("p-{id:06}")),
        text: format!("message {id}"),
        label: "fraud".into(),
        source: "operator".into(),
        contact: None,
        comment: Some("checked".into()),
        model_version: Some("v0001".into()),
        risk_score: Some(0.75),
    }
}

/// The [`ProductionStore`] contract. `open` opens the backend as a new replica would (a new
/// process on the same files or database); the backend starts empty.
pub fn production_store_suite(open: &dyn Fn() -> Box<dyn ProductionStore>) {
    let replica_a = open();
    let base = Utc.with_ymd_and_hms(2026, 12, 5, 22, 0, 0).unwrap();
    // 600 predictions over three days (three partitions where the backend has them).
    let records: Vec<PredictionRecord> = (0..600)
        .map(|i| prediction(i, base + Duration::minutes(7 * i as i64)))
        .collect();
    for r in &records {
        assert!(replica_a.log_prediction(r), "the queue is far from full");
    }
    replica_a.flush();
    let stats = replica_a.prediction_stats();
    assert_eq!(
        stats.written.load(std::sync::atomic::Ordering::Relaxed),
        600
    );

    // Another replica finds them by id, exactly as logged.
    let replica_b = open();
    for i in [0, 1, 299, 599] {
        assert_eq!(
            replica_b
                .find_prediction(&records[i].prediction_id)
                .unwrap()
                .as_ref(),
            Some(&records[i])
        );
    }
    assert_eq!(replica_b.find_prediction("p-999999").unwrap(), None);

    // The monitor's window: the newest `limit` at or after `since`, oldest first.
    let since = base + Duration::hours(24);
    let expected: Vec<&PredictionRecord> = records.iter().filter(|r| r.at >= since).collect();
    let window = replica_b.prediction_window(Some(since), 100).unwrap();
    assert_eq!(window.len(), 100);
    assert_eq!(
        window.iter().collect::<Vec<_>>(),
        expected[expected.len() - 100..]
    );
    let all = replica_b.prediction_window(None, 10_000).unwrap();
    assert_eq!(all, records);
    assert!(replica_b.prediction_window(None, 0).unwrap().is_empty());

    // The feedback agent's read: the same, only rows scoring at least `min_risk`.
    let risky: Vec<&PredictionRecord> = expected
        .iter()
        .copied()
        .filter(|r| r.risk_score >= 0.75)
        .collect();
    assert!(risky.len() > 10 && risky.len() < expected.len());
    let newest_risky = replica_b.risky_predictions_since(since, 0.75, 10).unwrap();
    assert_eq!(
        newest_risky.iter().collect::<Vec<_>>(),
        risky[risky.len() - 10..]
    );
    let all_risky = replica_b
        .risky_predictions_since(since, 0.75, 10_000)
        .unwrap();
    assert_eq!(all_risky.iter().collect::<Vec<_>>(), risky);

    // Feedback is durable when append returns: a replica opened afterwards reads it.
    for i in 0..20 {
        replica_b
            .append_feedback(&feedback(i, base + Duration::minutes(i as i64)))
            .unwrap();
    }
    drop(replica_b);
    let replica_c = open();
    let stored = replica_c.feedback_since(None).unwrap();
    assert_eq!(stored.len(), 20);
    assert_eq!(stored[7], feedback(7, base + Duration::minutes(7)));
    let later = replica_c
        .feedback_since(Some(base + Duration::minutes(15)))
        .unwrap();
    assert_eq!(
        later
            .iter()
            .map(|f| f.feedback_id.as_str())
            .collect::<Vec<_>>(),
        ["f-000015", "f-000016", "f-000017", "f-000018", "f-000019"]
    );
}

/// The [`LoopRecords`] contract. `open` opens the backend as a restarted trainer service
/// would; the backend starts empty.
pub fn loop_records_suite(open: &dyn Fn() -> Box<dyn LoopRecords>) {
    let first = open();
    assert_eq!(first.load_state().unwrap(), None);
    assert!(first.decisions().unwrap().is_empty());
    assert!(first.revocations().unwrap().is_empty());
    assert!(first.jobs().unwrap().is_empty());

    let state = serde_json::json!({"decisions": 2, "policy": {"cooldowns": {"retrain": "2026-12-07T10:00:00Z"}}});
    first
        .save_state(&serde_json::json!({"decisions": 1}))
        .unwrap();
    first.save_state(&state).unwrap();
    let decisions: Vec<serde_json::Value> = (0..5)
        .map(|i| serde_json::json!({"id": format!("d-{i:06}"), "reason": "已检测到漂移 \"quoted\"", "n": i}))
        .collect();
    for d in &decisions {
        first.append_decision(d).unwrap();
    }
    first
        .append_revocation(&serde_json::json!({"feedback_id": "f-1", "reason": "wrong"}))
        .unwrap();
    // Jobs are replaced by id and listed by number, whatever order they were saved in.
    let job = |seq: u64, state: &str| serde_json::json!({"id": format!("job-{seq:06}"), "seq": seq, "state": state});
    first.save_job("job-000002", 2, &job(2, "queued")).unwrap();
    first.save_job("job-000001", 1, &job(1, "running")).unwrap();
    first
        .save_job("job-000001", 1, &job(1, "succeeded"))
        .unwrap();
    drop(first);

    // A restarted service reads everything back, durable as each call returned.
    let second = open();
    assert_eq!(second.load_state().unwrap(), Some(state));
    assert_eq!(second.decisions().unwrap(), decisions);
    assert_eq!(second.revocations().unwrap().len(), 1);
    assert_eq!(second.revocations().unwrap()[0]["feedback_id"], "f-1");
    assert_eq!(
        second.jobs().unwrap(),
        [job(1, "succeeded"), job(2, "queued")]
    );
}
