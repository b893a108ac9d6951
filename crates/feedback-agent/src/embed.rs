//! Dense vectors from an OpenAI-compatible `POST /embeddings` endpoint, at most ten inputs
//! per call, cached on disk by model, dimensions and content hash.

use std::path::PathBuf;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::external::{Endpoint, ExternalError};
use crate::metrics::Metrics;

/// Inputs per call: DashScope's limit for `text-embedding-v4`.
pub const MAX_INPUTS_PER_CALL: usize = 10;

/// An embeddings client with its disk cache.
#[derive(Debug, Clone)]
pub struct Embedder {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// The model.
    pub model: String,
    /// Vector size asked for.
    pub dimensions: Option<u32>,
    /// Cache folder (`<home>/agent/embeddings`).
    pub cache_dir: PathBuf,
}

impl Embedder {
    fn cache_path(&self, text: &str) -> PathBuf {
        let mut hash = Sha256::new();
        hash.update(self.model.as_bytes());
        hash.update([0]);
        hash.update(self.dimensions.unwrap_or(0).to_le_bytes());
        hash.update(text.as_bytes());
        let name = hex::encode(hash.finalize());
        self.cache_dir.join(&name[..2]).join(format!("{name}.json"))
    }

    /// One vector per text, from the cache when there, else from the endpoint (new vectors
    /// are cached). Returns the vectors and how many came from the endpoint.
    pub async fn embed(
        &self,
        http: &reqwest::Client,
        metrics: &Metrics,
        texts: &[String],
    ) -> Result<(Vec<Vec<f32>>, usize), ExternalError> {
        let mut vectors: Vec<Option<Vec<f32>>> = texts
            .iter()
            .map(|t| {
                std::fs::read(self.cache_path(t))
                    .ok()
                    .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            })
            .collect();
        let missing: Vec<usize> = (0..texts.len()).filter(|&i| vectors[i].is_none()).collect();
        for batch in missing.chunks(MAX_INPUTS_PER_CALL) {
            let input: Vec<&str> = batch.iter().map(|&i| texts[i].as_str()).collect();
            let mut body = json!({"model": self.model, "input": input, "encoding_format": "float"});
            if let Some(d) = self.dimensions {
                body["dimensions"] = json!(d);
            }
            let answer = self
                .endpoint
                .post_json(http, metrics, "/embeddings", &body)
                .await?;
            let got = parse_embeddings(&answer, batch.len())?;
            for (&i, vector) in batch.iter().zip(got) {
                let path = self.cache_path(&texts[i]);
                // A cache that cannot be written costs a later call, nothing else.
                if let Some(dir) = path.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                if let Err(e) = fraudloop_fs::write_atomically(
                    &path,
                    &serde_json::to_vec(&vector).expect("vectors serialise"),
                ) {
                    tracing::warn!(error = %e, "caching an embedding");
                }
                vectors[i] = Some(vector);
            }
        }
        Ok((
            vectors.into_iter().map(Option::unwrap_or_default).collect(),
            missing.len(),
        ))
    }
}

/// The vectors of an embeddings answer, in input order (`data[].index`).
fn parse_embeddings(answer: &Value, expected: usize) -> Result<Vec<Vec<f32>>, ExternalError> {
    let protocol = |detail: &str| ExternalError::Protocol {
        endpoint: "embeddings",
        detail: detail.to_string(),
    };
    let data = answer["data"]
        .as_array()
        .ok_or_else(|| protocol("no data array"))?;
    if data.len() != expected {
        return Err(protocol("a vector count other than the inputs'"));
    }
    let mut out = vec![Vec::new(); expected];
    for (position, item) in data.iter().enumerate() {
        let index = item["index"].as_u64().map_or(position, |i| i as usize);
        let vector: Vec<f32> = item["embedding"]
            .as_array()
            .ok_or_else(|| protocol("an item without an embedding"))?
            .iter()
            .map(|v| v.as_f64().map(|v| v as f32))
            .collect::<Option<_>>()
            .ok_or_else(|| protocol("a non-numeric embedding"))?;
        if vector.is_empty() || index >= expected {
            return Err(protocol("an empty vector or an index out of range"));
        }
        out[index] = vector;
    }
    if out.iter().any(Vec::is_empty) {
        return Err(protocol("a missing index"));
    }
    Ok(out)
}

/// Cosine similarity (0 for vectors of different sizes or zero length).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0f32, 0f32, 0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_by_index_and_checked() {
        let answer = json!({"data": [
            {"index": 1, "embedding": [0.0, 1.0]},
            {"index": 0, "embedding": [1.0, 0.0]}
        ]});
        assert_eq!(
            parse_embeddings(&answer, 2).unwrap(),
            vec![vec![1.0, 0.0], vec![0.0, 1.0]]
        );
        assert!(parse_embeddings(&answer, 3).is_err());
        assert!(parse_embeddings(&json!({"data": [{"index": 0}]}), 1).is_err());
        assert!((cosine(&[1.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[1.0], &[1.0, 0.0]), 0.0);
    }
}
