//! Binary logistic regression on sparse CSR input, L2-regularised and class-weighted.
//!
//! linfa-logistic fits only dense input and ignores sample weights, so it has no class
//! weights; a dense fit of a 5000 x 20000 TF-IDF matrix takes minutes and hundreds of MB. This
//! module keeps linfa's [`Fit`] / [`PredictInplace`] traits and dataset type, and supplies the
//! sparse, weighted objective, minimised with the same optimiser linfa-logistic uses (argmin's
//! L-BFGS with a More-Thuente line search).
//!
//! Objective (scikit-learn's, scaled by the weight sum so tolerances do not depend on n):
//! `(1/S) * (sum_i s_i * logloss(y_i, x_i.w + b)) + ||w||^2 / (2 * C * S)`, intercept not
//! penalised. With `C = 1/alpha` and unit weights its minimiser is linfa-logistic's.

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use linfa::dataset::{DatasetBase, Records};
use linfa::traits::{Fit, PredictInplace};
use ndarray::Array1;
use sprs::CsMat;
use std::borrow::Cow;
use std::cell::RefCell;

use crate::Error;

/// A CSR matrix as linfa records (linfa implements `Records` for dense arrays only).
#[derive(Debug, Clone)]
pub struct CsrRecords(pub CsMat<f64>);

impl Records for CsrRecords {
    type Elem = f64;

    fn nsamples(&self) -> usize {
        self.0.rows()
    }

    fn nfeatures(&self) -> usize {
        self.0.cols()
    }
}

/// How training samples are weighted by class.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ClassWeight {
    /// Every sample counts once.
    None,
    /// `n_samples / (2 * n_class)`: each class contributes equally (scikit-learn's "balanced").
    #[default]
    Balanced,
}

/// Logistic regression hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct LogisticConfig {
    /// Inverse L2 strength (larger = weaker regularisation), as scikit-learn's `C`.
    pub c: f64,
    /// Class weighting.
    pub class_weight: ClassWeight,
    /// L-BFGS iteration cap.
    pub max_iterations: u64,
    /// Stop when the gradient norm falls below this.
    pub gradient_tolerance: f64,
}

impl Default for LogisticConfig {
    fn default() -> Self {
        LogisticConfig {
            c: 1.0,
            class_weight: ClassWeight::Balanced,
            max_iterations: 500,
            gradient_tolerance: 1e-6,
        }
    }
}

impl LogisticConfig {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), Error> {
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(Error::invalid_config(format_args!(
                "C = {} must be positive",
                self.c
            )));
        }
        if self.max_iterations == 0 {
            return Err(Error::invalid_config("max_iterations must be positive"));
        }
        if !(self.gradient_tolerance.is_finite() && self.gradient_tolerance > 0.0) {
            return Err(Error::invalid_config("gradient_tolerance must be positive"));
        }
        Ok(())
    }
}

/// A fitted binary logistic regression: `P(fraud) = sigmoid(x.w + b)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticRegression {
    coefficients: Vec<f64>,
    intercept: f64,
}

impl LogisticRegression {
    /// Rebuilds a model from stored parameters.
    pub fn from_parts(coefficients: Vec<f64>, intercept: f64) -> Result<Self, Error> {
        if !intercept.is_finite() || coefficients.iter().any(|c| !c.is_finite()) {
            return Err(Error::InconsistentParts("non-finite coefficient".into()));
        }
        Ok(LogisticRegression {
            coefficients,
            intercept,
        })
    }

    /// One weight per feature.
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// The bias term.
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// The decision value `x.w + b` of a sparse row.
    pub fn decision(&self, indices: &[usize], values: &[f64]) -> f64 {
        self.intercept
            + indices
                .iter()
                .zip(values)
                .map(|(&i, &v)| self.coefficients[i] * v)
                .sum::<f64>()
    }

    /// `P(fraud)` of a sparse row.
    pub fn probability(&self, indices: &[usize], values: &[f64]) -> f64 {
        sigmoid(self.decision(indices, values))
    }

    /// `P(fraud)` of every row of a CSR matrix.
    pub fn probabilities(&self, x: &CsMat<f64>) -> Vec<f64> {
        x.outer_iterator()
            .map(|row| self.probability(row.indices(), row.data()))
            .collect()
    }
}

