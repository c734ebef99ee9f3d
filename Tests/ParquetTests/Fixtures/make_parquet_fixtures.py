#!/usr/bin/env python3
"""Writes the Parquet fixtures of Tests/ParquetTests and the text the reader must give for them.

Made with pyarrow 26.0.1, polars 2.1.0 and numpy 2.4.6 (checked below: other versions may write
other bytes, so the fixtures would change for no reason). Run it from the repository root:

    .venv/bin/pip install pyarrow==26.0.1 polars==2.1.0
    .venv/bin/python Tests/ParquetTests/Fixtures/make_parquet_fixtures.py

Files written next to this script:
  <encoding>-v<1|2>-<codec>.parquet  the table below in every combination of
                                     encoding {plain, dictionary, delta, bytestreamsplit} x
                                     data page version {1.0, 2.0} x codec {none, snappy, gzip, zstd}
  polars.parquet                     the same table written by polars (zstd)
  decimal-as-integer.parquet         decimals stored as INT32/INT64 where they fit
  int96.parquet                      timestamps as INT96 (Spark's legacy layout)
  nested.parquet                     a list<int32> column: the reader must refuse it
  expected.csv                       the text of every value (\\N for null) per docs/PARQUET.md
  expected-int96.csv                 the same for int96.parquet (timestamps as UTC nanoseconds)
The CSV is written by hand (no quoting needed: no value holds a comma, quote or newline).
"""

import datetime
import decimal
import math
import os
import random

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

PINS = {"pyarrow": (pa, "26.0.1"), "polars": (pl, "2.1.0"), "numpy": (np, "2.4.6")}
for name, (module, version) in PINS.items():
    if module.__version__ != version:
        raise SystemExit(f"make_parquet_fixtures: {name} {module.__version__} found, {version} expected")

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = 300
NULL = "\\N"


def build_table() -> pa.Table:
    rng = random.Random(20240102)

    def maybe(values, every):
        # Nulls at a fixed pattern per column, so every optional column has some.
        return [None if (i % every == every - 1) else v for i, v in enumerate(values)]

    f1 = [0.1, 1e-7, -0.0, 3.4028235e38, 1e300, -2.5, 1e16, 1e15, 0.0001, 0.00001] + [
        rng.gauss(0, 1000) for _ in range(ROWS - 10)
    ]
    f2 = [math.inf, -math.inf, math.nan, 5e-324, 1.7976931348623157e308] + [
        round(rng.uniform(-100, 100), rng.randint(0, 6)) for _ in range(ROWS - 5)
    ]
    f3 = [float(rng.randint(0, 4)) for _ in range(ROWS)]  # few distinct values: a real dictionary
    f32 = [3.4028235e38, 0.1, 1e-7, -0.0, 1.5] + [rng.uniform(-1, 1) for _ in range(ROWS - 5)]
    i32 = [-(2**31), 2**31 - 1, 0, -1] + [rng.randint(-1000, 1000) for _ in range(ROWS - 4)]
    big = [-(2**63), 2**63 - 1, 0] + [rng.randint(-(10**15), 10**15) for _ in range(ROWS - 3)]
    small = [rng.randint(-32768, 32767) for _ in range(ROWS)]
    u32 = [2**32 - 1, 0] + [rng.randint(0, 2**32 - 1) for _ in range(ROWS - 2)]
    words = ["alpha", "beta", "", "gamma", "café", "日本", "delta epsilon"]
    name = [words[rng.randrange(len(words))] + ("" if i % 3 else str(i)) for i in range(ROWS)]
    flag = [rng.random() < 0.5 for _ in range(ROWS)]
    day = [datetime.date(1970, 1, 1), datetime.date(2000, 2, 29), datetime.date(1969, 12, 31), datetime.date(9999, 12, 31)] + [
        datetime.date(1900, 1, 1) + datetime.timedelta(days=rng.randint(0, 80000)) for _ in range(ROWS - 4)
    ]
    epoch_us = [0, 1_704_164_645_123_456, -1, -86_400_000_001] + [
        rng.randint(-(10**15), 4 * 10**15) for _ in range(ROWS - 4)
    ]
    epoch_ms = [0, 1_704_164_645_120, -1] + [rng.randint(-(10**12), 4 * 10**12) for _ in range(ROWS - 3)]
    dec9 = [decimal.Decimal("-12.50"), decimal.Decimal("0.00"), decimal.Decimal("9999999.99"), decimal.Decimal("-9999999.99")] + [
        decimal.Decimal(rng.randint(-(10**9) + 1, 10**9 - 1)).scaleb(-2) for _ in range(ROWS - 4)
    ]
    dec20 = [decimal.Decimal("1234567890123456.7890"), decimal.Decimal("-9999999999999999.9999"), decimal.Decimal("0.0001")] + [
        decimal.Decimal(rng.randint(-(10**20) + 1, 10**20 - 1)).scaleb(-4) for _ in range(ROWS - 3)
    ]
    return pa.table(
        {
            "id": pa.array(range(ROWS), pa.int64()),
            "name": pa.array(maybe(name, 7), pa.string()),
            "f1": pa.array(maybe(f1, 11), pa.float64()),
            "f2": pa.array(maybe(f2, 13), pa.float64()),
            "f3": pa.array(maybe(f3, 17), pa.float64()),
            "f32": pa.array(maybe(f32, 19), pa.float32()),
            "i32": pa.array(maybe(i32, 23), pa.int32()),
            "big": pa.array(maybe(big, 29), pa.int64()),
            "small": pa.array(maybe(small, 31), pa.int16()),
            "u32": pa.array(maybe(u32, 37), pa.uint32()),
            "flag": pa.array(maybe(flag, 5), pa.bool_()),
            "day": pa.array(maybe(day, 41), pa.date32()),
            "ts_utc": pa.array(maybe(epoch_us, 43), pa.timestamp("us", tz="UTC")),
            "ts_local": pa.array(maybe(epoch_ms, 47), pa.timestamp("ms")),
            "dec9": pa.array(maybe(dec9, 53), pa.decimal128(9, 2)),
            "dec20": pa.array(maybe(dec20, 59), pa.decimal128(20, 4)),
        },
        schema=pa.schema(
            [pa.field("id", pa.int64(), nullable=False)]
            + [
                pa.field(n, t)
                for n, t in [
                    ("name", pa.string()),
                    ("f1", pa.float64()),
                    ("f2", pa.float64()),
                    ("f3", pa.float64()),
                    ("f32", pa.float32()),
                    ("i32", pa.int32()),
                    ("big", pa.int64()),
                    ("small", pa.int16()),
                    ("u32", pa.uint32()),
                    ("flag", pa.bool_()),
                    ("day", pa.date32()),
                    ("ts_utc", pa.timestamp("us", tz="UTC")),
                    ("ts_local", pa.timestamp("ms")),
                    ("dec9", pa.decimal128(9, 2)),
                    ("dec20", pa.decimal128(20, 4)),
                ]
            ]
        ),
    )


