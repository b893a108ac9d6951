//! Every statistic against values computed once with SciPy 1.17.1 / NumPy 2.4.6.
//!
//! Each expected constant is preceded by the exact command that produced it; re-run it with
//! `python3 -c '...'` (after `pip install scipy`) to check a value. Evidently-specific glue
//! (shares, expected frequencies, binning) is written out in the command itself.

use drift_stats::{
    chi_square, chi_square_from_counts, jensen_shannon_distance, jensen_shannon_from_counts,
    jensen_shannon_numeric, ks_2samp, ks_2samp_with, kstwo_sf, proportion_z_test,
    wasserstein_distance, wasserstein_distance_norm, KsMethod,
};

// ---------------------------------------------------------------------------------------------
// Inputs (the same literals appear in the Python commands below).
// ---------------------------------------------------------------------------------------------

const KS_A: [f64; 25] = [
    0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37,
    1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47,
];
const KS_B: [f64; 15] = [
    2.2, 1.77, 2.12, 1.6, 2.66, 0.95, 1.34, 1.4, 0.7, 1.65, 2.1, 0.48, 1.52, 1.54, 0.69,
];
const KS_NEAR: [f64; 18] = [
    0.71, 0.39, 0.16, 0.69, -1.63, -0.64, 0.61, -0.46, 0.49, 1.74, 0.15, 0.04, 0.74, -0.72, 0.47,
    1.87, 1.19, -1.18,
];
const TIES_A: [f64; 9] = [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0, 5.0];
const TIES_B: [f64; 10] = [2.0, 3.0, 3.0, 4.0, 4.0, 4.0, 5.0, 6.0, 6.0, 7.0];
const EQ_A: [f64; 20] = [
    0.12, 0.45, 0.33, 0.91, 0.58, 0.27, 0.76, 0.04, 0.69, 0.5, 0.38, 0.83, 0.15, 0.62, 0.97, 0.21,
    0.44, 0.73, 0.09, 0.55,
];
const EQ_B: [f64; 20] = [
    0.31, 0.72, 0.58, 1.05, 0.66, 0.49, 0.95, 0.22, 0.88, 0.61, 0.47, 1.12, 0.36, 0.79, 1.21, 0.4,
    0.52, 0.93, 0.28, 0.7,
];

/// `[(i * 7919 % 10007) / 10007 for i in range(10001)]`
fn big_a() -> Vec<f64> {
    (0..10001u64)
        .map(|i| (i * 7919 % 10007) as f64 / 10007.0)
        .collect()
}
/// `[(i * 104729 % 10009) / 10009 * 0.9 + 0.05 for i in range(40)]`
fn big_b() -> Vec<f64> {
    (0..40u64)
        .map(|i| (i * 104729 % 10009) as f64 / 10009.0 * 0.9 + 0.05)
        .collect()
}
/// `[(i * 7919 % 1009) / 1009 for i in range(300)]`
fn mid_a() -> Vec<f64> {
    (0..300u64)
        .map(|i| (i * 7919 % 1009) as f64 / 1009.0)
        .collect()
}
/// `[(i * 104729 % 1013) / 1013 * 1.2 for i in range(250)]`
fn mid_b() -> Vec<f64> {
    (0..250u64)
        .map(|i| (i * 104729 % 1013) as f64 / 1013.0 * 1.2)
        .collect()
}

/// (n, x) points for `kstwo.sf`, chosen to reach every branch of SciPy's `_kolmogn`.
const KSTWO_POINTS: [(u64, f64); 20] = [
    (3, 0.2),
    (200, 0.004),
    (10, 0.92),
    (5, 0.3),
    (5, 0.55),
    (10, 0.25),
    (10, 0.4),
    (20, 0.3),
    (20, 0.47),
    (100, 0.12),
    (140, 0.2),
    (140, 0.05),
    (500, 0.08),
    (500, 0.03),
    (1000, 0.012),
    (1000, 0.04),
    (750, 0.05),
    (200000, 0.002),
    (9, 0.41),
    (40, 0.125),
];

