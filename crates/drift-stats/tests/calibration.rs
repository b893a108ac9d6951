//! Sample-size-aware verdicts: same-distribution windows stay quiet at every size where
//! Evidently's fixed thresholds fire, real shifts are still caught on 100 rows, thresholds follow
//! the window size, and results are reproducible.

use drift_stats::{
    auc_permutation_test, column_drift, family_drift, ColumnSample, DriftError, PermutationConfig,
    StatTest, ThresholdSource,
};

/// Knuth's MMIX linear congruential generator, so the samples are fixed.
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// A table shaped like the message descriptors: a log-normal length, a skewed count, a share
/// that is mostly 0, a rare count, a count, a very rare flag (0.3 %, like e-mail addresses in
/// messages: most windows of 100 rows have none, so most re-splits tie) and a binary label,
/// correlated through the kind of message.
/// `shift` moves the log-length by that many standard deviations.
fn table(rng: &mut Lcg, rows: usize, shift: f64) -> Vec<ColumnSample> {
    let mut columns = vec![Vec::new(); 6];
    let mut labels = Vec::new();
    for _ in 0..rows {
        let scam = rng.uniform() < 0.3;
        let k = f64::from(u8::from(scam));
        columns[0].push((4.0 + 0.5 * k + 0.6 * (rng.normal() + shift)).exp().round());
        let urls = if rng.uniform() < 0.1 + 0.3 * k {
            1.0 + (rng.uniform() * 6.0).floor()
        } else {
            0.0
        };
        columns[1].push(urls);
        let digits = if rng.uniform() < 0.5 {
            0.0
        } else {
            (rng.uniform() * 0.2 + 0.1 * k * rng.uniform()).min(1.0)
        };
        columns[2].push(digits);
        columns[3].push(if rng.uniform() < 0.03 { 1.0 + k } else { 0.0 });
        columns[4].push((rng.uniform() * (2.0 + 4.0 * k)).floor());
        columns[5].push(f64::from(u8::from(rng.uniform() < 0.003)));
        labels.push(if scam { "fraud" } else { "legit" }.to_string());
    }
    let mut out: Vec<ColumnSample> = columns.into_iter().map(ColumnSample::Numeric).collect();
    out.push(ColumnSample::Categorical(labels));
    out
}

fn pairs<'a>(
    reference: &'a [ColumnSample],
    current: &'a [ColumnSample],
) -> Vec<(&'a ColumnSample, &'a ColumnSample)> {
    reference.iter().zip(current).collect()
}

/// Evidently's dataset rule with fixed thresholds: at least half the columns drift.
fn fixed_rule_fires(reference: &[ColumnSample], current: &[ColumnSample]) -> bool {
    let drifted = reference
        .iter()
        .zip(current)
        .filter(|(r, c)| column_drift(r, c, None).unwrap().drifted)
        .count();
    drifted * 2 >= reference.len()
}

fn config(seed: u64) -> PermutationConfig {
    PermutationConfig {
        seed,
        ..PermutationConfig::default()
    }
}

#[test]
fn same_distribution_windows_of_100_rows_stay_quiet_where_fixed_thresholds_fire() {
    let mut rng = Lcg(11);
    let reference = table(&mut rng, 2000, 0.0);
    let (mut calibrated, mut fixed) = (0, 0);
    for w in 0..20 {
        let current = table(&mut rng, 100, 0.0);
        let family = family_drift(&pairs(&reference, &current), &config(w)).unwrap();
        calibrated += usize::from(family.drifted);
        fixed += usize::from(fixed_rule_fires(&reference, &current));
        for c in &family.columns {
            assert!(c.p_value > 0.0 && c.p_value <= 1.0);
            assert!(c.adjusted_p_value >= c.p_value, "{c:?}");
        }
    }
    assert!(
        fixed >= 4,
        "the fixed rule fired on only {fixed} of 20 windows"
    );
    assert!(
        calibrated <= 1,
        "{calibrated} of 20 same-distribution windows drifted"
    );
}

#[test]
fn a_shift_of_one_standard_deviation_is_caught_at_100_rows() {
    let mut rng = Lcg(12);
    let reference = table(&mut rng, 2000, 0.0);
    for w in 0..5 {
        let current = table(&mut rng, 100, 1.0);
        let family = family_drift(&pairs(&reference, &current), &config(w)).unwrap();
        assert!(family.drifted, "window {w}: {family:?}");
        assert!(family.columns[0].drifted, "length: {:?}", family.columns[0]);
        assert!(family.p_value <= 0.025);
    }
}

