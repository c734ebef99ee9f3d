#!/usr/bin/env python3
"""The best Python stack of ../shared/bench (polars + onnxruntime) on a tree-ensemble classifier:
best_python_pipeline.py's own engine (polars read_csv, the float32 matrix, onnxruntime on 2
threads over 65,536-row batches, polars write_csv, the same report), except that the score is
read from the classifier's probabilities output (its second class's column), not from its first
output, which is the label.

    python_tree_pipeline.py SHARED_BENCH_DIR --input IN.csv --output OUT.csv --model M
                            [--no-include-features] [--chunksize N]
"""
import argparse
import sys


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
    import time

    import numpy as np
    from best_python_pipeline import OnnxBatchEngine
    from report import format_report

    class TreeEngine(OnnxBatchEngine):
        def __init__(self, model_path):
            super().__init__(model_path, 65536, 2)
            self.output_name = next(o.name for o in self.session.get_outputs() if o.type == "tensor(float)")

        def score_matrix(self, x: np.ndarray) -> np.ndarray:
            started = time.perf_counter()
            out = np.empty(x.shape[0], dtype=np.float32)
            for i in range(0, x.shape[0], self.infer_batch):
                out[i:i + self.infer_batch] = self.session.run(
                    [self.output_name], {self.input_name: x[i:i + self.infer_batch]})[0][:, -1]
            self.t["infer_s"] += time.perf_counter() - started
            return out

    engine = TreeEngine(args.model)
    stats = engine.predict_csv(args.input, args.output, args.id_column, args.include_features, args.chunksize)
    print(format_report(engine.acc.summary(), stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
