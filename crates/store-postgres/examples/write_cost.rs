//! What production data costs PostgreSQL per prediction and per label, measured through the
//! store itself: predictions/s through the batched writer, WAL bytes and table and index bytes
//! per prediction, and the commit latency of one label (what a `POST /feedback` waits for).
//!
//!   cargo run --release -p store-postgres --example write_cost -- <database url> [predictions] [labels]
//!
//! (bench/stores/run.sh starts a server and runs it.) Prints one JSON object.

use std::time::Instant;

use chrono::{Duration, Utc};
use prod_data::{FeedbackRecord, PredictionRecord, ProductionReader, ProductionStore};
use sqlx::Row as _;
use store_postgres::{Database, PgProductionStore};

fn prediction(i: usize, at: chrono::DateTime<Utc>) -> PredictionRecord {
    let descriptors = text_model::DESCRIPTOR_COLUMNS
        .iter()
        .enumerate()
        .map(|(k, name)| (name.to_string(), ((i * 7 + k * 13) % 97) as f64 / 7.0))
        .collect();
    PredictionRecord {
        schema: prod_data::SCHEMA_VERSION,
        prediction_id: format!("01JF{i:022}"),
        at,
        instance: "predict-api-7d9f-abcde-1".into(),
        model_version: "v0007".into(),
        // A typical SMS-sized message (~120 characters).
        text: format!(
            "URGENT: your parcel {i} is held at customs, pay the 2.99 fee at http://parcel-help.top/{i} within 24h"
        ),
        client_id: None,
        channel: Some("sms".into()),
        meta: None,
        risk_score: (i % 1000) as f64 / 1000.0,
        predicted_label: if i.is_multiple_of(3) { "fraud" } else { "legit" }.into(),
        threshold: 0.42,
        risk_level: "high".into(),
        descriptors,
        latency_us: 35,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .ok_or("usage: write_cost <database url> [predictions] [labels]")?;
    let n: usize = args.get(2).map_or(Ok(200_000), |a| a.parse())?;
    let labels: usize = args.get(3).map_or(Ok(2_000), |a| a.parse())?;
    let db = Database::connect(url, 8)?;
    let sizes = |db: &Database| -> Result<(i64, i64, i64), Box<dyn std::error::Error>> {
        let pool = db.pool().clone();
        Ok(db.run(async move {
            let row = sqlx::query(
                "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS wal, \
                   (SELECT coalesce(sum(pg_table_size(c.oid)), 0) FROM pg_inherits i \
                      JOIN pg_class c ON c.oid = i.inhrelid \
                      WHERE i.inhparent = 'predictions'::regclass)::bigint AS heap, \
                   (SELECT coalesce(sum(pg_indexes_size(c.oid)), 0) FROM pg_inherits i \
                      JOIN pg_class c ON c.oid = i.inhrelid \
                      WHERE i.inhparent = 'predictions'::regclass)::bigint AS index",
            )
            .fetch_one(&pool)
            .await?;
            Ok::<_, sqlx::Error>((
                row.try_get("wal")?,
                row.try_get("heap")?,
                row.try_get("index")?,
            ))
        })?)
    };
    let store = PgProductionStore::open(&db, 65_536);
    let start_at = Utc::now();
    let records: Vec<PredictionRecord> = (0..n)
        .map(|i| prediction(i, start_at + Duration::microseconds(i as i64 * 50)))
        .collect();
    let (wal0, heap0, index0) = sizes(&db)?;
    let t = Instant::now();
    let mut dropped = 0;
    for r in &records {
        while !store.log_prediction(r) {
            // The queue is full: this measures the writer, so wait for room instead of dropping.
            dropped += 1;
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
    store.flush();
    let secs = t.elapsed().as_secs_f64();
    let (wal1, heap1, index1) = sizes(&db)?;

    // One label at a time, as POST /feedback does: each waits for its commit.
    let mut latencies = Vec::with_capacity(labels);
    let t = Instant::now();
    for i in 0..labels {
        let record = FeedbackRecord {
            schema: prod_data::SCHEMA_VERSION,
            feedback_id: format!("fb-{i:08}"),
            at: Utc::now(),
            instance: "predict-api-7d9f-abcde-1".into(),
            prediction_id: Some(records[i % n].prediction_id.clone()),
            text: records[i % n].text.clone(),
            label: "fraud".into(),
            source: "operator".into(),
            contact: None,
            comment: None,
            model_version: Some("v0007".into()),
            risk_score: Some(0.9),
        };
        let one = Instant::now();
        store.append_feedback(&record)?;
        latencies.push(one.elapsed().as_secs_f64() * 1e3);
    }
    let label_secs = t.elapsed().as_secs_f64();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize];
    let t = Instant::now();
    let found = store.find_prediction(&records[n / 2].prediction_id)?;
    let lookup_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let window = store.prediction_window(Some(start_at), 5000)?;
    let window_ms = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "{}",
        serde_json::json!({
            "predictions": n,
            "seconds": secs,
            "predictions_per_second": n as f64 / secs,
            "queue_full_waits": dropped,
            "wal_bytes_per_prediction": (wal1 - wal0) as f64 / n as f64,
            "heap_bytes_per_prediction": (heap1 - heap0) as f64 / n as f64,
            "index_bytes_per_prediction": (index1 - index0) as f64 / n as f64,
            "labels": labels,
            "labels_per_second_one_client": labels as f64 / label_secs,
            "label_commit_ms_p50": pct(0.5),
            "label_commit_ms_p99": pct(0.99),
            "lookup_by_id_ms": lookup_ms,
            "lookup_found": found.is_some(),
            "window_5000_ms": window_ms,
            "window_rows": window.len(),
        })
    );
    Ok(())
}
