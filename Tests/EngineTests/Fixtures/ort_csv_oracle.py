#!/usr/bin/env python3
"""onnxruntime reference ("oracle") for models with several, string or int64 inputs: CSV in, CSV out.

Usage (the Swift tests run this as a subprocess):

    python3 Tests/EngineTests/Fixtures/ort_csv_oracle.py MODEL IN.csv OUT.csv

* reads IN.csv (a header, then one row per record; RFC 4180 quoting, read with the csv module);
* binds every graph input to columns of the file: an input of width 1 ([N,1] or [N]) takes the
  column named like the input; an input of width W > 1 ([N,W]) takes W consecutive names from the
  model's metadata ``feature_columns`` (comma-separated, one name per column of every input,
  inputs in graph input order, so the input's names start after the widths of the inputs before it);
* converts each field to the input's declared type: string inputs get the text as is (an empty
  field stays ""), float/double inputs parse it as a number (an empty field is NaN), int32/int64
  inputs parse an integer (an empty field is an error);
* runs the model with onnxruntime on the CPUExecutionProvider with every graph optimisation
  disabled (ORT_DISABLE_ALL), so ORT computes the graph as written;
* writes OUT.csv: a header ``label,v0,v1,...`` and one row per input row, ``label`` being the
  classifier's label output (the first int64 or string tensor output; empty when the model has
  none) and ``v0...`` the values of the first float tensor output (then the first double one),
  else a ZipMap's probabilities in the maps' key order (the classifier's label order), each
  written with repr(float) (shortest text that reads back to the same double, so a float32
  value is exact; NaN as ``nan``); outputs of rank > 2 are flattened per row. A file with no rows
  gives a header only (``label`` alone for a ZipMap, whose width is then unknown).

On any failure it prints ``ort_csv_oracle: error: ...`` on stderr and exits with status 1.

Needs: numpy, onnxruntime (pip install numpy onnxruntime); no onnx, no pandas. It has no outputs
besides OUT.csv.
"""

from __future__ import annotations

import csv
import os
import sys

USAGE = "usage: ort_csv_oracle.py MODEL IN.csv OUT.csv"

_FLOATS = {"tensor(float)": "float32", "tensor(double)": "float64"}
_INTS = {"tensor(int64)": "int64", "tensor(int32)": "int32"}


class OracleError(Exception):
    pass


def read_csv(path: str) -> tuple[list[str], list[list[str]]]:
    if not os.path.isfile(path):
        raise OracleError(f"input file not found: {path}")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            raise OracleError(f"{path} is empty (no header)") from None
        except csv.Error as exc:
            raise OracleError(f"{path}: {exc}") from None
        rows = []
        try:
            for row in reader:
                if len(row) != len(header):
                    raise OracleError(
                        f"{path} line {reader.line_num}: {len(row)} fields, the header has {len(header)}")
                rows.append(row)
        except csv.Error as exc:
            raise OracleError(f"{path} line {reader.line_num}: {exc}") from None
    return header, rows


def input_width(model_input) -> int:
    shape = model_input.shape
    if len(shape) == 1:
        return 1
    if len(shape) != 2:
        raise OracleError(f"input {model_input.name!r} has shape {shape}; expected [N] or [N, W]")
    width = shape[1]
    if not isinstance(width, int) or width < 1:
        raise OracleError(f"input {model_input.name!r} has no fixed width (shape {shape})")
    return width


def bind_columns(inputs, metadata: dict) -> list[list[str]]:
    """The CSV column names each graph input reads, in order."""
    listed = metadata.get("feature_columns")
    feature_columns = [name.strip() for name in listed.split(",")] if listed is not None else None
    bound, offset = [], 0
    for model_input in inputs:
        width = input_width(model_input)
        if width == 1:
            bound.append([model_input.name])
        else:
            if feature_columns is None:
                raise OracleError(
                    f"input {model_input.name!r} has width {width} but the model has no 'feature_columns' metadata")
            names = feature_columns[offset:offset + width]
            if len(names) != width:
                raise OracleError(
                    f"metadata feature_columns lists {len(feature_columns)} names; input {model_input.name!r}"
                    f" needs columns {offset}..{offset + width - 1}")
            bound.append(names)
        offset += width
    return bound


