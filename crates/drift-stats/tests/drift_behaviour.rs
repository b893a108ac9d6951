//! Behaviour of the drift decisions: identical data never drifts, clearly shifted data always
//! does, Evidently's test-selection boundaries, PSI against hand computations, and input errors.

use drift_stats::{
    chi_square, choose_test, column_drift, jensen_shannon_distance, jensen_shannon_numeric,
    ks_2samp, proportion_z_test, psi, psi_band, wasserstein_distance_norm, ColumnSample,
    DriftError, PsiBand, ScoreKind, StatTest, DEFAULT_PSI_BINS, PSI_SHARE_FLOOR,
};

/// Knuth's MMIX linear congruential generator with Box–Muller, so the samples are fixed.
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        // 53 high bits, shifted away from 0 so that ln() is finite.
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self, mean: f64) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        mean + (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    fn normals(&mut self, n: usize, mean: f64) -> Vec<f64> {
        (0..n).map(|_| self.normal(mean)).collect()
    }
}

/// N(0, 1) and N(1, 1), 500 values each.
fn shifted_pair() -> (Vec<f64>, Vec<f64>) {
    let mut rng = Lcg(20_240_601);
    (rng.normals(500, 0.0), rng.normals(500, 1.0))
}

/// Buckets `floor(x)` clamped to [-3, 3], as labels: a 7-category column.
fn buckets(x: &[f64]) -> Vec<String> {
    x.iter()
        .map(|v| format!("b{}", v.floor().clamp(-3.0, 3.0) as i64))
        .collect()
}

/// `x > 0.5` as a binary label column.
fn binary(x: &[f64]) -> Vec<String> {
    x.iter()
        .map(|&v| if v > 0.5 { "high" } else { "low" }.to_owned())
        .collect()
}

fn numeric(x: &[f64]) -> ColumnSample {
    ColumnSample::Numeric(x.to_vec())
}

fn categorical(x: Vec<String>) -> ColumnSample {
    ColumnSample::Categorical(x)
}

/// The column representation each test is run on.
fn columns_for(test: StatTest, reference: &[f64], current: &[f64]) -> (ColumnSample, ColumnSample) {
    match test {
        StatTest::Ks | StatTest::Wasserstein | StatTest::JensenShannon => {
            (numeric(reference), numeric(current))
        }
        StatTest::ChiSquare => (
            categorical(buckets(reference)),
            categorical(buckets(current)),
        ),
        StatTest::ZTest => (categorical(binary(reference)), categorical(binary(current))),
    }
}

#[test]
fn shifted_normals_sanity() {
    let (reference, current) = shifted_pair();
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    assert!(mean(&reference).abs() < 0.15, "{}", mean(&reference));
    assert!((mean(&current) - 1.0).abs() < 0.15, "{}", mean(&current));
}

#[test]
fn identical_samples_never_drift() {
    let (reference, _) = shifted_pair();
    for test in StatTest::ALL {
        let (r, c) = columns_for(test, &reference, &reference);
        let drift = column_drift(&r, &c, Some((test, test.default_threshold()))).unwrap();
        assert!(!drift.drifted, "{test}: {drift:?}");
        match test.score_kind() {
            ScoreKind::PValue => assert_eq!(drift.score, 1.0, "{test}"),
            ScoreKind::Distance => assert_eq!(drift.score, 0.0, "{test}"),
        }
    }
    // Categorical Jensen–Shannon too.
    let labels = buckets(&reference);
    let drift = column_drift(
        &categorical(labels.clone()),
        &categorical(labels),
        Some((StatTest::JensenShannon, 0.1)),
    )
    .unwrap();
    assert_eq!(drift.score, 0.0);
    assert!(!drift.drifted);
}

