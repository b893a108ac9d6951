#!/usr/bin/env python3
"""scikit-learn baseline for `trainer train` (see bench/train/README.md).

Work that is timed as fit_seconds (and nothing else):
  * with --grid: GridSearchCV(pipeline, {"clf__C": grid}, cv, scoring="f1", refit=False),
    timed on its own as search_seconds
  * cross_val_predict(pipeline at the chosen C, X_train, y_train, cv, method="predict_proba")
  * a final pipeline.fit on all of train
cv is StratifiedKFold(folds, shuffle=True, random_state=42), or with --folds-file the given
fold of every training row (PredefinedSplit), so the folds can be exactly the trainer's.
predict_proba on test is timed separately (predict_seconds); import and CSV
reading are timed separately too (import_seconds, read_seconds) and reported.

pipeline = TfidfVectorizer(ngram_range=(1,2), min_df=2, max_df=0.95,
               max_features=40000, sublinear_tf=True, stop_words="english",
               lowercase=True)
           -> LogisticRegression(class_weight="balanced", C=1.0, solver="lbfgs",
               max_iter=1000)

Labels: `fraud` = positive class (1), `legit` = 0. A row is predicted fraud
when P(fraud) >= threshold. Two threshold policies are reported on test:
  test        threshold 0.5
  test_tuned  the threshold that maximises F1 on the out-of-fold train predictions
"""
import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import sklearn  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    f1_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    PredefinedSplit,
    StratifiedKFold,
    cross_val_predict,
)
from sklearn.pipeline import Pipeline  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _T0

POSITIVE = "fraud"
NEGATIVE = "legit"


def read_csv(path):
    """Read a `text,label` CSV with the csv module (texts may hold newlines/quotes)."""
    csv.field_size_limit(sys.maxsize)
    texts, labels = [], []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = [h.strip().lower() for h in next(reader)]
        try:
            ti, li = header.index("text"), header.index("label")
        except ValueError:
            sys.exit(f"{path}: header must contain text,label (got {header})")
        for n, row in enumerate(reader, start=2):
            if not row:
                continue
            lab = row[li].strip().lower()
            if lab == POSITIVE:
                labels.append(1)
            elif lab == NEGATIVE:
                labels.append(0)
            else:
                sys.exit(f"{path}: record {n}: unknown label {row[li]!r} (want fraud|legit)")
            texts.append(row[ti])
    return texts, np.asarray(labels, dtype=np.int64)


def make_pipeline(max_features, c=1.0):
    return Pipeline([
        ("tfidf", TfidfVectorizer(
            ngram_range=(1, 2), min_df=2, max_df=0.95, max_features=max_features,
            sublinear_tf=True, stop_words="english", lowercase=True)),
        ("clf", LogisticRegression(
            class_weight="balanced", C=c, solver="lbfgs", max_iter=1000)),
    ])


def scores_at(y, p, threshold):
    pred = (p >= threshold).astype(np.int64)
    return {
        "threshold": float(threshold),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "predicted_positive": int(pred.sum()),
    }


def best_f1_threshold(y, p):
    """Threshold t maximising F1 of (p >= t) on (y, p)."""
    prec, rec, thr = precision_recall_curve(y, p)
    prec, rec = prec[:-1], rec[:-1]  # last point has no threshold
    denom = prec + rec
    f1 = np.divide(2 * prec * rec, denom, out=np.zeros_like(denom), where=denom > 0)
    i = int(np.argmax(f1))
    return float(thr[i]), float(f1[i])


