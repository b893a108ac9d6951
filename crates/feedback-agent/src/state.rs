//! Shared state and the agent's work that several routes share: retrieval, writing drafts,
//! reindexing, per-contact rate limits.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use fraudloop_config::AdminToken;
use serde::Serialize;

use crate::compose::{self, Draft, DraftPath, PredictionFacts};
use crate::deliver::Delivery;
use crate::embed::Embedder;
use crate::external::Endpoint;
use crate::kb::{self, Chunk, Lang};
use crate::links::LinkSigner;
use crate::llm::{ChatModel, Task};
use crate::metrics::Metrics;
use crate::redact::redact;
use crate::retrieve::{KbIndex, RetrievalPath};
use crate::settings::{Secrets, Settings, ADMIN_TOKEN_ENV};
use crate::store::{AgentStore, RecordedAnswer};
use crate::upstream::{PredictApi, Prediction};

/// The chunks retrieved for one question and how they were found.
#[derive(Debug, Clone)]
pub struct Retrieved {
    /// The chunks, best first, with their scores.
    pub chunks: Vec<(Chunk, f32)>,
    /// Lexical, hybrid, or lexical because the embeddings endpoint failed.
    pub path: RetrievalPath,
    /// Why dense retrieval was not used, when it was configured.
    pub note: Option<String>,
}

/// How a retrieval is reported in responses.
#[derive(Debug, Clone, Serialize)]
pub struct RetrievalReport {
    /// `lexical`, `hybrid` or `lexical_fallback`.
    pub path: RetrievalPath,
    /// Why dense retrieval was not used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The chunks used, best first.
    pub sources: Vec<SourceReport>,
}

/// One chunk used.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    /// The file.
    pub file: String,
    /// The heading.
    pub heading: String,
    /// The ranking score.
    pub score: f32,
}

impl Retrieved {
    /// The report of this retrieval.
    pub fn report(&self) -> RetrievalReport {
        RetrievalReport {
            path: self.path,
            note: self.note.clone(),
            sources: self
                .chunks
                .iter()
                .map(|(c, score)| SourceReport {
                    file: c.file.clone(),
                    heading: c.heading.clone(),
                    score: *score,
                })
                .collect(),
        }
    }
}

/// A written draft and who wrote it.
#[derive(Debug, Clone)]
pub struct Written {
    /// The draft.
    pub draft: Draft,
    /// LLM or template.
    pub path: DraftPath,
    /// Why the template wrote it although a chat model is configured.
    pub fallback_reason: Option<String>,
}

/// The knowledge-base index and what is known about its dense half.
pub struct IndexState {
    /// The index.
    pub index: KbIndex,
    /// Why dense retrieval is off although configured (indexing failed).
    pub dense_note: Option<String>,
}

/// Notices per contact in the last hour.
#[derive(Debug, Default)]
pub struct ContactLimiter {
    sent: HashMap<String, VecDeque<DateTime<Utc>>>,
}

impl ContactLimiter {
    /// Takes one notice from the contact's hourly allowance; false when none is left.
    pub fn try_take(&mut self, contact: &str, per_hour: u32, now: DateTime<Utc>) -> bool {
        let sent = self.sent.entry(contact.to_ascii_lowercase()).or_default();
        while sent
            .front()
            .is_some_and(|t| now - *t >= chrono::Duration::hours(1))
        {
            sent.pop_front();
        }
        if sent.len() as u32 >= per_hour {
            return false;
        }
        sent.push_back(now);
        true
    }
}

/// Everything handlers share.
pub struct AppState {
    /// Settings.
    pub settings: Arc<Settings>,
    /// The admin token.
    pub admin_token: Option<AdminToken>,
    /// The index.
    pub index: RwLock<Arc<IndexState>>,
    /// HTTP client for external calls.
    pub http: reqwest::Client,
    /// Dense retrieval, when `DASHSCOPE_API_KEY` is set.
    pub embedder: Option<Embedder>,
    /// Generation, when `GROQ_API_KEY` is set.
    pub chat: Option<ChatModel>,
    /// Signs confirm links.
    pub signer: LinkSigner,
    /// Notices, answers, outbox.
    pub store: AgentStore,
    /// Recorded answers by notice.
    pub answers: Mutex<HashMap<String, RecordedAnswer>>,
    /// Serialises answers, so one notice records once.
    pub answer_lock: tokio::sync::Mutex<()>,
    /// predict-api.
    pub predict: PredictApi,
    /// Delivery channels.
    pub delivery: Delivery,
    /// Metrics.
    pub metrics: Metrics,
    /// Hosts our own links may point at.
    pub own_hosts: Vec<String>,
    /// Per-contact rate limits.
    pub contacts: Mutex<ContactLimiter>,
    /// Serialises reindexing.
    pub reindex_lock: tokio::sync::Mutex<()>,
}

