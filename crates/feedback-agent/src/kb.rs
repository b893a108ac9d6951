//! The knowledge base: Markdown files under `en/` and `zh/`, cut into chunks at headings.
//! Each chunk keeps its file and heading, which is how answers cite it.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// The language of a chunk or a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    En,
    /// Chinese.
    Zh,
}

impl Lang {
    /// Chinese when at least a fifth of the letters are CJK characters.
    pub fn detect(text: &str) -> Lang {
        let (mut cjk, mut letters) = (0usize, 0usize);
        for c in text.chars() {
            if text_model::tokenize::is_cjk(c) {
                cjk += 1;
                letters += 1;
            } else if c.is_alphabetic() {
                letters += 1;
            }
        }
        if letters > 0 && cjk * 5 >= letters {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// From a locale such as `zh-CN` or `en_GB` (anything else: none).
    pub fn from_locale(locale: &str) -> Option<Lang> {
        let lower = locale.trim().to_ascii_lowercase();
        if lower.starts_with("zh") {
            Some(Lang::Zh)
        } else if lower.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// `en` or `zh`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

/// One section of a knowledge-base file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chunk {
    /// The file, relative to the knowledge base (`en/scam-cases.md`).
    pub file: String,
    /// The section's heading (the document title for the text before the first section).
    pub heading: String,
    /// The document's title.
    pub title: String,
    /// Its language.
    pub lang: Lang,
    /// The section's text, without its heading line.
    pub body: String,
}

impl Chunk {
    /// What is indexed: title, heading and body.
    pub fn indexed_text(&self) -> String {
        format!("{}\n{}\n{}", self.title, self.heading, self.body)
    }
}

/// A knowledge base that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("reading the knowledge base at {path}: {source}")]
pub struct KbError {
    path: PathBuf,
    source: std::io::Error,
}

/// Reads every `.md` file under `dir` (except the top-level `README.md`, which is about the
/// knowledge base, not part of it), in a stable order, and chunks it.
pub fn load(dir: &Path) -> Result<Vec<Chunk>, KbError> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| KbError {
            path: d.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") && path != dir.join("README.md") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut chunks = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|source| KbError {
            path: path.clone(),
            source,
        })?;
        let relative = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        chunks.extend(chunk_markdown(&relative, &text));
    }
    Ok(chunks)
}

/// Cuts one Markdown file at its headings (`#` to `######`, outside code fences). The text
/// under the `#` title becomes a chunk headed by the title.
pub fn chunk_markdown(file: &str, text: &str) -> Vec<Chunk> {
    let folder_lang = match file.split('/').next() {
        Some("zh") => Some(Lang::Zh),
        Some("en") => Some(Lang::En),
        _ => None,
    };
    let lang = folder_lang.unwrap_or_else(|| Lang::detect(text));
    let mut sections: Vec<(String, String)> = Vec::new();
    let mut title = String::new();
    let mut heading: Option<String> = None;
    let mut body = String::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        let level = line.chars().take_while(|&c| c == '#').count();
        let is_heading = !in_fence && (1..=6).contains(&level) && line[level..].starts_with(' ');
        if is_heading {
            if let Some(h) = heading.take() {
                sections.push((h, std::mem::take(&mut body)));
            }
            body.clear();
            let text = line[level..].trim().to_string();
            if level == 1 && title.is_empty() {
                title = text.clone();
            }
            heading = Some(text);
        } else {
            body.push_str(line);
            body.push('\n');
        }
    }
    if let Some(h) = heading {
        sections.push((h, body));
    }
    sections
        .into_iter()
        .filter(|(_, body)| !body.trim().is_empty())
        .map(|(heading, body)| Chunk {
            file: file.to_string(),
            heading,
            title: title.clone(),
            lang,
            body: body.trim().to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_follow_headings_and_keep_file_and_heading() {
        let md = "# Policy\nIntro line.\n\n## Codes\nNever share codes.\n```\n# not a heading\n```\n### Sub\nMore.\n## Empty\n\n";
        let chunks = chunk_markdown("en/policy.md", md);
        let got: Vec<(&str, &str)> = chunks
            .iter()
            .map(|c| (c.heading.as_str(), c.body.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("Policy", "Intro line."),
                ("Codes", "Never share codes.\n```\n# not a heading\n```"),
                ("Sub", "More."),
            ]
        );
        assert!(chunks
            .iter()
            .all(|c| c.file == "en/policy.md" && c.lang == Lang::En));
        assert_eq!(chunks[2].title, "Policy");
    }

    #[test]
    fn languages() {
        assert_eq!(Lang::detect("您的包裹被扣留，请点击链接"), Lang::Zh);
        assert_eq!(Lang::detect("Your parcel is held 包裹"), Lang::En);
        assert_eq!(Lang::from_locale("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::from_locale("fr"), None);
    }
}