// ---------------------------------------------------------------------------------------------
// Expected values, generated once with SciPy.
// ---------------------------------------------------------------------------------------------

/// ks_2samp(KS_A, KS_B), 25 vs 15 values, exact mode.
// python3 -c 'from scipy.stats import ks_2samp; r = ks_2samp([0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47], [2.2, 1.77, 2.12, 1.6, 2.66, 0.95, 1.34, 1.4, 0.7, 1.65, 2.1, 0.48, 1.52, 1.54, 0.69], method="auto"); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const KS_UNEQUAL_AUTO: [f64; 2] = [0.6533333333333333, 0.0002778162868321524];

/// ks_2samp(KS_A, KS_B, method='asymp').
// python3 -c 'from scipy.stats import ks_2samp; r = ks_2samp([0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47], [2.2, 1.77, 2.12, 1.6, 2.66, 0.95, 1.34, 1.4, 0.7, 1.65, 2.1, 0.48, 1.52, 1.54, 0.69], method="asymp"); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const KS_UNEQUAL_ASYMP: [f64; 2] = [0.6533333333333333, 0.0002751292425614765];

/// ks_2samp(KS_A, KS_NEAR), 25 vs 18 values, moderate p-value.
// python3 -c 'from scipy.stats import ks_2samp; r = ks_2samp([0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47], [0.71, 0.39, 0.16, 0.69, -1.63, -0.64, 0.61, -0.46, 0.49, 1.74, 0.15, 0.04, 0.74, -0.72, 0.47, 1.87, 1.19, -1.18], method="auto"); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const KS_NEAR_AUTO: [f64; 2] = [0.11333333333333333, 0.9951866260530927];

/// ks_2samp(KS_A, KS_NEAR, method='asymp').
// python3 -c 'from scipy.stats import ks_2samp; r = ks_2samp([0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47], [0.71, 0.39, 0.16, 0.69, -1.63, -0.64, 0.61, -0.46, 0.49, 1.74, 0.15, 0.04, 0.74, -0.72, 0.47, 1.87, 1.19, -1.18], method="asymp"); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const KS_NEAR_ASYMP: [f64; 2] = [0.1133333333333334, 0.9974997197817249];

/// ks_2samp(TIES_A, TIES_B), ties within and across samples.
// python3 -c 'from scipy.stats import ks_2samp; r = ks_2samp([1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0, 5.0], [2.0, 3.0, 3.0, 4.0, 4.0, 4.0, 5.0, 6.0, 6.0, 7.0], method="auto"); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const KS_TIES_AUTO: [f64; 2] = [0.36666666666666664, 0.4424646560869471];

/// ks_2samp(TIES_A, TIES_B, method='asymp').
// python3 -c 'from scipy.stats import ks_2samp; r = ks_2samp([1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0, 5.0], [2.0, 3.0, 3.0, 4.0, 4.0, 4.0, 5.0, 6.0, 6.0, 7.0], method="asymp"); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const KS_TIES_ASYMP: [f64; 2] = [0.36666666666666664, 0.4103967078189301];

/// ks_2samp(EQ_A, EQ_B), equal sizes (20 vs 20).
// python3 -c 'from scipy.stats import ks_2samp; r = ks_2samp([0.12, 0.45, 0.33, 0.91, 0.58, 0.27, 0.76, 0.04, 0.69, 0.5, 0.38, 0.83, 0.15, 0.62, 0.97, 0.21, 0.44, 0.73, 0.09, 0.55], [0.31, 0.72, 0.58, 1.05, 0.66, 0.49, 0.95, 0.22, 0.88, 0.61, 0.47, 1.12, 0.36, 0.79, 1.21, 0.4, 0.52, 0.93, 0.28, 0.7], method="auto"); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const KS_EQUAL_AUTO: [f64; 2] = [0.25, 0.571336004933722];