#[test]
fn identical_samples_give_null_statistics() {
    let (reference, _) = shifted_pair();
    let ks = ks_2samp(&reference, &reference).unwrap();
    assert_eq!((ks.statistic, ks.p_value), (0.0, 1.0));
    assert_eq!(
        wasserstein_distance_norm(&reference, &reference).unwrap(),
        0.0
    );
    assert_eq!(
        jensen_shannon_numeric(&reference, &reference, None).unwrap(),
        0.0
    );
    let labels = buckets(&reference);
    let chi = chi_square(&labels, &labels).unwrap();
    assert_eq!((chi.statistic, chi.p_value), (0.0, 1.0));
    assert_eq!(jensen_shannon_distance(&labels, &labels).unwrap(), 0.0);
    let z = proportion_z_test(120, 500, 120, 500).unwrap();
    assert_eq!((z.statistic, z.p_value), (0.0, 1.0));
    let p = psi(&reference, &reference, DEFAULT_PSI_BINS).unwrap();
    assert!(p.value.abs() < 1e-12, "{}", p.value);
    assert_eq!(psi_band(p.value), PsiBand::Negligible);
}

#[test]
fn shifted_samples_always_drift() {
    let (reference, current) = shifted_pair();
    for test in StatTest::ALL {
        let (r, c) = columns_for(test, &reference, &current);
        let drift = column_drift(&r, &c, Some((test, test.default_threshold()))).unwrap();
        assert!(drift.drifted, "{test}: {drift:?}");
        match test.score_kind() {
            ScoreKind::PValue => assert!(drift.score < 1e-6, "{test}: {}", drift.score),
            ScoreKind::Distance => assert!(drift.score > 0.2, "{test}: {}", drift.score),
        }
    }
    // Categorical Jensen–Shannon on the buckets.
    let drift = column_drift(
        &categorical(buckets(&reference)),
        &categorical(buckets(&current)),
        Some((StatTest::JensenShannon, 0.1)),
    )
    .unwrap();
    assert!(drift.drifted, "{drift:?}");
    let p = psi(&reference, &current, DEFAULT_PSI_BINS).unwrap();
    assert_eq!(psi_band(p.value), PsiBand::Significant, "{}", p.value);
}

#[test]
fn default_choice_detects_shift_on_both_sides_of_1000_rows() {
    let mut rng = Lcg(7);
    for n in [500, 1500] {
        let reference = rng.normals(n, 0.0);
        let current = rng.normals(n, 1.0);
        let drift = column_drift(&numeric(&reference), &numeric(&current), None).unwrap();
        let expected = if n <= 1000 {
            StatTest::Ks
        } else {
            StatTest::Wasserstein
        };
        assert_eq!(drift.test, expected);
        assert_eq!(drift.threshold, expected.default_threshold());
        assert!(drift.drifted, "{drift:?}");

        let same = rng.normals(n, 0.0);
        let drift = column_drift(&numeric(&reference), &numeric(&same), None).unwrap();
        assert_eq!(drift.test, expected);
        assert!(!drift.drifted, "{drift:?}");
    }
}

/// `n` numeric rows cycling through `unique` distinct values.
fn cycling(n: usize, unique: usize) -> ColumnSample {
    ColumnSample::Numeric((0..n).map(|i| (i % unique) as f64 * 1.5).collect())
}

fn labels(n: usize, unique: usize) -> ColumnSample {
    ColumnSample::Categorical((0..n).map(|i| format!("c{}", i % unique)).collect())
}

#[test]
fn choose_test_row_boundary_is_1000_reference_rows() {
    let current = cycling(50, 10);
    assert_eq!(
        choose_test(&cycling(1000, 10), &current).unwrap(),
        StatTest::Ks
    );
    assert_eq!(
        choose_test(&cycling(1001, 10), &current).unwrap(),
        StatTest::Wasserstein
    );

    let current = labels(50, 4);
    assert_eq!(
        choose_test(&labels(1000, 4), &current).unwrap(),
        StatTest::ChiSquare
    );
    assert_eq!(
        choose_test(&labels(1001, 4), &current).unwrap(),
        StatTest::JensenShannon
    );

    let current = labels(50, 2);
    assert_eq!(
        choose_test(&labels(1000, 2), &current).unwrap(),
        StatTest::ZTest
    );
    assert_eq!(
        choose_test(&labels(1001, 2), &current).unwrap(),
        StatTest::JensenShannon
    );

    // Only the reference size matters, not the current one.
    assert_eq!(
        choose_test(&cycling(1000, 10), &cycling(5000, 10)).unwrap(),
        StatTest::Ks
    );
}