# Text rules (docs/PARQUET.md), written out with integer arithmetic.


def civil(days: int) -> str:
    date = datetime.date(1970, 1, 1) + datetime.timedelta(days=days)
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}"


def timestamp(value: int, per_second: int, digits: int, utc: bool) -> str:
    seconds, fraction = divmod(value, per_second)
    days, second_of_day = divmod(seconds, 86400)
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    text = f"{civil(days)}T{hour:02d}:{minute:02d}:{second:02d}.{fraction:0{digits}d}"
    return text + ("Z" if utc else "")


def float_text(value, single: bool) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return str(np.float32(value)) if single else repr(value)


def text(column: str, value, int96: bool = False) -> str:
    if value is None:
        return NULL
    if column in ("f1", "f2", "f3"):
        return float_text(value, single=False)
    if column == "f32":
        return float_text(value, single=True)
    if column == "flag":
        return "true" if value else "false"
    if column == "day":
        return civil((value - datetime.date(1970, 1, 1)).days)
    if column in ("ts_utc", "ts_local"):
        if int96:
            return timestamp(value * (1000 if column == "ts_utc" else 1_000_000), 10**9, 9, True)
        return timestamp(value, 10**6, 6, True) if column == "ts_utc" else timestamp(value, 1000, 3, False)
    if column in ("dec9", "dec20"):
        return format(value, "f")
    return str(value)


def write_expected(table: pa.Table, file_name: str, int96: bool = False) -> None:
    columns = table.column_names
    lines = [",".join(columns)]
    raw = {}
    for column in columns:
        array = table.column(column)
        if pa.types.is_timestamp(array.type):
            array = array.cast(pa.int64())
        raw[column] = array.to_pylist()
    for row in range(table.num_rows):
        lines.append(",".join(text(column, raw[column][row], int96) for column in columns))
    with open(os.path.join(HERE, file_name), "w", encoding="utf-8", newline="\n") as output:
        output.write("\n".join(lines) + "\n")


def main() -> None:
    for old in os.listdir(HERE):
        if old.endswith((".parquet", ".csv")):
            os.remove(os.path.join(HERE, old))
    table = build_table()
    ints = ["id", "i32", "big", "small", "u32", "day", "ts_utc", "ts_local"]
    floats = ["f1", "f2", "f3", "f32"]
    encodings = {
        "plain": dict(use_dictionary=False),
        "dictionary": dict(use_dictionary=True),
        "delta": dict(
            use_dictionary=False,
            column_encoding={**{c: "DELTA_BINARY_PACKED" for c in ints}, "name": "DELTA_BYTE_ARRAY"},
        ),
        "bytestreamsplit": dict(
            use_dictionary=False,
            column_encoding={
                **{c: "BYTE_STREAM_SPLIT" for c in floats + ["i32", "big", "dec9", "dec20"]},
                "name": "DELTA_LENGTH_BYTE_ARRAY",
            },
        ),
    }
    for encoding, options in encodings.items():
        for version in ("1.0", "2.0"):
            for codec in ("none", "snappy", "gzip", "zstd"):
                pq.write_table(
                    table,
                    os.path.join(HERE, f"{encoding}-v{version[0]}-{codec}.parquet"),
                    row_group_size=128,
                    data_page_size=512,  # several pages per column chunk
                    write_batch_size=32,
                    data_page_version=version,
                    compression=codec,
                    write_statistics=False,
                    **options,
                )
    pl.from_arrow(table).write_parquet(os.path.join(HERE, "polars.parquet"), compression="zstd", row_group_size=100)
    pq.write_table(
        table, os.path.join(HERE, "decimal-as-integer.parquet"), row_group_size=128, store_decimal_as_integer=True
    )
    pq.write_table(
        table, os.path.join(HERE, "int96.parquet"), row_group_size=128, use_deprecated_int96_timestamps=True
    )
    nested = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "values": pa.array([[1, 2], None, [3]], pa.list_(pa.int32()))})
    pq.write_table(nested, os.path.join(HERE, "nested.parquet"))
    write_expected(table, "expected.csv")
    write_expected(table, "expected-int96.csv", int96=True)


if __name__ == "__main__":
    main()
