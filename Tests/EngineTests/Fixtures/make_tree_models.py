#!/usr/bin/env python3
"""Generate the tree-ensemble and linear ONNX-ML fixtures (issue 12) with each library's own converter.

Regenerate (about a minute on 2 cores):

    python3 -m venv /tmp/convvenv
    /tmp/convvenv/bin/pip install scikit-learn==1.9.1 skl2onnx==1.20.0 onnxmltools==1.16.0 \\
        lightgbm==4.7.0 xgboost==3.2.0 catboost==1.2.10 onnx==1.23.2 onnxruntime==1.32.0 \\
        numpy==2.4.6 pandas==3.1.1
    /tmp/convvenv/bin/python Tests/EngineTests/Fixtures/make_tree_models.py

These are the versions the committed files were made with. CI never runs this script: it runs the
committed .onnx files against live onnxruntime (ConformanceTests, TreeConformanceTests).

Training data: the sample data's ten columns (shared/bench/gen_data.py's ranges, whole numbers
except avg_transaction) with a label that depends on them, and about 5% of every column missing
(NaN) for the libraries that learn missing-value directions (LightGBM, XGBoost, scikit-learn's
HistGradientBoosting), so the exported trees carry missing-value tracks.

What it writes into ``Tests/EngineTests/Fixtures/trees/``, with ``fixtures.json`` describing each
model (name, file, input_name, features, score_output, output_width, kind, labels, columns,
operators, producer):

* ``lgbm_binary.onnx``      LightGBM binary classifier, 60 trees (onnxmltools, zipmap off).
* ``lgbm_regressor.onnx``   LightGBM regressor, 80 trees.
* ``lgbm_multiclass.onnx``  LightGBM 3-class classifier (labels "bronze", "silver", "gold").
* ``xgb_binary.onnx``       XGBoost binary classifier (onnxmltools; BRANCH_LT splits).
* ``xgb_multiclass.onnx``   XGBoost 3-class classifier.
* ``rf_regressor.onnx``     scikit-learn RandomForestRegressor (skl2onnx; AVERAGE aggregation).
* ``hgb_classifier.onnx``   scikit-learn HistGradientBoostingClassifier (skl2onnx).
* ``gb_classifier.onnx``    scikit-learn GradientBoostingClassifier, string labels "stay"/"churn".
* ``catboost_binary.onnx``  CatBoost classifier, its own ``save_model(format="onnx")``.
* ``lgbm_500.onnx``         LightGBM binary classifier, 500 trees of up to 64 leaves and depth 9 (the benchmark's
                            model; ``make bench`` scores 10M rows with it).
* ``hand_*.onnx``           written with onnx.helper: random trees that use every branch mode
                            (LEQ, LT, GTE, GT, EQ, NEQ) and missing-value track, each aggregate
                            function (SUM, AVERAGE, MIN, MAX), several targets, base values, the
                            post transforms, ``*_as_tensor`` attributes (ml opset 3; float tensors, since
                            onnxruntime refuses double ones for a float input) and string class
                            labels: what the converters above never write. Kind "raw": only the
                            values are compared.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "trees")

COLUMNS = [
    "age", "income", "credit_score", "num_purchases", "account_age_days",
    "avg_transaction", "num_returns", "is_premium", "region", "category_preference",
]
RANGES = {
    "age": (18, 80), "income": (20000, 150000), "credit_score": (300, 850), "num_purchases": (0, 50),
    "account_age_days": (1, 3650), "avg_transaction": (10.0, 500.0), "num_returns": (0, 10),
    "is_premium": (0, 2), "region": (1, 5), "category_preference": (1, 10),
}


def sample(n: int, rng: np.random.Generator, missing: float) -> np.ndarray:
    columns = []
    for name in COLUMNS:
        low, high = RANGES[name]
        if isinstance(low, float):
            columns.append(np.round(rng.uniform(low, high, n), 2))
        else:
            columns.append(rng.integers(low, high, n).astype(np.float64))
    x = np.stack(columns, axis=1).astype(np.float32)
    if missing > 0:
        x[rng.random(x.shape) < missing] = np.nan
    return x


def latent(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A score the labels come from: low credit, many returns and a young account raise it."""
    z = np.nan_to_num(x, nan=0.0).astype(np.float64)
    value = (
        -(z[:, 2] - 575) / 90
        + (z[:, 6] - 4.5) / 2
        - (z[:, 4] - 1825) / 1200
        + 0.6 * (z[:, 7] - 0.5)
        + 0.3 * np.sin(z[:, 0] / 7)
        + (z[:, 1] - 85000) / 80000
        + 0.3 * (z[:, 8] == 3)
    )
    return value + rng.normal(0, 0.7, len(value))