#[test]
fn choose_test_unique_value_boundary_is_5() {
    // Small reference: 6 values -> KS; 5 or 3 -> chi-square; 2 or 1 -> z-test.
    let small = |unique| choose_test(&cycling(300, unique), &cycling(30, unique)).unwrap();
    assert_eq!(small(6), StatTest::Ks);
    assert_eq!(small(5), StatTest::ChiSquare);
    assert_eq!(small(3), StatTest::ChiSquare);
    assert_eq!(small(2), StatTest::ZTest);
    assert_eq!(small(1), StatTest::ZTest);
    // Large reference: 6 values -> Wasserstein; 5 or fewer -> Jensen–Shannon.
    let large = |unique| choose_test(&cycling(2000, unique), &cycling(30, unique)).unwrap();
    assert_eq!(large(6), StatTest::Wasserstein);
    assert_eq!(large(5), StatTest::JensenShannon);
    assert_eq!(large(2), StatTest::JensenShannon);
    // Categorical columns never use KS / Wasserstein, whatever their cardinality.
    assert_eq!(
        choose_test(&labels(300, 50), &labels(30, 50)).unwrap(),
        StatTest::ChiSquare
    );
    assert_eq!(
        choose_test(&labels(3000, 50), &labels(30, 50)).unwrap(),
        StatTest::JensenShannon
    );
}

#[test]
fn choose_test_counts_unique_values_over_both_samples() {
    // 5 distinct values in the reference, a 6th only in the current sample: numeric (KS).
    let reference = cycling(300, 5);
    let current = ColumnSample::Numeric(vec![0.0, 1.5, 99.0]);
    assert_eq!(choose_test(&reference, &current).unwrap(), StatTest::Ks);
    // 2 labels in the reference, a 3rd in the current sample: chi-square, not z.
    let current = ColumnSample::Categorical(vec!["c0".into(), "new".into()]);
    assert_eq!(
        choose_test(&labels(300, 2), &current).unwrap(),
        StatTest::ChiSquare
    );
    // -0.0 and 0.0 are one value.
    let reference = ColumnSample::Numeric(vec![0.0, -0.0, 1.0, 2.0, 3.0, 4.0]);
    assert_eq!(
        choose_test(&reference, &reference).unwrap(),
        StatTest::ChiSquare
    );
}

#[test]
fn low_cardinality_numeric_column_is_tested_as_categories() {
    // 3 distinct numeric values, shares shifted: chi-square on the values.
    let reference = ColumnSample::Numeric((0..300).map(|i| (i % 3) as f64).collect());
    let current = ColumnSample::Numeric(
        (0..300)
            .map(|i| if i % 10 == 0 { 1.0 } else { 2.0 })
            .collect(),
    );
    let drift = column_drift(&reference, &current, None).unwrap();
    assert_eq!(drift.test, StatTest::ChiSquare);
    assert!(drift.drifted, "{drift:?}");
    let expected = drift_stats::chi_square_from_counts(&[100, 100, 100], &[0, 30, 270]).unwrap();
    assert_eq!(drift.score, expected.p_value);
}

#[test]
fn z_test_on_a_column_uses_the_smallest_label_as_failure() {
    // "fraud" < "ham": success = "ham". Reference 20% fraud, current 40% fraud.
    let col = |fraud: usize, n: usize| {
        ColumnSample::Categorical(
            (0..n)
                .map(|i| if i < fraud { "fraud" } else { "ham" }.to_owned())
                .collect(),
        )
    };
    let drift = column_drift(&col(40, 200), &col(60, 150), None).unwrap();
    assert_eq!(drift.test, StatTest::ZTest);
    let expected = proportion_z_test(160, 200, 90, 150).unwrap();
    assert_eq!(drift.score, expected.p_value);
    assert!(drift.drifted);
    // A single shared label: p-value 1 (Evidently's special case).
    let drift = column_drift(&col(10, 10), &col(5, 5), None).unwrap();
    assert_eq!(
        (drift.test, drift.score, drift.drifted),
        (StatTest::ZTest, 1.0, false)
    );
}

