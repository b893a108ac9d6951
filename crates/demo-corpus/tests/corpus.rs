//! Behaviour of the public API on full-size corpora: determinism, shares, drift, label noise,
//! CSV round trips, duplicates and the surface realism the product relies on.

use std::collections::HashSet;

use demo_corpus::{
    generate, template_split, theme_label, write_csv, DemoMessage, DemoOptions, Label, Language,
    DRIFT_THEMES, DRIFT_VOCABULARY, FRAUD_KINDS, FRAUD_THEMES, LEGIT_KINDS, LEGIT_THEMES,
};

fn options(seed: u64) -> DemoOptions {
    DemoOptions {
        seed,
        ..DemoOptions::default()
    }
}

fn drifted(seed: u64) -> DemoOptions {
    DemoOptions {
        seed,
        drifted: true,
        ..DemoOptions::default()
    }
}

fn csv_bytes(messages: &[DemoMessage]) -> Vec<u8> {
    let mut out = Vec::new();
    write_csv(messages, &mut out).expect("writing to a Vec cannot fail");
    out
}

fn share(messages: &[DemoMessage], keep: impl Fn(&DemoMessage) -> bool) -> f64 {
    messages.iter().filter(|m| keep(m)).count() as f64 / messages.len() as f64
}

/// Share of rows whose text already appeared earlier in the corpus.
fn duplicate_share(messages: &[DemoMessage]) -> f64 {
    let distinct: HashSet<&str> = messages.iter().map(|m| m.text.as_str()).collect();
    (messages.len() - distinct.len()) as f64 / messages.len() as f64
}

fn is_fraud_theme(message: &DemoMessage) -> bool {
    theme_label(message.theme) == Some(Label::Fraud)
}

#[test]
fn same_options_give_byte_identical_csv() {
    for opts in [
        options(42),
        drifted(42),
        DemoOptions {
            rows: 37,
            seed: 9,
            ..options(0)
        },
    ] {
        assert_eq!(csv_bytes(&generate(&opts)), csv_bytes(&generate(&opts)));
    }
}

#[test]
fn different_seeds_give_different_corpora() {
    let a = generate(&options(1));
    let b = generate(&options(2));
    let differing = a.iter().zip(&b).filter(|(x, y)| x.text != y.text).count();
    assert!(differing > a.len() * 9 / 10, "only {differing} rows differ");
}

#[test]
fn fraud_and_chinese_shares_are_within_three_points_for_5000_rows() {
    for opts in [options(42), options(7), drifted(42)] {
        let messages = generate(&opts);
        assert_eq!(messages.len(), 5000);
        let fraud_labels = share(&messages, |m| m.label == Label::Fraud);
        let fraud_themes = share(&messages, is_fraud_theme);
        let chinese = share(&messages, |m| m.language == Language::Chinese);
        println!(
            "seed {} drifted {}: fraud labels {fraud_labels:.4}, fraud themes {fraud_themes:.4}, \
             chinese {chinese:.4}",
            opts.seed, opts.drifted
        );
        assert!(
            (fraud_labels - 0.3).abs() <= 0.03,
            "fraud share {fraud_labels}"
        );
        assert!(
            (fraud_themes - 0.3).abs() <= 0.03,
            "fraud theme share {fraud_themes}"
        );
        assert!((chinese - 0.4).abs() <= 0.03, "chinese share {chinese}");
        // The language quota is applied within each class, so neither class is mostly one
        // language (which would make language a proxy for the label).
        let fraud: Vec<_> = messages
            .iter()
            .filter(|m| is_fraud_theme(m))
            .cloned()
            .collect();
        let chinese_in_fraud = share(&fraud, |m| m.language == Language::Chinese);
        assert!(
            (chinese_in_fraud - 0.4).abs() <= 0.03,
            "chinese in fraud {chinese_in_fraud}"
        );
    }
}

