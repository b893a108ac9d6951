//! Retrieval over the knowledge base: BM25 with the model's own tokenizer (offline, always),
//! and, with an embeddings endpoint, dense vectors fused with BM25 by reciprocal rank.

use bm25::{SearchEngine, SearchEngineBuilder, Tokenizer};
use serde::Serialize;
use text_model::{CjkMode, TokenizerConfig};

use crate::embed::cosine;
use crate::kb::{Chunk, Lang};

/// The tokenizer of the fraud model (NFKC, lowercase, placeholders, English words, Chinese
/// character bigrams, stop words removed), so Chinese questions match Chinese chunks.
#[derive(Debug, Clone)]
pub struct KbTokenizer {
    config: TokenizerConfig,
}

impl Default for KbTokenizer {
    fn default() -> Self {
        KbTokenizer {
            config: TokenizerConfig {
                ngram_min: 1,
                ngram_max: 1,
                cjk: CjkMode::Bigram,
                stop_words: true,
                max_chars: 100_000,
            },
        }
    }
}

impl Tokenizer for KbTokenizer {
    fn tokenize(&self, input_text: &str) -> Vec<String> {
        text_model::tokenize(input_text, &self.config)
            .unigrams()
            .map(str::to_string)
            .collect()
    }
}

/// How an answer's chunks were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetrievalPath {
    /// BM25 only (no embeddings endpoint configured).
    Lexical,
    /// BM25 and dense vectors, fused.
    Hybrid,
    /// The embeddings endpoint is configured but failed; BM25 answered.
    LexicalFallback,
}

impl RetrievalPath {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            RetrievalPath::Lexical => "lexical",
            RetrievalPath::Hybrid => "hybrid",
            RetrievalPath::LexicalFallback => "lexical_fallback",
        }
    }
}

/// One retrieved chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index into [`KbIndex::chunks`].
    pub chunk: usize,
    /// The fused score (BM25 score when lexical only).
    pub score: f32,
}

/// The searchable knowledge base.
pub struct KbIndex {
    chunks: Vec<Chunk>,
    lexical: SearchEngine<u32, u32, KbTokenizer>,
    /// One vector per chunk, when the embeddings endpoint answered at indexing time.
    dense: Option<Vec<Vec<f32>>>,
}

/// Reciprocal-rank-fusion constant (the usual 60).
const RRF_K: f32 = 60.0;

impl KbIndex {
    /// Indexes the chunks lexically.
    pub fn new(chunks: Vec<Chunk>) -> KbIndex {
        let documents: Vec<bm25::Document<u32>> = chunks
            .iter()
            .enumerate()
            .map(|(i, c)| bm25::Document::new(i as u32, c.indexed_text()))
            .collect();
        let lexical = SearchEngineBuilder::<u32, u32, KbTokenizer>::with_tokenizer_and_documents(
            KbTokenizer::default(),
            documents,
        )
        .build();
        KbIndex {
            chunks,
            lexical,
            dense: None,
        }
    }

    /// Adds one vector per chunk (same order as [`KbIndex::chunks`]).
    pub fn with_dense(mut self, vectors: Vec<Vec<f32>>) -> KbIndex {
        if vectors.len() == self.chunks.len() {
            self.dense = Some(vectors);
        }
        self
    }

    /// True when chunk vectors are loaded.
    pub fn has_dense(&self) -> bool {
        self.dense.is_some()
    }

    /// The chunks.
    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    /// The texts embedded for the dense index, one per chunk.
    pub fn dense_texts(&self) -> Vec<String> {
        self.chunks.iter().map(Chunk::indexed_text).collect()
    }

    /// BM25 ranking of the chunks in `lang` (all chunks when that language has none).
    pub fn lexical(&self, query: &str, lang: Lang, k: usize) -> Vec<Hit> {
        let all = self.lexical.search(query, None);
        let has_lang = self.chunks.iter().any(|c| c.lang == lang);
        all.into_iter()
            .filter(|r| !has_lang || self.chunks[r.document.id as usize].lang == lang)
            .take(k)
            .map(|r| Hit {
                chunk: r.document.id as usize,
                score: r.score,
            })
            .collect()
    }

    /// BM25 and cosine rankings fused by reciprocal rank; `query_vector` is the question's
    /// embedding. Without chunk vectors, the lexical ranking.
    pub fn hybrid(&self, query: &str, query_vector: &[f32], lang: Lang, k: usize) -> Vec<Hit> {
        let Some(dense) = &self.dense else {
            return self.lexical(query, lang, k);
        };
        let has_lang = self.chunks.iter().any(|c| c.lang == lang);
        let in_lang = |i: usize| !has_lang || self.chunks[i].lang == lang;
        let mut fused = vec![0f32; self.chunks.len()];
        for (rank, hit) in self.lexical(query, lang, usize::MAX).iter().enumerate() {
            fused[hit.chunk] += 1.0 / (RRF_K + rank as f32 + 1.0);
        }
        let mut by_cosine: Vec<(usize, f32)> = (0..self.chunks.len())
            .filter(|&i| in_lang(i))
            .map(|i| (i, cosine(query_vector, &dense[i])))
            .collect();
        by_cosine.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (rank, (i, _)) in by_cosine.iter().enumerate() {
            fused[*i] += 1.0 / (RRF_K + rank as f32 + 1.0);
        }
        let mut ranked: Vec<Hit> = fused
            .into_iter()
            .enumerate()
            .filter(|&(i, score)| score > 0.0 && in_lang(i))
            .map(|(chunk, score)| Hit { chunk, score })
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.chunk.cmp(&b.chunk)));
        ranked.truncate(k);
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::chunk_markdown;

    fn index() -> KbIndex {
        let mut chunks = chunk_markdown(
            "en/cases.md",
            "# Cases\n## Parcel fee\nA parcel is held until you pay a redelivery fee.\n## Lottery\nYou won a prize; pay tax to claim it.\n",
        );
        chunks.extend(chunk_markdown(
            "zh/cases.md",
            "# 案例\n## 快递补缴运费\n包裹因地址不详被扣留，要求补缴运费。\n## 中奖\n恭喜中奖，需先交税才能领奖。\n",
        ));
        KbIndex::new(chunks)
    }

    #[test]
    fn lexical_finds_the_section_in_the_question_language() {
        let index = index();
        let hits = index.lexical("why must I pay a fee for my parcel", Lang::En, 1);
        assert_eq!(index.chunks()[hits[0].chunk].heading, "Parcel fee");
        let hits = index.lexical("包裹被扣留要补缴运费吗", Lang::Zh, 1);
        assert_eq!(index.chunks()[hits[0].chunk].heading, "快递补缴运费");
    }

    #[test]
    fn dense_vectors_move_a_chunk_up() {
        // Vectors that point the question at the lottery chunk, which shares no word with it.
        let vectors = vec![
            vec![1.0, 0.0],
            vec![0.0, 1.0],
            vec![1.0, 0.0],
            vec![0.0, 1.0],
        ];
        let index = index().with_dense(vectors);
        let hits = index.hybrid("was it a scam", &[0.0, 1.0], Lang::En, 2);
        assert_eq!(index.chunks()[hits[0].chunk].heading, "Lottery");
        assert!(hits
            .iter()
            .all(|h| index.chunks()[h.chunk].lang == Lang::En));
    }
}