impl fraudloop_http::AdminAccess for AppState {
    fn admin_token(&self) -> Option<&AdminToken> {
        self.admin_token.as_ref()
    }

    fn admin_token_env(&self) -> &'static str {
        ADMIN_TOKEN_ENV
    }
}

/// The organisation's own sites, always allowed in generated links besides the agent's.
const OWN_HOSTS: [&str; 2] = ["lakeshorebank.example", "hu-an-bank.example"];

impl AppState {
    /// Builds the state: reads the knowledge base, embeds it when configured, loads the
    /// recorded answers.
    pub async fn new(settings: Settings, secrets: Secrets) -> anyhow::Result<AppState> {
        settings.validate()?;
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .build()?;
        let store = AgentStore::new(settings.agent_dir());
        let endpoint =
            |name: &'static str, base_url: &str, key: &crate::settings::Secret| Endpoint {
                name,
                base_url: base_url.to_string(),
                key: key.clone(),
                timeout: settings.llm_timeout(),
                retries: settings.llm_retries,
                max_wait: std::time::Duration::from_millis(settings.llm_max_wait_ms),
            };
        let embedder = secrets.embeddings_key.as_ref().map(|key| Embedder {
            endpoint: endpoint("embeddings", &settings.embeddings_base_url, key),
            model: settings.embeddings_model.clone(),
            dimensions: settings.embeddings_dimensions,
            cache_dir: store.embeddings_dir(),
        });
        let chat = secrets.chat_key.as_ref().map(|key| ChatModel {
            endpoint: endpoint("chat", &settings.chat_base_url, key),
            model: settings.chat_model.clone(),
        });
        let signer = match &secrets.link_secret {
            Some(secret) => LinkSigner::new(secret.expose().as_bytes()),
            None => {
                tracing::warn!("AGENT_LINK_SECRET is not set: links are signed with a random key and stop working when the agent restarts");
                let key: Vec<u8> = (0..4)
                    .flat_map(|_| uuid::Uuid::now_v7().into_bytes())
                    .collect();
                LinkSigner::new(&key)
            }
        };
        let mut own_hosts: Vec<String> = OWN_HOSTS.iter().map(|h| h.to_string()).collect();
        if let Some(host) = reqwest::Url::parse(&settings.public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
        {
            own_hosts.push(host.to_ascii_lowercase());
        }
        let answers = {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.answers()).await??
        };
        let metrics = Metrics::new(crate::route_table());
        let delivery = Delivery::new(&settings, &secrets, http.clone(), store.clone())?;
        let state = AppState {
            predict: PredictApi::new(http.clone(), &settings.predict_api_url),
            admin_token: secrets.admin_token.clone(),
            index: RwLock::new(Arc::new(IndexState {
                index: KbIndex::new(Vec::new()),
                dense_note: None,
            })),
            settings: Arc::new(settings),
            http,
            embedder,
            chat,
            signer,
            store,
            answers: Mutex::new(answers),
            answer_lock: tokio::sync::Mutex::new(()),
            delivery,
            metrics,
            own_hosts,
            contacts: Mutex::default(),
            reindex_lock: tokio::sync::Mutex::new(()),
        };
        state.reindex().await?;
        Ok(state)
    }

    /// The current index.
    pub fn index(&self) -> Arc<IndexState> {
        self.index.read().expect("index lock").clone()
    }

    /// Reads the knowledge base again and swaps the index in; returns the new index.
    pub async fn reindex(&self) -> anyhow::Result<Arc<IndexState>> {
        let _one_at_a_time = self.reindex_lock.lock().await;
        let dir = self.settings.knowledge_base_dir();
        let index = tokio::task::spawn_blocking(move || kb::load(&dir).map(KbIndex::new)).await??;
        let mut dense_note = None;
        let index = match &self.embedder {
            Some(embedder) if !index.chunks().is_empty() => {
                match embedder
                    .embed(&self.http, &self.metrics, &index.dense_texts())
                    .await
                {
                    Ok((vectors, fetched)) => {
                        tracing::info!(chunks = vectors.len(), fetched, "knowledge base embedded");
                        index.with_dense(vectors)
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "embedding the knowledge base failed; retrieval is lexical");
                        self.metrics.external_failed("embeddings", e.kind());
                        dense_note = Some(format!("the knowledge base could not be embedded ({}); lexical retrieval answered", e.kind()));
                        index
                    }
                }
            }
            _ => index,
        };
        self.metrics.kb_chunks.set(index.chunks().len() as i64);
        let state = Arc::new(IndexState { index, dense_note });
        *self.index.write().expect("index lock") = state.clone();
        Ok(state)
    }

    /// The chunks for a query in `lang`: hybrid when dense vectors are there and the query
    /// embeds, else lexical (saying why when dense retrieval was configured).
    pub async fn retrieve(&self, query: &str, lang: Lang) -> Retrieved {
        let state = self.index();
        let k = self.settings.top_k;
        let (hits, path, note) = match &self.embedder {
            None => (
                state.index.lexical(query, lang, k),
                RetrievalPath::Lexical,
                None,
            ),
            Some(_) if !state.index.has_dense() => (
                state.index.lexical(query, lang, k),
                RetrievalPath::LexicalFallback,
                state.dense_note.clone(),
            ),
            Some(embedder) => {
                // The question may quote the message: redacted before it leaves.
                match embedder
                    .embed(&self.http, &self.metrics, &[redact(query)])
                    .await
                {
                    Ok((vectors, _)) => (
                        state.index.hybrid(query, &vectors[0], lang, k),
                        RetrievalPath::Hybrid,
                        None,
                    ),
                    Err(e) => {
                        self.metrics.external_failed("embeddings", e.kind());
                        (
                            state.index.lexical(query, lang, k),
                            RetrievalPath::LexicalFallback,
                            Some(format!(
                                "the embeddings endpoint failed ({}); lexical retrieval answered",
                                e.kind()
                            )),
                        )
                    }
                }
            }
        };
        self.metrics.retrieval(path.as_str());
        Retrieved {
            chunks: hits
                .into_iter()
                .map(|h| (state.index.chunks()[h.chunk].clone(), h.score))
                .collect(),
            path,
            note,
        }
    }

    /// A draft from the chat model when configured and it succeeds, else from the template.
    pub async fn write(&self, task: Task<'_>, lang: Lang, chunks: &[&Chunk]) -> Written {
        let fallback_reason = match &self.chat {
            None => None,
            Some(chat) => match chat
                .draft(
                    &self.http,
                    &self.metrics,
                    &task,
                    lang,
                    chunks,
                    &self.own_hosts,
                )
                .await
            {
                Ok(draft) => {
                    return Written {
                        draft,
                        path: DraftPath::Llm,
                        fallback_reason: None,
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "generation failed; the template writes");
                    Some(e.to_string())
                }
            },
        };
        let draft = match task {
            Task::Notice { facts, .. } => compose::template_notice(lang, facts, chunks),
            Task::Answer { question, message } => {
                compose::template_answer(lang, question, message.map(|(_, f)| f), chunks)
            }
        };
        Written {
            draft,
            path: DraftPath::Template,
            fallback_reason,
        }
    }
}

/// The facts the drafts use from a prediction.
pub fn facts(prediction: &Prediction) -> PredictionFacts {
    PredictionFacts {
        risk_score: prediction.risk_score,
        risk_level: prediction.risk_level.clone(),
        fraud_terms: prediction
            .top_terms
            .iter()
            .filter(|t| t.weight > 0.0)
            .map(|t| t.term.clone())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_get_their_hourly_allowance() {
        let mut limiter = ContactLimiter::default();
        let now = Utc::now();
        assert!(limiter.try_take("a@x.example", 2, now));
        assert!(limiter.try_take("A@x.example", 2, now));
        assert!(!limiter.try_take("a@x.example", 2, now));
        assert!(limiter.try_take("b@x.example", 2, now));
        assert!(limiter.try_take("a@x.example", 2, now + chrono::Duration::minutes(61)));
    }
}