#[test]
fn other_shares_are_honoured() {
    let opts = DemoOptions {
        rows: 1000,
        fraud_share: 0.5,
        chinese_share: 0.1,
        ..options(3)
    };
    let messages = generate(&opts);
    assert!((share(&messages, is_fraud_theme) - 0.5).abs() < 1e-9);
    assert!((share(&messages, |m| m.language == Language::Chinese) - 0.1).abs() < 1e-9);

    let all_fraud = generate(&DemoOptions {
        rows: 200,
        fraud_share: 1.0,
        ..options(3)
    });
    assert!(all_fraud.iter().all(is_fraud_theme));
    let no_fraud = generate(&DemoOptions {
        rows: 200,
        fraud_share: 0.0,
        ..options(3)
    });
    assert!(no_fraud.iter().all(|m| !is_fraud_theme(m)));
    let all_chinese = generate(&DemoOptions {
        rows: 200,
        chinese_share: 1.0,
        ..options(3)
    });
    assert!(all_chinese.iter().all(|m| m.language == Language::Chinese));
    assert!(generate(&DemoOptions {
        rows: 0,
        ..options(3)
    })
    .is_empty());
    // Out-of-range values are clamped rather than panicking.
    let clamped = generate(&DemoOptions {
        rows: 50,
        fraud_share: 7.0,
        label_noise: -1.0,
        ..options(3)
    });
    assert!(clamped.iter().all(|m| m.label == Label::Fraud));
}

#[test]
fn every_theme_name_is_known_and_classified() {
    for theme in FRAUD_THEMES.iter().chain(DRIFT_THEMES) {
        assert_eq!(theme_label(theme), Some(Label::Fraud), "{theme}");
    }
    for theme in LEGIT_THEMES {
        assert_eq!(theme_label(theme), Some(Label::Legit), "{theme}");
    }
    assert_eq!(theme_label("no_such_theme"), None);
    let normal = generate(&options(42));
    let seen: HashSet<&str> = normal.iter().map(|m| m.theme).collect();
    for theme in FRAUD_THEMES.iter().chain(LEGIT_THEMES) {
        assert!(seen.contains(theme), "{theme} never generated in 5000 rows");
    }
}

#[test]
fn normal_batch_has_no_drift_themes_and_drifted_fraud_is_mostly_new() {
    let normal = generate(&options(42));
    assert!(normal.iter().all(|m| !DRIFT_THEMES.contains(&m.theme)));

    let batch = generate(&drifted(42));
    let fraud: Vec<_> = batch.iter().filter(|m| is_fraud_theme(m)).collect();
    let new = fraud
        .iter()
        .filter(|m| DRIFT_THEMES.contains(&m.theme))
        .count();
    let new_share = new as f64 / fraud.len() as f64;
    println!("drifted batch: {new_share:.3} of fraud rows are drift themes");
    assert!(new_share >= 0.7, "only {new_share} of drifted fraud is new");
    for theme in DRIFT_THEMES {
        assert!(
            fraud.iter().any(|m| m.theme == *theme),
            "{theme} missing from the drifted batch"
        );
    }
    // Legitimate traffic keeps its themes.
    assert!(batch
        .iter()
        .filter(|m| !is_fraud_theme(m))
        .all(|m| LEGIT_THEMES.contains(&m.theme)));
}

#[test]
fn drift_vocabulary_is_absent_from_normal_batches_and_common_in_drifted_fraud() {
    let contains_marker = |text: &str| {
        let lower = text.to_lowercase();
        DRIFT_VOCABULARY.iter().any(|word| lower.contains(word))
    };
    for seed in [1, 42, 1234] {
        for message in generate(&options(seed)) {
            assert!(
                !contains_marker(&message.text),
                "drift word in normal batch: {}",
                message.text
            );
        }
    }
    let batch = generate(&drifted(42));
    let new: Vec<_> = batch
        .iter()
        .filter(|m| DRIFT_THEMES.contains(&m.theme))
        .collect();
    let marked = new.iter().filter(|m| contains_marker(&m.text)).count() as f64 / new.len() as f64;
    println!("drift-theme rows with a drift-vocabulary word: {marked:.3}");
    assert!(
        marked >= 0.5,
        "only {marked} of drift-theme rows use the new vocabulary"
    );
}

