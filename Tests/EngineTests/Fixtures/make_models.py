#!/usr/bin/env python3
"""Generate the ONNX fixture models used by the engine tests.

Regenerate everything (takes well under a minute on 2 cores):

    python3 Tests/EngineTests/Fixtures/make_models.py

Needs: torch (CPU is enough), onnxscript (for torch's dynamo exporter), onnx,
onnxruntime, numpy.  None of these are needed by CI: the generated models in
``Tests/EngineTests/Fixtures/models/`` are committed, and this script only
exists so they can be rebuilt and reviewed.

What it writes into ``Tests/EngineTests/Fixtures/models/``:

Working models (input float32 [batch, F], dynamic batch, one graph input):

* ``mlp_legacy.onnx``      torch MLP 10->64->32->1 + Sigmoid, standardisation
                           buffers inside, legacy TorchScript exporter, opset 17
                           (Linear -> Gemm); metadata ``feature_columns``.
* ``mlp_dynamo.onnx``      the same kind of MLP exported with the dynamo
  + ``mlp_dynamo.onnx.data``  (torch.export based) exporter, opset 18, every
                           initializer stored in the external-data side file.
* ``mlp_dynamo_matmul.onnx`` dynamo exporter, opset 18, with the layers applied
                           to a [batch, 1, F] activation: the exporter writes
                           nn.Linear as MatMul + Add there (on 2-D inputs torch
                           2.15's dynamo exporter writes Gemm); Unsqueeze/Squeeze.
* ``batchnorm.onnx``       Linear -> BatchNorm1d -> ReLU -> Linear -> Sigmoid,
                           legacy exporter without constant folding so a
                           BatchNormalization node survives.
* ``layernorm_gelu.onnx``  Linear -> LayerNorm -> GELU(erf) -> Dropout -> Linear
                           -> Sigmoid, legacy exporter (LayerNormalization, Erf).
* ``gelu_op.onnx``         hand-built (onnx.helper) opset 20 graph using the
                           ``Gelu`` op with approximate="none" and "tanh".
* ``softmax3.onnx``        3-class softmax [N,3], metadata ``class_labels``.
* ``two_class.onnx``       2-class softmax [N,2].
* ``regression.onnx``      unbounded regression output [N,1], metadata
                           ``output_kind`` = "regression".
* ``logit.onnx``           raw logit [N,1], no activation, no metadata.
* ``helper_ops.onnx``      hand-built opset 17 graph (F=6) exercising
                           broadcasting, reductions, shape ops, a
                           Shape/Gather/Slice/Concat chain that only depends on
                           initializers (foldable at load time), Gemm with
                           transB/alpha/beta, ... -> Sigmoid [N,1].

Error models (tiny, onnx.helper; the engine must reject them with a clear
message): ``two_inputs``, ``int_input``, ``input_3d``, ``unsupported_ops``,
``opset_too_new``, ``external_escape`` (initializer pointing at
``../outside.bin`` -- must never be read), ``external_missing``.

``fixtures.json`` describes every model: name, file, input_name, features,
output_name, output_width (1 for [N,1], 0 for a rank-1 [N] output), kind
(probability | two_class | multiclass | regression | logit | error), operators
(sorted distinct op types), opset (default domain), columns (feature column
names in order), plus ir_version, metadata, external_data, input_shape,
output_shape, and expected_error for error fixtures.

Determinism: every random draw uses a fixed seed and torch runs
single-threaded, so re-running on the same machine/torch version gives
byte-identical files. Producer strings embed the torch version, so a different
torch release changes a few bytes (and possibly the exported graph).

Every working model is loaded with onnxruntime (graph optimisations disabled),
run on 1000 rows drawn like the data generator and checked for finite outputs
of the expected shape; torch models are also compared against torch itself.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "models"

# --------------------------------------------------------------------------
# The data the models are meant for (mirrors the product's data generator).
# --------------------------------------------------------------------------

# (column, low, high, kind): "int" = integers low..high inclusive,
# "uniform" = continuous uniform [low, high).
COLUMN_SPECS = [
    ("age", 18, 79, "int"),
    ("income", 20000, 149999, "int"),
    ("credit_score", 300, 849, "int"),
    ("num_purchases", 0, 49, "int"),
    ("account_age_days", 1, 3649, "int"),
    ("avg_transaction", 10.0, 500.0, "uniform"),
    ("num_returns", 0, 9, "int"),
    ("is_premium", 0, 1, "int"),
    ("region", 1, 4, "int"),
    ("category_preference", 1, 9, "int"),
]
COLUMNS = [c[0] for c in COLUMN_SPECS]
COL = {name: i for i, name in enumerate(COLUMNS)}


def draw_rows(rng: np.random.Generator, n: int, f: int = 10) -> np.ndarray:
    """n rows of the first f columns, drawn like the data generator (float32)."""
    cols = []
    for name, lo, hi, kind in COLUMN_SPECS[:f]:
        if kind == "int":
            cols.append(rng.integers(lo, hi + 1, size=n).astype(np.float64))
        else:
            cols.append(rng.uniform(lo, hi, size=n))
    return np.stack(cols, axis=1).astype(np.float32)


def column_stats(f: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Analytic mean/std of each column's distribution (no sampling needed)."""
    mean, std = [], []
    for _, lo, hi, kind in COLUMN_SPECS[:f]:
        mean.append((lo + hi) / 2.0)
        if kind == "int":
            n = hi - lo + 1
            std.append(np.sqrt((n * n - 1) / 12.0))
        else:
            std.append((hi - lo) / np.sqrt(12.0))
    return np.asarray(mean, np.float32), np.asarray(std, np.float32)


