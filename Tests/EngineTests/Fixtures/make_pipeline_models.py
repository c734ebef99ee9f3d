#!/usr/bin/env python3
"""Generate the pipeline ONNX-ML fixtures: scikit-learn pipelines with string, int64 and several graph
inputs (skl2onnx), plus small hand-built graphs of the ONNX-ML preprocessing operators.

Regenerate (about half a minute on 2 cores), in the venv make_tree_models.py describes (same pinned
versions: scikit-learn 1.9.1, skl2onnx 1.20.0, onnx 1.23.2, onnxruntime 1.32.0, numpy 2.4.6,
pandas 3.1.1):

    /tmp/convvenv/bin/python Tests/EngineTests/Fixtures/make_pipeline_models.py

CI never runs this script: the committed .onnx files are scored by onnxruntime through
``ort_csv_oracle.py`` (CSV in, CSV out), which needs only numpy and onnxruntime.

Training data: the sample data's ten numeric columns (make_tree_models.py's COLUMNS/RANGES and
``sample``), about 5% of each missing (NaN) except where a model has no imputer, plus

* ``segment`` in {"retail", "smb", "enterprise"}: from income (below 60000, below 110000, above),
  a quarter of the rows drawn at random instead;
* ``channel`` in {"web", "store", "phone", "partner"}: from num_purchases (quartiles of 0..50),
  a quarter at random;
* ``store_id`` (int64, 1..20; only ordinal_rf reads it).

The binary label comes from make_tree_models.py's ``latent`` score plus segment/channel/store_id
effects. ct_gb_classifier has string classes "churn"/"stay" (sorted: churn = 0, stay = 1);
ct_logreg_grouped and ordinal_rf have int64 classes 0/1 (1 = churn).

What it writes into ``Tests/EngineTests/Fixtures/pipelines/``, with ``pipelines.json`` describing
each model (name, file, kind, labels, label_type, inputs, columns, categories, handles_missing,
outputs, score_output, zipmap, operators, opsets, producer, note, sample_csv) and a
``NAME.sample.csv`` per model to score with ``ort_csv_oracle.py`` (every sample column in another
order plus an ignored ``note`` column; empty, unseen, differently cased and quoted strings; empty
numeric fields only where the graph imputes; store_id up to 25):

* ``ct_gb_classifier.onnx``   ColumnTransformer(OneHotEncoder(handle_unknown="ignore") on segment,
                              channel; SimpleImputer(median) on the ten numeric columns) +
                              GradientBoostingClassifier (50 trees, depth 3). One graph input per
                              CSV column (ten float [N,1], two string [N,1]); ZipMap on.
* ``ct_logreg_grouped.onnx``  two grouped inputs, ``numeric`` float [N,10] and ``categorical``
                              string [N,2]; ColumnTransformer(SimpleImputer + StandardScaler;
                              OneHotEncoder(handle_unknown="ignore")) + LogisticRegression, zipmap
                              off. Metadata ``feature_columns`` names the 12 CSV columns the inputs
                              take, in input order (how inferwatcher binds grouped inputs).
* ``ordinal_rf.onnx``         one input per column: segment, channel (string), store_id (int64),
                              age, credit_score, num_returns (float, no imputer: no NaN allowed);
                              ColumnTransformer(OrdinalEncoder(use_encoded_value, -1);
                              passthrough store_id; passthrough the numeric columns) +
                              RandomForestClassifier (20 trees, depth 6), ZipMap on (int64 keys).
* ``hand_*.onnx``             written with onnx.helper, each ending in a float output ``scores``
                              [N, k], inputs named after CSV columns (width 1), ai.onnx opset 17 and
                              the lowest ai.onnx.ml opset the operators need:
                              ``hand_category_mapper`` (CategoryMapper, Cast, Concat),
                              ``hand_label_encoder`` (LabelEncoder string->float and int64->int64,
                              Cast, Concat), ``hand_binarizer_afe`` (FeatureVectorizer, Binarizer,
                              ArrayFeatureExtractor) and ``hand_onehot_int`` (OneHotEncoder on int64
                              and on strings, Reshape, Flatten, Concat). Kind "raw".

Every model is run in onnxruntime on a few rows with an empty string, an unseen category ("zzz")
and NaN where the graph imputes, and the converted pipelines' probabilities are checked against
scikit-learn's predict_proba on 2000 held-out rows (with empty and unseen strings), before the
manifest is written. The target_opset asked for is {"": 17, "ai.onnx.ml": 3}; skl2onnx imports the
lowest ai.onnx.ml opset its nodes need (1, or 2 for LabelEncoder), which pipelines.json records.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_tree_models import COLUMNS, latent, sample  # noqa: E402

OUT = os.path.join(HERE, "pipelines")

SEGMENTS = ["retail", "smb", "enterprise"]
CHANNELS = ["web", "store", "phone", "partner"]
CATEGORIES = {"segment": SEGMENTS, "channel": CHANNELS}
ORDINAL_NUMERIC = ["age", "credit_score", "num_returns"]
OPSETS = {"": 17, "ai.onnx.ml": 3}


def strings_and_ids(x: np.ndarray, rng: np.random.Generator):
    """segment from income, channel from num_purchases (a quarter of each at random), store_id 1..20."""
    n = len(x)
    income = np.nan_to_num(x[:, COLUMNS.index("income")], nan=85000.0)
    purchases = np.nan_to_num(x[:, COLUMNS.index("num_purchases")], nan=25.0)
    segment = np.array(SEGMENTS)[np.digitize(income, [60000, 110000])]
    channel = np.array(CHANNELS)[np.digitize(purchases, [12.5, 25, 37.5])]
    noisy = rng.random(n) < 0.25
    segment[noisy] = rng.choice(SEGMENTS, noisy.sum())
    noisy = rng.random(n) < 0.25
    channel[noisy] = rng.choice(CHANNELS, noisy.sum())
    store_id = rng.integers(1, 21, n).astype(np.int64)
    return segment, channel, store_id


def labels_of(x, segment, channel, store_id, rng) -> np.ndarray:
    """1 = churn: the tree fixtures' latent score plus effects of the string and id columns."""
    value = (latent(x, rng)
             + 0.8 * (segment == "retail") - 0.6 * (segment == "enterprise")
             + 0.7 * (channel == "web") - 0.5 * (channel == "partner")
             + 0.5 * (store_id % 4 == 0))
    return (value > 0).astype(np.int64)


