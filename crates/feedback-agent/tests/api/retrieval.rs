//! Retrieval quality on the evaluation set `tests/data/kb_questions.json`: questions with
//! the chunks known to answer them, at least 20 per language; recall@3 is reported (and
//! recorded in docs/benchmarks.md).

use std::collections::HashMap;

use feedback_agent::kb::{self, Lang};
use feedback_agent::retrieve::KbIndex;
use serde::Deserialize;

use crate::fake_openai::embed_text;
use crate::helpers::knowledge_base;

#[derive(Deserialize)]
struct Case {
    lang: String,
    question: String,
    answers: Vec<Answer>,
}

#[derive(Deserialize, PartialEq)]
struct Answer {
    file: String,
    heading: String,
}

fn cases() -> Vec<Case> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/kb_questions.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Recall@k per language: the share of questions with a known answering chunk in the top k.
fn recall(
    index: &KbIndex,
    k: usize,
    rank: impl Fn(&KbIndex, &str, Lang) -> Vec<usize>,
) -> HashMap<&'static str, (usize, usize)> {
    let mut by_lang: HashMap<&'static str, (usize, usize)> = HashMap::new();
    for case in cases() {
        let lang = if case.lang == "zh" {
            Lang::Zh
        } else {
            Lang::En
        };
        let top = rank(index, &case.question, lang);
        let hit = top.iter().take(k).any(|&i| {
            let c = &index.chunks()[i];
            case.answers
                .iter()
                .any(|a| a.file == c.file && a.heading == c.heading)
        });
        let entry = by_lang.entry(lang.as_str()).or_default();
        entry.0 += usize::from(hit);
        entry.1 += 1;
    }
    by_lang
}

#[test]
fn every_known_answer_is_a_chunk_and_each_language_has_twenty_questions() {
    let chunks = kb::load(&knowledge_base()).unwrap();
    assert!(chunks.iter().all(|c| c.file != "README.md"));
    let mut per_lang: HashMap<String, usize> = HashMap::new();
    for case in cases() {
        *per_lang.entry(case.lang.clone()).or_default() += 1;
        for a in &case.answers {
            assert!(
                chunks
                    .iter()
                    .any(|c| c.file == a.file && c.heading == a.heading),
                "{} — {} is not a chunk",
                a.file,
                a.heading
            );
        }
    }
    assert!(per_lang["en"] >= 20 && per_lang["zh"] >= 20, "{per_lang:?}");
}

#[test]
fn lexical_recall_at_3_per_language() {
    let index = KbIndex::new(kb::load(&knowledge_base()).unwrap());
    let by_lang = recall(&index, 3, |index, q, lang| {
        index
            .lexical(q, lang, 3)
            .into_iter()
            .map(|h| h.chunk)
            .collect()
    });
    for (lang, (hits, total)) in &by_lang {
        let r = *hits as f64 / *total as f64;
        println!("lexical recall@3 {lang}: {hits}/{total} = {r:.3}");
        // The measured values are in docs/benchmarks.md; this floor catches a broken
        // tokenizer or chunker, not small changes.
        assert!(r >= 0.7, "lexical recall@3 for {lang} fell to {r:.3}");
    }
}

#[test]
fn hybrid_fusion_keeps_recall_with_weak_vectors() {
    // The fake's bag-of-words vectors are far weaker than a real embedding model: fusing
    // them must not lose much of what BM25 finds.
    let chunks = kb::load(&knowledge_base()).unwrap();
    let vectors = chunks
        .iter()
        .map(|c| embed_text(&c.indexed_text()))
        .collect();
    let index = KbIndex::new(chunks).with_dense(vectors);
    let by_lang = recall(&index, 3, |index, q, lang| {
        index
            .hybrid(q, &embed_text(q), lang, 3)
            .into_iter()
            .map(|h| h.chunk)
            .collect()
    });
    for (lang, (hits, total)) in &by_lang {
        let r = *hits as f64 / *total as f64;
        println!("hybrid (bag-of-words vectors) recall@3 {lang}: {hits}/{total} = {r:.3}");
        assert!(r >= 0.6, "hybrid recall@3 for {lang} fell to {r:.3}");
    }
}