/// ks_2samp(EQ_A, EQ_B, method='asymp').
// python3 -c 'from scipy.stats import ks_2samp; r = ks_2samp([0.12, 0.45, 0.33, 0.91, 0.58, 0.27, 0.76, 0.04, 0.69, 0.5, 0.38, 0.83, 0.15, 0.62, 0.97, 0.21, 0.44, 0.73, 0.09, 0.55], [0.31, 0.72, 0.58, 1.05, 0.66, 0.49, 0.95, 0.22, 0.88, 0.61, 0.47, 1.12, 0.36, 0.79, 1.21, 0.4, 0.52, 0.93, 0.28, 0.7], method="asymp"); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const KS_EQUAL_ASYMP: [f64; 2] = [0.25, 0.4841115325000003];

/// ks_2samp(big_a(), big_b()): 10001 values, so 'auto' uses the asymptotic mode.
// python3 -c 'from scipy.stats import ks_2samp; r = ks_2samp([(i * 7919 % 10007) / 10007 for i in range(10001)], [(i * 104729 % 10009) / 10009 * 0.9 + 0.05 for i in range(40)], method="auto"); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const KS_BIG_AUTO: [f64; 2] = [0.07019298070192981, 0.9812912818542783];

/// ks_2samp(mid_a(), mid_b()), 300 vs 250 values, exact mode.
// python3 -c 'from scipy.stats import ks_2samp; r = ks_2samp([(i * 7919 % 1009) / 1009 for i in range(300)], [(i * 104729 % 1013) / 1013 * 1.2 for i in range(250)], method="auto"); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const KS_MID_AUTO: [f64; 2] = [0.168, 0.0007888486919690908];

/// ks_2samp(mid_a(), mid_b(), method='asymp').
// python3 -c 'from scipy.stats import ks_2samp; r = ks_2samp([(i * 7919 % 1009) / 1009 for i in range(300)], [(i * 104729 % 1013) / 1013 * 1.2 for i in range(250)], method="asymp"); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const KS_MID_ASYMP: [f64; 2] = [0.16800000000000004, 0.0007984611624068477];

/// scipy.stats.kstwo.sf(x, n) at KSTWO_POINTS (n, x) = [(3, 0.2), (200, 0.004), (10, 0.92), (5, 0.3), (5, 0.55), (10, 0.25), (10, 0.4), (20, 0.3), (20, 0.47), (100, 0.12), (140, 0.2), (140, 0.05), (500, 0.08), (500, 0.03), (1000, 0.012), (1000, 0.04), (750, 0.05), (200000, 0.002), (9, 0.41), (40, 0.125)].
// python3 -c 'from scipy.stats import kstwo; print(*[repr(float(kstwo.sf(x, n))) for n, x in [(3, 0.2), (200, 0.004), (10, 0.92), (5, 0.3), (5, 0.55), (10, 0.25), (10, 0.4), (20, 0.3), (20, 0.47), (100, 0.12), (140, 0.2), (140, 0.05), (500, 0.08), (500, 0.03), (1000, 0.012), (1000, 0.04), (750, 0.05), (200000, 0.002), (9, 0.41), (40, 0.125)]])'
const KSTWO_SF: [f64; 20] = [
    0.9982222222222222,
    1.0,
    2.1474836479999892e-11,
    0.664,
    0.059696249999999965,
    0.4841115325000003,
    0.05898924519999926,
    0.04306706665851623,
    0.00014214650195716304,
    0.10330374901819939,
    2.1981563302200222e-05,
    0.8576480297656114,
    0.0031305058199356268,
    0.7473166700457021,
    0.9984464668620097,
    0.07933956059000224,
    0.04544775815282098,
    0.39995085369038097,
    0.0699443682726415,
    0.5192205818372149,
];

