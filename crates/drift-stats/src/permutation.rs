//! Sample-size-aware drift verdicts: every threshold is calibrated on random re-splits of the
//! pooled rows (a permutation test), and the columns of a table are tested as one family.
//!
//! Evidently's fixed thresholds (a normed Wasserstein distance of 0.1, say) are meant for large
//! samples. On a window of 100 rows, sampling noise alone moves most distances past them, so a
//! fixed threshold turns small windows into false alarms. Here the question is instead "is this
//! split more extreme than the splits chance produces at these very sizes?": under the null
//! hypothesis (the window comes from the reference's distribution) all `N + n` rows are
//! exchangeable, so re-drawing which `n` of them form the window gives the exact null
//! distribution of any statistic at this window size, whatever the column's shape.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::categorical::js_from_weights;
use crate::numeric::population_std;
use crate::{
    chi_square_from_counts, choose_test, column_drift, ks::ks_sf, proportion_z_test, ColumnSample,
    DriftError, KsMethod, ScoreKind, StatTest, WASSERSTEIN_MIN_STD,
};

/// Default number of random re-splits. With α = 0.025 the null's tail then holds 5 of them:
/// the level is exact whatever the number (the observed split is one more exchangeable draw),
/// more draws only steady the threshold, and each costs `O(min(N, n) · columns)` — about
/// 0.5 ms of CPU for 10,000 rows against 10,000 on the 13 columns of a report.
pub const DEFAULT_PERMUTATIONS: usize = 199;

/// Default family-wise false-alarm rate of one verdict. Half of a 5 % budget per report, so
/// that the dataset verdict and the text verdict together stay within 5 %.
pub const DEFAULT_ALPHA: f64 = 0.025;

/// Settings of a permutation test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PermutationConfig {
    /// Random re-splits drawn; the observed split counts as one more.
    pub permutations: usize,
    /// False-alarm rate of the verdict (family-wise for [`family_drift`]), in `(0, 1)`.
    pub alpha: f64,
    /// Seed of the re-splits: the same inputs and seed always give the same result.
    pub seed: u64,
}

impl Default for PermutationConfig {
    fn default() -> Self {
        PermutationConfig {
            permutations: DEFAULT_PERMUTATIONS,
            alpha: DEFAULT_ALPHA,
            seed: 0,
        }
    }
}

impl PermutationConfig {
    /// The rank, largest first, of the critical value among the B re-splits:
    /// `floor(α (B + 1))`. A rejection needs fewer re-splits than that at least as extreme as
    /// the observed split, so that the permutation p-value `(1 + k) / (B + 1)` is `≤ α`.
    /// Rejects settings under which no outcome could ever be significant.
    pub(crate) fn tail_rank(&self) -> Result<usize, DriftError> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(DriftError::InvalidArgument(format!(
                "alpha must be between 0 and 1 (exclusive), got {}",
                self.alpha
            )));
        }
        // The small slack absorbs binary rounding, e.g. 0.025 × 400 = 9.999…
        let r = (self.alpha * (self.permutations + 1) as f64 + 1e-9).floor() as usize;
        if r == 0 {
            return Err(DriftError::InvalidArgument(format!(
                "{} permutations cannot reach a p-value of {}: at least {} are needed",
                self.permutations,
                self.alpha,
                (1.0 / self.alpha).ceil() as usize - 1
            )));
        }
        Ok(r)
    }
}

/// Which rule set a column's threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThresholdSource {
    /// The family-wise permutation threshold at this window size was the stricter one.
    Permutation,
    /// Evidently's fixed threshold ([`StatTest::default_threshold`]) was the stricter one.
    Fixed,
}

impl ThresholdSource {
    /// `"permutation"` or `"fixed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ThresholdSource::Permutation => "permutation",
            ThresholdSource::Fixed => "fixed",
        }
    }
}