/// Numerically stable logistic function.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^z)` without overflow.
fn log1p_exp(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// Sample weights from class weighting: `targets` true = fraud.
pub fn class_sample_weights(targets: &[bool], class_weight: ClassWeight) -> Vec<f64> {
    match class_weight {
        ClassWeight::None => vec![1.0; targets.len()],
        ClassWeight::Balanced => {
            let n = targets.len() as f64;
            let pos = targets.iter().filter(|&&t| t).count() as f64;
            let neg = n - pos;
            let w_pos = if pos > 0.0 { n / (2.0 * pos) } else { 0.0 };
            let w_neg = if neg > 0.0 { n / (2.0 * neg) } else { 0.0 };
            targets
                .iter()
                .map(|&t| if t { w_pos } else { w_neg })
                .collect()
        }
    }
}

/// The objective handed to argmin. Parameters: `n_features` weights then the intercept.
struct Problem<'a> {
    data: &'a PreparedFit<'a>,
    c: f64,
    /// The last point evaluated, its margins and (once asked for) its gradient. The line
    /// search asks for the cost and then the gradient of every point it tries, and L-BFGS
    /// asks once more for the gradient of the point it accepts: without this each of those
    /// is a pass over the matrix.
    last: RefCell<Option<Evaluated>>,
}

struct Evaluated {
    param: Array1<f64>,
    margins: Vec<f64>,
    gradient: Option<Array1<f64>>,
}

impl Problem<'_> {
    /// Runs `f` on the evaluation of `p`, computing its margins unless `p` was the last point.
    fn at<T>(&self, p: &Array1<f64>, f: impl FnOnce(&mut Evaluated) -> T) -> T {
        let mut last = self.last.borrow_mut();
        if last.as_ref().is_none_or(|e| e.param != *p) {
            *last = Some(Evaluated {
                param: p.clone(),
                margins: self.data.margins(p),
                gradient: None,
            });
        }
        f(last.as_mut().expect("evaluated above"))
    }
}

impl CostFunction for Problem<'_> {
    type Param = Array1<f64>;
    type Output = f64;

    fn cost(&self, p: &Array1<f64>) -> Result<f64, argmin::core::Error> {
        let data = self.data;
        let n = data.x.cols();
        let loss: f64 = self.at(p, |e| {
            e.margins
                .iter()
                .zip(&data.y)
                .zip(&data.weights)
                .map(|((&z, &y), &s)| s * (log1p_exp(z) - y * z))
                .sum()
        });
        let penalty: f64 = p.iter().take(n).map(|w| w * w).sum::<f64>() / (2.0 * self.c);
        Ok((loss + penalty) / data.weight_sum)
    }
}

impl Gradient for Problem<'_> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;

    fn gradient(&self, p: &Array1<f64>) -> Result<Array1<f64>, argmin::core::Error> {
        let data = self.data;
        let n = data.x.cols();
        Ok(self.at(p, |e| {
            e.gradient
                .get_or_insert_with(|| {
                    let residual: Vec<f64> = e
                        .margins
                        .iter()
                        .zip(&data.y)
                        .zip(&data.weights)
                        .map(|((&z, &y), &s)| s * (sigmoid(z) - y))
                        .collect();
                    let mut g = Array1::<f64>::zeros(n + 1);
                    for (j, col) in data.xt.outer_iterator().enumerate() {
                        g[j] =
                            col.iter().map(|(i, &v)| v * residual[i]).sum::<f64>() + p[j] / self.c;
                    }
                    g[n] = residual.iter().sum();
                    g.mapv_inplace(|v| v / data.weight_sum);
                    g
                })
                .clone()
        }))
    }
}

/// A training matrix made ready for fits at several values of C (a search along a C path):
/// the checks, the sample weights and the transpose the gradient needs are done once.
pub struct PreparedFit<'a> {
    config: LogisticConfig,
    x: Cow<'a, CsMat<f64>>,
    xt: CsMat<f64>,
    y: Vec<f64>,
    weights: Vec<f64>,
    weight_sum: f64,
}

impl PreparedFit<'_> {
    fn margins(&self, p: &Array1<f64>) -> Vec<f64> {
        let n = self.x.cols();
        let b = p[n];
        self.x
            .outer_iterator()
            .map(|row| b + row.iter().map(|(j, &v)| p[j] * v).sum::<f64>())
            .collect()
    }

    /// Fits at `c`, starting the optimiser at `start` (a fit of the same features at a
    /// neighbouring C) instead of at zero: along a path of growing C each fit begins near its
    /// optimum, which is what makes a grid search cheap.
    pub fn fit(
        &self,
        c: f64,
        start: Option<&LogisticRegression>,
    ) -> Result<LogisticRegression, Error> {
        LogisticConfig {
            c,
            ..self.config.clone()
        }
        .validate()?;
        let n = self.x.cols();
        let problem = Problem {
            data: self,
            c,
            last: RefCell::new(None),
        };
        let mut init = Array1::<f64>::zeros(n + 1);
        if let Some(start) = start.filter(|s| s.coefficients.len() == n) {
            init.iter_mut()
                .zip(start.coefficients.iter().chain([&start.intercept]))
                .for_each(|(p, &v)| *p = v);
        }
        let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
            .with_tolerance_grad(self.config.gradient_tolerance)
            .and_then(|s| s.with_tolerance_cost(1e-12))
            .map_err(|e| Error::Solver(e.to_string()))?;
        let result = Executor::new(problem, solver)
            .configure(|state| state.param(init).max_iters(self.config.max_iterations))
            .run()
            .map_err(|e| Error::Solver(e.to_string()))?;
        let best = result
            .state()
            .get_best_param()
            .cloned()
            .ok_or_else(|| Error::Solver("no parameters after optimisation".into()))?;
        LogisticRegression::from_parts(best.iter().take(n).copied().collect(), best[n])
    }
}

