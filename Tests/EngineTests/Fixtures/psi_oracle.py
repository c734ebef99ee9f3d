#!/usr/bin/env python3
"""PSI oracle for the drift tests: an independent computation with numpy, from the words of
docs/DRIFT.md, on the bins of a reference profile (ref.json from `inferwatcher profile`).

    python3 psi_oracle.py ref.json job.csv  ->  {"feature": psi, ...} on standard output

Numeric features are read as the model reads them: parsed, then rounded to float32. Empty
fields are missing. String features are compared as text.
"""
import csv
import json
import sys

import numpy as np

FLOOR = 1e-4


def psi(actual, expected):
    a = np.maximum(np.asarray(actual, dtype=np.float64), FLOOR)
    e = np.maximum(np.asarray(expected, dtype=np.float64), FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric_proportions(texts, edges):
    values = np.array([float(t) if t.strip() != "" else np.nan for t in texts], dtype=np.float64)
    values = values.astype(np.float32).astype(np.float64)
    missing = np.isnan(values)
    present = values[~missing]
    edges = np.asarray(edges, dtype=np.float64)
    bins = len(edges) - 1
    counts = []
    for i in range(bins):
        # [e_i, e_{i+1}) left-closed, the last closed; below the first edge goes to the first
        # bin, above the last to the last.
        low = -np.inf if i == 0 else edges[i]
        high = np.inf if i == bins - 1 else edges[i + 1]
        counts.append(int(np.count_nonzero((present >= low) & (present < high))))
    total = len(values)
    return [c / total for c in counts] + [int(missing.sum()) / total]


def string_proportions(texts, categories):
    total = len(texts)
    known = {c: 0 for c in categories}
    other = 0
    missing = 0
    for t in texts:
        if t == "":
            missing += 1
        elif t in known:
            known[t] += 1
        else:
            other += 1
    return [known[c] / total for c in categories] + [other / total, missing / total]


def main():
    reference = json.load(open(sys.argv[1]))
    with open(sys.argv[2], newline="") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], [r for r in rows[1:] if r != []]
    result = {}
    for feature in reference["features"]:
        column = header.index(feature["name"])
        texts = [r[column] for r in data]
        rows_ref = feature["rows"]
        expected = [c / rows_ref for c in feature["counts"]] + [feature["missing"] / rows_ref]
        if feature["kind"] == "numeric":
            actual = numeric_proportions(texts, feature["edges"])
        else:
            actual = string_proportions(texts, feature["categories"])
        result[feature["name"]] = psi(actual, expected)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