def binary_labels(x, rng):
    return (latent(x, rng) > 0).astype(np.int64)


def three_classes(x, rng):
    value = latent(x, rng)
    return np.digitize(value, [-1.0, 1.0]).astype(np.int64)


def describe(model_path: str, name: str, kind: str, labels: list[str], note: str) -> dict:
    import onnx
    import onnxruntime as ort

    model = onnx.load(model_path)
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    outputs = session.get_outputs()
    # The score output: the float tensor output (probabilities, or the regressor's values), or for
    # a ZipMap (a sequence of maps) the probabilities tensor it is made from.
    float_outputs = [o.name for o in outputs if o.type == "tensor(float)"]
    zipmaps = [n.input[0] for n in model.graph.node if n.op_type == "ZipMap"]
    score = (float_outputs or zipmaps)[0]
    width = 1 if kind == "regression" else len(labels) if labels else int(session.get_outputs()[0].shape[1])
    return {
        "name": name,
        "file": os.path.basename(model_path),
        "input_name": session.get_inputs()[0].name,
        "features": len(COLUMNS),
        "score_output": score,
        "zipmap": bool(zipmaps),
        "outputs": [{"name": o.name, "type": o.type} for o in outputs],
        "output_width": width,
        "kind": kind,
        "labels": labels,
        "columns": COLUMNS,
        "operators": sorted({(n.domain + "." if n.domain else "") + n.op_type for n in model.graph.node}),
        "opsets": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "note": note,
    }