impl LogisticConfig {
    /// Fits on a CSR matrix. `targets` true = fraud; `sample_weights`, when given, replace the
    /// class weights.
    pub fn fit_csr(
        &self,
        x: &CsMat<f64>,
        targets: &[bool],
        sample_weights: Option<&[f64]>,
    ) -> Result<LogisticRegression, Error> {
        self.fit_csr_from(x, targets, sample_weights, None)
    }

    /// Like [`LogisticConfig::fit_csr`], starting the optimiser at `start` (see
    /// [`PreparedFit::fit`]).
    pub fn fit_csr_from(
        &self,
        x: &CsMat<f64>,
        targets: &[bool],
        sample_weights: Option<&[f64]>,
        start: Option<&LogisticRegression>,
    ) -> Result<LogisticRegression, Error> {
        self.prepare(x, targets, sample_weights)?.fit(self.c, start)
    }

    /// Checks the data and prepares it for fits at any C with these other settings.
    pub fn prepare<'a>(
        &self,
        x: &'a CsMat<f64>,
        targets: &[bool],
        sample_weights: Option<&[f64]>,
    ) -> Result<PreparedFit<'a>, Error> {
        self.validate()?;
        if x.rows() != targets.len() {
            return Err(Error::invalid_data(format_args!(
                "{} rows but {} targets",
                x.rows(),
                targets.len()
            )));
        }
        let positives = targets.iter().filter(|&&t| t).count();
        if positives == 0 || positives == targets.len() {
            return Err(Error::invalid_data(
                "both classes are needed to fit a classifier",
            ));
        }
        let weights = match sample_weights {
            Some(w) if w.len() == targets.len() => w.to_vec(),
            Some(w) => {
                return Err(Error::invalid_data(format_args!(
                    "{} weights for {} rows",
                    w.len(),
                    targets.len()
                )))
            }
            None => class_sample_weights(targets, self.class_weight),
        };
        let weight_sum: f64 = weights.iter().sum();
        if !(weight_sum.is_finite() && weight_sum > 0.0) {
            return Err(Error::invalid_data(
                "sample weights must sum to a positive number",
            ));
        }
        let x = if x.is_csr() {
            Cow::Borrowed(x)
        } else {
            Cow::Owned(x.to_csr())
        };
        Ok(PreparedFit {
            config: self.clone(),
            xt: x.transpose_view().to_csr(),
            x,
            y: targets.iter().map(|&t| if t { 1.0 } else { 0.0 }).collect(),
            weights,
            weight_sum,
        })
    }
}

impl Fit<CsrRecords, Array1<bool>, Error> for LogisticConfig {
    type Object = LogisticRegression;

    /// Fits on a linfa dataset; its sample weights, when set, replace the class weights.
    fn fit(
        &self,
        dataset: &DatasetBase<CsrRecords, Array1<bool>>,
    ) -> Result<LogisticRegression, Error> {
        let targets: Vec<bool> = dataset.targets.iter().copied().collect();
        let weights: Option<Vec<f64>> = dataset
            .weights()
            .map(|w| w.iter().map(|&v| v as f64).collect());
        self.fit_csr(&dataset.records.0, &targets, weights.as_deref())
    }
}

impl PredictInplace<CsrRecords, Array1<f64>> for LogisticRegression {
    /// Writes `P(fraud)` of each row.
    fn predict_inplace(&self, x: &CsrRecords, y: &mut Array1<f64>) {
        for (out, p) in y.iter_mut().zip(self.probabilities(&x.0)) {
            *out = p;
        }
    }

    fn default_target(&self, x: &CsrRecords) -> Array1<f64> {
        Array1::zeros(x.0.rows())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};
    use sprs::TriMat;

    fn dense_to_csr(x: &Array2<f64>) -> CsMat<f64> {
        let mut tri = TriMat::new(x.dim());
        for ((i, j), &v) in x.indexed_iter() {
            if v != 0.0 {
                tri.add_triplet(i, j, v);
            }
        }
        tri.to_csr()
    }

