//! Production data and the registry's aliases and history in PostgreSQL, for running beyond
//! one machine: every replica writes to and reads from one database instead of its own files
//! on a shared volume (file locks and per-replica files do not hold across machines).
//!
//! # Brief overview
//! - [`Database::connect`] opens a pool on `FRAUDLOOP_DATABASE_URL` ([`DATABASE_URL_ENV`]) and
//!   applies the migrations under `migrations/` (recorded in `_sqlx_migrations`, each once).
//! - [`PgProductionStore`] implements [`prod_data::ProductionStore`]: predictions are appended
//!   to a bounded in-memory queue (a request never wakes a thread) that one writer task inserts
//!   every 50 ms, whatever has accumulated in one statement per 2000 rows; feedback is one
//!   committed `INSERT` before `append_feedback` returns; predictions
//!   are partitioned by day (created on demand, a default partition catching the rest) with an
//!   index on the id and a BRIN index on time, and the drift monitor's window is one query.
//! - [`PgLoopRecords`] implements [`prod_data::LoopRecords`]: the trainer service's state,
//!   decisions, revocations and jobs, one committed statement per write.
//! - [`PgAliasStore`] implements [`artifact_store::AliasStore`]: each promotion, rollback or
//!   first production is one transaction holding the alias row's lock, so changes from any
//!   machine are serialised and the history matches the aliases.
//!
//! The store interfaces are synchronous; this crate runs its own small tokio runtime and
//! blocks the caller until the database has answered, like an fsync.
#![deny(missing_docs)]

use std::borrow::Cow;
use std::collections::HashSet;
use std::future::Future;
use std::str::FromStr as _;
use std::sync::atomic::Ordering;
use std::sync::{mpsc as std_mpsc, Arc, Mutex};

use artifact_store::{Aliases, HistoryEvent, HistoryKind, ModelVersion};
use chrono::{DateTime, NaiveDate, Utc};
use prod_data::{FeedbackRecord, LogStats, PredictionRecord};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Row as _;
use store_runtime::StoreRuntime;

/// The environment variable with the database's URL (`postgres://user:password@host/db`).
/// Set: production data and aliases live in PostgreSQL. Unset: files, as on one machine.
pub const DATABASE_URL_ENV: &str = "FRAUDLOOP_DATABASE_URL";

/// The most predictions inserted in one statement.
const MAX_BATCH: usize = 2000;

/// The migrations, in order (embedded, so the binary needs no files).
const MIGRATIONS: [(i64, &str, &str); 2] = [
    (
        1,
        "production data",
        include_str!("../migrations/0001_production_data.sql"),
    ),
    (
        2,
        "loop records",
        include_str!("../migrations/0002_loop_records.sql"),
    ),
];

/// A database error, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("{action}: {source}")]
pub struct Error {
    action: &'static str,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl Error {
    fn new(action: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
        move |e| Error {
            action,
            source: Box::new(e),
        }
    }
}

/// A pool on the database and the runtime its queries run on.
#[derive(Debug, Clone)]
pub struct Database {
    pool: PgPool,
    runtime: Arc<StoreRuntime>,
}

impl Database {
    /// Connects to `url` and applies pending migrations. Blocks the calling thread (from
    /// async code, prefer `spawn_blocking`).
    pub fn connect(url: &str, max_connections: u32) -> Result<Database, Error> {
        Database::open(url, max_connections, true)
    }

    /// Connects to `url` without touching its schema (to create databases on a server).
    pub fn connect_server(url: &str) -> Result<Database, Error> {
        Database::open(url, 1, false)
    }

    fn open(url: &str, max_connections: u32, migrate: bool) -> Result<Database, Error> {
        let runtime = StoreRuntime::new("postgres-store").map_err(|e| Error {
            action: "start the database runtime",
            source: Box::new(e),
        })?;
        let url = url.to_string();
        let connected = runtime.wait_for(async move {
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .connect(&url)
                .await
                .map_err(Error::new("connect to the database"))?;
            if migrate {
                migrator()
                    .run(&pool)
                    .await
                    .map_err(|e| Error::new("apply migrations")(e.into()))?;
            }
            Ok::<_, Error>(pool)
        });
        let pool = connected.unwrap_or_else(|| {
            Err(Error {
                action: "connect to the database",
                source: "the database runtime stopped".into(),
            })
        })?;
        Ok(Database {
            pool,
            runtime: Arc::new(runtime),
        })
    }