def save(model, name: str) -> str:
    path = os.path.join(OUT, name + ".onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return path


def patch_skl2onnx_missing_tracks() -> None:
    """skl2onnx 1.20 passes scikit-learn 1.9's numpy booleans (``missing_go_to_left``) straight into
    ``nodes_missing_value_tracks_true``, which onnx refuses ("Expected an int, got a boolean"); make
    them the 0/1 the attribute holds, so HistGradientBoosting models with missing values convert."""
    import skl2onnx.common.tree_ensemble as tree_ensemble

    original = tree_ensemble.add_node

    def add_node(*args, nodes_missing_value_tracks_true=0, **kwargs):
        return original(*args, nodes_missing_value_tracks_true=int(nodes_missing_value_tracks_true), **kwargs)

    tree_ensemble.add_node = add_node


MODES = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"]


def random_trees(rng: np.random.Generator, trees: int, depth: int, targets: int, per_leaf: int):
    """Full binary trees with random features, modes and missing tracks; thresholds are values
    the sample columns take (whole numbers), so EQ and NEQ splits meet real rows. Node ids are
    shuffled so that the listing is not in pre-order."""
    listing = {k: [] for k in ["treeids", "nodeids", "featureids", "modes", "values", "true", "false", "missing"]}
    weights = {k: [] for k in ["treeids", "nodeids", "ids", "weights"]}
    for tree in range(trees):
        count = 2 ** (depth + 1) - 1
        ids = rng.permutation(count) + 100
        for position in range(count):
            listing["treeids"].append(tree)
            listing["nodeids"].append(int(ids[position]))
            if position < 2 ** depth - 1:
                feature = int(rng.integers(0, len(COLUMNS)))
                low, high = RANGES[COLUMNS[feature]]
                listing["featureids"].append(feature)
                listing["modes"].append(MODES[int(rng.integers(0, len(MODES)))])
                listing["values"].append(float(int(rng.integers(int(low), int(high)))))
                listing["true"].append(int(ids[2 * position + 1]))
                listing["false"].append(int(ids[2 * position + 2]))
                listing["missing"].append(int(rng.integers(0, 2)))
            else:
                listing["featureids"].append(0)
                listing["modes"].append("LEAF")
                listing["values"].append(0.0)
                listing["true"].append(0)
                listing["false"].append(0)
                listing["missing"].append(0)
                for target in rng.choice(targets, size=per_leaf, replace=False):
                    weights["treeids"].append(tree)
                    weights["nodeids"].append(int(ids[position]))
                    weights["ids"].append(int(target))
                    # Not rounded: sums that cancel to exactly zero would sit on SOFTMAX_ZERO's cutoff, where
                    # onnxruntime's threaded merge order decides the result.
                    weights["weights"].append(float(rng.normal(0, 1)))
    return listing, weights


def hand_built_models(rng: np.random.Generator):
    """(model, name, kind, labels, note) for the hand-written ensembles."""
    from onnx import TensorProto, helper

    def build(op, name, outputs, attributes, ml_opset, note, kind="raw", labels=()):
        node = helper.make_node(op, ["input"], [o[0] for o in outputs], domain="ai.onnx.ml", **attributes)
        graph = helper.make_graph(
            [node], name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, len(COLUMNS)])],
            [helper.make_tensor_value_info(o[0], o[1], o[2]) for o in outputs])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", ml_opset)])
        model.ir_version = 8
        return model, name, kind, list(labels), note

    def regressor(name, aggregate, targets, transform, base, as_tensor, per_leaf):
        listing, weights = random_trees(rng, trees=12, depth=4, targets=targets, per_leaf=per_leaf)
        attributes = dict(
            n_targets=targets, aggregate_function=aggregate, post_transform=transform,
            nodes_treeids=listing["treeids"], nodes_nodeids=listing["nodeids"], nodes_featureids=listing["featureids"],
            nodes_modes=listing["modes"], nodes_truenodeids=listing["true"], nodes_falsenodeids=listing["false"],
            nodes_missing_value_tracks_true=listing["missing"],
            target_treeids=weights["treeids"], target_nodeids=weights["nodeids"], target_ids=weights["ids"])
        if as_tensor:
            attributes["nodes_values_as_tensor"] = helper.make_tensor("v", TensorProto.FLOAT, [len(listing["values"])], listing["values"])
            attributes["target_weights_as_tensor"] = helper.make_tensor("w", TensorProto.FLOAT, [len(weights["weights"])], weights["weights"])
            if base:
                attributes["base_values_as_tensor"] = helper.make_tensor("b", TensorProto.FLOAT, [len(base)], base)
        else:
            attributes["nodes_values"] = listing["values"]
            attributes["target_weights"] = weights["weights"]
            if base:
                attributes["base_values"] = base
        return build("TreeEnsembleRegressor", name, [("values", TensorProto.FLOAT, [None, targets])], attributes,
                     3 if as_tensor else 1, f"{aggregate}, {targets} targets, {transform}")

    def classifier(name, labels, transform, base, per_leaf):
        listing, weights = random_trees(rng, trees=10, depth=4, targets=len(labels), per_leaf=per_leaf)
        attributes = dict(
            post_transform=transform,
            nodes_treeids=listing["treeids"], nodes_nodeids=listing["nodeids"], nodes_featureids=listing["featureids"],
            nodes_modes=listing["modes"], nodes_truenodeids=listing["true"], nodes_falsenodeids=listing["false"],
            nodes_missing_value_tracks_true=listing["missing"], nodes_values=listing["values"],
            class_treeids=weights["treeids"], class_nodeids=weights["nodeids"], class_ids=weights["ids"],
            class_weights=weights["weights"], classlabels_strings=list(labels))
        if base:
            attributes["base_values"] = base
        return build("TreeEnsembleClassifier", name,
                     [("label", TensorProto.STRING, [None]), ("probabilities", TensorProto.FLOAT, [None, len(labels)])],
                     attributes, 1, f"{len(labels)} string labels, {transform}", kind="multiclass", labels=labels)

    return [
        regressor("hand_sum", "SUM", 3, "SOFTMAX_ZERO", [0.5, -0.25, 0.0], as_tensor=True, per_leaf=2),
        regressor("hand_average", "AVERAGE", 1, "NONE", [3.0], as_tensor=False, per_leaf=1),
        regressor("hand_min", "MIN", 2, "LOGISTIC", [], as_tensor=False, per_leaf=1),
        regressor("hand_max", "MAX", 1, "NONE", [], as_tensor=True, per_leaf=1),
        classifier("hand_classifier", ["low", "mid", "high"], "SOFTMAX", [0.1, 0.0, -0.1], per_leaf=2),
    ]


