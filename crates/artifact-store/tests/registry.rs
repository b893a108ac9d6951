//! Registry behaviour on real files: publishing, loading, refusal of damaged bundles,
//! interrupted writes, aliases and history.

use std::fs;

use artifact_store::{DataFingerprint, Error, HistoryKind, ModelVersion, NewBundle, Registry};
use text_model::{
    stratified_split, train_cross_validated, Corpus, FraudModel, TfidfConfig, TrainingConfig,
};

fn tiny_model(seed: u64) -> FraudModel {
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
    let corpus = Corpus::build(&texts, &config.tokenizer).unwrap();
    let (train, test) = stratified_split(&labels, 0.25, seed);
    train_cross_validated(&corpus, &labels, &train, &test, &config, &|_| {})
        .unwrap()
        .model
}

fn bundle(model: &FraudModel) -> NewBundle<'_> {
    NewBundle {
        model,
        metrics: serde_json::json!({"test": {"f1": 1.0}}),
        training_config: serde_json::json!({"folds": 5}),
        training_data: DataFingerprint {
            sha256: "ab".repeat(32),
            rows: 40,
            fraud: 20,
            legit: 20,
            source: "test".into(),
        },
        code_version: "test".into(),
        extra_files: vec![("ref_data.csv".into(), b"text,label\nhello,legit\n".to_vec())],
    }
}

#[test]
fn first_bundle_becomes_production_and_loads_identically() {
    let home = tempfile::tempdir().unwrap();
    let registry = Registry::open(home.path().join("artifacts")).unwrap();
    let model = tiny_model(1);
    let (version, promoted) = registry.publish(bundle(&model)).unwrap();
    assert_eq!((version.to_string().as_str(), promoted), ("v0001", true));

    let loaded = registry.load_production().unwrap();
    assert_eq!(loaded.manifest.version, version);
    let text = "urgent: claim your prize at http://x.top";
    assert_eq!(
        loaded.model.predict(text),
        model.predict(text),
        "a reloaded model predicts exactly the same"
    );
    assert_eq!(loaded.metrics["test"]["f1"], 1.0);
    assert!(loaded.dir.join("ref_data.csv").is_file());

    let (v2, promoted2) = registry.publish(bundle(&model)).unwrap();
    assert_eq!(
        (v2, promoted2),
        (ModelVersion::new(2), false),
        "later bundles are not promoted by themselves"
    );
    assert_eq!(registry.aliases().unwrap().production, Some(version));
    let history = registry.history().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].kind, HistoryKind::Initial);
}

#[test]
fn promote_and_rollback_keep_an_append_only_history() {
    let home = tempfile::tempdir().unwrap();
    let registry = Registry::open(home.path()).unwrap();
    let model = tiny_model(2);
    let (v1, _) = registry.publish(bundle(&model)).unwrap();
    let (v2, _) = registry.publish(bundle(&model)).unwrap();

    let event = registry.promote(v2, "alice", "better recall").unwrap();
    assert_eq!((event.version, event.replaced), (v2, Some(v1)));
    let aliases = registry.aliases().unwrap();
    assert_eq!((aliases.production, aliases.previous), (Some(v2), Some(v1)));
    assert!(matches!(
        registry.promote(v2, "alice", "again"),
        Err(Error::Rejected(_))
    ));

    registry.rollback("bob", "false positives").unwrap();
    let aliases = registry.aliases().unwrap();
    assert_eq!((aliases.production, aliases.previous), (Some(v1), Some(v2)));

    let kinds: Vec<HistoryKind> = registry.history().unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            HistoryKind::Initial,
            HistoryKind::Promote,
            HistoryKind::Rollback
        ]
    );
    let last = registry.history().unwrap().pop().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.reason.as_str()),
        ("bob", "false positives")
    );

    assert_eq!(registry.resolve("production").unwrap(), v1);
    assert_eq!(registry.resolve("previous").unwrap(), v2);
    assert_eq!(registry.resolve("latest").unwrap(), v2);
    assert_eq!(registry.resolve("2").unwrap(), v2);
    assert!(matches!(registry.resolve("v0009"), Err(Error::NotFound(_))));
    assert!(matches!(
        registry.resolve("prod"),
        Err(Error::InvalidReference(_))
    ));
}