def risk_latent(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A noisy "good customer" score the trained models learn to predict."""
    mean, std = column_stats(10)
    z = (x.astype(np.float64) - mean) / std
    latent = (
        1.6 * z[:, COL["credit_score"]]
        + 1.0 * z[:, COL["income"]]
        - 0.9 * z[:, COL["num_returns"]]
        + 0.8 * (2.0 * x[:, COL["is_premium"]] - 1.0)
        + 0.3 * z[:, COL["age"]]
    )
    return latent + rng.normal(0.0, 0.5, size=len(x))


# --------------------------------------------------------------------------
# Small utilities
# --------------------------------------------------------------------------

VERIFY_ROWS = 1000
VERIFY_SEED = 1234


def ort_session(path: Path) -> ort.InferenceSession:
    """CPU session that computes the graph exactly as written."""
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def dims_of(value_info: onnx.ValueInfoProto) -> list:
    out = []
    for d in value_info.type.tensor_type.shape.dim:
        if d.HasField("dim_value"):
            out.append(int(d.dim_value))
        elif d.HasField("dim_param"):
            out.append(d.dim_param)
        else:
            out.append(None)
    return out


def operators_of(model: onnx.ModelProto) -> list[str]:
    """Sorted distinct op types (non-default domains written as 'domain::Op')."""
    ops = set()

    def walk(graph: onnx.GraphProto) -> None:
        for node in graph.node:
            ops.add(node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}")
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    walk(attr.g)
                for g in attr.graphs:
                    walk(g)

    walk(model.graph)
    for fn in model.functions:
        for node in fn.node:
            ops.add(node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}")
    return sorted(ops)


def default_opset(model: onnx.ModelProto) -> int:
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return int(imp.version)
    raise ValueError("model has no default-domain opset import")


def describe(path: Path, kind: str, columns: list[str], expected_error: str | None = None,
             external_data: str | None = None) -> dict:
    """Build the fixtures.json entry by reading the saved model back."""
    model = onnx.load(str(path), load_external_data=False)
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    in_shape = dims_of(inputs[0])
    out_shape = dims_of(model.graph.output[0])
    if len(out_shape) == 1:
        width = 0
    elif len(out_shape) == 2 and isinstance(out_shape[1], int):
        width = out_shape[1]
    else:
        width = -1  # only error fixtures may have other shapes
    entry = {
        "name": path.stem,
        "file": path.name,
        "input_name": inputs[0].name,
        "features": in_shape[-1] if isinstance(in_shape[-1], int) else -1,
        "output_name": model.graph.output[0].name,
        "output_width": width,
        "kind": kind,
        "operators": operators_of(model),
        "opset": default_opset(model),
        "columns": columns,
        "ir_version": int(model.ir_version),
        "input_shape": in_shape,
        "output_shape": out_shape,
        "metadata": {p.key: p.value for p in model.metadata_props},
        "external_data": external_data,
    }
    if expected_error is not None:
        entry["expected_error"] = expected_error
    return entry


def scrub_local_paths(model: onnx.ModelProto, prefixes: list[str]) -> None:
    """Make the dynamo exporter's per-node stack traces machine-independent.

    The exporter records `pkg.torch.onnx.stack_trace` etc. in each node's
    metadata_props with absolute file paths (this checkout, torch's
    site-packages); keep the entries (a loader must tolerate them) but strip
    those locations from the text.
    """
    prefixes = [p.rstrip(os.sep) + os.sep for p in prefixes]

    def scrub(props) -> None:
        for p in props:
            for prefix in prefixes:
                p.value = p.value.replace(prefix, "")

    scrub(model.metadata_props)
    scrub(model.graph.metadata_props)
    for node in model.graph.node:
        scrub(node.metadata_props)
    for vi in list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info):
        scrub(vi.metadata_props)
    for t in model.graph.initializer:
        scrub(t.metadata_props)


def set_metadata(path: Path, props: dict[str, str]) -> None:
    model = onnx.load(str(path))
    existing = {p.key: p for p in model.metadata_props}
    for k, v in props.items():
        if k in existing:
            existing[k].value = v
        else:
            model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    onnx.save_model(model, str(path))


def verify(path: Path, entry: dict, reference=None) -> str:
    """Run ORT on VERIFY_ROWS data-like rows; check shape, finiteness, kind."""
    sess = ort_session(path)
    assert len(sess.get_inputs()) == 1, "working fixtures must have one input"
    f = entry["features"]
    x = draw_rows(np.random.default_rng(VERIFY_SEED), VERIFY_ROWS, f)
    y = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    want = (VERIFY_ROWS,) if entry["output_width"] == 0 else (VERIFY_ROWS, entry["output_width"])
    assert y.shape == want, f"{path.name}: output shape {y.shape}, expected {want}"
    assert y.dtype == np.float32, f"{path.name}: output dtype {y.dtype}"
    assert np.all(np.isfinite(y)), f"{path.name}: non-finite outputs"
    kind = entry["kind"]
    note = ""
    if kind == "probability":
        assert y.min() >= 0.0 and y.max() <= 1.0
        p05, p50, p95 = np.percentile(y, [5, 50, 95])
        assert p05 < 0.3 and p95 > 0.7, f"{path.name}: scores do not spread ({p05}, {p95})"
        hist = np.histogram(y, bins=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0])[0]
        note = f"p05={p05:.3f} p50={p50:.3f} p95={p95:.3f} hist5={hist.tolist()}"
    elif kind in ("two_class", "multiclass"):
        assert np.allclose(y.sum(axis=1), 1.0, atol=1e-5)
        counts = np.bincount(y.argmax(axis=1), minlength=y.shape[1])
        note = f"argmax counts={counts.tolist()}"
    else:
        note = f"range=[{y.min():.3f}, {y.max():.3f}] mean={y.mean():.3f}"
    if reference is not None:
        ref = reference(x)
        diff = float(np.max(np.abs(ref.reshape(y.shape) - y)))
        assert diff < 1e-4, f"{path.name}: ORT differs from torch by {diff}"
        note += f" |ort-torch|max={diff:.2e}"
    return note


def save_helper_model(model: onnx.ModelProto, path: Path, check: bool = True) -> None:
    if check:
        onnx.checker.check_model(model, full_check=True)
    with open(path, "wb") as fh:
        fh.write(model.SerializeToString())


def f32(name: str, array) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def i64(name: str, array) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(array, dtype=np.int64), name)


def const_node(name: str, array: np.ndarray) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [name], name=f"const_{name}",
                            value=numpy_helper.from_array(array, f"{name}_value"))


def make_helper_model(nodes, inputs, outputs, inits, opset: int, ir_version: int,
                      name: str, doc: str) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="inferwatcher-fixtures", producer_version="1")
    model.ir_version = ir_version  # the lowest IR that supports the opset
    model.doc_string = doc
    return model


def calibrate_head(model: onnx.ModelProto, feature_name: str, feature_width: int, f: int,
                   rng: np.random.Generator, target_std: float = 2.0) -> tuple[np.ndarray, float]:
    """Pick head weights so the pre-sigmoid logit is centred with std target_std.

    Runs `model` (with `feature_name` exposed as its graph output) on data-like
    rows, draws a random direction w, scales it, and returns (w, bias).
    """
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    del probe.graph.output[:]
    probe.graph.output.append(helper.make_tensor_value_info(feature_name, TensorProto.FLOAT, None))
    tmp = OUT_DIR / ".calibrate.onnx"
    save_helper_model(probe, tmp, check=False)
    try:
        sess = ort_session(tmp)
        x = draw_rows(np.random.default_rng(99), 4096, f)
        feats = sess.run(None, {sess.get_inputs()[0].name: x})[0].reshape(len(x), feature_width)
    finally:
        tmp.unlink()
    w = rng.normal(size=feature_width)
    logits = feats.astype(np.float64) @ w
    scale = target_std / max(logits.std(), 1e-6)
    return (w * scale).astype(np.float32), float(-logits.mean() * scale)


# --------------------------------------------------------------------------
# torch models
# --------------------------------------------------------------------------

def torch_fixtures(entries: list[dict]) -> None:
    import torch
    from torch import nn
    from torch.onnx import TrainingMode

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    logging.getLogger("torch").setLevel(logging.ERROR)
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)

    mean, std = column_stats(10)

    class Tabular(nn.Module):
        """Standardise (buffers) -> body -> head ('sigmoid'|'softmax'|'none'|'regression')."""

        def __init__(self, body: nn.Module, head: str, y_mean: float = 0.0, y_std: float = 1.0):
            super().__init__()
            self.register_buffer("mean", torch.from_numpy(mean.copy()))
            self.register_buffer("std", torch.from_numpy(std.copy()))
            self.body = body
            self.head = head
            if head == "regression":
                self.register_buffer("y_mean", torch.tensor([y_mean], dtype=torch.float32))
                self.register_buffer("y_std", torch.tensor([y_std], dtype=torch.float32))

        def logits(self, x):
            return self.body((x - self.mean) / self.std)

        def forward(self, x):
            z = self.logits(x)
            if self.head == "sigmoid":
                return torch.sigmoid(z)
            if self.head == "softmax":
                return torch.softmax(z, dim=1)
            if self.head == "regression":
                return z * self.y_std + self.y_mean
            return z

    def mlp(out: int, hidden=(64, 32)) -> nn.Module:
        layers, width = [], 10
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, out))
        return nn.Sequential(*layers)

    def train(model: Tabular, target: str, seed: int, steps: int = 300) -> None:
        """Brief full-batch Adam on 16k data-like rows (seconds on one core)."""
        rng = np.random.default_rng(seed)
        x = draw_rows(rng, 16384)
        latent = risk_latent(x, rng)
        xt = torch.from_numpy(x)
        if target == "binary":
            y = (rng.random(len(x)) < 1.0 / (1.0 + np.exp(-latent))).astype(np.float32)
            yt = torch.from_numpy(y).unsqueeze(1)
            loss_fn = nn.BCEWithLogitsLoss()
        elif target == "two_class":
            y = (rng.random(len(x)) < 1.0 / (1.0 + np.exp(-latent))).astype(np.int64)
            yt = torch.from_numpy(y)
            loss_fn = nn.CrossEntropyLoss()
        elif target == "three_class":
            cuts = np.quantile(latent, [1 / 3, 2 / 3])
            yt = torch.from_numpy(np.digitize(latent, cuts).astype(np.int64))
            loss_fn = nn.CrossEntropyLoss()
        elif target == "regression":
            value = regression_target(x, rng)
            yt = torch.from_numpy(((value - model.y_mean.item()) / model.y_std.item()).astype(np.float32)).unsqueeze(1)
            loss_fn = nn.MSELoss()
        else:
            raise ValueError(target)
        torch.manual_seed(seed)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        model.train()
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(model.logits(xt), yt)
            loss.backward()
            opt.step()
        model.eval()

    def regression_target(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Something like yearly customer value, in hundreds. Kept within about ±3 so float32
        resolution (~2e-7 there) leaves room for the 1e-5 absolute conformance tolerance; values in
        the hundreds would have a float32 spacing of ~1.5e-5 on their own."""
        return (x[:, COL["num_purchases"]] * x[:, COL["avg_transaction"]] / 100.0
                + x[:, COL["credit_score"]] / 200.0
                - 2.0 * x[:, COL["num_returns"]]
                + rng.normal(0.0, 1.0, size=len(x))) / 100.0

    def reference(model: nn.Module):
        def run(x: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return model(torch.from_numpy(x)).numpy()
        return run

    def export_legacy(model: nn.Module, path: Path, in_name: str, out_name: str, **kw) -> None:
        torch.onnx.export(
            model, (torch.from_numpy(draw_rows(np.random.default_rng(0), 4)),), str(path),
            dynamo=False, opset_version=17, input_names=[in_name], output_names=[out_name],
            dynamic_axes={in_name: {0: "batch"}, out_name: {0: "batch"}}, **kw)

    def add(path: Path, kind: str, model: nn.Module, metadata: dict | None = None,
            external_data: str | None = None, expect_ops: tuple = ()) -> None:
        if metadata:
            set_metadata(path, metadata)
        entry = describe(path, kind, COLUMNS, external_data=external_data)
        for op in expect_ops:
            assert op in entry["operators"], f"{path.name}: expected {op} in {entry['operators']}"
        note = verify(path, entry, reference(model))
        entries.append(entry)
        print(f"  {path.name:22s} {kind:11s} {note}")

    feature_columns = {"feature_columns": json.dumps(COLUMNS)}

    # mlp_legacy: the product-shaped model through the TorchScript exporter.
    torch.manual_seed(101)
    m = Tabular(mlp(1), "sigmoid")
    train(m, "binary", seed=101)
    p = OUT_DIR / "mlp_legacy.onnx"
    export_legacy(m, p, "features", "score")
    add(p, "probability", m, feature_columns, expect_ops=("Gemm", "Sigmoid"))

    # mlp_dynamo: same architecture through the torch.export-based exporter,
    # every initializer in an external-data side file.
    torch.manual_seed(102)
    m = Tabular(mlp(1), "sigmoid")
    train(m, "binary", seed=102)
    p = OUT_DIR / "mlp_dynamo.onnx"
    data_name = "mlp_dynamo.onnx.data"
    program = torch.onnx.export(
        m, (torch.from_numpy(draw_rows(np.random.default_rng(0), 4)),), dynamo=True,
        opset_version=18, dynamic_shapes=({0: torch.export.Dim("batch")},), verbose=False)
    proto = program.model_proto
    scrub_local_paths(proto, [str(HERE.parents[2]), str(Path(torch.__file__).resolve().parents[1])])
    for stale in (p, OUT_DIR / data_name):  # onnx appends to an existing data file
        if stale.exists():
            stale.unlink()
    onnx.save_model(proto, str(p), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=data_name, size_threshold=0, convert_attribute=False)
    os.chmod(OUT_DIR / data_name, 0o644)  # onnx creates it 0600
    add(p, "probability", m, external_data=data_name)

    # mlp_dynamo_matmul: the dynamo exporter turns nn.Linear into Gemm on 2-D inputs; on a
    # rank-3 activation it writes the Transpose + MatMul + Add form instead, so this model runs
    # its layers on [batch, 1, features] (Unsqueeze ... Squeeze around the body).
    class Rank3(nn.Module):
        def __init__(self, inner: Tabular):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            z = ((x - self.inner.mean) / self.inner.std).unsqueeze(1)
            return torch.sigmoid(self.inner.body(z)).squeeze(1)

    torch.manual_seed(109)
    inner = Tabular(mlp(1), "sigmoid")
    train(inner, "binary", seed=109)
    m = Rank3(inner).eval()
    p = OUT_DIR / "mlp_dynamo_matmul.onnx"
    program = torch.onnx.export(
        m, (torch.from_numpy(draw_rows(np.random.default_rng(0), 4)),), dynamo=True,
        opset_version=18, dynamic_shapes=({0: torch.export.Dim("batch")},), verbose=False)
    proto = program.model_proto
    scrub_local_paths(proto, [str(HERE.parents[2]), str(Path(torch.__file__).resolve().parents[1])])
    onnx.save_model(proto, str(p))
    add(p, "probability", m, feature_columns, expect_ops=("MatMul", "Add"))

    # batchnorm: BatchNormalization must survive export (no constant folding).
    torch.manual_seed(103)
    m = Tabular(nn.Sequential(nn.Linear(10, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 1)), "sigmoid")
    train(m, "binary", seed=103)  # train mode -> non-trivial running stats
    bn = m.body[1]
    assert bn.running_mean.abs().max() > 0.05 and (bn.running_var - 1).abs().max() > 0.05
    p = OUT_DIR / "batchnorm.onnx"
    export_legacy(m, p, "x", "probability", do_constant_folding=False, training=TrainingMode.EVAL)
    add(p, "probability", m, expect_ops=("BatchNormalization",))

    # layernorm_gelu: LayerNormalization + exact (erf) GELU; eval-mode Dropout
    # is dropped by the exporter.
    torch.manual_seed(104)
    m = Tabular(nn.Sequential(nn.Linear(10, 32), nn.LayerNorm(32), nn.GELU(approximate="none"),
                              nn.Dropout(0.1), nn.Linear(32, 1)), "sigmoid")
    train(m, "binary", seed=104)
    p = OUT_DIR / "layernorm_gelu.onnx"
    export_legacy(m, p, "input", "output")
    add(p, "probability", m, expect_ops=("LayerNormalization", "Erf"))

    # softmax3: three classes low/mid/high.
    torch.manual_seed(105)
    m = Tabular(mlp(3, hidden=(32,)), "softmax")
    train(m, "three_class", seed=105)
    p = OUT_DIR / "softmax3.onnx"
    export_legacy(m, p, "features", "probabilities")
    add(p, "multiclass", m, {"class_labels": json.dumps(["low", "mid", "high"])}, expect_ops=("Softmax",))

    # two_class: two-logit softmax; column 1 is the positive class.
    torch.manual_seed(106)
    m = Tabular(mlp(2, hidden=(32,)), "softmax")
    train(m, "two_class", seed=106)
    p = OUT_DIR / "two_class.onnx"
    export_legacy(m, p, "features", "probabilities")
    add(p, "two_class", m, expect_ops=("Softmax",))

    # regression: unbounded value, de-standardised inside the model.
    rng = np.random.default_rng(107)
    value = regression_target(draw_rows(rng, 16384), rng)
    torch.manual_seed(107)
    m = Tabular(mlp(1, hidden=(32,)), "regression", float(value.mean()), float(value.std()))
    train(m, "regression", seed=107)
    p = OUT_DIR / "regression.onnx"
    export_legacy(m, p, "features", "value")
    add(p, "regression", m, {"output_kind": "regression"})

    # logit: a raw logit without sigmoid and without metadata.
    torch.manual_seed(108)
    m = Tabular(mlp(1, hidden=(32,)), "none")
    train(m, "binary", seed=108)
    p = OUT_DIR / "logit.onnx"
    export_legacy(m, p, "features", "logit")
    add(p, "logit", m)


# --------------------------------------------------------------------------
# Hand-built working models
# --------------------------------------------------------------------------

def gelu_op_fixture(entries: list[dict]) -> None:
    """Opset 20 Gelu op, both approximations, F=5."""
    f = 5
    rng = np.random.default_rng(201)
    mean, std = column_stats(f)
    w1 = rng.normal(0, np.sqrt(2.0 / f), size=(f, 16))
    b1 = rng.normal(0, 0.1, size=16)
    w2 = rng.normal(0, np.sqrt(2.0 / 16), size=(16, 16))
    b2 = rng.normal(0, 0.1, size=16)

    def build(w3, b3):
        nodes = [
            helper.make_node("Sub", ["x", "mean"], ["xc"], name="standardise_sub"),
            helper.make_node("Div", ["xc", "std"], ["z"], name="standardise_div"),
            helper.make_node("MatMul", ["z", "w1"], ["h1_mm"], name="fc1_matmul"),
            helper.make_node("Add", ["h1_mm", "b1"], ["h1"], name="fc1_add"),
            helper.make_node("Gelu", ["h1"], ["g1"], name="gelu_exact", approximate="none"),
            helper.make_node("MatMul", ["g1", "w2"], ["h2_mm"], name="fc2_matmul"),
            helper.make_node("Add", ["h2_mm", "b2"], ["h2"], name="fc2_add"),
            helper.make_node("Gelu", ["h2"], ["g2"], name="gelu_tanh", approximate="tanh"),
            helper.make_node("Tanh", ["g2"], ["t2"], name="squash_tanh"),
            helper.make_node("MatMul", ["t2", "w3"], ["h3_mm"], name="head_matmul"),
            helper.make_node("Add", ["h3_mm", "b3"], ["logit"], name="head_add"),
            helper.make_node("Sigmoid", ["logit"], ["probability"], name="head_sigmoid"),
        ]
        inits = [f32("mean", mean), f32("std", std), f32("w1", w1), f32("b1", b1),
                 f32("w2", w2), f32("b2", b2), f32("w3", w3), f32("b3", [b3])]
        return make_helper_model(
            nodes,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", f])],
            [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["batch", 1])],
            inits, opset=20, ir_version=9, name="gelu_op",
            doc="Fixture: opset-20 Gelu (approximate none and tanh).")

    probe = build(np.zeros((16, 1)), 0.0)
    w3, b3 = calibrate_head(probe, "t2", 16, f, np.random.default_rng(202))
    model = build(w3.reshape(16, 1), b3)
    p = OUT_DIR / "gelu_op.onnx"
    save_helper_model(model, p)
    entry = describe(p, "probability", COLUMNS[:f])
    print(f"  {p.name:22s} {'probability':11s} {verify(p, entry)}")
    entries.append(entry)


def helper_ops_fixture(entries: list[dict]) -> None:
    """Opset 17 graph, F=6, exercising broadcasting and shape operators."""
    f = 6
    rng = np.random.default_rng(301)
    mean, std = column_stats(f)
    w1 = rng.normal(0, np.sqrt(2.0 / f), size=(f, 8))
    b1 = rng.normal(0, 0.1, size=8)
    grid = rng.normal(0, 0.2, size=(2, 4))
    wp = rng.normal(0, np.sqrt(2.0 / 8), size=(8, 4))
    wq = rng.normal(0, np.sqrt(2.0 / f), size=(f, 4))

    def build(gemm_b, gemm_c):
        n = helper.make_node
        nodes = [
            # standardise with [F] vectors broadcast against [N, F]
            n("Sub", ["x", "mu"], ["xc"], name="std_sub"),
            n("Div", ["xc", "sigma"], ["z"], name="std_div"),
            # scalar initializers: Mul, Pow(2), Sqrt
            n("Mul", ["z", "half"], ["z_half"], name="mul_half"),
            n("Pow", ["z", "two"], ["z_sq"], name="pow_square"),
            n("Add", ["z_sq", "eps"], ["z_sq_eps"], name="add_eps"),
            n("Sqrt", ["z_sq_eps"], ["z_abs"], name="sqrt_abs"),
            # row mean [N,1] broadcast back against [N,F]
            n("ReduceMean", ["z"], ["z_rowmean"], name="row_mean", axes=[1], keepdims=1),
            n("Sub", ["z", "z_rowmean"], ["z_centred"], name="sub_rowmean"),
            n("Clip", ["z_centred", "clip_min", "clip_max"], ["z_clip"], name="clip"),
            n("LeakyRelu", ["z_clip"], ["z_leaky"], name="leaky_relu", alpha=0.1),
            n("Tanh", ["z_half"], ["z_tanh"], name="tanh"),
            n("Add", ["z_leaky", "z_tanh"], ["s1"], name="add_leaky_tanh"),
            n("Mul", ["z_abs", "tenth"], ["z_abs_small"], name="mul_tenth"),
            n("Sub", ["s1", "z_abs_small"], ["s2"], name="sub_abs"),
            # dense layer [N,6] x [6,8] + [8]
            n("MatMul", ["s2", "w1"], ["h_mm"], name="fc1_matmul"),
            n("Add", ["h_mm", "b1"], ["h"], name="fc1_add"),
            # Unsqueeze / Squeeze with axes as an input (opset 13+)
            n("Unsqueeze", ["h", "axes_1"], ["h_3d"], name="unsqueeze"),
            n("Squeeze", ["h_3d", "axes_1"], ["h_2d"], name="squeeze"),
            # Reshape targets computed only from initializers/constants:
            #   [-1, 2, 4] = Concat([-1], Gather(Shape(grid), [0, 1]))
            #   [-1, 8]    = Concat([-1], Slice(Shape(w1), [1], [2], [0]))
            const_node("minus_one", np.array([-1], np.int64)),
            const_node("gather_idx", np.array([0, 1], np.int64)),
            const_node("slice_starts", np.array([1], np.int64)),
            const_node("slice_ends", np.array([2], np.int64)),
            n("Shape", ["grid"], ["grid_shape"], name="shape_grid"),
            n("Gather", ["grid_shape", "gather_idx"], ["grid_dims"], name="gather_grid_dims", axis=0),
            n("Concat", ["minus_one", "grid_dims"], ["shape_n24"], name="concat_shape_n24", axis=0),
            n("Shape", ["w1"], ["w1_shape"], name="shape_w1"),
            n("Slice", ["w1_shape", "slice_starts", "slice_ends", "axes_0"], ["w1_cols"], name="slice_w1_cols"),
            n("Concat", ["minus_one", "w1_cols"], ["shape_n8"], name="concat_shape_n8", axis=0),
            n("Reshape", ["h_2d", "shape_n24"], ["h_n24"], name="reshape_n24"),
            n("Add", ["h_n24", "grid"], ["h_n24_b"], name="add_grid"),
            n("Transpose", ["h_n24_b"], ["h_n42"], name="transpose", perm=[0, 2, 1]),
            n("Reshape", ["h_n42", "shape_n8"], ["h_mix"], name="reshape_n8"),
            # two [N,4] branches concatenated along axis 1
            n("MatMul", ["h_mix", "wp"], ["p"], name="branch_p_matmul"),
            n("MatMul", ["z", "wq"], ["q_pre"], name="branch_q_matmul"),
            n("Relu", ["q_pre"], ["q"], name="branch_q_relu"),
            n("Concat", ["p", "q"], ["pq"], name="concat_branches", axis=1),
            n("Flatten", ["pq"], ["pq_flat"], name="flatten", axis=1),
            # Cast an int64 shape value (8) to float and divide by it (foldable)
            n("Cast", ["w1_cols"], ["w1_cols_f"], name="cast_width", to=TensorProto.FLOAT),
            n("Div", ["pq_flat", "w1_cols_f"], ["pq_scaled"], name="div_width"),
            n("Mul", ["pq_scaled", "eight"], ["pq_rescaled"], name="mul_eight"),
            n("Cast", ["pq_rescaled"], ["pq_cast"], name="cast_float", to=TensorProto.FLOAT),
            n("Identity", ["pq_cast"], ["pq_id"], name="identity"),
            n("Dropout", ["pq_id"], ["d"], name="dropout_inference"),
            n("Softmax", ["d"], ["d_softmax"], name="softmax", axis=1),
            n("LogSoftmax", ["d"], ["d_logsoftmax"], name="log_softmax", axis=1),
            n("Add", ["d_softmax", "d_logsoftmax"], ["d_mix"], name="add_softmaxes"),
            n("Concat", ["d", "d_mix"], ["head_in"], name="concat_head", axis=1),
            # Gemm: alpha * A @ B^T + beta * C
            n("Gemm", ["head_in", "gemm_b", "gemm_c"], ["logit"], name="head_gemm",
              transB=1, alpha=0.75, beta=0.5),
            n("Sigmoid", ["logit"], ["probability"], name="head_sigmoid"),
        ]
        inits = [
            f32("mu", mean), f32("sigma", std),
            f32("half", np.float32(0.5)), f32("two", np.float32(2.0)), f32("eps", np.float32(1e-6)),
            f32("tenth", np.float32(0.1)), f32("eight", np.float32(8.0)),
            f32("clip_min", np.float32(-2.5)), f32("clip_max", np.float32(2.5)),
            f32("w1", w1), f32("b1", b1), f32("grid", grid), f32("wp", wp), f32("wq", wq),
            i64("axes_1", [1]), i64("axes_0", [0]),
            f32("gemm_b", gemm_b), f32("gemm_c", [gemm_c]),
        ]
        return make_helper_model(
            nodes,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", f])],
            [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["batch", 1])],
            inits, opset=17, ir_version=8, name="helper_ops",
            doc="Fixture: broadcasting, reductions and load-time-foldable shape ops.")

    probe = build(np.zeros((1, 16)), 0.0)
    w, b = calibrate_head(probe, "head_in", 16, f, np.random.default_rng(302))
    # Gemm computes 0.75 * A @ B^T + 0.5 * C, so undo alpha/beta.
    model = build((w / 0.75).reshape(1, 16), b / 0.5)
    p = OUT_DIR / "helper_ops.onnx"
    save_helper_model(model, p)
    entry = describe(p, "probability", COLUMNS[:f])
    print(f"  {p.name:22s} {'probability':11s} {verify(p, entry)}")
    entries.append(entry)