/// The calibrated verdict on one column of a [`family_drift`] test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibratedDrift {
    /// Evidently's default test for the column ([`choose_test`]).
    pub test: StatTest,
    /// Its score, exactly as [`column_drift`] computes it: a p-value or a distance.
    pub score: f64,
    /// The threshold applied to `score`: the stricter of `null_threshold` and
    /// `fixed_threshold`, so calibration never flags a column that Evidently's own rule
    /// would not.
    pub threshold: f64,
    /// Which of the two set `threshold`.
    pub threshold_source: ThresholdSource,
    /// The family-wise permutation threshold at this window size, in score units: a score
    /// beyond it happens by chance, on any column of the family, in at most `alpha` of
    /// same-distribution windows of this size.
    pub null_threshold: f64,
    /// Evidently's fixed threshold for the test.
    pub fixed_threshold: f64,
    /// Median score over the re-splits: what chance alone typically gives at this size.
    pub null_median: f64,
    /// Share of re-splits (the observed one included) at least as extreme as the observed
    /// split on this column alone: the column's own permutation p-value.
    pub p_value: f64,
    /// The p-value adjusted for testing every column of the family (Westfall–Young
    /// single-step max-T): the share of re-splits whose most extreme column, in standard
    /// units, is at least as extreme as this column.
    pub adjusted_p_value: f64,
    /// Whether the column drifted: `adjusted_p_value ≤ alpha` and the score is beyond
    /// Evidently's fixed threshold.
    pub drifted: bool,
}

/// Outcome of [`family_drift`].
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyDrift {
    /// One verdict per input column, in input order.
    pub columns: Vec<CalibratedDrift>,
    /// Whether any column drifted. Under the null hypothesis this happens in at most `alpha`
    /// of windows, however the columns are correlated.
    pub drifted: bool,
    /// Family-wise p-value: the smallest `adjusted_p_value` (1 without columns).
    pub p_value: f64,
    /// The max-T critical value: a column's standardised statistic must exceed it.
    pub critical_value: f64,
    /// Re-splits drawn.
    pub permutations: usize,
    /// The family-wise false-alarm rate.
    pub alpha: f64,
}

/// How a column's rows map to groups, and the statistic computed from group counts.
#[derive(Debug)]
enum Kernel {
    /// Groups are the distinct values in ascending order; `gaps[g]` is the distance from value
    /// `g` to value `g + 1`. Wasserstein-1 divided by `norm` (the observed reference's standard
    /// deviation) or, with `ks`, the KS statistic `D`.
    Ordered { gaps: Vec<f64>, norm: f64, ks: bool },
    /// Jensen–Shannon distance of the group shares (categories or values).
    JensenShannon,
    /// Square root of the chi-square statistic, a monotone stand-in for its p-value.
    ChiSquare,
    /// `|z|` of the two-proportion z-test, group 0 being "failure".
    ZTest,
}

/// A column ready for re-splitting.
#[derive(Debug)]
struct Prepared {
    test: StatTest,
    kernel: Kernel,
    /// Pooled count of each group.
    pooled: Vec<u32>,
}

/// One side of a split, as group counts: the drawn rows' counts, and whether the drawn rows
/// are the window (else they are the reference and the window is the rest).
struct Split<'a> {
    drawn: &'a [u32],
    drawn_is_current: bool,
    n_ref: u32,
    n_cur: u32,
}

impl Split<'_> {
    /// The window's count of group `g`, given the pooled counts.
    #[inline]
    fn current(&self, pooled: &[u32], g: usize) -> u32 {
        if self.drawn_is_current {
            self.drawn[g]
        } else {
            pooled[g] - self.drawn[g]
        }
    }
}