    /// Connects to the URL in [`DATABASE_URL_ENV`]; `None` when it is unset or empty.
    pub fn from_env(max_connections: u32) -> Option<Result<Database, Error>> {
        let url = std::env::var(DATABASE_URL_ENV)
            .ok()
            .filter(|u| !u.is_empty())?;
        Some(Database::connect(&url, max_connections))
    }

    /// Runs `future` on the database runtime and waits for it (from any thread, async or not).
    pub fn run<T: Send + 'static>(
        &self,
        future: impl Future<Output = Result<T, sqlx::Error>> + Send + 'static,
    ) -> Result<T, sqlx::Error> {
        self.runtime
            .wait_for(future)
            .unwrap_or(Err(sqlx::Error::PoolClosed))
    }

    /// Creates an empty database `name` on this server (letters, digits and `_` only): for
    /// test suites and first installs.
    pub fn create_database(&self, name: &str) -> Result<(), Error> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error {
                action: "create a database",
                source: format!("{name:?} is not a plain database name").into(),
            });
        }
        let pool = self.pool.clone();
        let ddl = format!("CREATE DATABASE {name}");
        self.run(async move { sqlx::query(&ddl).execute(&pool).await.map(|_| ()) })
            .map_err(Error::new("create a database"))
    }

    /// The pool, for queries of the caller's own.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn migrator() -> Migrator {
    let migrations: Vec<Migration> = MIGRATIONS
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                Cow::Borrowed(*sql),
                false,
            )
        })
        .collect();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

// ---- production data ----

/// Predictions waiting for the writer, and callers of `flush` waiting for it.
#[derive(Default)]
struct Pending {
    rows: Vec<(NaiveDate, String)>,
    flushes: Vec<std_mpsc::SyncSender<()>>,
}

struct Queue {
    pending: Mutex<Pending>,
    capacity: usize,
    flush_now: tokio::sync::Notify,
}