/// chi_square: reference counts [30, 50, 20], current [45, 40, 25] (Evidently: f_exp = ref * n_cur / n_ref).
// python3 -c 'from scipy.stats import chisquare; r = chisquare([45, 40, 25], [c * (110 / 100) for c in [30, 50, 20]]); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const CHI_THREE: [f64; 2] = [8.863636363636365, 0.011892846645735061];

/// chi_square: reference counts [12, 7, 30, 1] (n=50), current [20, 15, 70, 8] (n=113).
// python3 -c 'from scipy.stats import chisquare; r = chisquare([20, 15, 70, 8], [c * (113 / 50) for c in [12, 7, 30, 1]]); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const CHI_FOUR_UNEQUAL: [f64; 2] = [16.56173619890434, 0.0008696328590102354];

/// chi_square: reference counts [40, 60, 0], current [30, 50, 3]; the reference share of the new category is 1e-4, then shares are renormalised.
// python3 -c 'from scipy.stats import chisquare; r = chisquare([30, 50, 3], (lambda s: [v / sum(s) * 83 for v in s])([40 / 100, 60 / 100, 1e-4])); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const CHI_NEW_CATEGORY: [f64; 2] = [1078.7627510040159, 5.6188181690830874e-235];

/// chi_square: reference counts [10, 20, 30], current [20, 40, 60] (same shares).
// python3 -c 'from scipy.stats import chisquare; r = chisquare([20, 40, 60], [c * (120 / 60) for c in [10, 20, 30]]); print(repr(float(r.statistic)), repr(float(r.pvalue)))'
const CHI_IDENTICAL_SHARES: [f64; 2] = [0.0, 1.0];

/// proportion_z_test(10, 100, 30, 100), Evidently's formula.
// python3 -c 'import numpy as np; from scipy.stats import norm; s1, n1, s2, n2 = 10, 100, 30, 100; p1 = s1 / n1; p2 = s2 / n2; P = (p1 * n1 + p2 * n2) / (n1 + n2); z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2)); print(repr(float(z)), repr(float(2 * (1 - norm.cdf(np.abs(z))))))'
const Z_10_100_30_100: [f64; 2] = [-3.535533905932737, 0.00040695201744500586];

/// proportion_z_test(123, 1000, 150, 900).
// python3 -c 'import numpy as np; from scipy.stats import norm; s1, n1, s2, n2 = 123, 1000, 150, 900; p1 = s1 / n1; p2 = s2 / n2; P = (p1 * n1 + p2 * n2) / (n1 + n2); z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2)); print(repr(float(z)), repr(float(2 * (1 - norm.cdf(np.abs(z))))))'
const Z_123_1000_150_900: [f64; 2] = [-2.709399186949543, 0.006740518625703462];

/// proportion_z_test(5, 40, 4, 60).
// python3 -c 'import numpy as np; from scipy.stats import norm; s1, n1, s2, n2 = 5, 40, 4, 60; p1 = s1 / n1; p2 = s2 / n2; P = (p1 * n1 + p2 * n2) / (n1 + n2); z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2)); print(repr(float(z)), repr(float(2 * (1 - norm.cdf(np.abs(z))))))'
const Z_5_40_4_60: [f64; 2] = [0.9985744825254633, 0.3180008665637306];

/// wasserstein_distance(KS_A, KS_B) and Evidently's normed value.
// python3 -c 'import numpy as np; from scipy.stats import wasserstein_distance as w; r, c = [0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47], [2.2, 1.77, 2.12, 1.6, 2.66, 0.95, 1.34, 1.4, 0.7, 1.65, 2.1, 0.48, 1.52, 1.54, 0.69]; print(repr(float(w(r, c))), repr(float(w(r, c) / max(np.std(r), 0.001))))'
const WD_KS: [f64; 2] = [1.2982666666666667, 1.1920725762657005];

