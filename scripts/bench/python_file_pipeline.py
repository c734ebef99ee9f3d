#!/usr/bin/env python3
"""The best Python stack of ../shared/bench (polars + onnxruntime) on the inputs that arrive as
Parquet or as zstd- or gzip-compressed CSV: polars reads them (read_parquet / scan_parquet in
batches, read_csv on the compressed file, which polars decompresses itself), and everything else
is best_python_pipeline.py's own engine (the same float32 matrix, onnxruntime session, batches,
output and report).

    python_file_pipeline.py SHARED_BENCH_DIR --input X.parquet|X.csv.zst --output OUT.csv --model M
                            [--no-include-features] [--chunksize N]
"""
import argparse
import sys
import time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("shared")
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--id-column", default="user_id")
    ap.add_argument("--include-features", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--chunksize", type=int, default=None)
    args = ap.parse_args(argv)
    sys.path.insert(0, args.shared)
    import polars as pl
    from best_python_pipeline import TS_FORMAT, OnnxBatchEngine
    from report import format_report

    engine = OnnxBatchEngine(args.model, 65536, 2)
    started = time.perf_counter()
    parquet = args.input.endswith(".parquet")
    if args.chunksize and parquet:
        with open(args.output, "wb") as out:
            for index, frame in enumerate(pl.scan_parquet(args.input).collect_batches(chunk_size=args.chunksize)):
                result = engine.predict_frame(frame, args.id_column, args.include_features)
                result.write_csv(out, include_header=index == 0, datetime_format=TS_FORMAT)
    else:
        frame = pl.read_parquet(args.input) if parquet else pl.read_csv(args.input)
        engine.predict_frame(frame, args.id_column, args.include_features).write_csv(args.output, datetime_format=TS_FORMAT)
    total = time.perf_counter() - started
    print(format_report(engine.acc.summary(), {"total_time_s": round(total, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
