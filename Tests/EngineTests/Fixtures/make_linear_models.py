#!/usr/bin/env python3
"""Generate the linear ONNX-ML fixtures (issue 12) with skl2onnx, next to the tree fixtures.

Regenerate (seconds), in the venv make_tree_models.py describes (same pinned versions):

    /tmp/convvenv/bin/python Tests/EngineTests/Fixtures/make_linear_models.py

Writes into ``Tests/EngineTests/Fixtures/trees/``, described in ``linear.json`` (the fields of
make_tree_models.py's fixtures.json), trained on the same sample columns:

* ``logreg_scaled.onnx``      StandardScaler + LogisticRegression, binary: Scaler, LinearClassifier
                              (LOGISTIC), zipmap off.
* ``logreg_multiclass.onnx``  StandardScaler + LogisticRegression, 3 classes: Scaler,
                              LinearClassifier (SOFTMAX), Normalizer (L1).
* ``linear_regression.onnx``  StandardScaler + LinearRegression: Scaler, LinearRegressor.
* ``imputed_logreg.onnx``     SimpleImputer (mean) + StandardScaler + LogisticRegression, trained
                              with 5% of every column missing: Imputer, Scaler, LinearClassifier;
                              inferwatcher feeds it empty fields as NaN.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_tree_models import COLUMNS, OUT, binary_labels, describe, latent, sample, save, three_classes  # noqa: E402


def main() -> int:
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    rng = np.random.default_rng(34)
    x = sample(20000, rng, missing=0.0)
    x_missing = sample(20000, rng, missing=0.05)
    skl_input = [("input", FloatTensorType([None, len(COLUMNS)]))]
    opsets = {"": 17, "ai.onnx.ml": 3}
    fixtures = []
    for name, model, x, y, kind, labels in [
        ("logreg_scaled", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)), x, binary_labels(x, rng), "two_class",
         ["0", "1"]),
        ("logreg_multiclass", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)), x, three_classes(x, rng),
         "multiclass", ["0", "1", "2"]),
        ("linear_regression", make_pipeline(StandardScaler(), LinearRegression()), x, latent(x, rng) * 1000 + 5000, "regression", []),
        ("imputed_logreg", make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=500)), x_missing,
         binary_labels(x_missing, rng), "two_class", ["0", "1"]),
    ]:
        model.fit(x, y)
        options = {id(model.steps[-1][1]): {"zipmap": False}} if kind != "regression" else None
        path = save(to_onnx(model, initial_types=skl_input, target_opset=opsets, options=options), name)
        fixtures.append(describe(path, name, kind, labels, " + ".join(type(step).__name__ for _, step in model.steps)))
        print(f"{name}: {os.path.getsize(path)} bytes")
    with open(os.path.join(OUT, "linear.json"), "w") as f:
        json.dump({"fixtures": fixtures}, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