#[test]
fn drifted_batches_use_more_emoji_and_more_code_mixing() {
    let has_emoji = |m: &DemoMessage| m.text.chars().any(|c| (c as u32) >= 0x1F300);
    // Shorthand that the code-mixing step introduces; "OK" also occurs in normal chat.
    let mixed_chinese = |m: &DemoMessage| {
        const SHORTHAND: &[&str] = &["OK", "pls", "thx", "dd", "VX", "WeChat", "link", "asap"];
        m.language == Language::Chinese
            && m.text
                .split(|c: char| !c.is_ascii_alphabetic())
                .any(|word| SHORTHAND.contains(&word))
    };
    let normal = generate(&options(42));
    let batch = generate(&drifted(42));
    let (emoji_before, emoji_after) = (share(&normal, has_emoji), share(&batch, has_emoji));
    let (mix_before, mix_after) = (share(&normal, mixed_chinese), share(&batch, mixed_chinese));
    println!("emoji {emoji_before:.3} -> {emoji_after:.3}, latin in zh {mix_before:.3} -> {mix_after:.3}");
    assert!(emoji_after > emoji_before + 0.08);
    assert!(mix_after > mix_before + 0.03);
}

#[test]
fn zero_label_noise_keeps_every_label_equal_to_its_theme_class() {
    let clean = generate(&DemoOptions {
        label_noise: 0.0,
        ..options(42)
    });
    for message in &clean {
        assert_eq!(
            Some(message.label),
            theme_label(message.theme),
            "{message:?}"
        );
    }
    let drifted_clean = generate(&DemoOptions {
        label_noise: 0.0,
        ..drifted(42)
    });
    assert!(drifted_clean
        .iter()
        .all(|m| Some(m.label) == theme_label(m.theme)));
}

#[test]
fn default_label_noise_flips_about_one_percent_and_leaves_texts_alone() {
    let clean = generate(&DemoOptions {
        label_noise: 0.0,
        ..options(42)
    });
    let noisy = generate(&options(42));
    let flipped = noisy
        .iter()
        .filter(|m| Some(m.label) != theme_label(m.theme))
        .count();
    println!("default noise flipped {flipped} of {} labels", noisy.len());
    assert!((15..=90).contains(&flipped), "{flipped} flipped labels");
    for (a, b) in clean.iter().zip(&noisy) {
        assert_eq!(
            (&a.text, a.theme, a.language),
            (&b.text, b.theme, b.language)
        );
    }
    let all_flipped = generate(&DemoOptions {
        rows: 300,
        label_noise: 1.0,
        ..options(42)
    });
    assert!(all_flipped
        .iter()
        .all(|m| Some(m.label) != theme_label(m.theme)));
}

#[test]
fn csv_round_trips_commas_quotes_and_newlines() {
    let mut messages = generate(&options(42));
    messages.extend(generate(&drifted(42)));
    // The round trip only proves something if the hard characters are present.
    for needle in [',', '"', '\n'] {
        assert!(
            messages.iter().any(|m| m.text.contains(needle)),
            "no text contains {needle:?}"
        );
    }
    let bytes = csv_bytes(&messages);
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["text", "label", "theme", "language", "kind", "template"]
    );
    let mut rows = 0;
    for (record, message) in reader.records().zip(&messages) {
        let record = record.unwrap();
        assert_eq!(record.len(), 6);
        assert_eq!(&record[0], message.text);
        assert_eq!(&record[1], message.label.as_str());
        assert_eq!(&record[2], message.theme);
        assert_eq!(&record[3], message.language.as_str());
        assert_eq!(&record[4], message.kind);
        assert_eq!(record[5].parse::<usize>().unwrap(), message.template);
        rows += 1;
    }
    assert_eq!(rows, messages.len());
}

#[test]
fn duplicate_texts_stay_below_five_percent() {
    for opts in [options(42), options(99), drifted(42)] {
        let messages = generate(&opts);
        let duplicates = duplicate_share(&messages);
        println!(
            "seed {} drifted {}: duplicate share {duplicates:.4}",
            opts.seed, opts.drifted
        );
        assert!(duplicates < 0.05, "duplicate share {duplicates}");
    }
}