/// wasserstein_distance([1, 2, 3, 4, 5], [1, 1, 1, 6, 7, 8, 9]) and normed.
// python3 -c 'import numpy as np; from scipy.stats import wasserstein_distance as w; r, c = [1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 1.0, 1.0, 6.0, 7.0, 8.0, 9.0]; print(repr(float(w(r, c))), repr(float(w(r, c) / max(np.std(r), 0.001))))'
const WD_SMALL: [f64; 2] = [2.2285714285714286, 1.5758379695014486];

/// constant reference: std 0, so Evidently divides by 0.001.
// python3 -c 'import numpy as np; from scipy.stats import wasserstein_distance as w; r, c = [2.0, 2.0, 2.0, 2.0], [2.0, 2.0, 3.0]; print(repr(float(w(r, c))), repr(float(w(r, c) / max(np.std(r), 0.001))))'
const WD_CONSTANT_REF: [f64; 2] = [0.33333333333333337, 333.33333333333337];

/// wasserstein_distance(mid_a(), mid_b()) and normed.
// python3 -c 'import numpy as np; from scipy.stats import wasserstein_distance as w; r, c = [(i * 7919 % 1009) / 1009 for i in range(300)], [(i * 104729 % 1013) / 1013 * 1.2 for i in range(250)]; print(repr(float(w(r, c))), repr(float(w(r, c) / max(np.std(r), 0.001))))'
const WD_MID: [f64; 2] = [0.09472495392732272, 0.3272626228349603];

/// jensen_shannon: reference counts [30, 50, 20], current [45, 40, 25] (shares = count / n, base e).
// python3 -c 'import numpy as np; from scipy.spatial.distance import jensenshannon; r, c = np.array([30, 50, 20]), np.array([45, 40, 25]); print(repr(float(jensenshannon(r / r.sum(), c / c.sum()))))'
const JS_THREE: [f64; 1] = [0.10026654873534117];

/// jensen_shannon: reference counts [40, 60, 0], current [30, 50, 3] (category only in current).
// python3 -c 'import numpy as np; from scipy.spatial.distance import jensenshannon; r, c = np.array([40, 60, 0]), np.array([30, 50, 3]); print(repr(float(jensenshannon(r / r.sum(), c / c.sum()))))'
const JS_NEW_CATEGORY: [f64; 1] = [0.1140885634542804];

/// jensen_shannon: reference counts [10, 5, 5], current [0, 12, 8] (category only in reference).
// python3 -c 'import numpy as np; from scipy.spatial.distance import jensenshannon; r, c = np.array([10, 5, 5]), np.array([0, 12, 8]); print(repr(float(jensenshannon(r / r.sum(), c / c.sum()))))'
const JS_DROPPED_CATEGORY: [f64; 1] = [0.4681268519770538];

/// Evidently get_binned_data for KS_A (25 unique > 20) vs KS_B: Sturges edges of the pooled data.
// python3 -c 'import numpy as np; from scipy.spatial.distance import jensenshannon; r, c = np.array([0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47]), np.array([2.2, 1.77, 2.12, 1.6, 2.66, 0.95, 1.34, 1.4, 0.7, 1.65, 2.1, 0.48, 1.52, 1.54, 0.69]); e = np.histogram_bin_edges(np.concatenate([r, c]), bins="sturges"); print(repr(float(jensenshannon(np.histogram(r, e)[0] / len(r), np.histogram(c, e)[0] / len(c)))))'
const JS_NUMERIC_STURGES_KS: [f64; 1] = [0.5438579093773945];

/// Evidently get_binned_data for mid_a() vs mid_b(): Sturges edges of the pooled data.
// python3 -c 'import numpy as np; from scipy.spatial.distance import jensenshannon; r, c = np.array([(i * 7919 % 1009) / 1009 for i in range(300)]), np.array([(i * 104729 % 1013) / 1013 * 1.2 for i in range(250)]); e = np.histogram_bin_edges(np.concatenate([r, c]), bins="sturges"); print(repr(float(jensenshannon(np.histogram(r, e)[0] / len(r), np.histogram(c, e)[0] / len(c)))))'
const JS_NUMERIC_STURGES_MID: [f64; 1] = [0.2219816782903074];