/// Group index (in ascending key order) of every pooled row, reference rows first.
fn value_groups(reference: &[f64], current: &[f64]) -> (Vec<u32>, Vec<f64>) {
    let values: Vec<f64> = reference
        .iter()
        .chain(current)
        // -0.0 and 0.0 are one value, as in `F64Key`.
        .map(|&x| if x == 0.0 { 0.0 } else { x })
        .collect();
    let mut order: Vec<u32> = (0..values.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
    let mut groups = vec![0u32; values.len()];
    let mut keys: Vec<f64> = Vec::new();
    for &i in &order {
        let x = values[i as usize];
        if keys.last().is_none_or(|&last| last.total_cmp(&x).is_ne()) {
            keys.push(x);
        }
        groups[i as usize] = (keys.len() - 1) as u32;
    }
    (groups, keys)
}

/// Group index (labels in byte order) of every pooled row, reference rows first.
fn label_groups(reference: &[String], current: &[String]) -> Vec<u32> {
    let mut index: BTreeMap<&str, u32> = reference
        .iter()
        .chain(current)
        .map(|v| (v.as_str(), 0))
        .collect();
    for (i, slot) in index.values_mut().enumerate() {
        *slot = i as u32;
    }
    reference
        .iter()
        .chain(current)
        .map(|v| index[v.as_str()])
        .collect()
}

/// Maps the pooled rows of a column to groups and picks the statistic for its default test.
fn prepare(
    reference: &ColumnSample,
    current: &ColumnSample,
) -> Result<(Prepared, Vec<u32>), DriftError> {
    let test = choose_test(reference, current)?;
    let (groups, kernel) = match (reference, current) {
        (ColumnSample::Numeric(r), ColumnSample::Numeric(c)) => {
            let (groups, keys) = value_groups(r, c);
            let kernel = match test {
                StatTest::Ks | StatTest::Wasserstein => Kernel::Ordered {
                    gaps: keys.windows(2).map(|w| w[1] - w[0]).collect(),
                    norm: population_std(r).max(WASSERSTEIN_MIN_STD),
                    ks: test == StatTest::Ks,
                },
                // Numeric columns get Jensen–Shannon, chi-square or z only with at most 5
                // distinct values, which Evidently (and `jensen_shannon_numeric`) then treats
                // as categories.
                _ => categorical_kernel(test),
            };
            (groups, kernel)
        }
        (ColumnSample::Categorical(r), ColumnSample::Categorical(c)) => {
            (label_groups(r, c), categorical_kernel(test))
        }
        _ => unreachable!("choose_test checked the kinds"),
    };
    let n_groups = groups.iter().map(|&g| g as usize + 1).max().unwrap_or(0);
    let mut pooled = vec![0u32; n_groups];
    for &g in &groups {
        pooled[g as usize] += 1;
    }
    Ok((
        Prepared {
            test,
            kernel,
            pooled,
        },
        groups,
    ))
}

fn categorical_kernel(test: StatTest) -> Kernel {
    match test {
        StatTest::ChiSquare => Kernel::ChiSquare,
        StatTest::ZTest => Kernel::ZTest,
        _ => Kernel::JensenShannon,
    }
}

impl Prepared {
    /// The statistic (larger is more drift) of one split.
    fn statistic(&self, split: &Split) -> f64 {
        let pooled = &self.pooled[..];
        let current = |g: usize| split.current(pooled, g);
        let reference = |g: usize| pooled[g] - current(g);
        let (nr, nc) = (split.n_ref, split.n_cur);
        match &self.kernel {
            Kernel::Ordered { gaps, norm, ks } => {
                // |F_ref - F_cur| = |cum_ref n_cur - cum_cur n_ref| / (n_ref n_cur): integer
                // arithmetic inside the loop, one division at the end.
                let (mut cum_pooled, mut cum_cur) = (0i64, 0i64);
                let (nr, nc) = (i64::from(nr), i64::from(nc));
                let scale = (nr * nc) as f64;
                if *ks {
                    let mut widest = 0i64;
                    for (g, &count) in pooled.iter().enumerate().take(gaps.len()) {
                        cum_pooled += i64::from(count);
                        cum_cur += i64::from(current(g));
                        widest = widest.max(((cum_pooled - cum_cur) * nc - cum_cur * nr).abs());
                    }
                    widest as f64 / scale
                } else {
                    let mut total = 0.0;
                    for (g, gap) in gaps.iter().enumerate() {
                        cum_pooled += i64::from(pooled[g]);
                        cum_cur += i64::from(current(g));
                        total += ((cum_pooled - cum_cur) * nc - cum_cur * nr).abs() as f64 * gap;
                    }
                    total / scale / norm
                }
            }
            Kernel::JensenShannon => {
                let (nr, nc) = (f64::from(nr), f64::from(nc));
                let p: Vec<f64> = (0..pooled.len())
                    .map(|g| f64::from(reference(g)) / nr)
                    .collect();
                let q: Vec<f64> = (0..pooled.len())
                    .map(|g| f64::from(current(g)) / nc)
                    .collect();
                js_from_weights(&p, &q)
            }
            Kernel::ChiSquare => {
                let r: Vec<u64> = (0..pooled.len()).map(|g| u64::from(reference(g))).collect();
                let c: Vec<u64> = (0..pooled.len()).map(|g| u64::from(current(g))).collect();
                chi_square_from_counts(&r, &c).map_or(0.0, |t| t.statistic.max(0.0).sqrt())
            }
            Kernel::ZTest => {
                let (r0, c0) = (reference(0), current(0));
                proportion_z_test(
                    u64::from(nr - r0),
                    u64::from(nr),
                    u64::from(nc - c0),
                    u64::from(nc),
                )
                .map_or(0.0, |t| t.statistic.abs())
            }
        }
    }

    /// The test's score for a statistic value: the identity for distances, the p-value of the
    /// statistic for the p-value tests (monotone, so thresholds carry over).
    fn score_of(&self, statistic: f64, n_ref: u32, n_cur: u32) -> f64 {
        // A threshold is `mean + c × sd` of the re-splits and may leave the statistic's range.
        let statistic = statistic.max(0.0);
        match (&self.kernel, self.test.score_kind()) {
            (_, ScoreKind::Distance) => statistic,
            (Kernel::Ordered { .. }, _) if statistic >= 1.0 => 0.0,
            (Kernel::Ordered { .. }, _) => {
                ks_sf(
                    u64::from(n_ref),
                    u64::from(n_cur),
                    statistic,
                    KsMethod::Auto,
                )
                .1
            }
            (Kernel::ChiSquare, _) => {
                let categories = self.pooled.iter().filter(|&&c| c > 0).count();
                if categories < 2 {
                    1.0
                } else {
                    ChiSquared::new((categories - 1) as f64)
                        .expect("positive degrees of freedom")
                        .sf(statistic * statistic)
                }
            }
            (_, _) => ChiSquared::new(1.0)
                .expect("one degree of freedom")
                .sf(statistic * statistic)
                .min(1.0),
        }
    }
}

/// Draws `k` distinct indices below `perm.len()` into `perm[..k]` (a partial Fisher–Yates
/// shuffle), recording the swaps in `swaps` so that [`undo_draw`] can restore `perm`.
fn draw_subset(perm: &mut [u32], k: usize, rng: &mut ChaCha8Rng, swaps: &mut Vec<u32>) {
    swaps.clear();
    for i in 0..k {
        let j = rng.gen_range(i..perm.len());
        perm.swap(i, j);
        swaps.push(j as u32);
    }
}

/// Restores `perm` after [`draw_subset`], in O(k) rather than O(len).
fn undo_draw(perm: &mut [u32], swaps: &[u32]) {
    for (i, &j) in swaps.iter().enumerate().rev() {
        perm.swap(i, j as usize);
    }
}

/// The random generator of re-split `draw`: one ChaCha stream per draw, so results do not
/// depend on the order in which draws are computed.
pub(crate) fn draw_rng(seed: u64, draw: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(draw as u64);
    rng
}

/// Median of a non-empty slice (sorted in place).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Tests several columns of the same rows for drift as one family, with thresholds calibrated
/// at the current window's size.
///
/// `columns[j]` is the reference and the current sample of column `j`; every column must have
/// the same number of reference rows and of current rows (row `i` of each column is the same
/// message). Each column gets Evidently's default test ([`choose_test`]) and its score exactly
/// as [`column_drift`] computes it; only the threshold changes:
///
/// 1. **Null distribution at this size.** `config.permutations` times, the pooled rows are
///    re-split at random into a reference of `N` and a window of `n` rows (the same re-split
///    for every column, so correlations between columns are kept) and each column's statistic
///    is computed. Under the null hypothesis the observed split is just one more such draw.
/// 2. **Family-wise combination (Westfall–Young single-step max-T).** Each value of a column's
///    statistic is standardised by the mean and standard deviation of the column's other `B`
///    values (the same rule for every draw keeps the test exact, and a drifted observed value
///    does not inflate its own scale); the largest standardised value of each re-split gives
///    the null distribution of the family's maximum, whose upper `alpha` tail sets one critical
///    value for all columns. A column drifts when it exceeds it, so the chance that *any*
///    column of a same-distribution window drifts is at most `alpha`, whatever the dependence
///    between columns.
/// 3. **Never looser than Evidently.** The column must also be beyond Evidently's fixed
///    threshold, which only lowers the false-alarm rate; on large windows, where chance
///    differences are tiny, it keeps Evidently's notion of a difference worth reporting.
///
/// Statistics used for the re-splits: the score itself for Wasserstein and Jensen–Shannon; the
/// KS statistic `D`, `√X²` and `|z|` for the p-value tests (monotone in their p-values, and
/// cheap). The Wasserstein distance of every re-split is divided by the observed reference's
/// standard deviation, a constant, so it is a fixed function of the split as the test requires.
///
/// Cost: `O(B · (min(N, n) · m + Σ distinct values))` after one pass over the data.
///
/// # Errors
/// [`DriftError::RowCountMismatch`] if the columns differ in length, [`DriftError::InvalidArgument`]
/// for an `alpha` outside `(0, 1)` or too few permutations to ever reach it, and the errors of
/// [`column_drift`] for unusable columns.
///
/// # Example
/// ```
/// use drift_stats::{family_drift, ColumnSample, PermutationConfig};
///
/// // 2000 reference rows and 100 current rows from the same skewed count distribution.
/// let counts = |n: usize, offset: usize| -> Vec<f64> {
///     (0..n).map(|i| [0.0, 0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 1.0, 0.0, 5.0][(i * 7 + offset) % 10]).collect()
/// };
/// let reference = ColumnSample::Numeric(counts(2000, 0));
/// let current = ColumnSample::Numeric(counts(100, 3));
/// let family = family_drift(&[(&reference, &current)], &PermutationConfig::default()).unwrap();
/// assert!(!family.drifted);
/// // The threshold at 100 rows is far above Evidently's 0.1 for this column.
/// assert!(family.columns[0].threshold > 0.1);
/// ```
pub fn family_drift(
    columns: &[(&ColumnSample, &ColumnSample)],
    config: &PermutationConfig,
) -> Result<FamilyDrift, DriftError> {
    let tail = config.tail_rank()?;
    let Some(&(first_ref, first_cur)) = columns.first() else {
        return Ok(FamilyDrift {
            columns: Vec::new(),
            drifted: false,
            p_value: 1.0,
            critical_value: f64::INFINITY,
            permutations: config.permutations,
            alpha: config.alpha,
        });
    };
    let (n_ref, n_cur) = (first_ref.len(), first_cur.len());
    for (j, (r, c)) in columns.iter().enumerate() {
        if (r.len(), c.len()) != (n_ref, n_cur) {
            return Err(DriftError::RowCountMismatch {
                column: j,
                expected: (n_ref, n_cur),
                found: (r.len(), c.len()),
            });
        }
    }
    let total = n_ref + n_cur;
    if total > u32::MAX as usize {
        return Err(DriftError::InvalidArgument(format!(
            "{total} rows are more than a permutation test handles"
        )));
    }
    let m = columns.len();
    let mut prepared = Vec::with_capacity(m);
    let mut scores = Vec::with_capacity(m);
    // Row-major group index, offset so that every column's groups have their own range of
    // one shared count vector: a re-split reads one short run of memory per drawn row and
    // increments one flat vector.
    let mut groups = vec![0u32; total * m];
    let mut offsets = Vec::with_capacity(m + 1);
    offsets.push(0usize);
    for (j, (r, c)) in columns.iter().enumerate() {
        scores.push(column_drift(r, c, None)?.score);
        let (p, g) = prepare(r, c)?;
        let offset = offsets[j];
        for (row, &group) in g.iter().enumerate() {
            groups[row * m + j] = (offset + group as usize) as u32;
        }
        offsets.push(offset + p.pooled.len());
        prepared.push(p);
    }
    let n_counts = offsets[m];
    if n_counts > u32::MAX as usize {
        return Err(DriftError::InvalidArgument(format!(
            "{n_counts} distinct values over {m} columns are more than a permutation test handles"
        )));
    }

    // statistics[b * m + j]: draw b (0 = the observed split) of column j.
    let draws = config.permutations;
    let mut statistics = vec![0.0; (draws + 1) * m];
    let (n_ref32, n_cur32) = (n_ref as u32, n_cur as u32);
    let statistics_of = |counts: &[u32], drawn_is_current: bool, out: &mut [f64]| {
        for (j, p) in prepared.iter().enumerate() {
            out[j] = p.statistic(&Split {
                drawn: &counts[offsets[j]..offsets[j + 1]],
                drawn_is_current,
                n_ref: n_ref32,
                n_cur: n_cur32,
            });
        }
    };
    // The observed split: the current rows are the last `n_cur` pooled rows.
    let mut counts = vec![0u32; n_counts];
    for &g in &groups[n_ref * m..] {
        counts[g as usize] += 1;
    }
    statistics_of(&counts, true, &mut statistics[..m]);

    // Re-splits, in parallel chunks (each draw has its own random stream, so the result does
    // not depend on the chunking). Each draw picks the smaller side, as fewer rows to count.
    let drawn_is_current = n_cur <= n_ref;
    let k = n_cur.min(n_ref);
    // Undoing the counts row by row is cheaper than clearing them when few rows are drawn.
    let undo_by_rows = k * m < n_counts;
    let chunk = draws
        .div_ceil(rayon::current_num_threads().max(1) * 4)
        .max(1);
    statistics[m..]
        .par_chunks_mut(chunk * m)
        .enumerate()
        .for_each(|(c, out)| {
            let mut perm: Vec<u32> = (0..total as u32).collect();
            let mut swaps = Vec::with_capacity(k);
            let mut counts = vec![0u32; n_counts];
            for (i, row_out) in out.chunks_mut(m).enumerate() {
                let b = 1 + c * chunk + i;
                let mut rng = draw_rng(config.seed, b);
                draw_subset(&mut perm, k, &mut rng, &mut swaps);
                for &row in &perm[..k] {
                    let row = row as usize * m;
                    for &g in &groups[row..row + m] {
                        counts[g as usize] += 1;
                    }
                }
                statistics_of(&counts, drawn_is_current, row_out);
                if undo_by_rows {
                    for &row in &perm[..k] {
                        let row = row as usize * m;
                        for &g in &groups[row..row + m] {
                            counts[g as usize] -= 1;
                        }
                    }
                } else {
                    counts.fill(0);
                }
                undo_draw(&mut perm, &swaps);
            }
        });

    // Standardise every value by the mean and standard deviation of the *other* B values of its
    // column. The rule is the same for every draw, the observed split included, so the B + 1
    // maxima stay exchangeable and the test exact; and a drifted observed value does not
    // inflate its own scale (which would hide moderate drift and overstate `null_threshold`):
    // the observed split is measured against the re-splits alone.
    let mut standard = vec![0.0; (draws + 1) * m];
    let mut observed_scale = vec![(0.0, 0.0); m];
    for j in 0..m {
        let values: Vec<f64> = (0..=draws).map(|b| statistics[b * m + j]).collect();
        let centre = values.iter().sum::<f64>() / values.len() as f64;
        let d: Vec<f64> = values.iter().map(|x| x - centre).collect();
        let (sum, sum_sq) = (d.iter().sum::<f64>(), d.iter().map(|x| x * x).sum::<f64>());
        // Spreads below this are ties in floating point.
        let tiny = 1e-12 * d.iter().fold(centre.abs(), |a, x| a.max(x.abs()));
        let others = draws as f64;
        for (b, &x) in d.iter().enumerate() {
            let mean = (sum - x) / others;
            let sd = ((sum_sq - x * x) / others - mean * mean).max(0.0).sqrt();
            let deviation = x - mean;
            standard[b * m + j] = if sd > tiny {
                deviation / sd
            } else if deviation > tiny {
                // The only value off an otherwise constant column.
                f64::INFINITY
            } else if deviation < -tiny {
                f64::NEG_INFINITY
            } else {
                0.0
            };
            if b == 0 {
                observed_scale[j] = (centre + mean, sd);
            }
        }
    }
    let mut null_max: Vec<f64> = (1..=draws)
        .map(|b| {
            standard[b * m..(b + 1) * m]
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    null_max.sort_by(|a, b| b.total_cmp(a));
    // Reject when fewer than `tail` re-splits reach the observed value: above the tail-th
    // largest null maximum.
    let critical_value = null_max[tail - 1];
    let share = |count: usize| (1 + count) as f64 / (draws + 1) as f64;

    let mut out = Vec::with_capacity(m);
    for (j, p) in prepared.iter().enumerate() {
        let observed = standard[j];
        let at_least = |x: f64| null_max.partition_point(|&v| v >= x);
        let adjusted_p_value = share(at_least(observed));
        let own = (1..=draws)
            .filter(|&b| statistics[b * m + j] >= statistics[j])
            .count();
        let p_value = share(own);
        let (centre, spread) = observed_scale[j];
        let null_statistic = centre + critical_value * spread;
        let null_threshold = p.score_of(null_statistic, n_ref32, n_cur32);
        let mut null_draws: Vec<f64> = (1..=draws).map(|b| statistics[b * m + j]).collect();
        let null_median = p.score_of(median(&mut null_draws), n_ref32, n_cur32);
        let fixed_threshold = p.test.default_threshold();
        let (threshold, threshold_source) = match p.test.score_kind() {
            ScoreKind::Distance if null_threshold >= fixed_threshold => {
                (null_threshold, ThresholdSource::Permutation)
            }
            ScoreKind::PValue if null_threshold <= fixed_threshold => {
                (null_threshold, ThresholdSource::Permutation)
            }
            _ => (fixed_threshold, ThresholdSource::Fixed),
        };
        // A column at its null mean is no evidence, whatever the critical value.
        let significant = observed > critical_value && observed > 0.0;
        out.push(CalibratedDrift {
            test: p.test,
            score: scores[j],
            threshold,
            threshold_source,
            null_threshold,
            fixed_threshold,
            null_median,
            p_value,
            adjusted_p_value,
            drifted: significant && p.test.drifted(scores[j], fixed_threshold),
        });
    }
    let p_value = out.iter().map(|c| c.adjusted_p_value).fold(1.0, f64::min);
    Ok(FamilyDrift {
        drifted: out.iter().any(|c| c.drifted),
        columns: out,
        p_value,
        critical_value,
        permutations: draws,
        alpha: config.alpha,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undo_restores_the_identity() {
        let mut perm: Vec<u32> = (0..50).collect();
        let mut swaps = Vec::new();
        let mut rng = draw_rng(3, 1);
        draw_subset(&mut perm, 20, &mut rng, &mut swaps);
        let mut drawn = perm[..20].to_vec();
        drawn.sort_unstable();
        drawn.dedup();
        assert_eq!(drawn.len(), 20, "distinct indices");
        undo_draw(&mut perm, &swaps);
        assert_eq!(perm, (0..50).collect::<Vec<u32>>());
    }

    /// The statistic of the observed split, as the re-splits compute it, agrees with the score
    /// Evidently's rule sees (or, for the p-value tests, maps back to it).
    #[test]
    fn observed_statistic_matches_column_drift() {
        let wave = |n: usize, shift: f64| -> Vec<f64> {
            (0..n)
                .map(|i| ((i as f64) * 0.77).sin() * 3.0 + shift)
                .collect()
        };
        let counts =
            |n: usize, k: usize| -> Vec<f64> { (0..n).map(|i| ((i * k) % 7 % 3) as f64).collect() };
        let labels = |n: usize, k: usize| -> Vec<String> {
            (0..n)
                .map(|i| ["a", "b", "c"][(i * k) % 5 % 3].to_string())
                .collect()
        };
        let binary = |n: usize, k: usize| -> Vec<String> {
            (0..n)
                .map(|i| ["x", "y"][(i * k) % 3 % 2].to_string())
                .collect()
        };
        let num = ColumnSample::Numeric;
        let cat = ColumnSample::Categorical;
        let cases = [
            // > 1000 reference rows: Wasserstein, Jensen–Shannon on values and on labels.
            (num(wave(1500, 0.0)), num(wave(300, 0.4))),
            (num(counts(1500, 1)), num(counts(300, 2))),
            (cat(labels(1500, 1)), cat(labels(300, 2))),
            // ≤ 1000: KS, chi-square, z.
            (num(wave(800, 0.0)), num(wave(300, 0.2))),
            (cat(labels(800, 1)), cat(labels(300, 2))),
            (cat(binary(800, 1)), cat(binary(300, 2))),
        ];
        let tests: Vec<StatTest> = cases
            .iter()
            .map(|(r, c)| choose_test(r, c).unwrap())
            .collect();
        use StatTest::*;
        assert_eq!(
            tests,
            [
                Wasserstein,
                JensenShannon,
                JensenShannon,
                Ks,
                ChiSquare,
                ZTest
            ]
        );
        for (reference, current) in &cases {
            let expected = column_drift(reference, current, None).unwrap();
            let (prepared, groups) = prepare(reference, current).unwrap();
            assert_eq!(prepared.test, expected.test);
            let (n_ref, n_cur) = (reference.len() as u32, current.len() as u32);
            let mut window = vec![0u32; prepared.pooled.len()];
            for &g in &groups[reference.len()..] {
                window[g as usize] += 1;
            }
            let statistic = prepared.statistic(&Split {
                drawn: &window,
                drawn_is_current: true,
                n_ref,
                n_cur,
            });
            // The same split read from the reference's side.
            let rest: Vec<u32> = prepared
                .pooled
                .iter()
                .zip(&window)
                .map(|(p, w)| p - w)
                .collect();
            let from_reference = prepared.statistic(&Split {
                drawn: &rest,
                drawn_is_current: false,
                n_ref,
                n_cur,
            });
            assert_eq!(statistic, from_reference);
            let score = prepared.score_of(statistic, n_ref, n_cur);
            assert!(
                (score - expected.score).abs() <= 1e-9 * expected.score.abs().max(1e-12),
                "{}: {score} vs {}",
                expected.test,
                expected.score
            );
        }
    }

    #[test]
    fn tail_rank_needs_enough_permutations() {
        let config = |permutations, alpha| PermutationConfig {
            permutations,
            alpha,
            seed: 0,
        };
        assert_eq!(config(399, 0.025).tail_rank().unwrap(), 10);
        assert_eq!(config(199, 0.025).tail_rank().unwrap(), 5);
        assert_eq!(config(39, 0.025).tail_rank().unwrap(), 1);
        assert!(config(38, 0.025).tail_rank().is_err());
        assert!(config(399, 0.0).tail_rank().is_err());
        assert!(config(399, f64::NAN).tail_rank().is_err());
    }
}