#[test]
fn lengths_formats_and_styles_look_like_real_traffic() {
    let messages = generate(&options(42));
    let chars = |m: &DemoMessage| m.text.chars().count();
    let long = share(&messages, |m| chars(m) >= 300);
    let short = share(&messages, |m| chars(m) <= 200);
    println!("short (<=200 chars) {short:.3}, e-mail-length (>=300) {long:.3}");
    assert!(short > 0.8, "short share {short}");
    assert!((0.03..0.15).contains(&long), "long share {long}");
    assert!(messages.iter().all(|m| chars(m) <= 800 && chars(m) >= 10));

    let any = |keep: &dyn Fn(&DemoMessage) -> bool| messages.iter().any(keep);
    assert!(any(&|m| m.text.contains('¥') || m.text.contains('元')));
    assert!(any(&|m| m.text.contains('$')));
    assert!(
        any(&|m| m.text.contains('，') && m.text.contains('。')),
        "full-width punctuation"
    );
    assert!(
        any(&|m| m.text.contains("Subject: ") && m.text.contains('\n')),
        "English e-mails"
    );
    assert!(any(&|m| m.text.contains("主题：")), "Chinese e-mails");
    assert!(
        any(&|m| m.text.contains("http://") || m.text.contains(".top")),
        "lure links"
    );
    assert!(
        any(&|m| {
            let letters: Vec<char> = m.text.chars().filter(|c| c.is_ascii_alphabetic()).collect();
            letters.len() > 30 && letters.iter().all(|c| c.is_ascii_uppercase())
        }),
        "ALL-CAPS urgency"
    );

    // Hard negatives: legitimate messages that use words scams use.
    let legit_with = |words: &[&str]| {
        messages.iter().any(|m| {
            theme_label(m.theme) == Some(Label::Legit)
                && words.iter().all(|w| m.text.to_lowercase().contains(w))
        })
    };
    assert!(legit_with(&["verification code"]));
    assert!(legit_with(&["验证码"]));
    assert!(legit_with(&["fraud"]));
    assert!(legit_with(&["冻结"]));
    assert!(legit_with(&["win"]));
    assert!(legit_with(&["限时"]));
    assert!(legit_with(&["https://"]));
}

#[test]
fn every_row_has_a_kind_and_every_kind_appears_in_both_languages() {
    let normal = generate(&options(42));
    for message in &normal {
        let kinds = match theme_label(message.theme) {
            Some(Label::Fraud) => FRAUD_KINDS,
            _ => LEGIT_KINDS,
        };
        assert!(kinds.contains(&message.kind), "{message:?}");
    }
    for kind in FRAUD_KINDS.iter().chain(LEGIT_KINDS) {
        for language in [Language::English, Language::Chinese] {
            let count = normal
                .iter()
                .filter(|m| m.kind == *kind && m.language == language)
                .count();
            assert!(count >= 10, "{kind} has {count} {language} rows in 5000");
        }
    }
}

#[test]
fn the_held_out_template_split_shares_no_template() {
    let messages = generate(&options(11));
    let (train, test) = template_split(&messages, 0.25, 7);
    assert_eq!(train.len() + test.len(), messages.len());
    let key = |i: &usize| {
        let m = &messages[*i];
        (m.theme, m.language, m.template)
    };
    let train_templates: HashSet<_> = train.iter().map(key).collect();
    let test_templates: HashSet<_> = test.iter().map(key).collect();
    assert!(train_templates.is_disjoint(&test_templates));
    let share = test_templates.len() as f64 / (train_templates.len() + test_templates.len()) as f64;
    assert!((0.2..0.3).contains(&share), "{share} of templates held out");
    // Both halves have both classes and many kinds.
    for half in [&train, &test] {
        let kinds: HashSet<&str> = half.iter().map(|&i| messages[i].kind).collect();
        assert!(kinds.len() >= 15, "{kinds:?}");
    }
    assert_eq!(template_split(&messages, 0.25, 7), (train, test), "seeded");
}

#[test]
fn some_fraud_spells_around_filters() {
    let messages = generate(&options(42));
    let evasive = |m: &DemoMessage| {
        m.text.contains('\u{200b}')
            || m.text
                .chars()
                .any(|c| ('\u{0400}'..='\u{04ff}').contains(&c))
            || ["薇信", "兼耳只", "代款", "刷dan", "yzm", "V信", "扣扣"]
                .iter()
                .any(|w| m.text.contains(w))
    };
    let fraud =
        share(&messages, |m| is_fraud_theme(m) && evasive(m)) / share(&messages, is_fraud_theme);
    let legit = share(&messages, |m| !is_fraud_theme(m) && evasive(m));
    println!("evasive spellings: {fraud:.3} of fraud, {legit:.3} of all rows legit");
    assert!((0.02..0.2).contains(&fraud), "{fraud}");
}
