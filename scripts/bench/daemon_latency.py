#!/usr/bin/env python3
"""Daemon latency probe for `make bench`: how long after a file is renamed into incoming/ its
report is archived, minus the configured settle time.

    daemon_latency.py BIN MODEL INPUT WORKDIR [--settle-ms 200] [--runs 5]

Starts `BIN serve` on a fresh spool under WORKDIR, waits for "ready:", then RUNS times: copies
INPUT next to the spool, renames it into incoming/ (one atomic step, as producers should), and
polls (every 0.5 ms) for archive/*/<name>-*/report.txt. Prints one JSON line per run and a
summary line with the median: {"settle_ms", "median_ms", "over_settle_ms"}.
Standard library only; stops the daemon with SIGTERM at the end.
"""
import argparse
import glob
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("model")
    ap.add_argument("input")
    ap.add_argument("workdir")
    ap.add_argument("--settle-ms", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    work = os.path.abspath(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    config = os.path.join(work, "inferwatcher.yaml")
    with open(config, "w") as f:
        f.write(f"""state_dir: {work}/state
pipelines:
  bench:
    spool: {work}/spool
    archive: {work}/archive
    model: {os.path.abspath(args.model)}
    settle: {args.settle_ms}ms
""")
    log = open(os.path.join(work, "daemon.log"), "w+")
    daemon = subprocess.Popen([args.bin, "serve", "--config", config], stderr=log, stdout=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            log.seek(0)
            if "ready:" in log.read():
                break
            if daemon.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                sys.stderr.write("daemon did not become ready:\n" + log.read())
                return 1
            time.sleep(0.01)
        results = []
        for run in range(args.runs):
            name = f"latency{run}"
            staged = os.path.join(work, f"{name}.csv")
            shutil.copyfile(args.input, staged)
            os.sync()
            started = time.monotonic()
            os.rename(staged, os.path.join(work, "spool", "incoming", f"{name}.csv"))
            pattern = os.path.join(work, "archive", "*", f"{name}-*", "report.txt")
            deadline = started + 30
            while not glob.glob(pattern):
                if time.monotonic() > deadline:
                    log.seek(0)
                    sys.stderr.write(f"{name} was not archived in 30 s:\n" + log.read())
                    return 1
                time.sleep(0.0005)
            elapsed_ms = (time.monotonic() - started) * 1000
            results.append(elapsed_ms)
            print(json.dumps({"run": run + 1, "archived_ms": round(elapsed_ms, 1)}))
        median = statistics.median(results)
        print(json.dumps({"settle_ms": args.settle_ms, "median_ms": round(median, 1),
                          "over_settle_ms": round(median - args.settle_ms, 1)}))
        return 0
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()


if __name__ == "__main__":
    sys.exit(main())