def convert(np, model_input, rows: list[list[str]], indices: list[int], names: list[str]):
    kind = model_input.type
    n, width = len(rows), len(indices)
    if kind == "tensor(string)":
        array = np.empty((n, width), dtype=object)
        for r, row in enumerate(rows):
            for c, index in enumerate(indices):
                array[r, c] = row[index]
    elif kind in _FLOATS:
        array = np.empty((n, width), dtype=_FLOATS[kind])
        for r, row in enumerate(rows):
            for c, index in enumerate(indices):
                text = row[index]
                if text.strip() == "":
                    array[r, c] = np.nan
                    continue
                try:
                    array[r, c] = float(text)
                except ValueError:
                    raise OracleError(f"row {r + 1}, column {names[c]!r}: {text!r} is not a number") from None
    elif kind in _INTS:
        array = np.empty((n, width), dtype=_INTS[kind])
        info = np.iinfo(array.dtype)
        for r, row in enumerate(rows):
            for c, index in enumerate(indices):
                text = row[index]
                try:
                    value = int(text)
                except ValueError:
                    what = "is empty" if text.strip() == "" else f"{text!r} is not an integer"
                    raise OracleError(f"row {r + 1}, column {names[c]!r} {what} (input {model_input.name!r} is {kind})") from None
                if not info.min <= value <= info.max:
                    raise OracleError(f"row {r + 1}, column {names[c]!r}: {value} is out of range for {kind}")
                array[r, c] = value
    else:
        raise OracleError(f"input {model_input.name!r} has unsupported type {kind}")
    if len(model_input.shape) == 1:
        array = array.reshape(n)
    return array


def run(model_path: str, in_path: str, out_path: str) -> int:
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as exc:
        raise OracleError(f"cannot import numpy/onnxruntime ({exc}); pip install numpy onnxruntime") from None

    if not os.path.isfile(model_path):
        raise OracleError(f"model not found: {model_path}")
    header, rows = read_csv(in_path)

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 4  # fatal only: ORT's own error lines would repeat the exception's message
    try:
        session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 -- report ORT's own message
        raise OracleError(f"onnxruntime cannot load {model_path}: {exc}") from None

    inputs = session.get_inputs()
    metadata = session.get_modelmeta().custom_metadata_map
    positions = {}
    for i, name in enumerate(header):
        positions.setdefault(name, i)
    feeds = {}
    for model_input, names in zip(inputs, bind_columns(inputs, metadata)):
        missing = [name for name in names if name not in positions]
        if missing:
            raise OracleError(f"input {model_input.name!r} needs column(s) {missing} that {in_path} does not have")
        feeds[model_input.name] = convert(np, model_input, rows, [positions[name] for name in names], names)

    outputs = session.get_outputs()
    scores = (next((o for o in outputs if o.type == "tensor(float)"), None)
              or next((o for o in outputs if o.type == "tensor(double)"), None)
              or next((o for o in outputs if o.type.startswith("seq(map(")), None))
    if scores is None:
        raise OracleError(f"{model_path} has no float tensor output and no ZipMap output")
    label = next((o for o in outputs if o.type in ("tensor(int64)", "tensor(string)")), None)
    wanted = [scores.name] + ([label.name] if label is not None else [])
    try:
        values = session.run(wanted, feeds)
    except Exception as exc:  # noqa: BLE001
        raise OracleError(f"onnxruntime failed to run {model_path}: {exc}") from None

    n = len(rows)
    if scores.type.startswith("seq(map("):
        table = [[float(v) for v in row.values()] for row in values[0]]
        width = len(table[0]) if table else 0
    else:
        array = np.asarray(values[0])
        if array.ndim == 0 or array.shape[0] != n:
            raise OracleError(f"output {scores.name!r} has shape {list(array.shape)} for {n} rows")
        width = int(np.prod(array.shape[1:], dtype=np.int64))
        array = array.reshape(n, width)
        table = [[float(v) for v in row] for row in array.tolist()]
    if len(table) != n:
        raise OracleError(f"output {scores.name!r} has {len(table)} rows for {n} input rows")
    labels = [""] * n
    if label is not None:
        flat = np.asarray(values[1]).reshape(-1).tolist()
        if len(flat) != n:
            raise OracleError(f"label output {label.name!r} has {len(flat)} values for {n} rows")
        labels = [str(v) for v in flat]

    tmp_path = out_path + ".tmp"
    with open(tmp_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["label"] + [f"v{i}" for i in range(width)])
        for text, row in zip(labels, table):
            writer.writerow([text] + [repr(v) for v in row])
    os.replace(tmp_path, out_path)
    return n


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(f"ort_csv_oracle: error: expected 3 arguments\n{USAGE}", file=sys.stderr)
        return 1
    _, model_path, in_path, out_path = argv
    try:
        run(model_path, in_path, out_path)
    except OracleError as exc:
        print(f"ort_csv_oracle: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 -- anything unexpected is still exit 1
        print(f"ort_csv_oracle: error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