impl Queue {
    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves whole rows behind: keep using them.
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// [`prod_data::ProductionStore`] in PostgreSQL.
pub struct PgProductionStore {
    db: Database,
    queue: Arc<Queue>,
    stats: Arc<LogStats>,
    feedback_stats: Arc<LogStats>,
}

impl std::fmt::Debug for PgProductionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgProductionStore")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

/// The writer inserts what has been queued this often: a request only appends to a vector,
/// it never wakes the writer (a wake per prediction cost more than the prediction's insert).
const WRITE_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

impl PgProductionStore {
    /// Starts the prediction writer; at most `queue` predictions wait for it.
    pub fn open(db: &Database, queue: usize) -> PgProductionStore {
        let queue = Arc::new(Queue {
            pending: Mutex::default(),
            capacity: queue.max(1),
            flush_now: tokio::sync::Notify::new(),
        });
        let stats = Arc::new(LogStats::default());
        db.runtime.spawn(prediction_writer(
            db.pool.clone(),
            Arc::downgrade(&queue),
            stats.clone(),
        ));
        PgProductionStore {
            db: db.clone(),
            queue,
            stats,
            feedback_stats: Arc::new(LogStats::default()),
        }
    }
}

impl Drop for PgProductionStore {
    /// Stores what is still queued; the writer stops once the queue is gone.
    fn drop(&mut self) {
        prod_data::ProductionStore::flush(self);
    }
}

/// Inserts queued predictions every [`WRITE_EVERY`] (or at once for a flush): whatever has
/// accumulated, up to [`MAX_BATCH`] rows per statement, after making sure each day's
/// partition exists. Stops when the store is dropped.
async fn prediction_writer(pool: PgPool, queue: std::sync::Weak<Queue>, stats: Arc<LogStats>) {
    let mut partitions: HashSet<NaiveDate> = HashSet::new();
    loop {
        let Some(shared) = queue.upgrade() else {
            return;
        };
        tokio::select! {
            _ = tokio::time::sleep(WRITE_EVERY) => {}
            _ = shared.flush_now.notified() => {}
        }
        let Pending { rows, flushes } = std::mem::take(&mut *shared.pending());
        drop(shared);
        for batch in rows.chunks(MAX_BATCH) {
            insert_batch(&pool, batch, &mut partitions, &stats).await;
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

async fn insert_batch(
    pool: &PgPool,
    batch: &[(NaiveDate, String)],
    partitions: &mut HashSet<NaiveDate>,
    stats: &LogStats,
) {
    let days: HashSet<NaiveDate> = batch.iter().map(|(d, _)| *d).collect();
    for day in days.difference(&partitions.clone()) {
        match ensure_partition(pool, *day).await {
            Ok(()) => {
                partitions.insert(*day);
            }
            Err(e) => {
                tracing::warn!(error = %e, %day, "no partition for the day; rows go to the default partition")
            }
        }
    }
    let json = format!(
        "[{}]",
        batch
            .iter()
            .map(|(_, j)| j.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    let n = batch.len() as u64;
    let mut attempt = 0;
    loop {
        let result = sqlx::query(
            "INSERT INTO predictions \
             SELECT * FROM jsonb_populate_recordset(NULL::predictions, $1::jsonb)",
        )
        .bind(&json)
        .execute(pool)
        .await;
        match result {
            Ok(_) => {
                stats.written.fetch_add(n, Ordering::Relaxed);
                return;
            }
            Err(e) if attempt < 3 => {
                attempt += 1;
                tracing::warn!(error = %e, attempt, "inserting predictions failed; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
            }
            Err(e) => {
                tracing::error!(error = %e, rows = n, "inserting predictions failed; the batch is lost");
                stats.errors.fetch_add(n, Ordering::Relaxed);
                return;
            }
        }
    }
}

/// Creates the day's partition unless it exists. Replicas may race to create it: an advisory
/// lock serialises them.
async fn ensure_partition(pool: &PgPool, day: NaiveDate) -> Result<(), sqlx::Error> {
    let next = day.succ_opt().unwrap_or(day);
    let name = format!("predictions_p{}", day.format("%Y%m%d"));
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('fraudloop_prediction_partitions'))")
        .execute(&mut *tx)
        .await?;
    // Dates come from chrono's formatter, never from input text.
    let ddl = format!(
        "CREATE TABLE IF NOT EXISTS {name} PARTITION OF predictions \
         FOR VALUES FROM ('{day} 00:00:00+00') TO ('{next} 00:00:00+00')"
    );
    sqlx::query(&ddl).execute(&mut *tx).await?;
    tx.commit().await
}

fn backend(action: &'static str) -> impl FnOnce(sqlx::Error) -> prod_data::Error {
    move |e| prod_data::Error::Backend {
        action,
        detail: e.to_string(),
    }
}

fn parse_rows<T: serde::de::DeserializeOwned>(
    rows: Vec<String>,
) -> Result<Vec<T>, prod_data::Error> {
    rows.iter()
        .map(|r| {
            serde_json::from_str(r).map_err(|e| prod_data::Error::Backend {
                action: "read a stored record",
                detail: e.to_string(),
            })
        })
        .collect()
}

impl PgProductionStore {
    fn queue_prediction(&self, day: NaiveDate, json: String) -> bool {
        let mut pending = self.queue.pending();
        if pending.rows.len() >= self.queue.capacity {
            drop(pending);
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        pending.rows.push((day, json));
        true
    }
}

/// The one field of a serialised prediction that picks its partition.
#[derive(serde::Deserialize)]
struct At {
    at: DateTime<Utc>,
}

impl prod_data::ProductionStore for PgProductionStore {
    fn log_prediction(&self, record: &PredictionRecord) -> bool {
        let json = serde_json::to_string(record).expect("prediction records serialise");
        self.queue_prediction(record.at.date_naive(), json)
    }

    fn log_encoded(&self, line: prod_data::EncodedPrediction) -> bool {
        // The line is the record's JSON already: only its time is read here.
        let bytes = line.as_bytes();
        match (
            serde_json::from_slice::<At>(bytes),
            std::str::from_utf8(bytes),
        ) {
            (Ok(at), Ok(json)) => {
                self.queue_prediction(at.at.date_naive(), json.trim_end().to_string())
            }
            _ => {
                self.stats.errors.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    fn flush(&self) {
        let (tx, rx) = std_mpsc::sync_channel(1);
        self.queue.pending().flushes.push(tx);
        self.queue.flush_now.notify_one();
        // An error means the writer is gone, and with it anything it could still write.
        let _ = rx.recv();
    }

    fn append_feedback(&self, record: &FeedbackRecord) -> Result<(), prod_data::Error> {
        let json = serde_json::to_string(record).expect("feedback records serialise");
        let pool = self.db.pool.clone();
        // Committed (WAL flushed with synchronous_commit on) before this returns. A repeated
        // feedback id is the same label: stored once.
        self.db
            .run(async move {
                sqlx::query(
                    "INSERT INTO feedback \
                     SELECT * FROM jsonb_populate_record(NULL::feedback, $1::jsonb) \
                     ON CONFLICT (feedback_id) DO NOTHING",
                )
                .bind(json)
                .execute(&pool)
                .await
            })
            .map(|_| ())
            .map_err(backend("store feedback"))?;
        self.feedback_stats.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn prediction_stats(&self) -> Arc<LogStats> {
        self.stats.clone()
    }

    fn feedback_stats(&self) -> Arc<LogStats> {
        self.feedback_stats.clone()
    }
}

impl prod_data::ProductionReader for PgProductionStore {
    fn find_prediction(&self, id: &str) -> Result<Option<PredictionRecord>, prod_data::Error> {
        let pool = self.db.pool.clone();
        let id = id.to_string();
        let rows = self
            .db
            .run(async move {
                sqlx::query_scalar::<_, String>(
                    "SELECT row_to_json(p)::text FROM predictions p \
                     WHERE prediction_id = $1 LIMIT 1",
                )
                .bind(id)
                .fetch_all(&pool)
                .await
            })
            .map_err(backend("find a prediction"))?;
        Ok(parse_rows(rows)?.into_iter().next())
    }

    fn prediction_window(
        &self,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<PredictionRecord>, prod_data::Error> {
        let pool = self.db.pool.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .db
            .run(async move {
                sqlx::query_scalar::<_, String>(
                    "SELECT row_to_json(w)::text FROM ( \
                       SELECT * FROM predictions \
                       WHERE $1::timestamptz IS NULL OR at >= $1 \
                       ORDER BY at DESC LIMIT $2) w \
                     ORDER BY at",
                )
                .bind(since)
                .bind(limit)
                .fetch_all(&pool)
                .await
            })
            .map_err(backend("read the prediction window"))?;
        parse_rows(rows)
    }

    fn risky_predictions_since(
        &self,
        since: DateTime<Utc>,
        min_risk: f64,
        limit: usize,
    ) -> Result<Vec<PredictionRecord>, prod_data::Error> {
        let pool = self.db.pool.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .db
            .run(async move {
                sqlx::query_scalar::<_, String>(
                    "SELECT row_to_json(w)::text FROM ( \
                       SELECT * FROM predictions WHERE at >= $1 AND risk_score >= $2 \
                       ORDER BY at DESC LIMIT $3) w \
                     ORDER BY at",
                )
                .bind(since)
                .bind(min_risk)
                .bind(limit)
                .fetch_all(&pool)
                .await
            })
            .map_err(backend("read the risky predictions"))?;
        parse_rows(rows)
    }

    fn feedback_since(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<FeedbackRecord>, prod_data::Error> {
        let pool = self.db.pool.clone();
        let rows = self
            .db
            .run(async move {
                sqlx::query_scalar::<_, String>(
                    "SELECT row_to_json(f)::text FROM feedback f \
                     WHERE $1::timestamptz IS NULL OR at >= $1 ORDER BY at, feedback_id",
                )
                .bind(since)
                .fetch_all(&pool)
                .await
            })
            .map_err(backend("read feedback"))?;
        parse_rows(rows)
    }
}

// ---- the registry's aliases and history ----

// ---- the loop's records ----

/// [`prod_data::LoopRecords`] in PostgreSQL: each write is one committed statement.
#[derive(Debug, Clone)]
pub struct PgLoopRecords {
    db: Database,
}

impl PgLoopRecords {
    /// The loop's records in `db`.
    pub fn new(db: &Database) -> PgLoopRecords {
        PgLoopRecords { db: db.clone() }
    }

    fn execute(
        &self,
        action: &'static str,
        sql: &'static str,
        binds: Vec<Bind>,
    ) -> Result<(), prod_data::Error> {
        let pool = self.db.pool.clone();
        self.db
            .run(async move {
                let mut query = sqlx::query(sql);
                for bind in binds {
                    query = match bind {
                        Bind::Text(t) => query.bind(t),
                        Bind::Int(i) => query.bind(i),
                    };
                }
                query.execute(&pool).await.map(|_| ())
            })
            .map_err(backend(action))
    }

    fn documents(
        &self,
        action: &'static str,
        sql: &'static str,
    ) -> Result<Vec<serde_json::Value>, prod_data::Error> {
        let pool = self.db.pool.clone();
        let rows = self
            .db
            .run(async move { sqlx::query_scalar::<_, String>(sql).fetch_all(&pool).await })
            .map_err(backend(action))?;
        parse_rows(rows)
    }
}

enum Bind {
    Text(String),
    Int(i64),
}

impl prod_data::LoopRecords for PgLoopRecords {
    fn load_state(&self) -> Result<Option<serde_json::Value>, prod_data::Error> {
        Ok(self
            .documents(
                "read the loop's state",
                "SELECT state::text FROM loop_state",
            )?
            .pop())
    }

    fn save_state(&self, state: &serde_json::Value) -> Result<(), prod_data::Error> {
        self.execute(
            "save the loop's state",
            "INSERT INTO loop_state (id, state) VALUES (1, $1::jsonb) \
             ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state",
            vec![Bind::Text(state.to_string())],
        )
    }

    fn append_decision(&self, line: &serde_json::Value) -> Result<(), prod_data::Error> {
        self.execute(
            "append a decision",
            "INSERT INTO loop_decisions (line) VALUES ($1::jsonb)",
            vec![Bind::Text(line.to_string())],
        )
    }

    fn decisions(&self) -> Result<Vec<serde_json::Value>, prod_data::Error> {
        self.documents(
            "read the decisions",
            "SELECT line::text FROM loop_decisions ORDER BY seq",
        )
    }

    fn append_revocation(&self, line: &serde_json::Value) -> Result<(), prod_data::Error> {
        self.execute(
            "append a revocation",
            "INSERT INTO loop_revocations (line) VALUES ($1::jsonb)",
            vec![Bind::Text(line.to_string())],
        )
    }

    fn revocations(&self) -> Result<Vec<serde_json::Value>, prod_data::Error> {
        self.documents(
            "read the revocations",
            "SELECT line::text FROM loop_revocations ORDER BY seq",
        )
    }

    fn save_job(
        &self,
        id: &str,
        seq: u64,
        job: &serde_json::Value,
    ) -> Result<(), prod_data::Error> {
        self.execute(
            "save a job",
            "INSERT INTO loop_jobs (id, seq, job) VALUES ($1, $2, $3::jsonb) \
             ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, job = EXCLUDED.job",
            vec![
                Bind::Text(id.to_string()),
                Bind::Int(i64::try_from(seq).unwrap_or(i64::MAX)),
                Bind::Text(job.to_string()),
            ],
        )
    }

    fn jobs(&self) -> Result<Vec<serde_json::Value>, prod_data::Error> {
        self.documents(
            "read the jobs",
            "SELECT job::text FROM loop_jobs ORDER BY seq",
        )
    }
}

/// [`artifact_store::AliasStore`] in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgAliasStore {
    db: Database,
}

impl PgAliasStore {
    /// The aliases and history in `db`.
    pub fn new(db: &Database) -> PgAliasStore {
        PgAliasStore { db: db.clone() }
    }
}

fn registry_error(action: &'static str) -> impl FnOnce(sqlx::Error) -> artifact_store::Error {
    move |e| artifact_store::Error::Backend {
        action,
        detail: e.to_string(),
    }
}

fn version(text: Option<String>) -> Result<Option<ModelVersion>, artifact_store::Error> {
    text.map(|t| ModelVersion::from_str(&t)).transpose()
}

fn kind_name(kind: HistoryKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .expect("history kinds serialise as strings")
}

/// Outcome of one alias transaction, decided inside it.
enum Change {
    Done(HistoryEvent),
    Refused(artifact_store::Error),
}

impl PgAliasStore {
    /// Locks the alias row, lets `decide` compute the new aliases from the current ones, and
    /// writes them with their history line, in one transaction.
    fn change(
        &self,
        action: &'static str,
        actor: &str,
        reason: &str,
        decide: impl FnOnce(Aliases) -> Result<(Aliases, HistoryKind), artifact_store::Error>
            + Send
            + 'static,
    ) -> Result<HistoryEvent, artifact_store::Error> {
        let pool = self.db.pool.clone();
        let (actor, reason) = (actor.to_string(), reason.to_string());
        let outcome = self
            .db
            .run(async move {
                let mut tx = pool.begin().await?;
                let row = sqlx::query(
                    "SELECT production, previous FROM registry_aliases WHERE id = 1 FOR UPDATE",
                )
                .fetch_one(&mut *tx)
                .await?;
                let current = match (
                    version(row.try_get("production")?),
                    version(row.try_get("previous")?),
                ) {
                    (Ok(production), Ok(previous)) => Aliases {
                        production,
                        previous,
                    },
                    (Err(e), _) | (_, Err(e)) => return Ok(Change::Refused(e)),
                };
                let (new, kind) = match decide(current) {
                    Ok(decided) => decided,
                    Err(e) => return Ok(Change::Refused(e)),
                };
                let event = HistoryEvent {
                    at: Utc::now(),
                    kind,
                    version: new.production.expect("alias changes always set production"),
                    replaced: current.production,
                    actor,
                    reason,
                };
                sqlx::query(
                    "UPDATE registry_aliases SET production = $1, previous = $2 WHERE id = 1",
                )
                .bind(new.production.map(|v| v.to_string()))
                .bind(new.previous.map(|v| v.to_string()))
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO registry_history (at, kind, version, replaced, actor, reason) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(event.at)
                .bind(kind_name(event.kind))
                .bind(event.version.to_string())
                .bind(event.replaced.map(|v| v.to_string()))
                .bind(&event.actor)
                .bind(&event.reason)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Change::Done(event))
            })
            .map_err(registry_error(action))?;
        match outcome {
            Change::Done(event) => Ok(event),
            Change::Refused(e) => Err(e),
        }
    }
}

impl artifact_store::AliasStore for PgAliasStore {
    fn aliases(&self) -> Result<Aliases, artifact_store::Error> {
        let pool = self.db.pool.clone();
        let (production, previous) = self
            .db
            .run(async move {
                let row =
                    sqlx::query("SELECT production, previous FROM registry_aliases WHERE id = 1")
                        .fetch_one(&pool)
                        .await?;
                Ok((
                    row.try_get::<Option<String>, _>("production")?,
                    row.try_get::<Option<String>, _>("previous")?,
                ))
            })
            .map_err(registry_error("read the aliases"))?;
        Ok(Aliases {
            production: version(production)?,
            previous: version(previous)?,
        })
    }

    fn history(&self) -> Result<Vec<HistoryEvent>, artifact_store::Error> {
        let pool = self.db.pool.clone();
        let rows = self
            .db
            .run(async move {
                sqlx::query_scalar::<_, String>(
                    "SELECT json_build_object('at', at, 'kind', kind, 'version', version, \
                       'replaced', replaced, 'actor', actor, 'reason', reason)::text \
                     FROM registry_history ORDER BY seq",
                )
                .fetch_all(&pool)
                .await
            })
            .map_err(registry_error("read the history"))?;
        rows.iter()
            .map(|r| {
                serde_json::from_str(r).map_err(|e| artifact_store::Error::Backend {
                    action: "read the history",
                    detail: e.to_string(),
                })
            })
            .collect()
    }

    fn promote(
        &self,
        version: ModelVersion,
        actor: &str,
        reason: &str,
    ) -> Result<HistoryEvent, artifact_store::Error> {
        self.change("promote", actor, reason, move |current| {
            if current.production == Some(version) {
                return Err(artifact_store::Error::Rejected(format!(
                    "{version} is already production"
                )));
            }
            let new = Aliases {
                production: Some(version),
                previous: current.production,
            };
            Ok((new, HistoryKind::Promote))
        })
    }

    fn rollback(&self, actor: &str, reason: &str) -> Result<HistoryEvent, artifact_store::Error> {
        self.change("roll back", actor, reason, |current| {
            let target = current
                .previous
                .ok_or(artifact_store::Error::AliasUnset("previous"))?;
            let new = Aliases {
                production: Some(target),
                previous: current.production,
            };
            Ok((new, HistoryKind::Rollback))
        })
    }

    fn initialize(&self, version: ModelVersion) -> Result<bool, artifact_store::Error> {
        let result = self.change(
            "set the first production model",
            "registry",
            "first model of an empty registry",
            move |current| {
                if current.production.is_some() {
                    return Err(artifact_store::Error::Rejected("already set".into()));
                }
                let new = Aliases {
                    production: Some(version),
                    previous: None,
                };
                Ok((new, HistoryKind::Initial))
            },
        );
        match result {
            Ok(_) => Ok(true),
            Err(artifact_store::Error::Rejected(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