#[test]
fn drift_rules_follow_evidently_at_the_threshold() {
    assert!(StatTest::Ks.drifted(0.05, 0.05));
    assert!(!StatTest::Ks.drifted(0.050001, 0.05));
    assert!(!StatTest::ChiSquare.drifted(0.05, 0.05));
    assert!(StatTest::ChiSquare.drifted(0.049999, 0.05));
    assert!(!StatTest::ZTest.drifted(0.05, 0.05));
    assert!(StatTest::ZTest.drifted(0.049999, 0.05));
    assert!(StatTest::Wasserstein.drifted(0.1, 0.1));
    assert!(!StatTest::Wasserstein.drifted(0.099999, 0.1));
    assert!(StatTest::JensenShannon.drifted(0.1, 0.1));
    assert!(!StatTest::JensenShannon.drifted(0.099999, 0.1));
    for test in StatTest::ALL {
        assert!(!test.drifted(f64::NAN, test.default_threshold()), "{test}");
        assert_eq!(StatTest::from_name(test.name()), Some(test));
    }
    let names: Vec<&str> = StatTest::ALL.iter().map(|t| t.name()).collect();
    assert_eq!(
        names,
        ["ks", "chisquare", "z", "wasserstein", "jensenshannon"]
    );
    let thresholds: Vec<f64> = StatTest::ALL
        .iter()
        .map(|t| t.default_threshold())
        .collect();
    assert_eq!(thresholds, [0.05, 0.05, 0.05, 0.1, 0.1]);
}

#[test]
fn override_threshold_is_applied() {
    let (reference, current) = shifted_pair();
    let drift = column_drift(
        &numeric(&reference),
        &numeric(&current),
        Some((StatTest::Wasserstein, 5.0)),
    )
    .unwrap();
    assert_eq!((drift.test, drift.threshold), (StatTest::Wasserstein, 5.0));
    assert!(!drift.drifted, "{drift:?}");
}

#[test]
fn psi_matches_hand_computation() {
    // Reference 1..=10, 4 bins: quantiles at 0.25, 0.5, 0.75 are 3.25, 5.5, 7.75 (linear
    // interpolation: index 2.25 -> 3 + 0.25, 4.5 -> 5.5, 6.75 -> 7 + 0.75).
    let reference: Vec<f64> = (1..=10).map(f64::from).collect();
    // Reference shares: {1,2,3} 0.3, {4,5} 0.2, {6,7} 0.2, {8,9,10} 0.3.
    // Current shares:   {1,1,2} 0.3, {4} 0.1,   {6,6,7} 0.3, {8,12,15} 0.3.
    let current = [1.0, 1.0, 2.0, 4.0, 6.0, 6.0, 7.0, 8.0, 12.0, 15.0];
    let p = psi(&reference, &current, 4).unwrap();
    let bounds: Vec<(f64, f64)> = p.bins.iter().map(|b| (b.lower, b.upper)).collect();
    assert_eq!(
        bounds,
        [
            (f64::NEG_INFINITY, 3.25),
            (3.25, 5.5),
            (5.5, 7.75),
            (7.75, f64::INFINITY)
        ]
    );
    let shares: Vec<(f64, f64)> = p.bins.iter().map(|b| (b.ref_share, b.cur_share)).collect();
    assert_eq!(shares, [(0.3, 0.3), (0.2, 0.1), (0.2, 0.3), (0.3, 0.3)]);
    // (0.1 - 0.2) ln(0.1 / 0.2) + (0.3 - 0.2) ln(0.3 / 0.2) = 0.1 ln 2 + 0.1 ln 1.5 = 0.1 ln 3.
    assert!((p.value - 0.1 * 3f64.ln()).abs() < 1e-15, "{}", p.value);
    assert_eq!(psi_band(p.value), PsiBand::Moderate);
}

#[test]
fn psi_floors_empty_bins() {
    let reference: Vec<f64> = (1..=10).map(f64::from).collect();
    // Current shares: 0.6, 0 -> floor, 0 -> floor, 0.4.
    let current = [1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 8.0, 9.0, 10.0, 20.0];
    let p = psi(&reference, &current, 4).unwrap();
    let f = PSI_SHARE_FLOOR;
    let expected = (0.6 - 0.3) * (0.6f64 / 0.3).ln()
        + 2.0 * (f - 0.2) * (f / 0.2).ln()
        + (0.4 - 0.3) * (0.4f64 / 0.3).ln();
    assert!(
        (p.value - expected).abs() < 1e-12,
        "{} vs {expected}",
        p.value
    );
    assert_eq!(p.bins[1].cur_share, f);
    assert_eq!(psi_band(p.value), PsiBand::Significant);
}

