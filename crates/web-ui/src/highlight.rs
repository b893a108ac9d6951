//! The message with the terms that drove its score marked, from the prediction's `top_terms`.
//!
//! The model's terms are normalised tokens (lower case, URLs as `__url__`, word pairs as
//! `a b`), so each term is found back in the raw message: words case-insensitively and whole,
//! Chinese terms as they are, placeholders by the kind of thing they replace.

use std::sync::LazyLock;

use regex::Regex;

use crate::clients::predict::TopTerm;

/// A piece of the message: plain, or a term with its signed weight.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece<'a> {
    /// Not a term.
    Plain(&'a str),
    /// A term and its weight (positive: towards fraud).
    Term(&'a str, f64),
}

static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|top|xyz|cn|info|io|co|cc|vip|shop|site|online|link|me)\b\S*").expect("valid regex")
});
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+").expect("valid regex"));
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\+?\d[\d\s-]{6,}\d").expect("valid regex"));
static MONEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:[$€£¥￥]\s?\d[\d,.]*|\d[\d,.]*\s?(?:元|块|万|usd|rmb|dollars?))")
        .expect("valid regex")
});

fn pattern(word: &str) -> Option<Regex> {
    let word = word.trim();
    if word.is_empty() {
        return None;
    }
    let escaped = regex::escape(word);
    let ascii_word = word.chars().all(|c| c.is_ascii_alphanumeric() || c == '\'');
    let source = if ascii_word {
        format!(r"(?i)\b{escaped}\b")
    } else {
        format!("(?i){escaped}")
    };
    Regex::new(&source).ok()
}

/// Splits `text` into pieces, marking every occurrence of every term (the strongest term wins
/// where two overlap).
pub fn highlight<'a>(text: &'a str, terms: &[TopTerm]) -> Vec<Piece<'a>> {
    // The weight marking each byte, if any.
    let mut marks: Vec<Option<f64>> = vec![None; text.len()];
    let mut ordered: Vec<&TopTerm> = terms.iter().collect();
    ordered.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
    for term in ordered.iter().rev() {
        for word in term.term.split_whitespace() {
            let matches: Vec<(usize, usize)> = match word {
                "__url__" => URL.find_iter(text).map(|m| (m.start(), m.end())).collect(),
                "__email__" => EMAIL
                    .find_iter(text)
                    .map(|m| (m.start(), m.end()))
                    .collect(),
                "__phone__" => PHONE
                    .find_iter(text)
                    .map(|m| (m.start(), m.end()))
                    .collect(),
                "__money__" => MONEY
                    .find_iter(text)
                    .map(|m| (m.start(), m.end()))
                    .collect(),
                w if w.starts_with("__") => Vec::new(),
                w => pattern(w)
                    .map(|re| re.find_iter(text).map(|m| (m.start(), m.end())).collect())
                    .unwrap_or_default(),
            };
            for (start, end) in matches {
                // Weaker terms were marked first; stronger ones overwrite them.
                marks[start..end].fill(Some(term.weight));
            }
        }
    }
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mark = marks[start];
        let mut end = start + 1;
        while end < text.len() && (!text.is_char_boundary(end) || marks[end] == mark) {
            end += 1;
        }
        let slice = &text[start..end];
        pieces.push(match mark {
            Some(w) => Piece::Term(slice, w),
            None => Piece::Plain(slice),
        });
        start = end;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(t: &str, w: f64) -> TopTerm {
        TopTerm {
            term: t.into(),
            weight: w,
        }
    }

    #[test]
    fn words_pairs_chinese_and_urls_are_found_in_the_raw_text() {
        let text = "URGENT: Verify your account at http://bank-secure.top/x 您的包裹被扣留";
        let pieces = highlight(
            text,
            &[
                term("urgent", 1.2),
                term("verify account", 0.8),
                term("__url__", 2.0),
                term("包裹", 0.5),
                term("lunch", -1.0),
            ],
        );
        let marked: Vec<&str> = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Term(s, _) => Some(*s),
                Piece::Plain(_) => None,
            })
            .collect();
        assert_eq!(
            marked,
            [
                "URGENT",
                "Verify",
                "account",
                "http://bank-secure.top/x",
                "包裹"
            ]
        );
        let rebuilt: String = pieces
            .iter()
            .map(|p| match p {
                Piece::Term(s, _) | Piece::Plain(s) => *s,
            })
            .collect();
        assert_eq!(rebuilt, text);
    }

    #[test]
    fn a_word_inside_another_is_not_marked() {
        let pieces = highlight("accounting", &[term("account", 1.0)]);
        assert_eq!(pieces, [Piece::Plain("accounting")]);
    }
}
