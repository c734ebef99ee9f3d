#!/usr/bin/env python3
"""Turns scripts/bench.sh's results.tsv into the tables of docs/PERFORMANCE.md.

    write_report.py RESULTS.tsv docs/PERFORMANCE.md --machine M --engine E --input DIR --model PATH
                    --daemon JSON [--daemon-before JSON] --compare TEXT --command CMD

Replaces the text between "<!-- bench:begin -->" and "<!-- bench:end -->" (appends the block if
the markers are missing), leaving the hand-written history around it alone. Standard library only.
"""
import argparse
import csv
import datetime
import json
import os
import sys

ROWS = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("doc")
    for name in ("machine", "engine", "input", "model", "daemon", "daemon-before", "compare", "command", "row-group-mb", "tree-model-mb"):
        ap.add_argument("--" + name, default="")
    args = ap.parse_args()

    runs = list(csv.DictReader(open(args.results), delimiter="\t"))
    find = lambda name, size, threads=None: next(
        (r for r in runs if r["name"] == name and r["size"] == size and (threads is None or r["threads"] == str(threads))), None)
    size_bytes = lambda size, suffix=".csv": os.path.getsize(os.path.join(args.input, f"input_{size}{suffix}"))

    def input_bytes(r):  # the bytes each configuration read: Parquet and .csv.zst runs read those files
        suffix = ".parquet" if "parquet" in r["name"] else ".csv.zst" if "zst" in r["name"] else ".csv"
        return size_bytes(r["size"], suffix)
    sizes = [r["size"] for r in runs if r["name"] == "inferwatcher" and r["size"] != "10k"]
    sizes = sorted(set(sizes), key=lambda s: ROWS.get(s, 0))
    largest = sizes[-1]

    lines = [BEGIN, "", f"## Latest run: {datetime.date.today().isoformat()}", ""]
    lines += [f"- machine: {args.machine}", f"- engine: {args.engine}", f"- model: `{args.model}`",
              f"- input: `{args.input}` ({', '.join(f'{s} = {size_bytes(s):,} bytes' for s in sizes)})",
              f"- command: `{args.command}`",
              "- method: fresh process per run under /usr/bin/time, input warm in the page cache, `sync` and the old output"
              " removed before each run; rounds that run every configuration once each (interleaved), the median over"
              " the rounds. MB/s = input bytes / wall.", ""]
    lines += ["| what | rows | threads | wall s | rows/s | MB/s in | peak RSS MB | user s | sys s |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        rows = ROWS.get(r["size"], 0)
        wall = float(r["wall_s"])
        nbytes = input_bytes(r) if r["name"] != "write_output" else 0
        rate = f"{rows / wall:,.0f}" if r["name"] not in ("read_input", "write_output") and wall > 0 else ""
        mbs = f"{nbytes / 1e6 / wall:,.1f}" if nbytes and wall > 0 else ""
        lines.append(f"| {r['name']} | {r['size']} | {r['threads']} | {wall:.2f} | {rate} | {mbs} | {r['rss_mb']} | {r['user_s']} | {r['sys_s']} |")
    lines.append("")

    ours = find("inferwatcher", largest, 2)
    ours1 = find("inferwatcher", largest, 1)
    checks = []
    python = [r for r in (find("best_python", largest), find("best_python_chunked_1M", largest)) if r]
    if python and ours:
        best = min(python, key=lambda r: float(r["wall_s"]))
        ratio = float(best["wall_s"]) / float(ours["wall_s"])
        checks.append((f"{largest}: throughput vs best Python ({best['name']}, {best['wall_s']} s)", f"{ratio:.2f}×", "≥ 5×", ratio >= 5))
    else:
        checks.append((f"{largest}: throughput vs best Python", "not measured (no Python baseline here)", "≥ 5×", None))
    read, write = find("read_input", largest), find("write_output", largest)
    # (On inputs so small that reading and writing round to 0.00 s there is no floor to compare with.)
    if read and write and ours and float(read["wall_s"]) + float(write["wall_s"]) > 0:
        floor = float(read["wall_s"]) + float(write["wall_s"])
        ratio = float(ours["wall_s"]) / floor
        checks.append((f"{largest}: wall vs I/O floor (read {read['wall_s']} s + write {write['wall_s']} s)", f"{ratio:.2f}×", "≤ 1.5×", ratio <= 1.5))
    if ours:
        checks.append((f"{largest}: peak RSS", f"{ours['rss_mb']} MB", "≤ 64 MB", float(ours["rss_mb"]) <= 64))
    small = find("inferwatcher", sizes[0], 2)
    if small and ours and small is not ours:
        ratio = float(ours["rss_mb"]) / float(small["rss_mb"])
        checks.append((f"peak RSS {largest} / {sizes[0]}", f"{ratio:.2f}", "within 10 %", abs(ratio - 1) <= 0.10))
    if ours and ours1:
        ratio = float(ours1["wall_s"]) / float(ours["wall_s"])
        checks.append((f"{largest}: 2 threads vs 1", f"{ratio:.2f}×", "≥ 1.8×", ratio >= 1.8))
    # Inputs as they really arrive: Parquet against our CSV path and the Python stack, scores only.
    parquet, csv_scores = find("inferwatcher_parquet", largest), find("inferwatcher_scores", largest)
    if parquet and csv_scores:
        ratio = float(csv_scores["wall_s"]) / float(parquet["wall_s"])
        checks.append((f"{largest} Parquet, scores only: speed per row vs our CSV path ({csv_scores['wall_s']} s)", f"{ratio:.2f}×", "≥ 1×", ratio >= 1))
    python_parquet = [r for r in (find("python_parquet", largest), find("python_parquet_chunked_1M", largest)) if r]
    if parquet and python_parquet:
        best = min(python_parquet, key=lambda r: float(r["wall_s"]))
        ratio = float(best["wall_s"]) / float(parquet["wall_s"])
        checks.append((f"{largest} Parquet, scores only: vs best Python ({best['name']}, {best['wall_s']} s)", f"{ratio:.2f}×", "≥ 5×", ratio >= 5))
    if parquet and args.row_group_mb:
        budget = 64 + float(args.row_group_mb)
        checks.append((f"{largest} Parquet: peak RSS vs 64 MB + one row group decoded ({args.row_group_mb} MB)", f"{parquet['rss_mb']} MB",
                       f"≤ {budget:.0f} MB", float(parquet["rss_mb"]) <= budget))
    zst, python_zst = find("inferwatcher_zst", largest), find("python_zst", largest)
    if zst and python_zst:
        ratio = float(python_zst["wall_s"]) / float(zst["wall_s"])
        checks.append((f"{largest} .csv.zst, scores only: vs Python (polars read_csv, {python_zst['wall_s']} s)", f"{ratio:.2f}×", "reported", None))
    trees = find("inferwatcher_trees", largest)
    python_trees = [r for r in (find("python_trees", largest), find("python_trees_chunked_1M", largest)) if r]
    if trees and python_trees:
        best = min(python_trees, key=lambda r: float(r["wall_s"]))
        ratio = float(best["wall_s"]) / float(trees["wall_s"])
        checks.append((f"{largest}, LightGBM 500 trees: vs polars + onnxruntime ({best['name']}, {best['wall_s']} s)", f"{ratio:.2f}×", "≥ 3×", ratio >= 3))
        if args.tree_model_mb:
            budget = float(args.tree_model_mb) + 64
            checks.append((f"{largest}, LightGBM 500 trees: peak RSS vs the model file ({args.tree_model_mb} MB) + 64 MB",
                           f"{trees['rss_mb']} MB", f"≤ {budget:.0f} MB", float(trees["rss_mb"]) <= budget))
    echo, python_echo = find("inferwatcher_parquet_echo", largest), find("python_parquet_echo", largest)
    if echo and python_echo:
        ratio = float(python_echo["wall_s"]) / float(echo["wall_s"])
        checks.append((f"{largest} Parquet, features echoed: vs Python ({python_echo['wall_s']} s)", f"{ratio:.2f}×", "reported", None))
    tiny = find("inferwatcher", "10k", 2)
    if tiny:
        checks.append(("10k rows, start to exit", f"{float(tiny['wall_s']) * 1000:.0f} ms", "≤ 50 ms", float(tiny["wall_s"]) <= 0.05))
    if args.daemon:
        d = json.loads(args.daemon)
        checks.append((f"daemon: 10k-row file renamed in → report archived (median {d['median_ms']} ms, settle {d['settle_ms']} ms)",
                       f"settle + {d['over_settle_ms']} ms", "settle + 50 ms", d["over_settle_ms"] <= 50))
    for threads in (1, 2):  # this binary against BEFORE_BIN's, measured in the same rounds
        now, then = find("inferwatcher", largest, threads), find("inferwatcher_before", largest, threads)
        if now and then:
            change = float(now["wall_s"]) / float(then["wall_s"]) - 1
            user = float(now["user_s"]) / float(then["user_s"]) - 1
            checks.append((f"{largest}, {threads} thread{'s' if threads > 1 else ''}: wall (user) vs the binary before "
                           f"({then['wall_s']} s, user {then['user_s']} s)", f"{change:+.1%} ({user:+.1%})",
                           "wall or user within ±5 %", abs(change) <= 0.05 or abs(user) <= 0.05))
    drift, then = find("inferwatcher_drift", largest, 2), find("inferwatcher_before", largest, 2)
    if drift and then:  # issue 13's goal: per-feature statistics and drift together, against the engine before them
        change = float(drift["wall_s"]) / float(then["wall_s"]) - 1
        user = float(drift["user_s"]) / float(then["user_s"]) - 1
        checks.append((f"{largest}, 2 threads, statistics + drift (--reference): wall (user) vs the binary before "
                       f"({then['wall_s']} s, user {then['user_s']} s)", f"{change:+.1%} ({user:+.1%})", "wall ≤ +10 %", change <= 0.10))
    if args.daemon_before and args.daemon:
        d, b = json.loads(args.daemon), json.loads(args.daemon_before)
        checks.append(("daemon latency vs the binary before", f"settle + {d['over_settle_ms']} ms vs settle + {b['over_settle_ms']} ms",
                       "within noise", abs(d["over_settle_ms"] - b["over_settle_ms"]) <= 10))
    lines += ["| target | measured | goal | met |", "|---|---|---|---|"]
    for what, measured, goal, met in checks:
        lines.append(f"| {what} | {measured} | {goal} | {'—' if met is None else 'yes' if met else '**no**'} |")
    if args.compare:
        lines += ["", f"Same answers as the Python stack on {sizes[0]}: `{args.compare}`"]
    lines += ["", END]

    text = open(args.doc).read() if os.path.exists(args.doc) else "# Performance\n"
    block = "\n".join(lines)
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    open(args.doc, "w").write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