#[test]
fn thresholds_follow_the_window_size() {
    let mut rng = Lcg(13);
    let reference = table(&mut rng, 3000, 0.0);
    let mut previous = f64::INFINITY;
    for (size, source) in [
        (100, ThresholdSource::Permutation),
        (400, ThresholdSource::Permutation),
        (3000, ThresholdSource::Fixed),
    ] {
        let current = table(&mut rng, size, 0.0);
        let family = family_drift(&pairs(&reference, &current), &config(1)).unwrap();
        // The skewed count (normed Wasserstein): chance's reach shrinks like 1 / sqrt(n).
        let urls = family.columns[1];
        assert_eq!(urls.test, StatTest::Wasserstein);
        assert!(
            urls.null_threshold < previous,
            "n = {size}: {} after {previous}",
            urls.null_threshold
        );
        assert!(urls.null_median < urls.null_threshold);
        // Five skewed, partly tied and partly rare columns share one critical value; none of
        // them may blow it up (about 3.6–4 standard units here).
        assert!(
            family.critical_value > 2.0 && family.critical_value < 6.0,
            "{}",
            family.critical_value
        );
        assert_eq!(urls.threshold_source, source, "n = {size}: {urls:?}");
        assert_eq!(urls.threshold, urls.null_threshold.max(0.1));
        assert_eq!(urls.fixed_threshold, 0.1);
        if size == 100 {
            // Chance's reach on 100 rows: about 0.28 here, nearly 3 times Evidently's 0.1.
            assert!(
                urls.null_threshold > 0.15 && urls.null_threshold < 0.5,
                "{urls:?}"
            );
        }
        previous = urls.null_threshold;
    }
    // On as many rows as the reference, chance stays below Evidently's 0.1, which applies.
    assert!(previous < 0.1);
}

/// A drifted column is one of its own B + 1 values; it must not widen its own scale (which
/// would overstate `null_threshold` and hide moderate drift). The re-splits do widen somewhat,
/// as the pooled rows now hold the shifted window.
#[test]
fn a_drifted_column_does_not_inflate_its_own_threshold() {
    let mut rng = Lcg(20);
    let reference = table(&mut rng, 2000, 0.0);
    let quiet = table(&mut rng, 100, 0.0);
    let shifted = table(&mut rng, 100, 1.0);
    let a = family_drift(&pairs(&reference, &quiet), &config(8)).unwrap();
    let b = family_drift(&pairs(&reference, &shifted), &config(8)).unwrap();
    let (a, b) = (a.columns[0], b.columns[0]);
    assert!(b.drifted && !a.drifted);
    assert!(
        b.null_threshold < 1.5 * a.null_threshold,
        "{} vs {}",
        b.null_threshold,
        a.null_threshold
    );
}

/// The p-value tests of small references (KS, chi-square, z) are calibrated the same way: the
/// family's false-alarm rate stays at alpha.
#[test]
fn family_false_alarm_rate_is_at_most_alpha_with_small_references() {
    let mut rng = Lcg(14);
    let reference_of = |rng: &mut Lcg, n: usize| -> Vec<ColumnSample> {
        let mut t = table(rng, n, 0.0);
        // Keep a continuous column (KS), a 3-value count (chi-square) and the label (z).
        let label = t.pop().unwrap();
        vec![t.swap_remove(0), t.swap_remove(3), label]
    };
    let reference = reference_of(&mut rng, 300);
    let tests: Vec<StatTest> = {
        let current = reference_of(&mut rng, 60);
        family_drift(
            &pairs(&reference, &current),
            &PermutationConfig {
                permutations: 99,
                alpha: 0.05,
                seed: 0,
            },
        )
        .unwrap()
        .columns
        .iter()
        .map(|c| c.test)
        .collect()
    };
    assert_eq!(tests, [StatTest::Ks, StatTest::ChiSquare, StatTest::ZTest]);
    let mut alarms = 0;
    for w in 0..100 {
        let current = reference_of(&mut rng, 60);
        let family = family_drift(
            &pairs(&reference, &current),
            &PermutationConfig {
                permutations: 99,
                alpha: 0.05,
                seed: w,
            },
        )
        .unwrap();
        alarms += usize::from(family.drifted);
    }
    // Expected 5; P(more than 12 | rate 0.05) < 0.3 %.
    assert!(alarms <= 12, "{alarms} of 100");
}