/// jensen_shannon_numeric(KS_A, KS_B, Some(10)): 10 equal-width bins over the pooled range.
// python3 -c 'import numpy as np; from scipy.spatial.distance import jensenshannon; r, c = np.array([0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47]), np.array([2.2, 1.77, 2.12, 1.6, 2.66, 0.95, 1.34, 1.4, 0.7, 1.65, 2.1, 0.48, 1.52, 1.54, 0.69]); e = np.histogram_bin_edges(np.concatenate([r, c]), bins=10); print(repr(float(jensenshannon(np.histogram(r, e)[0] / len(r), np.histogram(c, e)[0] / len(c)))))'
const JS_NUMERIC_TEN_BINS: [f64; 1] = [0.5249063625984818];

/// Evidently get_binned_data for TIES_A (5 unique <= 20) vs TIES_B: one category per value over the union.
// python3 -c 'import numpy as np; from scipy.spatial.distance import jensenshannon; r, c = [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0, 5.0], [2.0, 3.0, 3.0, 4.0, 4.0, 4.0, 5.0, 6.0, 6.0, 7.0]; k = sorted(set(r) | set(c)); print(repr(float(jensenshannon(np.array([r.count(v) for v in k]) / len(r), np.array([c.count(v) for v in k]) / len(c)))))'
const JS_NUMERIC_PER_VALUE: [f64; 1] = [0.4072358022989539];
// ---------------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------------

/// `|actual - expected| <= abs + rel * |expected|`.
#[track_caller]
fn assert_close(actual: f64, expected: f64, rel: f64, abs: f64) {
    let tol = abs + rel * expected.abs();
    assert!(
        (actual - expected).abs() <= tol,
        "actual {actual:e} vs expected {expected:e} (diff {:e}, tol {tol:e})",
        (actual - expected).abs()
    );
}

#[track_caller]
fn assert_ks(a: &[f64], b: &[f64], method: KsMethod, expected: [f64; 2], p_tol: f64) {
    let r = ks_2samp_with(a, b, method).unwrap();
    // Bit-for-bit: the exact mode reports `round(D * lcm) / lcm`, the asymptotic one the raw D.
    assert_eq!(r.statistic, expected[0]);
    assert_close(r.p_value, expected[1], 1e-10, p_tol);
    // The statistic and p-value do not depend on which sample comes first.
    let s = ks_2samp_with(b, a, method).unwrap();
    assert_close(s.statistic, r.statistic, 1e-14, 0.0);
    assert_close(s.p_value, r.p_value, 1e-12, 1e-15);
}

#[test]
fn ks_unequal_sizes_matches_scipy_exact_and_asymp() {
    assert_ks(&KS_A, &KS_B, KsMethod::Auto, KS_UNEQUAL_AUTO, 1e-12);
    assert_ks(&KS_A, &KS_B, KsMethod::Exact, KS_UNEQUAL_AUTO, 1e-12);
    assert_ks(&KS_A, &KS_B, KsMethod::Asymptotic, KS_UNEQUAL_ASYMP, 1e-12);
    assert_eq!(
        ks_2samp(&KS_A, &KS_B).unwrap(),
        ks_2samp_with(&KS_A, &KS_B, KsMethod::Exact).unwrap()
    );
}

#[test]
fn ks_moderate_p_value_matches_scipy() {
    assert_ks(&KS_A, &KS_NEAR, KsMethod::Auto, KS_NEAR_AUTO, 1e-12);
    assert_ks(&KS_A, &KS_NEAR, KsMethod::Asymptotic, KS_NEAR_ASYMP, 1e-12);
}

