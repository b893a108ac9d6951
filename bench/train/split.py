#!/usr/bin/env python3
"""Stratified train/test split of a `text,label` CSV.

Uses only the standard library (csv + random) so the harness does not need
scikit-learn to produce the split. Rows are copied verbatim (all columns, in
the header's order); fields containing newlines, commas or quotes round-trip
exactly because both reading and writing go through the csv module with
newline=''.

    split.py --data all.csv --test-size 0.2 --seed 42 --out-dir DIR
        -> DIR/train.csv, DIR/test.csv
"""
import argparse
import csv
import os
import random
import sys
from collections import defaultdict


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="input CSV with a header row")
    ap.add_argument("--test-size", type=float, default=0.2,
                    help="fraction of each class that goes to test (0<x<1)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--label-column", default="label")
    args = ap.parse_args(argv)
    if not 0.0 < args.test_size < 1.0:
        ap.error("--test-size must be in (0, 1)")

    csv.field_size_limit(sys.maxsize)
    with open(args.data, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    try:
        li = header.index(args.label_column)
    except ValueError:
        sys.exit(f"split.py: no column {args.label_column!r} in header {header}")

    by_label = defaultdict(list)
    for i, row in enumerate(rows):
        if len(row) != len(header):
            sys.exit(f"split.py: data row {i + 1} has {len(row)} fields, header has {len(header)}")
        by_label[row[li]].append(i)

    rng = random.Random(args.seed)
    train_idx, test_idx = [], []
    for label in sorted(by_label):  # sorted -> independent of file order of labels
        idx = by_label[label][:]
        rng.shuffle(idx)
        n_test = int(round(len(idx) * args.test_size))
        if len(idx) >= 2:  # keep at least one row of every class on each side
            n_test = min(max(n_test, 1), len(idx) - 1)
        test_idx.extend(idx[:n_test])
        train_idx.extend(idx[n_test:])
    # Shuffle the outputs so classes are interleaved (some learners are order-sensitive).
    rng.shuffle(train_idx)
    rng.shuffle(test_idx)

    os.makedirs(args.out_dir, exist_ok=True)
    for name, idx in (("train.csv", train_idx), ("test.csv", test_idx)):
        with open(os.path.join(args.out_dir, name), "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows[i] for i in idx)

    counts = {lab: len(v) for lab, v in sorted(by_label.items())}
    print(f"split.py: {len(rows)} rows {counts} -> train={len(train_idx)} test={len(test_idx)} "
          f"(test_size={args.test_size}, seed={args.seed}) in {args.out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