#[test]
fn psi_merges_tied_cut_points() {
    // Half the reference is 0: the deciles at 0.1..0.4 are all 0 and collapse into one cut, so
    // the cuts are 0, 25 (halfway between 0 and 50), 59.4, 69.3, 79.2, 89.1: 7 bins, not 10.
    let reference: Vec<f64> = (0..100)
        .map(|i| if i < 50 { 0.0 } else { i as f64 })
        .collect();
    let p = psi(&reference, &reference, 10).unwrap();
    assert_eq!(p.bins.len(), 7, "{:?}", p.bins);
    assert_eq!(p.bins[2].lower, 25.0);
    assert_eq!(p.bins[0].ref_share, PSI_SHARE_FLOOR); // nothing below 0
    assert_eq!(p.bins[1].lower, 0.0);
    assert!(p.value.abs() < 1e-15);
    let total: f64 = p.bins.iter().map(|b| b.ref_share).sum();
    assert!((total - 1.0 - PSI_SHARE_FLOOR).abs() < 1e-12);
}

#[test]
fn psi_bands() {
    assert_eq!(psi_band(0.0), PsiBand::Negligible);
    assert_eq!(psi_band(0.0999), PsiBand::Negligible);
    assert_eq!(psi_band(0.1), PsiBand::Moderate);
    assert_eq!(psi_band(0.2499), PsiBand::Moderate);
    assert_eq!(psi_band(0.25), PsiBand::Significant);
    assert_eq!(PsiBand::Negligible.as_str(), "none");
    assert_eq!(PsiBand::Moderate.to_string(), "moderate");
    assert_eq!(PsiBand::Significant.as_str(), "significant");
}

#[test]
fn constant_reference_wasserstein_uses_the_0_001_floor() {
    assert_eq!(
        wasserstein_distance_norm(&[3.0; 5], &[3.0; 4]).unwrap(),
        0.0
    );
    let d = wasserstein_distance_norm(&[3.0; 5], &[3.0, 3.0, 3.0, 3.1]).unwrap();
    assert!((d - 0.025 / 0.001).abs() < 1e-9, "{d}");
}

#[test]
fn invalid_inputs_are_errors() {
    assert_eq!(
        ks_2samp(&[], &[1.0]),
        Err(DriftError::EmptySample { which: "first" })
    );
    assert_eq!(
        ks_2samp(&[1.0], &[f64::NAN]),
        Err(DriftError::NonFinite { which: "second" })
    );
    assert!(matches!(
        wasserstein_distance_norm(&[1.0, f64::INFINITY], &[1.0]),
        Err(DriftError::NonFinite { .. })
    ));
    assert!(matches!(
        psi(&[1.0], &[1.0], 0),
        Err(DriftError::InvalidArgument(_))
    ));
    assert!(matches!(
        psi(&[1.0], &[], 10),
        Err(DriftError::EmptySample { .. })
    ));
    assert!(matches!(
        drift_stats::chi_square_from_counts(&[1, 2], &[1]),
        Err(DriftError::LengthMismatch { .. })
    ));
    assert!(matches!(
        proportion_z_test(11, 10, 1, 10),
        Err(DriftError::InvalidArgument(_))
    ));
    assert!(matches!(
        proportion_z_test(0, 0, 1, 10),
        Err(DriftError::EmptySample { .. })
    ));
    let num = ColumnSample::Numeric(vec![1.0, 2.0]);
    let cat = ColumnSample::Categorical(vec!["a".into()]);
    assert!(matches!(
        choose_test(&num, &cat),
        Err(DriftError::KindMismatch { .. })
    ));
    assert!(matches!(
        column_drift(&cat, &cat, Some((StatTest::Ks, 0.05))),
        Err(DriftError::IncompatibleTest {
            test: "ks",
            kind: "categorical"
        })
    ));
    assert!(matches!(
        column_drift(&cat, &cat, Some((StatTest::Wasserstein, 0.1))),
        Err(DriftError::IncompatibleTest { .. })
    ));
    let empty = ColumnSample::Numeric(vec![]);
    assert!(matches!(
        choose_test(&empty, &num),
        Err(DriftError::EmptySample { which: "reference" })
    ));
}