def frame(x, segment, channel, store_id):
    import pandas as pd

    data = {name: x[:, i] for i, name in enumerate(COLUMNS)}
    data.update(segment=segment, channel=channel, store_id=store_id)
    return pd.DataFrame(data)


def operators(model) -> list[str]:
    return sorted({(n.domain + "." if n.domain else "") + n.op_type for n in model.graph.node})


def describe(path, name, kind, labels, columns, handles_missing, note, metadata=None) -> dict:
    import onnx
    import onnxruntime as ort

    model = onnx.load(path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    outputs = session.get_outputs()
    float_outputs = [o.name for o in outputs if o.type == "tensor(float)"]
    zipmaps = [n.input[0] for n in model.graph.node if n.op_type == "ZipMap"]
    kinds = {"tensor(float)": "float", "tensor(int64)": "int64", "tensor(string)": "string"}
    entry = {
        "name": name,
        "file": os.path.basename(path),
        "kind": kind,
        "labels": labels,
        "label_type": next((kinds[o.type] for o in outputs if o.type in ("tensor(int64)", "tensor(string)")), None),
        "inputs": [{"name": i.name, "type": kinds[i.type], "width": i.shape[1]} for i in session.get_inputs()],
        "columns": columns,
        "categories": {k: v for k, v in CATEGORIES.items() if any(c["name"] == k for c in columns)},
        "handles_missing": handles_missing,
        "outputs": [{"name": o.name, "type": o.type, "shape": o.shape} for o in outputs],
        "score_output": (float_outputs or zipmaps)[0],
        "zipmap": bool(zipmaps),
        "operators": operators(model),
        "opsets": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "note": note,
    }
    if metadata:
        entry["metadata"] = metadata
    return entry


def smoke(path: str, feeds: dict) -> None:
    """Run a few rows and print them: a fixture that does not load or run in onnxruntime is a bug."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    results = session.run(None, feeds)
    for output, value in zip(session.get_outputs(), results):
        shown = value if isinstance(value, list) else np.asarray(value).tolist()
        print(f"    {output.name}: {shown}")


def check_against_sklearn(model, pipeline, frame_, feeds: dict, labels: list[str]) -> float:
    """The largest difference between onnxruntime's probabilities and scikit-learn's predict_proba."""
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    outputs = session.get_outputs()
    scored = next(o for o in outputs if o.type == "tensor(float)" or o.type.startswith("seq(map("))
    got = session.run([scored.name], feeds)[0]
    if isinstance(got, list):
        got = [list(row.values()) for row in got]
    expected = pipeline.predict_proba(frame_)
    assert [str(c) for c in pipeline.classes_] == labels, (pipeline.classes_, labels)
    difference = float(np.max(np.abs(np.asarray(got, dtype=np.float64) - expected)))
    assert difference < 1e-4, difference
    return difference


def test_frame(x, rng, strings_missing: bool):
    """The held-out rows the converted pipelines are checked on: unseen and empty strings mixed in."""
    segment, channel, store_id = strings_and_ids(x, rng)
    if strings_missing:
        for column in (segment, channel):
            column[rng.random(len(column)) < 0.05] = ""
            column[rng.random(len(column)) < 0.05] = "zzz"
    return frame(x, segment, channel, store_id)


def column_feeds(columns: list[dict], rows: dict) -> dict:
    """{input name: [N,1] array} for one-input-per-column models."""
    types = {"float": np.float32, "int64": np.int64, "string": object}
    return {c["name"]: np.array(rows[c["name"]], dtype=types[c["type"]]).reshape(-1, 1) for c in columns}


# Smoke rows: row 0 ordinary, row 1 empty strings, row 2 unseen categories, row 3 NaN numerics (only fed
# where the model imputes).
SMOKE = {
    "segment": ["retail", "", "zzz", "enterprise"],
    "channel": ["web", "", "zzz", "partner"],
    "store_id": [4, 1, 99, 20],
    **{name: [30.0, 50000.0, 600.0, 10.0, 400.0, 55.5, 2.0, 1.0, 3.0, 5.0][i:i + 1] * 4 for i, name in enumerate(COLUMNS)},
}
SMOKE_NAN = {name: values[:3] + [float("nan")] for name, values in SMOKE.items() if name in COLUMNS}


def sklearn_models(rng: np.random.Generator):
    """(model, name, kind, labels, columns, handles_missing, note, metadata, smoke feeds) for the converted pipelines."""
    import onnx
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    results = []
    x = sample(20000, rng, missing=0.05)
    segment, channel, store_id = strings_and_ids(x, rng)
    y = labels_of(x, segment, channel, store_id, rng)
    df = frame(x, segment, channel, store_id)

    # a. one graph input per column, ZipMap on, string classes.
    columns = [{"name": c, "type": "float"} for c in COLUMNS] + [{"name": c, "type": "string"} for c in ("segment", "channel")]
    gb = Pipeline([
        ("columns", ColumnTransformer([
            ("onehot", OneHotEncoder(handle_unknown="ignore"), ["segment", "channel"]),
            ("impute", SimpleImputer(strategy="median"), COLUMNS),
        ])),
        ("gb", GradientBoostingClassifier(n_estimators=50, max_depth=3, random_state=1)),
    ]).fit(df[COLUMNS + ["segment", "channel"]], np.where(y == 1, "churn", "stay"))
    initial = [(c, FloatTensorType([None, 1])) for c in COLUMNS] + [(c, StringTensorType([None, 1])) for c in ("segment", "channel")]
    model = to_onnx(gb, initial_types=initial, target_opset=OPSETS)
    held = test_frame(sample(2000, rng, missing=0.05), rng, True)
    print("ct_gb_classifier: max |onnxruntime - scikit-learn| =",
          check_against_sklearn(model, gb, held[COLUMNS + ["segment", "channel"]], column_feeds(columns, held), ["churn", "stay"]))
    feeds = column_feeds(columns, {**SMOKE, **SMOKE_NAN})
    results.append((model, "ct_gb_classifier", "two_class", ["churn", "stay"], columns, [c["name"] for c in columns],
                    "ColumnTransformer(OneHotEncoder(ignore) on segment, channel; SimpleImputer(median) on the numeric columns)"
                    " + GradientBoostingClassifier(50 trees, depth 3); one input per column; ZipMap on; string classes",
                    None, feeds))

    # b. grouped inputs: numeric [N,10] (columns 0..9) and categorical [N,2] (columns 10, 11), zipmap off.
    grouped = df[COLUMNS + ["segment", "channel"]]
    logreg = Pipeline([
        ("columns", ColumnTransformer([
            ("numeric", make_pipeline(SimpleImputer(), StandardScaler()), list(range(10))),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), [10, 11]),
        ])),
        ("logreg", LogisticRegression(max_iter=1000)),
    ]).fit(grouped, y)
    initial = [("numeric", FloatTensorType([None, 10])), ("categorical", StringTensorType([None, 2]))]
    model = to_onnx(logreg, initial_types=initial, target_opset=OPSETS, options={id(logreg.steps[-1][1]): {"zipmap": False}})
    feature_columns = ",".join(COLUMNS + ["segment", "channel"])
    onnx.helper.set_model_props(model, {"feature_columns": feature_columns})
    held = test_frame(sample(2000, rng, missing=0.05), rng, True)
    print("ct_logreg_grouped: max |onnxruntime - scikit-learn| =", check_against_sklearn(
        model, logreg, held[COLUMNS + ["segment", "channel"]],
        {"numeric": held[COLUMNS].to_numpy(np.float32), "categorical": held[["segment", "channel"]].to_numpy(object)}, ["0", "1"]))
    feeds = {
        "numeric": np.array([[SMOKE_NAN[c][i] for c in COLUMNS] for i in range(4)], dtype=np.float32),
        "categorical": np.array([[SMOKE["segment"][i], SMOKE["channel"][i]] for i in range(4)], dtype=object),
    }
    results.append((model, "ct_logreg_grouped", "two_class", ["0", "1"], columns, [c["name"] for c in columns],
                    "grouped inputs numeric [N,10] + categorical [N,2], bound through metadata feature_columns;"
                    " ColumnTransformer(SimpleImputer(mean) + StandardScaler; OneHotEncoder(ignore)) + LogisticRegression;"
                    " zipmap off; int64 classes 0/1", {"feature_columns": feature_columns}, feeds))

    # c. string, int64 and float inputs one per column, no imputer (numeric columns complete), ZipMap on with int64 keys.
    x_full = sample(20000, rng, missing=0.0)
    segment, channel, store_id = strings_and_ids(x_full, rng)
    y_full = labels_of(x_full, segment, channel, store_id, rng)
    df = frame(x_full, segment, channel, store_id)
    ordinal_columns = ([{"name": c, "type": "string"} for c in ("segment", "channel")] + [{"name": "store_id", "type": "int64"}]
                       + [{"name": c, "type": "float"} for c in ORDINAL_NUMERIC])
    rf = Pipeline([
        ("columns", ColumnTransformer([
            ("ordinal", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["segment", "channel"]),
            ("store", "passthrough", ["store_id"]),
            ("numeric", "passthrough", ORDINAL_NUMERIC),
        ])),
        ("rf", RandomForestClassifier(n_estimators=20, max_depth=6, random_state=1)),
    ]).fit(df[[c["name"] for c in ordinal_columns]], y_full)
    initial = ([(c, StringTensorType([None, 1])) for c in ("segment", "channel")] + [("store_id", Int64TensorType([None, 1]))]
               + [(c, FloatTensorType([None, 1])) for c in ORDINAL_NUMERIC])
    model = to_onnx(rf, initial_types=initial, target_opset=OPSETS)
    held = test_frame(sample(2000, rng, missing=0.0), rng, True)
    print("ordinal_rf: max |onnxruntime - scikit-learn| =", check_against_sklearn(
        model, rf, held[[c["name"] for c in ordinal_columns]], column_feeds(ordinal_columns, held), ["0", "1"]))
    feeds = column_feeds(ordinal_columns, SMOKE)
    results.append((model, "ordinal_rf", "two_class", ["0", "1"], ordinal_columns, ["segment", "channel"],
                    "ColumnTransformer(OrdinalEncoder(use_encoded_value, unknown_value=-1) on segment, channel; passthrough"
                    " store_id; passthrough age, credit_score, num_returns) + RandomForestClassifier(20 trees, depth 6);"
                    " no imputer: numeric fields must not be empty; ZipMap on with int64 keys", None, feeds))
    return results


def hand_built_models():
    """(model, name, kind, labels, columns, handles_missing, note, metadata, smoke feeds) for the onnx.helper graphs."""
    from onnx import TensorProto, helper, numpy_helper

    def graph_model(name, nodes, inputs, width, ml_opset, initializers=()):
        types = {"float": TensorProto.FLOAT, "int64": TensorProto.INT64, "string": TensorProto.STRING}
        graph = helper.make_graph(
            nodes, name, [helper.make_tensor_value_info(c, types[t], [None, 1]) for c, t in inputs],
            [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [None, width])], initializer=list(initializers))
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", ml_opset)],
                                  producer_name="make_pipeline_models.py")
        model.ir_version = 8
        return model

    def ml(op, inputs, outputs, **attributes):
        return helper.make_node(op, inputs, outputs, domain="ai.onnx.ml", **attributes)

    results = []

    inputs = [("segment", "string"), ("age", "float")]
    nodes = [
        ml("CategoryMapper", ["segment"], ["segment_id"], cats_strings=SEGMENTS, cats_int64s=[10, 20, 30], default_int64=-1),
        helper.make_node("Cast", ["segment_id"], ["segment_float"], to=TensorProto.FLOAT),
        helper.make_node("Concat", ["segment_float", "age"], ["scores"], axis=1),
    ]
    feeds = {"segment": np.array(SMOKE["segment"], dtype=object).reshape(-1, 1), "age": np.array(SMOKE_NAN["age"], dtype=np.float32).reshape(-1, 1)}
    results.append((graph_model("hand_category_mapper", nodes, inputs, 2, 1), "hand_category_mapper", "raw", [],
                    [{"name": c, "type": t} for c, t in inputs], ["segment"],
                    "CategoryMapper segment -> int64 (retail 10, smb 20, enterprise 30, default_int64 -1) -> Cast float,"
                    " Concat with age; scores = [segment code, age] (no imputer: a NaN age would pass through as NaN)", None, feeds))

    store_keys = list(range(1, 16))  # 16..20 are unseen: default_int64
    inputs = [("channel", "string"), ("store_id", "int64")]
    nodes = [
        ml("LabelEncoder", ["channel"], ["channel_value"], keys_strings=CHANNELS, values_floats=[0.5, 1.5, 2.5, 3.5], default_float=-1.0),
        ml("LabelEncoder", ["store_id"], ["store_group"], keys_int64s=store_keys, values_int64s=[k * 100 + k % 3 for k in store_keys],
           default_int64=-7),
        helper.make_node("Cast", ["store_group"], ["store_float"], to=TensorProto.FLOAT),
        helper.make_node("Concat", ["channel_value", "store_float"], ["scores"], axis=1),
    ]
    feeds = {"channel": np.array(SMOKE["channel"], dtype=object).reshape(-1, 1), "store_id": np.array(SMOKE["store_id"], dtype=np.int64).reshape(-1, 1)}
    results.append((graph_model("hand_label_encoder", nodes, inputs, 2, 2), "hand_label_encoder", "raw", [],
                    [{"name": c, "type": t} for c, t in inputs], ["channel"],
                    "LabelEncoder channel -> float (web 0.5, store 1.5, phone 2.5, partner 3.5, default_float -1);"
                    " LabelEncoder store_id -> int64 (k -> 100k + k%3 for 1..15, default_int64 -7) -> Cast float; Concat",
                    None, feeds))

    inputs = [("num_returns", "float"), ("num_purchases", "float"), ("age", "float")]
    nodes = [
        ml("FeatureVectorizer", [c for c, _ in inputs], ["vector"], inputdimensions=[1, 1, 1]),
        ml("Binarizer", ["vector"], ["binary"], threshold=8.0),
        ml("ArrayFeatureExtractor", ["binary", "picked"], ["scores"]),
    ]
    picked = numpy_helper.from_array(np.array([2, 0], dtype=np.int64), "picked")
    # No NaN: onnxruntime's Binarizer fails the run on one ("Input data with index: N is NaN").
    feeds = {"num_returns": np.array([[2.0], [9.0], [8.0], [-1.5]], dtype=np.float32),
             "num_purchases": np.array([[3.0], [45.0], [8.0], [0.0]], dtype=np.float32),
             "age": np.array([[30.0], [8.0], [8.5], [-0.0]], dtype=np.float32)}
    results.append((graph_model("hand_binarizer_afe", nodes, inputs, 2, 1, [picked]), "hand_binarizer_afe", "raw", [],
                    [{"name": c, "type": t} for c, t in inputs], [],
                    "FeatureVectorizer(inputdimensions [1,1,1]) -> [N,3] -> Binarizer(threshold 8: x > 8 -> 1 else 0)"
                    " -> ArrayFeatureExtractor(indices initializer [2, 0]) -> scores = [age > 8, num_returns > 8]; onnxruntime"
                    " refuses NaN in a Binarizer's input (the run fails), so no column may be empty", None, feeds))

    store_cats = list(range(1, 11))  # 11..20 unseen: all zeros
    inputs = [("store_id", "int64"), ("segment", "string")]
    nodes = [
        ml("OneHotEncoder", ["store_id"], ["store_onehot"], cats_int64s=store_cats, zeros=1),
        helper.make_node("Reshape", ["store_onehot", "store_shape"], ["store_flat"]),
        ml("OneHotEncoder", ["segment"], ["segment_onehot"], cats_strings=SEGMENTS, zeros=1),
        helper.make_node("Flatten", ["segment_onehot"], ["segment_flat"], axis=1),
        helper.make_node("Concat", ["store_flat", "segment_flat"], ["scores"], axis=1),
    ]
    shape = numpy_helper.from_array(np.array([-1, len(store_cats)], dtype=np.int64), "store_shape")
    feeds = {"store_id": np.array(SMOKE["store_id"], dtype=np.int64).reshape(-1, 1), "segment": np.array(SMOKE["segment"], dtype=object).reshape(-1, 1)}
    results.append((graph_model("hand_onehot_int", nodes, inputs, len(store_cats) + len(SEGMENTS), 1, [shape]), "hand_onehot_int", "raw", [],
                    [{"name": c, "type": t} for c, t in inputs], ["segment"],
                    "OneHotEncoder(cats_int64s 1..10, zeros=1) on store_id [N,1] -> [N,1,10] -> Reshape [-1,10];"
                    " OneHotEncoder(cats_strings retail/smb/enterprise, zeros=1) on segment -> [N,1,3] -> Flatten(axis=1);"
                    " Concat -> [N,13]", None, feeds))
    return results


ODD_STRINGS = ["", "zzz", "Retail", " web", "re,tail", 'say "hi"', "smb\n"]


def write_sample_csv(path: str, columns: list[dict], handles_missing: list[str], rng: np.random.Generator, n: int = 40) -> None:
    """A CSV the fixture reads: every sample column (not only the model's, in another order) plus a
    ``note`` column it ignores; empty numeric fields only in columns the graph imputes; string fields
    mostly known categories, then empty, unseen, differently cased, spaced, and ones that need quoting
    (comma, quote, newline); store_id 1..25 (21..25 never seen in training)."""
    import csv

    x = sample(n, rng, missing=0.0)
    segment, channel, store_id = strings_and_ids(x, rng)
    store_id = rng.integers(1, 26, n)
    for column in (segment, channel):
        odd = rng.random(n) < 0.3
        column[odd] = rng.choice(ODD_STRINGS, odd.sum())
    names = ["note", "channel"] + COLUMNS[::-1] + ["store_id", "segment"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(names)
        for r in range(n):
            row = []
            for name in names:
                if name == "note":
                    row.append(f'row {r}, "{r % 3}"')
                elif name in ("segment", "channel"):
                    row.append((segment if name == "segment" else channel)[r])
                elif name == "store_id":
                    row.append(str(int(store_id[r])))
                else:
                    value = x[r, COLUMNS.index(name)]
                    if name in handles_missing and rng.random() < 0.1:
                        row.append("")
                    else:
                        row.append(str(int(value)) if float(value).is_integer() else str(value))
            writer.writerow(row)


def main() -> int:
    import onnx
    import onnxruntime
    import pandas
    import skl2onnx
    import sklearn

    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(56)
    fixtures = []
    for model, name, kind, labels, columns, missing, note, metadata, feeds in sklearn_models(rng) + hand_built_models():
        onnx.checker.check_model(model)
        path = os.path.join(OUT, name + ".onnx")
        with open(path, "wb") as f:
            f.write(model.SerializeToString())
        print(f"{name}: {os.path.getsize(path)} bytes, {operators(model)}")
        smoke(path, feeds)
        fixtures.append(describe(path, name, kind, labels, columns, missing, note, metadata))
        write_sample_csv(os.path.join(OUT, name + ".sample.csv"), columns, missing, rng)
        fixtures[-1]["sample_csv"] = name + ".sample.csv"
    versions = {m.__name__: m.__version__ for m in (sklearn, skl2onnx, onnx, onnxruntime, np, pandas)}
    versions["target_opset"] = OPSETS
    with open(os.path.join(OUT, "pipelines.json"), "w") as f:
        json.dump({"generated_with": versions, "fixtures": fixtures}, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
