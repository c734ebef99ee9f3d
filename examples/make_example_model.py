#!/usr/bin/env python3
"""Build the bundled demo model ``examples/model.onnx``.

Regenerate (about ten seconds on 2 CPU cores):

    python3 examples/make_example_model.py

Needs: torch (CPU is enough), onnx, onnxruntime, numpy
(``pip install torch onnx onnxruntime numpy``). Only needed to rebuild the
committed model, never by the daemon or CI.

The model has the same shape as the original product's scoring model:

* input ``features``: float32 [batch, 10], dynamic batch, columns in order
  age, income, credit_score, num_purchases, account_age_days,
  avg_transaction, num_returns, is_premium, region, category_preference;
* standardisation inside the model ((x - mean) / std, stored as buffers);
* 10 -> 64 -> 32 -> 1 MLP with ReLU, then Sigmoid;
* output ``score``: float32 [batch, 1], a probability in (0, 1);
* metadata_props ``feature_columns`` = JSON list of the 10 column names.

It is trained for a few seconds (fixed seeds, single thread) on 100,000
synthetic rows drawn like the data generator, with labels from a noisy
logistic rule on credit_score, income, num_returns and is_premium, so the
scores spread over (0, 1). It is exported with the legacy TorchScript
exporter (``dynamo=False``) at opset 17, checked with onnxruntime against
torch, and a score histogram is printed at the end.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

OUT_PATH = Path(__file__).resolve().parent / "model.onnx"
SEED = 20240601
N_ROWS = 100_000

# (column, low, high, kind): "int" = integers low..high inclusive,
# "uniform" = continuous uniform [low, high) -- like the data generator.
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


def draw_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    cols = []
    for _, lo, hi, kind in COLUMN_SPECS:
        if kind == "int":
            cols.append(rng.integers(lo, hi + 1, size=n).astype(np.float64))
        else:
            cols.append(rng.uniform(lo, hi, size=n))
    return np.stack(cols, axis=1).astype(np.float32)


def labels(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Noisy logistic rule: good credit and income help, returns hurt."""
    credit = (x[:, COL["credit_score"]] - 575.0) / 160.0
    income = (x[:, COL["income"]] - 85000.0) / 37500.0
    returns = (x[:, COL["num_returns"]] - 4.5) / 2.9
    premium = 2.0 * x[:, COL["is_premium"]] - 1.0
    logit = 1.8 * credit + 1.1 * income - 1.0 * returns + 0.7 * premium + rng.normal(0.0, 0.4, len(x))
    return (rng.random(len(x)) < 1.0 / (1.0 + np.exp(-logit))).astype(np.float32)


class ScoringModel(nn.Module):
    def __init__(self, mean: np.ndarray, std: np.ndarray):
        super().__init__()
        self.register_buffer("mean", torch.from_numpy(mean.astype(np.float32)))
        self.register_buffer("std", torch.from_numpy(std.astype(np.float32)))
        self.net = nn.Sequential(
            nn.Linear(10, 64), nn.ReLU(),
            nn.Linear(64, 32), nn.ReLU(),
            nn.Linear(32, 1),
        )

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.mean) / self.std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(x))


def main() -> int:
    start = time.time()
    torch.set_num_threads(1)  # reproducible float summation order
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)

    x = draw_rows(rng, N_ROWS)
    y = labels(x, rng)
    mean, std = x.mean(axis=0), x.std(axis=0)
    model = ScoringModel(mean, std)

    # A few epochs of minibatch Adam: a couple of seconds on one core.
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).unsqueeze(1)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    gen = torch.Generator().manual_seed(SEED)
    model.train()
    for epoch in range(3):
        order = torch.randperm(N_ROWS, generator=gen)
        total = 0.0
        for i in range(0, N_ROWS, 1024):
            idx = order[i:i + 1024]
            opt.zero_grad()
            loss = loss_fn(model.logits(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}: loss {total / N_ROWS:.4f}")
    model.eval()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (xt[:4],), str(OUT_PATH), dynamo=False, opset_version=17,
            input_names=["features"], output_names=["score"],
            dynamic_axes={"features": {0: "batch"}, "score": {0: "batch"}})
    proto = onnx.load(str(OUT_PATH))
    proto.metadata_props.append(onnx.StringStringEntryProto(key="feature_columns", value=json.dumps(COLUMNS)))
    onnx.checker.check_model(proto, full_check=True)
    onnx.save_model(proto, str(OUT_PATH))

    # Check with onnxruntime on fresh rows, against torch.
    test = draw_rows(np.random.default_rng(SEED + 1), 10_000)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(OUT_PATH), so, providers=["CPUExecutionProvider"])
    scores = session.run(None, {"features": test})[0]
    with torch.no_grad():
        reference = model(torch.from_numpy(test)).numpy()
    assert scores.shape == (len(test), 1) and np.all(np.isfinite(scores))
    diff = float(np.abs(scores - reference).max())
    assert diff < 1e-5, diff
    test_labels = labels(test, np.random.default_rng(SEED + 2))
    accuracy = float(((scores[:, 0] >= 0.5) == (test_labels == 1)).mean())

    ops = sorted({n.op_type for n in proto.graph.node})
    print(f"wrote {OUT_PATH} ({OUT_PATH.stat().st_size} bytes), opset 17, operators {ops}")
    print(f"onnxruntime vs torch max |diff| {diff:.2e}; accuracy vs fresh noisy labels {accuracy:.3f}")
    print("score histogram on 10,000 fresh rows:")
    counts, edges = np.histogram(scores, bins=10, range=(0.0, 1.0))
    for count, lo, hi in zip(counts, edges[:-1], edges[1:]):
        print(f"  [{lo:.1f}, {hi:.1f}{']' if hi == 1.0 else ')'} {count:6d} {'#' * int(round(60 * count / counts.max()))}")
    print(f"done in {time.time() - start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