def main(argv=None):
    ap = argparse.ArgumentParser(description="scikit-learn TF-IDF + LR baseline")
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--max-features", type=int, default=40000)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--n-jobs", type=int, default=None,
                    help="n_jobs for cross_val_predict (default: sklearn default, i.e. 1)")
    ap.add_argument("--grid", default=None,
                    help="comma-separated C values: choose C with GridSearchCV (scoring f1, "
                         "same folds) before the out-of-fold predictions; the search is timed "
                         "as search_seconds and included in fit_seconds")
    ap.add_argument("--folds-file", default=None,
                    help="one fold index per training row, in the order of --train (e.g. the "
                         "fold column of the trainer's ref_data.csv): use exactly these folds")
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = ap.parse_args(argv)

    t = time.perf_counter()
    x_train, y_train = read_csv(args.train)
    x_test, y_test = read_csv(args.test)
    read_seconds = time.perf_counter() - t

    cv = StratifiedKFold(args.folds, shuffle=True, random_state=42)
    if args.folds_file:
        with open(args.folds_file, encoding="utf-8") as fh:
            test_fold = np.asarray([int(line) for line in fh if line.strip()], dtype=np.int64)
        if len(test_fold) != len(y_train):
            sys.exit(f"{args.folds_file}: {len(test_fold)} folds for {len(y_train)} training rows")
        cv = PredefinedSplit(test_fold)

    # ---- timed: search, CV (out-of-fold probabilities) + final fit ------------
    t = time.perf_counter()
    best_c, search_seconds, grid_scores = 1.0, 0.0, None
    if args.grid:
        grid = [float(c) for c in args.grid.split(",")]
        search = GridSearchCV(make_pipeline(args.max_features), {"clf__C": grid}, cv=cv,
                              scoring="f1", n_jobs=args.n_jobs, refit=False)
        search.fit(x_train, y_train)
        best_c = float(search.best_params_["clf__C"])
        grid_scores = [{"c": c, "f1": float(f)} for c, f in
                       zip(grid, search.cv_results_["mean_test_score"])]
        search_seconds = time.perf_counter() - t
    oof = cross_val_predict(make_pipeline(args.max_features, best_c), x_train, y_train,
                            cv=cv, method="predict_proba", n_jobs=args.n_jobs)[:, 1]
    t_cv = time.perf_counter() - t
    model = make_pipeline(args.max_features, best_c)
    model.fit(x_train, y_train)
    fit_seconds = time.perf_counter() - t
    # -------------------------------------------------------------------------

    t = time.perf_counter()
    p_test = model.predict_proba(x_test)[:, 1]
    predict_seconds = time.perf_counter() - t

    n_features = len(model.named_steps["tfidf"].vocabulary_)
    n_iter = int(np.max(model.named_steps["clf"].n_iter_))
    thr, oof_best_f1 = best_f1_threshold(y_train, oof)

    test = scores_at(y_test, p_test, 0.5)
    test["roc_auc"] = float(roc_auc_score(y_test, p_test))
    test_tuned = scores_at(y_test, p_test, thr)
    oof_05 = scores_at(y_train, oof, 0.5)

    out = {
        "impl": "sklearn",
        "fit_seconds": round(fit_seconds, 4),
        "search_seconds": round(search_seconds, 4),
        "c": best_c,
        "grid": grid_scores,
        "cv_seconds": round(t_cv, 4),
        "final_fit_seconds": round(fit_seconds - t_cv, 4),
        "predict_seconds": round(predict_seconds, 4),
        "import_seconds": round(IMPORT_SECONDS, 4),
        "read_seconds": round(read_seconds, 4),
        "n_train": int(len(y_train)),
        "n_train_fraud": int(y_train.sum()),
        "n_test": int(len(y_test)),
        "n_test_fraud": int(y_test.sum()),
        "n_features": n_features,
        "lbfgs_iterations_final_fit": n_iter,
        "folds": int(cv.get_n_splits()),
        "folds_from": args.folds_file or "StratifiedKFold(shuffle, random_state=42)",
        "max_features": args.max_features,
        "n_jobs": args.n_jobs,
        # mirrors the Rust trainer's layout: .test.f1 etc.
        "f1": test["f1"],
        "test": test,
        "test_tuned": test_tuned,
        "oof": {
            "f1": oof_05["f1"],
            "precision": oof_05["precision"],
            "recall": oof_05["recall"],
            "roc_auc": float(roc_auc_score(y_train, oof)),
            "best_threshold": thr,
            "best_f1": oof_best_f1,
        },
        "versions": {
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(out))
        return
    print(f"sklearn {sklearn.__version__}  n_train={out['n_train']} n_test={out['n_test']} "
          f"n_features={n_features}")
    print(f"import {IMPORT_SECONDS:.2f}s  read {read_seconds:.2f}s  "
          f"fit {fit_seconds:.2f}s (cv {t_cv:.2f}s + final {fit_seconds - t_cv:.2f}s)  "
          f"predict {predict_seconds:.2f}s")
    print(f"test @0.5        F1 {test['f1']:.4f}  P {test['precision']:.4f}  "
          f"R {test['recall']:.4f}  ROC-AUC {test['roc_auc']:.4f}")
    print(f"test @{thr:.4f} (OOF-best, OOF F1 {oof_best_f1:.4f})  F1 {test_tuned['f1']:.4f}  "
          f"P {test_tuned['precision']:.4f}  R {test_tuned['recall']:.4f}")


if __name__ == "__main__":
    main()