#[test]
fn an_interrupted_write_leaves_nothing_that_looks_valid() {
    let home = tempfile::tempdir().unwrap();
    let registry = Registry::open(home.path()).unwrap();
    let mut staging = registry.stage().unwrap();
    staging.write("model.json", b"{\"half\": ").unwrap();
    // Simulate a crash: the process dies before commit, so no clean-up runs either.
    let leftover = staging.dir().to_path_buf();
    std::mem::forget(staging);
    assert!(leftover.is_dir());

    assert!(registry.versions().unwrap().is_empty());
    assert!(registry.list().unwrap().is_empty());
    assert!(matches!(
        registry.load_production(),
        Err(Error::AliasUnset("production"))
    ));

    // The next writer is unaffected, and the leftover can be collected.
    let model = tiny_model(3);
    let (version, promoted) = registry.publish(bundle(&model)).unwrap();
    assert_eq!((version, promoted), (ModelVersion::new(1), true));
    assert_eq!(
        registry
            .remove_stale_staging(std::time::Duration::ZERO)
            .unwrap(),
        1
    );
    assert!(!leftover.exists());
}

#[test]
fn a_dropped_staging_directory_is_removed() {
    let home = tempfile::tempdir().unwrap();
    let registry = Registry::open(home.path()).unwrap();
    let mut staging = registry.stage().unwrap();
    staging.write("model.json", b"{}").unwrap();
    let dir = staging.dir().to_path_buf();
    drop(staging);
    assert!(!dir.exists());
    let mut staging = registry.stage().unwrap();
    assert!(matches!(
        staging.write("../escape", b""),
        Err(Error::Rejected(_))
    ));
    assert!(matches!(
        staging.write("manifest.json", b""),
        Err(Error::Rejected(_))
    ));
}

#[test]
fn damaged_bundles_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let registry = Registry::open(home.path()).unwrap();
    let model = tiny_model(4);
    let (version, _) = registry.publish(bundle(&model)).unwrap();
    let dir = registry.bundle_dir(version);

    // One flipped byte in the model file.
    let model_path = dir.join("model.json");
    let original = fs::read(&model_path).unwrap();
    let mut damaged = original.clone();
    let i = damaged.len() / 2;
    damaged[i] ^= 0x01;
    fs::write(&model_path, &damaged).unwrap();
    let err = registry.load(version).unwrap_err();
    assert!(matches!(err, Error::ChecksumMismatch { .. }), "{err}");
    assert!(err.is_untrusted_bundle());
    fs::write(&model_path, &original).unwrap();
    registry.load(version).unwrap();

    // A truncated extra file.
    let ref_path = dir.join("ref_data.csv");
    fs::write(&ref_path, b"text,la").unwrap();
    assert!(matches!(
        registry.load(version),
        Err(Error::ChecksumMismatch { .. })
    ));
    fs::write(&ref_path, b"text,label\nhello,legit\n").unwrap();

    // A manifest edited by hand no longer matches its checksum.
    let manifest_path = dir.join("manifest.json");
    let manifest = fs::read_to_string(&manifest_path).unwrap();
    fs::write(
        &manifest_path,
        manifest.replace("\"threshold\": 0.", "\"threshold\": 0.9"),
    )
    .unwrap();
    assert!(matches!(
        registry.load(version),
        Err(Error::ChecksumMismatch { .. })
    ));

    // A newer schema with a consistent checksum is refused for its schema.
    let newer = manifest.replace("\"schema_version\": 1", "\"schema_version\": 99");
    fs::write(&manifest_path, &newer).unwrap();
    let sum = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(newer.as_bytes()))
    };
    fs::write(dir.join("manifest.sha256"), sum).unwrap();
    let err = registry.load(version).unwrap_err();
    assert!(
        matches!(
            err,
            Error::UnsupportedSchema {
                found: 99,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("schema version 99"), "{err}");

    // Promotion verifies too: a damaged bundle never becomes production.
    let (v2, _) = registry.publish(bundle(&model)).unwrap();
    fs::write(registry.bundle_dir(v2).join("model.json"), b"{}").unwrap();
    assert!(registry.promote(v2, "ci", "test").is_err());
    assert_eq!(registry.aliases().unwrap().production, Some(version));
}

#[test]
fn datasets_are_stored_once_by_content_and_repaired_when_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(dir.path()).unwrap();
    let rows = b"text,label\nhello,legit\n";
    let (sha, path) = registry.store_dataset(rows).unwrap();
    assert_eq!(sha.len(), 64);
    assert_eq!(path.file_name().unwrap(), format!("{sha}.csv").as_str());
    assert_eq!(fs::read(&path).unwrap(), rows);
    // The same rows are the same file; other rows another.
    assert_eq!(registry.store_dataset(rows).unwrap().1, path);
    let (other, _) = registry.store_dataset(b"text,label\nbye,legit\n").unwrap();
    assert_ne!(other, sha);
    assert_eq!(registry.dataset_path(&sha), Some(path.clone()));
    assert_eq!(registry.dataset_path("../../etc/passwd"), None);
    // A damaged copy is rewritten, not trusted.
    fs::write(&path, b"tampered").unwrap();
    registry.store_dataset(rows).unwrap();
    assert_eq!(fs::read(&path).unwrap(), rows);
}