    fn toy_problem() -> (Array2<f64>, Vec<bool>) {
        let x = array![
            [0.2, 1.0, 0.0],
            [0.9, 0.1, 0.3],
            [0.1, 0.8, 0.0],
            [1.2, 0.0, 0.5],
            [0.0, 0.9, 0.1],
            [0.8, 0.3, 0.9],
            [0.4, 0.4, 0.2],
            [1.0, 0.2, 0.0],
            [0.3, 0.6, 0.7],
            [0.7, 0.5, 0.4],
        ];
        let y = vec![
            false, true, false, true, false, true, false, true, true, false,
        ];
        (x, y)
    }

    #[test]
    fn matches_linfa_logistic_without_weights() {
        let (x, y) = toy_problem();
        let alpha = 0.5;
        let linfa_model = linfa_logistic::LogisticRegression::default()
            .alpha(alpha)
            .gradient_tolerance(1e-10)
            .max_iterations(1000)
            .fit(&linfa::Dataset::new(x.clone(), Array1::from(y.clone())))
            .unwrap();
        let ours = LogisticConfig {
            c: 1.0 / alpha,
            class_weight: ClassWeight::None,
            max_iterations: 1000,
            gradient_tolerance: 1e-10,
        }
        .fit_csr(&dense_to_csr(&x), &y, None)
        .unwrap();
        // linfa models P(first class) = P(false), so its parameters are ours negated.
        for (a, b) in ours.coefficients().iter().zip(linfa_model.params().iter()) {
            assert!(
                (a + b).abs() < 1e-6,
                "ours {:?} linfa {:?}",
                ours.coefficients(),
                linfa_model.params()
            );
        }
        assert!((ours.intercept() + linfa_model.intercept()).abs() < 1e-6);
        assert!(
            ours.coefficients().iter().any(|c| c.abs() > 0.5),
            "a trivial fit would agree too"
        );
    }

    #[test]
    fn balanced_weights_shift_the_intercept_towards_the_minority() {
        // One fraud among five: balanced weights must raise its predicted probability.
        let x = array![[1.0, 0.0], [0.9, 0.1], [0.8, 0.0], [1.0, 0.2], [0.2, 1.0]];
        let y = vec![false, false, false, false, true];
        let csr = dense_to_csr(&x);
        let plain = LogisticConfig {
            class_weight: ClassWeight::None,
            ..LogisticConfig::default()
        };
        let balanced = LogisticConfig {
            class_weight: ClassWeight::Balanced,
            ..LogisticConfig::default()
        };
        let p_plain = plain.fit_csr(&csr, &y, None).unwrap().probabilities(&csr)[4];
        let p_bal = balanced
            .fit_csr(&csr, &y, None)
            .unwrap()
            .probabilities(&csr)[4];
        assert!(p_bal > p_plain + 0.05, "balanced {p_bal} plain {p_plain}");
        assert_eq!(
            class_sample_weights(&y, ClassWeight::Balanced),
            vec![0.625, 0.625, 0.625, 0.625, 2.5]
        );
    }

    #[test]
    fn linfa_traits_fit_and_predict() {
        let (x, y) = toy_problem();
        let dataset = DatasetBase::new(CsrRecords(dense_to_csr(&x)), Array1::from(y.clone()));
        let model = LogisticConfig::default().fit(&dataset).unwrap();
        let mut probs = model.default_target(&dataset.records);
        model.predict_inplace(&dataset.records, &mut probs);
        assert_eq!(probs.len(), y.len());
        let correct = probs
            .iter()
            .zip(&y)
            .filter(|(&p, &t)| (p >= 0.5) == t)
            .count();
        assert!(correct >= 8, "only {correct}/10 correct: {probs}");
    }

    #[test]
    fn refuses_a_single_class_and_bad_config() {
        let (x, _) = toy_problem();
        let csr = dense_to_csr(&x);
        assert!(LogisticConfig::default()
            .fit_csr(&csr, &[true; 10], None)
            .is_err());
        let bad = LogisticConfig {
            c: 0.0,
            ..LogisticConfig::default()
        };
        assert!(bad
            .fit_csr(
                &csr,
                &[true, false, true, false, true, false, true, false, true, false],
                None
            )
            .is_err());
    }

    #[test]
    fn sigmoid_is_stable_at_extremes() {
        assert_eq!(sigmoid(800.0), 1.0);
        assert_eq!(sigmoid(-800.0), 0.0);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-15);
        assert!((log1p_exp(800.0) - 800.0).abs() < 1e-9);
    }
}