# --------------------------------------------------------------------------
# Error fixtures
# --------------------------------------------------------------------------

def error_fixtures(entries: list[dict]) -> None:
    n = helper.make_node
    F = TensorProto.FLOAT

    def emit(name, model, expected, columns, check=True, ort_should_load=True, feeds=None,
             external_data=None):
        p = OUT_DIR / f"{name}.onnx"
        save_helper_model(model, p, check=check)
        entry = describe(p, "error", columns, expected_error=expected, external_data=external_data)
        entries.append(entry)
        try:
            sess = ort_session(p)
            outs = sess.run(None, feeds) if feeds is not None else None
            if outs is not None:
                assert all(np.all(np.isfinite(o)) for o in outs)
            ort_note = "ORT loads and runs it"
            assert ort_should_load, f"{name}: onnxruntime unexpectedly accepted it"
        except Exception as exc:  # noqa: BLE001 -- we want ORT's message
            if ort_should_load:
                raise
            msg = str(exc).strip().splitlines()[0].replace(str(OUT_DIR), "models")
            if "Error:" in msg:
                msg = msg.split("Error:", 1)[1].strip()
            msg = msg[:160]
            ort_note = f"ORT rejects it: {msg}"
        print(f"  {p.name:22s} {'error':11s} {ort_note}")

    rng = np.random.default_rng(401)
    rows = draw_rows(rng, VERIFY_ROWS, 4)
    mean4, std4 = column_stats(4)

    # two graph inputs
    model = make_helper_model(
        [n("Add", ["a", "b"], ["ab"], name="add_inputs"),
         n("ReduceMean", ["ab"], ["m"], name="mean", axes=[1], keepdims=1),
         n("Sigmoid", ["m"], ["probability"], name="sigmoid")],
        [helper.make_tensor_value_info("a", F, ["batch", 3]), helper.make_tensor_value_info("b", F, ["batch", 3])],
        [helper.make_tensor_value_info("probability", F, ["batch", 1])],
        [], opset=17, ir_version=8, name="two_inputs", doc="Error fixture: two graph inputs.")
    z = np.zeros((5, 3), np.float32)
    emit("two_inputs", model, "model has 2 graph inputs (a, b); exactly one is supported",
         COLUMNS[:3], feeds={"a": z, "b": z})

    # int64 input
    model = make_helper_model(
        [n("Cast", ["x"], ["xf"], name="cast_to_float", to=F),
         n("ReduceMean", ["xf"], ["m"], name="mean", axes=[1], keepdims=1),
         n("Sigmoid", ["m"], ["probability"], name="sigmoid")],
        [helper.make_tensor_value_info("x", TensorProto.INT64, ["batch", 3])],
        [helper.make_tensor_value_info("probability", F, ["batch", 1])],
        [], opset=17, ir_version=8, name="int_input", doc="Error fixture: int64 input.")
    emit("int_input", model, "input 'x' has element type int64; only float32 is supported",
         COLUMNS[:3], feeds={"x": np.zeros((5, 3), np.int64)})

    # rank-3 float input
    model = make_helper_model(
        [n("ReduceMean", ["x"], ["m2"], name="mean_last", axes=[2], keepdims=0),
         n("ReduceMean", ["m2"], ["m"], name="mean_rows", axes=[1], keepdims=1),
         n("Sigmoid", ["m"], ["probability"], name="sigmoid")],
        [helper.make_tensor_value_info("x", F, ["batch", 4, 3])],
        [helper.make_tensor_value_info("probability", F, ["batch", 1])],
        [], opset=17, ir_version=8, name="input_3d", doc="Error fixture: rank-3 input.")
    emit("input_3d", model, "input 'x' has rank 3 [batch, 4, 3]; expected [batch, features]",
         COLUMNS[:3], feeds={"x": np.zeros((5, 4, 3), np.float32)})

    # unsupported operators (valid, ORT runs it)
    model = make_helper_model(
        [n("Sub", ["x", "mean"], ["xc"], name="std_sub"),
         n("Div", ["xc", "std"], ["z"], name="std_div"),
         n("Einsum", ["z", "w"], ["e"], name="einsum_project", equation="ij,jk->ik"),
         n("TopK", ["e", "k"], ["top_values", "top_indices"], name="topk_best", axis=1),
         n("CumSum", ["top_values", "axis_1"], ["cum"], name="cumsum_top"),
         n("ReduceMean", ["cum"], ["m"], name="mean", axes=[1], keepdims=1),
         n("Sigmoid", ["m"], ["probability"], name="sigmoid")],
        [helper.make_tensor_value_info("x", F, ["batch", 4])],
        [helper.make_tensor_value_info("probability", F, ["batch", 1])],
        [f32("mean", mean4), f32("std", std4), f32("w", rng.normal(0, 0.5, (4, 6))),
         i64("k", [3]), i64("axis_1", np.int64(1))],
        opset=17, ir_version=8, name="unsupported_ops",
        doc="Error fixture: operators the engine does not implement.")
    emit("unsupported_ops", model,
         "unsupported operators: CumSum (node 'cumsum_top'), Einsum (node 'einsum_project'), "
         "TopK (node 'topk_best')", COLUMNS[:4], feeds={"x": rows})

    # default-domain opset 99 (checker would refuse; ORT refuses too)
    model = make_helper_model(
        [n("Sigmoid", ["x"], ["probability"], name="sigmoid")],
        [helper.make_tensor_value_info("x", F, ["batch", 1])],
        [helper.make_tensor_value_info("probability", F, ["batch", 1])],
        [], opset=99, ir_version=8, name="opset_too_new", doc="Error fixture: opset 99.")
    emit("opset_too_new", model, "default-domain opset 99 is newer than the engine supports",
         COLUMNS[:1], check=False, ort_should_load=False)

    # external data escaping the model directory, and missing external data
    def external_model(name: str, location: str, doc: str) -> onnx.ModelProto:
        w = onnx.TensorProto()
        w.name = "w"
        w.data_type = F
        w.dims.extend([4, 1])
        w.data_location = onnx.TensorProto.EXTERNAL
        for key, value in (("location", location), ("offset", "0"), ("length", "16")):
            w.external_data.append(onnx.StringStringEntryProto(key=key, value=value))
        return make_helper_model(
            [n("MatMul", ["x", "w"], ["logit"], name="matmul"),
             n("Sigmoid", ["logit"], ["probability"], name="sigmoid")],
            [helper.make_tensor_value_info("x", F, ["batch", 4])],
            [helper.make_tensor_value_info("probability", F, ["batch", 1])],
            [w], opset=17, ir_version=8, name=name, doc=doc)

    emit("external_escape",
         external_model("external_escape", "../outside.bin",
                        "Error fixture: external data path escapes the model directory."),
         "initializer 'w' has external data location '../outside.bin' outside the model directory; "
         "it must be refused without reading it", COLUMNS[:4], check=False, ort_should_load=False,
         external_data="../outside.bin")
    missing = OUT_DIR / "missing.onnx.data"
    assert not missing.exists()
    emit("external_missing",
         external_model("external_missing", "missing.onnx.data",
                        "Error fixture: external data file does not exist."),
         "initializer 'w' refers to external data file 'missing.onnx.data' which does not exist",
         COLUMNS[:4], check=False, ort_should_load=False, external_data="missing.onnx.data")


# --------------------------------------------------------------------------

def main() -> int:
    start = time.time()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    entries: list[dict] = []
    print(f"writing fixtures to {OUT_DIR}")
    torch_fixtures(entries)
    gelu_op_fixture(entries)
    helper_ops_fixture(entries)
    error_fixtures(entries)
    with open(OUT_DIR / "fixtures.json", "w", encoding="utf-8") as fh:
        json.dump(entries, fh, indent=2)
        fh.write("\n")
    print(f"wrote {len(entries)} fixtures + fixtures.json in {time.time() - start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