#[test]
fn results_are_reproducible_for_a_seed() {
    let mut rng = Lcg(15);
    let reference = table(&mut rng, 1500, 0.0);
    let current = table(&mut rng, 150, 0.2);
    let a = family_drift(&pairs(&reference, &current), &config(5)).unwrap();
    let b = family_drift(&pairs(&reference, &current), &config(5)).unwrap();
    assert_eq!(a, b);
    // Scores never depend on the seed.
    let c = family_drift(&pairs(&reference, &current), &config(6)).unwrap();
    for (x, y) in a.columns.iter().zip(&c.columns) {
        assert_eq!(x.score, y.score);
        assert_eq!(x.test, y.test);
    }
}

#[test]
fn family_inputs_are_checked() {
    let mut rng = Lcg(16);
    let reference = table(&mut rng, 50, 0.0);
    let current = table(&mut rng, 20, 0.0);
    let short = table(&mut rng, 19, 0.0);
    let mixed = vec![(&reference[0], &current[0]), (&reference[1], &short[1])];
    assert_eq!(
        family_drift(&mixed, &config(0)),
        Err(DriftError::RowCountMismatch {
            column: 1,
            expected: (50, 20),
            found: (50, 19)
        })
    );
    for (permutations, alpha) in [(10, 0.025), (399, 0.0), (399, 1.0)] {
        let bad = PermutationConfig {
            permutations,
            alpha,
            seed: 0,
        };
        assert!(matches!(
            family_drift(&pairs(&reference, &current), &bad),
            Err(DriftError::InvalidArgument(_))
        ));
    }
    let empty = family_drift(&[], &config(0)).unwrap();
    assert!(!empty.drifted && empty.columns.is_empty() && empty.p_value == 1.0);
}

#[test]
fn auc_null_threshold_follows_the_held_out_size() {
    let mut rng = Lcg(17);
    let mut previous = 1.0;
    for n_pos in [25, 250, 2500] {
        let scores: Vec<f64> = (0..n_pos + 2500).map(|_| rng.uniform()).collect();
        let positive: Vec<bool> = (0..n_pos + 2500).map(|i| i < n_pos).collect();
        let t = auc_permutation_test(&scores, &positive, &config(3)).unwrap();
        assert!(t.null_threshold < previous, "{n_pos}: {t:?}");
        assert!(t.null_threshold > 0.5);
        assert!(t.ci_low < t.auc && t.auc < t.ci_high);
        assert_eq!((t.positives, t.negatives), (n_pos, 2500));
        previous = t.null_threshold;
    }
    // Chance's reach on 25 held-out messages against 2500: about 0.5 + 1.96 × 0.059.
    assert!(previous < 0.52);
}

#[test]
fn auc_false_alarm_rate_is_at_most_alpha() {
    let mut rng = Lcg(18);
    let mut alarms = 0;
    for w in 0..200 {
        let scores: Vec<f64> = (0..300).map(|_| (rng.uniform() * 20.0).floor()).collect();
        let positive: Vec<bool> = (0..300).map(|i| i % 6 == 0).collect();
        let t = auc_permutation_test(&scores, &positive, &config(w)).unwrap();
        alarms += usize::from(t.p_value <= 0.025);
        assert_eq!(t.p_value <= 0.025, t.auc > t.null_threshold, "{t:?}");
    }
    // Expected 5; P(more than 12 | rate 0.025) < 0.3 %.
    assert!(alarms <= 12, "{alarms} of 200");
}

#[test]
fn auc_of_constant_scores_is_chance() {
    let t = auc_permutation_test(&[0.3; 40], &[false; 40], &config(0));
    assert_eq!(t, Err(DriftError::EmptySample { which: "positive" }));
    let positive: Vec<bool> = (0..40).map(|i| i % 2 == 0).collect();
    let t = auc_permutation_test(&[0.3; 40], &positive, &config(0)).unwrap();
    assert_eq!(t.auc, 0.5);
    assert_eq!(t.p_value, 1.0);
    assert!(t.auc <= t.null_threshold);
    assert_eq!(
        auc_permutation_test(&[0.3; 3], &[true, false], &config(0)),
        Err(DriftError::LengthMismatch {
            reference: 2,
            current: 3
        })
    );
    assert!(matches!(
        auc_permutation_test(
            &[0.3; 3],
            &[true, false, true],
            &PermutationConfig {
                alpha: 0.0,
                ..config(0)
            }
        ),
        Err(DriftError::InvalidArgument(_))
    ));
}