#[test]
fn ks_with_ties_matches_scipy() {
    assert_ks(&TIES_A, &TIES_B, KsMethod::Auto, KS_TIES_AUTO, 1e-12);
    assert_ks(&TIES_A, &TIES_B, KsMethod::Asymptotic, KS_TIES_ASYMP, 1e-12);
}

#[test]
fn ks_equal_sizes_matches_scipy() {
    assert_ks(&EQ_A, &EQ_B, KsMethod::Auto, KS_EQUAL_AUTO, 1e-12);
    assert_ks(&EQ_A, &EQ_B, KsMethod::Asymptotic, KS_EQUAL_ASYMP, 1e-12);
}

#[test]
fn ks_medium_samples_match_scipy() {
    assert_ks(&mid_a(), &mid_b(), KsMethod::Auto, KS_MID_AUTO, 1e-12);
    assert_ks(
        &mid_a(),
        &mid_b(),
        KsMethod::Asymptotic,
        KS_MID_ASYMP,
        1e-12,
    );
}

#[test]
fn ks_auto_switches_to_asymptotic_above_10000_values() {
    let (a, b) = (big_a(), big_b());
    assert_ks(&a, &b, KsMethod::Auto, KS_BIG_AUTO, 1e-12);
    assert_eq!(
        ks_2samp(&a, &b).unwrap(),
        ks_2samp_with(&a, &b, KsMethod::Asymptotic).unwrap()
    );
}

#[test]
fn kstwo_sf_matches_scipy_on_every_branch() {
    for (&(n, x), &expected) in KSTWO_POINTS.iter().zip(&KSTWO_SF) {
        let actual = kstwo_sf(n, x);
        assert!(
            (actual - expected).abs() <= 1e-12 + 1e-10 * expected,
            "kstwo.sf({x}, {n}): {actual:e} vs {expected:e}"
        );
    }
}

#[test]
fn chi_square_matches_scipy() {
    let cases: [(&[u64], &[u64], [f64; 2]); 4] = [
        (&[30, 50, 20], &[45, 40, 25], CHI_THREE),
        (&[12, 7, 30, 1], &[20, 15, 70, 8], CHI_FOUR_UNEQUAL),
        (&[40, 60, 0], &[30, 50, 3], CHI_NEW_CATEGORY),
        (&[10, 20, 30], &[20, 40, 60], CHI_IDENTICAL_SHARES),
    ];
    for (reference, current, expected) in cases {
        let r = chi_square_from_counts(reference, current).unwrap();
        assert_close(r.statistic, expected[0], 1e-9, 1e-12);
        assert_close(r.p_value, expected[1], 1e-9, 1e-12);
    }
}

#[test]
fn chi_square_on_labels_matches_scipy() {
    // Same counts as CHI_THREE, as raw labels in a shuffled order.
    let mut reference = Vec::new();
    let mut current = Vec::new();
    for i in 0..110 {
        let label = |k: usize, a: usize, b: usize| {
            if k < a {
                "a"
            } else if k < a + b {
                "b"
            } else {
                "c"
            }
        };
        if i < 100 {
            reference.push(label((i * 37) % 100, 30, 50));
        }
        current.push(label((i * 73) % 110, 45, 40));
    }
    let r = chi_square(&reference, &current).unwrap();
    assert_close(r.statistic, CHI_THREE[0], 1e-9, 1e-12);
    assert_close(r.p_value, CHI_THREE[1], 1e-9, 1e-12);

    // A label that only appears in the current sample (CHI_NEW_CATEGORY).
    let reference: Vec<String> = (0..100)
        .map(|i| if i < 40 { "x" } else { "y" }.to_owned())
        .collect();
    let current: Vec<String> = (0..83)
        .map(|i| {
            if i < 30 {
                "x"
            } else if i < 80 {
                "y"
            } else {
                "z"
            }
            .to_owned()
        })
        .collect();
    let r = chi_square(&reference, &current).unwrap();
    assert_close(r.statistic, CHI_NEW_CATEGORY[0], 1e-9, 1e-12);
    assert_close(r.p_value, CHI_NEW_CATEGORY[1], 1e-9, 1e-12);
}