def main() -> int:
    import catboost
    import lightgbm
    import onnxmltools
    import sklearn
    import xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType as MLFloat
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier, RandomForestRegressor

    patch_skl2onnx_missing_tracks()
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(12)
    x_missing = sample(20000, rng, missing=0.05)
    x_full = sample(20000, rng, missing=0.0)
    y_missing = binary_labels(x_missing, rng)
    y_full = binary_labels(x_full, rng)
    y3_missing = three_classes(x_missing, rng)
    y_value = latent(x_full, rng) * 1000 + 5000  # a regression target in the thousands
    ml_input = [("input", MLFloat([None, len(COLUMNS)]))]
    skl_input = [("input", FloatTensorType([None, len(COLUMNS)]))]
    ml_opsets = {"": 17, "ai.onnx.ml": 3}
    fixtures = []

    def add(model, name, kind, labels, note):
        fixtures.append(describe(save(model, name), name, kind, labels, note))
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name + '.onnx'))} bytes")

    lgbm = lightgbm.LGBMClassifier(n_estimators=60, num_leaves=31, random_state=1, verbose=-1).fit(x_missing, y_missing)
    add(onnxmltools.convert_lightgbm(lgbm, initial_types=ml_input, zipmap=False, target_opset=15),
        "lgbm_binary", "two_class", ["0", "1"], "LightGBM binary, missing values in training")

    lgbm_reg = lightgbm.LGBMRegressor(n_estimators=80, num_leaves=31, random_state=1, verbose=-1).fit(x_full, y_value)
    add(onnxmltools.convert_lightgbm(lgbm_reg, initial_types=ml_input, target_opset=15),
        "lgbm_regressor", "regression", [], "LightGBM regressor, values in the thousands")

    names3 = np.array(["bronze", "silver", "gold"])
    lgbm3 = lightgbm.LGBMClassifier(n_estimators=40, num_leaves=15, random_state=1, verbose=-1).fit(x_missing, y3_missing)
    add(onnxmltools.convert_lightgbm(lgbm3, initial_types=ml_input, zipmap=False, target_opset=15),
        "lgbm_multiclass", "multiclass", ["0", "1", "2"], "LightGBM 3 classes")

    xgb = xgboost.XGBClassifier(n_estimators=50, max_depth=6, random_state=1).fit(x_missing, y_missing)
    add(onnxmltools.convert_xgboost(xgb, initial_types=ml_input, target_opset=15),
        "xgb_binary", "two_class", ["0", "1"], "XGBoost binary (BRANCH_LT)")

    xgb3 = xgboost.XGBClassifier(n_estimators=30, max_depth=5, random_state=1).fit(x_missing, y3_missing)
    add(onnxmltools.convert_xgboost(xgb3, initial_types=ml_input, target_opset=15),
        "xgb_multiclass", "multiclass", ["0", "1", "2"], "XGBoost 3 classes")

    rf = RandomForestRegressor(n_estimators=30, max_depth=8, random_state=1).fit(x_full, y_value)
    add(to_onnx(rf, initial_types=skl_input, target_opset=ml_opsets),
        "rf_regressor", "regression", [], "RandomForestRegressor (AVERAGE)")

    hgb = HistGradientBoostingClassifier(max_iter=40, random_state=1).fit(x_missing, y_missing)
    add(to_onnx(hgb, initial_types=skl_input, target_opset=ml_opsets, options={id(hgb): {"zipmap": False}}),
        "hgb_classifier", "two_class", ["0", "1"], "HistGradientBoostingClassifier, missing values")

    gb = GradientBoostingClassifier(n_estimators=40, max_depth=3, random_state=1).fit(x_full, np.where(y_full == 1, "stay", "churn"))
    add(to_onnx(gb, initial_types=skl_input, target_opset=ml_opsets, options={id(gb): {"zipmap": False}}),
        "gb_classifier", "two_class", ["churn", "stay"], "GradientBoostingClassifier with string labels")

    cat = catboost.CatBoostClassifier(iterations=60, depth=6, random_seed=1, verbose=False, allow_writing_files=False).fit(x_full, y_full)
    cat_path = os.path.join(OUT, "catboost_binary.onnx")
    cat.save_model(cat_path, format="onnx")
    fixtures.append(describe(cat_path, "catboost_binary", "two_class", ["0", "1"], "CatBoost's own exporter"))
    print(f"catboost_binary: {os.path.getsize(cat_path)} bytes")

    for model, name, kind, labels, note in hand_built_models(rng):
        add(model, name, kind, labels, note)

    big_x = sample(200000, rng, missing=0.02)
    big = lightgbm.LGBMClassifier(n_estimators=500, num_leaves=64, max_depth=9, min_child_samples=10,
                                  random_state=1, verbose=-1).fit(big_x, binary_labels(big_x, rng))
    add(onnxmltools.convert_lightgbm(big, initial_types=ml_input, zipmap=False, target_opset=15),
        "lgbm_500", "two_class", ["0", "1"], "the benchmark's model: 500 trees, depth up to 9")

    versions = {m.__name__: m.__version__ for m in (sklearn, lightgbm, xgboost, catboost, onnxmltools, np)}
    import onnx
    import skl2onnx
    versions.update(onnx=onnx.__version__, skl2onnx=skl2onnx.__version__)
    with open(os.path.join(OUT, "fixtures.json"), "w") as f:
        json.dump({"generated_with": versions, "fixtures": fixtures}, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
