#!/usr/bin/env python3
"""Golden data for the engine's report statistics, computed with pandas.

Regenerate (a second or two):

    python3 Tests/EngineTests/Fixtures/make_report_golden.py

Needs: numpy, pandas.

For each score set NAME it writes, into ``Tests/EngineTests/Fixtures/report/``:

* ``scores_NAME.txt``  one float32 score per line, written as ``repr`` of the
  float32 value widened to a Python float (e.g. float32(0.2) is written
  ``0.20000000298023224``), so parsing a line as a Double gives the float32
  value exactly, and parsing it as a Float gives the same float32 back.
* ``scores_NAME.json`` what pandas computes on ``pd.Series(scores_as_float64)``:
  ``count``, ``positive`` (score >= 0.5), ``negative`` (score < 0.5), ``mean``,
  ``std`` (ddof=1; ``null`` when pandas gives NaN, i.e. a single score),
  ``min``, ``max``, and ``histogram``: the 5 counts of
  ``pd.cut(s, bins=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0], include_lowest=True)
  .value_counts(sort=False)`` -- bins are right-closed, the first one also
  includes 0.0. Floats are written with repr (full precision).

Note: the comparisons happen in float64 on the widened float32 scores, so a
float32 "0.2" (0.20000000298...) is > 0.2 and falls into the SECOND bin; the
same holds for 0.4, 0.6 and 0.8 (which are all slightly above their float64
edge). The ``boundaries`` set pins that behaviour down.

Score sets:

* ``uniform_10000``  10,000 seeded uniform [0, 1) scores.
* ``skewed_5000``    5,000 seeded Beta(2, 5) scores (uneven histogram).
* ``boundaries``     0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0 repeated (shuffled).
* ``single``         one score (std is null).
* ``three``          three scores.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

OUT_DIR = Path(__file__).resolve().parent / "report"
BINS = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


def score_sets() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20240601)
    boundary_values = np.array([0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0], dtype=np.float32)
    boundaries = np.repeat(boundary_values, [3, 4, 2, 5, 3, 4, 6])
    boundaries = boundaries[np.random.default_rng(7).permutation(len(boundaries))]
    return {
        "uniform_10000": rng.random(10_000).astype(np.float32),
        "skewed_5000": rng.beta(2.0, 5.0, size=5_000).astype(np.float32),
        "boundaries": boundaries.astype(np.float32),
        "single": np.array([0.7310586], dtype=np.float32),
        "three": np.array([0.125, 0.5, 0.9], dtype=np.float32),
    }


def as_json_float(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def statistics(scores: np.ndarray) -> dict:
    s = pd.Series(scores.astype(np.float64))
    hist = pd.cut(s, bins=BINS, include_lowest=True).value_counts(sort=False)
    assert int(hist.sum()) == len(s), "every score must fall into a bin"
    return {
        "count": int(s.count()),
        "positive": int((s >= 0.5).sum()),
        "negative": int((s < 0.5).sum()),
        "mean": as_json_float(s.mean()),
        "std": as_json_float(s.std()),  # pandas default ddof=1; NaN for one score
        "min": as_json_float(s.min()),
        "max": as_json_float(s.max()),
        "histogram": [int(c) for c in hist.tolist()],
        "bins": BINS,
    }


def main() -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, scores in score_sets().items():
        assert scores.dtype == np.float32
        txt = OUT_DIR / f"scores_{name}.txt"
        with open(txt, "w", encoding="utf-8", newline="\n") as fh:
            for x in scores:
                fh.write(repr(np.float32(x).item()) + "\n")
        # Round-trip check: the text must give back the same float32 values.
        back = np.array([float(line) for line in txt.read_text().splitlines()], dtype=np.float64)
        assert np.array_equal(back.astype(np.float32), scores) and np.array_equal(back, scores.astype(np.float64))

        stats = statistics(scores)
        with open(OUT_DIR / f"scores_{name}.json", "w", encoding="utf-8", newline="\n") as fh:
            json.dump(stats, fh, indent=2)
            fh.write("\n")
        print(f"{name:14s} count={stats['count']:6d} positive={stats['positive']:6d} "
              f"mean={stats['mean']!r} std={stats['std']!r} histogram={stats['histogram']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