#[test]
fn proportion_z_test_matches_evidently_formula() {
    let cases = [
        ((10, 100, 30, 100), Z_10_100_30_100),
        ((123, 1000, 150, 900), Z_123_1000_150_900),
        ((5, 40, 4, 60), Z_5_40_4_60),
    ];
    for ((s1, n1, s2, n2), expected) in cases {
        let r = proportion_z_test(s1, n1, s2, n2).unwrap();
        assert_close(r.statistic, expected[0], 1e-12, 0.0);
        assert_close(r.p_value, expected[1], 1e-12, 0.0);
    }
}

#[test]
fn wasserstein_matches_scipy() {
    let cases: [(Vec<f64>, Vec<f64>, [f64; 2]); 4] = [
        (KS_A.to_vec(), KS_B.to_vec(), WD_KS),
        (
            vec![1.0, 2.0, 3.0, 4.0, 5.0],
            vec![1.0, 1.0, 1.0, 6.0, 7.0, 8.0, 9.0],
            WD_SMALL,
        ),
        (
            vec![2.0, 2.0, 2.0, 2.0],
            vec![2.0, 2.0, 3.0],
            WD_CONSTANT_REF,
        ),
        (mid_a(), mid_b(), WD_MID),
    ];
    for (reference, current, expected) in cases {
        assert_close(
            wasserstein_distance(&reference, &current).unwrap(),
            expected[0],
            1e-12,
            0.0,
        );
        assert_close(
            wasserstein_distance_norm(&reference, &current).unwrap(),
            expected[1],
            1e-12,
            0.0,
        );
    }
}

#[test]
fn jensen_shannon_categorical_matches_scipy() {
    let cases: [(&[u64], &[u64], [f64; 1]); 3] = [
        (&[30, 50, 20], &[45, 40, 25], JS_THREE),
        (&[40, 60, 0], &[30, 50, 3], JS_NEW_CATEGORY),
        (&[10, 5, 5], &[0, 12, 8], JS_DROPPED_CATEGORY),
    ];
    for (reference, current, expected) in cases {
        assert_close(
            jensen_shannon_from_counts(reference, current).unwrap(),
            expected[0],
            1e-12,
            0.0,
        );
    }
    // The same on labels: a category present only in the current sample.
    let reference: Vec<&str> = (0..100).map(|i| if i < 40 { "x" } else { "y" }).collect();
    let current: Vec<&str> = (0..83)
        .map(|i| {
            if i < 30 {
                "x"
            } else if i < 80 {
                "y"
            } else {
                "z"
            }
        })
        .collect();
    assert_close(
        jensen_shannon_distance(&reference, &current).unwrap(),
        JS_NEW_CATEGORY[0],
        1e-12,
        0.0,
    );
}

#[test]
fn jensen_shannon_numeric_matches_evidently_binning() {
    assert_close(
        jensen_shannon_numeric(&KS_A, &KS_B, None).unwrap(),
        JS_NUMERIC_STURGES_KS[0],
        1e-12,
        0.0,
    );
    assert_close(
        jensen_shannon_numeric(&mid_a(), &mid_b(), None).unwrap(),
        JS_NUMERIC_STURGES_MID[0],
        1e-12,
        0.0,
    );
    assert_close(
        jensen_shannon_numeric(&KS_A, &KS_B, Some(10)).unwrap(),
        JS_NUMERIC_TEN_BINS[0],
        1e-12,
        0.0,
    );
    assert_close(
        jensen_shannon_numeric(&TIES_A, &TIES_B, None).unwrap(),
        JS_NUMERIC_PER_VALUE[0],
        1e-12,
        0.0,
    );
}
