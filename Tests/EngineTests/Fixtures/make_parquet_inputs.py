#!/usr/bin/env python3
"""Writes the Parquet inputs of the engine's Parquet tests: the same rows as sample.csv, as
pyarrow and polars write them, so predictions from each must equal predictions from the CSV.

Made with pyarrow 26.0.1 and polars 2.1.0 (checked below). Run from the repository root:

    .venv/bin/pip install pyarrow==26.0.1 polars==2.1.0
    .venv/bin/python Tests/EngineTests/Fixtures/make_parquet_inputs.py

Files written into Tests/EngineTests/Fixtures/parquet/:
  sample.csv                 the input of all of them, made first with
                             `inferwatcher sample-data --rows 2000 --seed 11 --output ...`
                             (user_id and the ten features); this script only reads it
  dictionary-v1-zstd.parquet pyarrow's defaults (dictionary pages, data page v1, zstd here)
  plain-v2-snappy.parquet    no dictionary, data page v2, snappy
  delta-v1-gzip.parquet      integers DELTA_BINARY_PACKED, doubles BYTE_STREAM_SPLIT, gzip
  bss-v2-none.parquet        doubles BYTE_STREAM_SPLIT, uncompressed, data page v2
  row-groups.parquet         row groups of 300 rows (7 of them), zstd
  float32.parquet            avg_transaction as FLOAT (float32), the integers as INT32
  polars.parquet             written by polars (its defaults: zstd)
  nulls.parquet              sample.csv with nulls: user_id on row 5, income on row 17 and 1001,
                             avg_transaction on row 1999 (rows 1-based); NaN in age on row 40
  strings.parquet            user_id as text ("u1", ...), a `note` text column with commas and
                             quotes, and credit_score as text (a text feature is parsed as a
                             number, as a CSV field is), 300 rows
"""

import os

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

PINS = {"pyarrow": (pa, "26.0.1"), "polars": (pl, "2.1.0")}
for name, (module, version) in PINS.items():
    if module.__version__ != version:
        raise SystemExit(f"make_parquet_inputs: {name} {module.__version__} found, {version} expected")

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "parquet")
table = pacsv.read_csv(os.path.join(OUT, "sample.csv"))
ints = [name for name, kind in zip(table.column_names, table.schema.types) if pa.types.is_integer(kind)]
doubles = [name for name, kind in zip(table.column_names, table.schema.types) if pa.types.is_floating(kind)]


def write(name, data, **options):
    pq.write_table(data, os.path.join(OUT, name), **options)


write("dictionary-v1-zstd.parquet", table, compression="zstd", data_page_version="1.0")
write("plain-v2-snappy.parquet", table, use_dictionary=False, compression="snappy", data_page_version="2.0")
write(
    "delta-v1-gzip.parquet", table, use_dictionary=False, compression="gzip",
    column_encoding={**{c: "DELTA_BINARY_PACKED" for c in ints}, **{c: "BYTE_STREAM_SPLIT" for c in doubles}},
)
write("bss-v2-none.parquet", table, use_dictionary=False, compression="none", data_page_version="2.0",
      column_encoding={c: "BYTE_STREAM_SPLIT" for c in doubles})
write("row-groups.parquet", table, compression="zstd", row_group_size=300)
narrow = table.cast(pa.schema([
    pa.field(f.name, pa.float32() if pa.types.is_floating(f.type) else pa.int32()) for f in table.schema
]))
write("float32.parquet", narrow, compression="zstd")
pl.from_arrow(table).write_parquet(os.path.join(OUT, "polars.parquet"))

columns = {name: table.column(name).to_pylist() for name in table.column_names}
columns["user_id"][4] = None
columns["income"][16] = None
columns["income"][1000] = None
columns["avg_transaction"][1998] = None
columns["age"] = [float(v) for v in columns["age"]]
columns["age"][39] = float("nan")
write("nulls.parquet", pa.table(columns), compression="zstd")

head = table.slice(0, 300)
strings = {name: head.column(name).to_pylist() for name in head.column_names}
strings["user_id"] = [f"u{v}" for v in strings["user_id"]]
strings["credit_score"] = [str(v) for v in strings["credit_score"]]
strings["note"] = [f'row {i}, "quoted"' if i % 3 == 0 else f"plain {i}" for i in range(len(head))]
write("strings.parquet", pa.table(strings), compression="snappy")
print("make_parquet_inputs: wrote", sorted(os.listdir(OUT)))
