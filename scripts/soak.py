#!/usr/bin/env python3
"""kill -9 soak for `make soak` and CI (docs/TESTING.md): a stream of CSV files through
`inferwatcher serve`, which is killed with SIGKILL at KILLS random instants and restarted each time.

    soak.py [--bin PATH] [--files 10] [--rows 200000] [--kills 20] [--seed N] [--workdir DIR]

Every random choice (file contents, when each file is dropped, when each kill lands) comes from
one seed, printed first: `soak.py --seed N` replays a failure (SOAK_SEED=N for `make soak`).
At the end, with the daemon stopped by SIGTERM:
  * every input is archived exactly once (manifest input.name and input.sha256);
  * nothing is left in incoming/, processing/ (nor processing/.names/) or failed/, and there are
    no hidden staging folders in the archive (.<anything> in a date folder, entries in .work/);
  * every file a manifest lists has the size and SHA-256 given there, and the stored input
    decompresses to the input's exact bytes;
  * every predictions.csv has one line per input row, the ids 1..rows once each.
Standard library only (plus the `zstd` command to check the stored inputs). Exits 1 on the first
broken rule, printing the seed, the daemon's log tail and the work folder (kept on failure).
"""
import argparse
import glob
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

HEADER = (
    "user_id,age,income,credit_score,num_purchases,account_age_days,avg_transaction,"
    "num_returns,is_premium,region,category_preference\n"
)


def make_csv(rng: random.Random, rows: int) -> bytes:
    """Rows in the shape of Tests/EngineTests/Fixtures/models/mlp_legacy.onnx's features."""
    r = rng.randrange
    lines = [HEADER]
    for i in range(1, rows + 1):
        lines.append(
            f"{i},{18 + r(62)},{20000 + r(130000)},{300 + r(550)},{r(50)},{1 + r(3649)},"
            f"{10 + r(490)}.5,{r(10)},{r(2)},{1 + r(4)},{1 + r(9)}\n"
        )
    return "".join(lines).encode()


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Soak:
    def __init__(self, args):
        self.args = args
        self.work = os.path.abspath(args.workdir)
        self.spool = os.path.join(self.work, "spool")
        self.archive = os.path.join(self.work, "archive")
        self.config = os.path.join(self.work, "inferwatcher.yaml")
        self.log_path = os.path.join(self.work, "daemon.log")
        self.daemon = None
        self.ready_count = 0

    def fail(self, message: str):
        print(f"soak: FAILED (seed {self.args.seed}): {message}", file=sys.stderr)
        try:
            with open(self.log_path, errors="replace") as f:
                tail = f.read()[-6000:]
            print("--- daemon log (tail) ---\n" + tail, file=sys.stderr)
        except OSError:
            pass
        print(f"soak: work folder kept: {self.work}", file=sys.stderr)
        if self.daemon and self.daemon.poll() is None:
            self.daemon.kill()
        sys.exit(1)

    def setup(self):
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(os.path.join(self.spool, "incoming"))
        os.makedirs(os.path.join(self.work, "drop"))
        with open(self.config, "w") as f:
            f.write(f"""state_dir: {self.work}/state
stop_timeout: 10s
pipelines:
  soak:
    spool: {self.spool}
    archive: {self.archive}
    model: {self.args.model}
    settle: 200ms
    compression: zstd
    retries: {{attempts: 3, initial_backoff: 200ms, max_backoff: 1s}}
""")

    def log_text(self) -> str:
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def start(self):
        log = open(self.log_path, "a")
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        self.daemon = subprocess.Popen(
            [self.args.bin, "serve", "--config", self.config], stdout=log, stderr=log, env=env
        )
        log.close()
        deadline = time.monotonic() + 30
        while self.log_text().count("ready:") <= self.ready_count:
            if self.daemon.poll() is not None:
                self.fail(f"the daemon exited at start with status {self.daemon.returncode}")
            if time.monotonic() > deadline:
                self.fail("the daemon was not ready within 30 s")
            time.sleep(0.01)
        self.ready_count += 1

    def kill(self):
        self.daemon.send_signal(signal.SIGKILL)
        self.daemon.wait()

    def drop(self, name: str, data: bytes):
        staging = os.path.join(self.work, "drop", name)
        with open(staging, "wb") as f:
            f.write(data)
        os.rename(staging, os.path.join(self.spool, "incoming", name))

    def entries(self, *parts) -> list:
        try:
            return sorted(os.listdir(os.path.join(*parts)))
        except FileNotFoundError:
            return []

    def job_folders(self) -> list:
        folders = []
        for date in self.entries(self.archive):
            if date[:1].isdigit():
                folders += [
                    os.path.join(self.archive, date, job)
                    for job in self.entries(self.archive, date)
                    if not job.startswith(".")
                ]
        return folders

    def processing_left(self) -> list:
        """What is in processing/: claimed files, and the entries of its hidden bookkeeping
        folders (.names/, .attempts/), which must be empty once every file has left."""
        left = []
        for entry in self.entries(self.spool, "processing"):
            path = os.path.join(self.spool, "processing", entry)
            if entry.startswith(".") and os.path.isdir(path):
                left += [f"{entry}/{inner}" for inner in self.entries(path)]
            else:
                left.append(entry)
        return left

    def done(self, expected: int) -> bool:
        return (
            len(self.job_folders()) >= expected
            and not self.entries(self.spool, "incoming")
            and not self.processing_left()
        )

    def run(self):
        a = self.args
        rng = random.Random(a.seed)
        print(
            f"soak: seed {a.seed} (replay: scripts/soak.py --seed {a.seed}), {a.files} files of "
            f"{a.rows} rows, {a.kills} kills, work folder {self.work}",
            flush=True,
        )
        self.setup()
        inputs = {}
        t0 = time.monotonic()
        for i in range(a.files):
            name = f"batch-{i:03d}.csv"
            inputs[name] = make_csv(rng, a.rows)
        print(f"soak: {a.files} inputs made in {time.monotonic() - t0:.1f} s", flush=True)

        # The stream: files are dropped between kills, the last ones before the last kills,
        # so kills land while files arrive, settle, run and are archived.
        pending = sorted(inputs)
        drops_per_round = [0] * a.kills
        for index in range(len(pending)):
            drops_per_round[rng.randrange(max(1, a.kills - 3))] += 1
        t0 = time.monotonic()
        for round_index in range(a.kills):
            self.start()
            for _ in range(drops_per_round[round_index]):
                name = pending.pop(0)
                self.drop(name, inputs[name])
            delay = rng.uniform(0.05, a.max_delay)
            time.sleep(delay)  # the kill instant itself is the random variable
            if self.daemon.poll() is not None:
                self.fail(f"the daemon exited by itself (status {self.daemon.returncode}) in round {round_index + 1}")
            self.kill()
            archived = len(self.job_folders())
            processing = len(self.processing_left())
            print(
                f"soak: kill {round_index + 1}/{a.kills} at +{delay:.2f} s: {archived} archived, "
                f"{processing} in processing/",
                flush=True,
            )
        assert not pending

        self.start()
        deadline = time.monotonic() + a.finish_timeout
        while not self.done(len(inputs)):
            if self.daemon.poll() is not None:
                self.fail(f"the daemon exited by itself (status {self.daemon.returncode}) after the last kill")
            if time.monotonic() > deadline:
                self.fail(f"not everything was archived within {a.finish_timeout} s of the last restart")
            time.sleep(0.05)
        self.daemon.send_signal(signal.SIGTERM)
        if self.daemon.wait(timeout=30) != 0:
            self.fail(f"the daemon's clean stop exited with {self.daemon.returncode}")
        print(f"soak: all archived {time.monotonic() - t0:.1f} s after the first start; checking", flush=True)
        self.check(inputs)
        print(f"soak: passed (seed {a.seed})", flush=True)
        shutil.rmtree(self.work, ignore_errors=True)

    def check(self, inputs: dict):
        # Nothing left behind in the spool.
        for folder in ("incoming", "failed"):
            left = self.entries(self.spool, folder)
            if left:
                self.fail(f"{folder}/ is not empty: {left}")
        if self.processing_left():
            self.fail(f"processing/ is not empty: {self.processing_left()}")
        # No hidden staging folders in the archive.
        for date in self.entries(self.archive):
            if date == ".work":
                if self.entries(self.archive, ".work"):
                    self.fail(f"archive/.work holds {self.entries(self.archive, '.work')}")
                continue
            if date.startswith("."):
                self.fail(f"hidden entry in the archive: {date}")
            hidden = [e for e in self.entries(self.archive, date) if e.startswith(".")]
            if hidden:
                self.fail(f"hidden staging folders left in archive/{date}: {hidden}")

        seen = {}
        for folder in self.job_folders():
            try:
                with open(os.path.join(folder, "manifest.json")) as f:
                    manifest = json.load(f)
            except (OSError, ValueError) as error:
                self.fail(f"{folder}: no readable manifest.json ({error})")
            name = manifest["input"]["name"]
            seen.setdefault(name, []).append(folder)
            if name not in inputs:
                self.fail(f"{folder}: archives an unknown input {name!r}")
            data = inputs[name]
            if manifest["input"]["sha256"] != hashlib.sha256(data).hexdigest():
                self.fail(f"{folder}: input.sha256 is not the SHA-256 of {name}")
            if manifest["input"]["size"] != len(data):
                self.fail(f"{folder}: input.size {manifest['input']['size']}, {name} has {len(data)} bytes")
            listed = {f["name"]: f for f in manifest["files"]}
            stored = manifest["input"]["stored"]
            listed.setdefault(stored["name"], stored)
            for entry in listed.values():
                path = os.path.join(folder, entry["name"])
                if not os.path.isfile(path):
                    self.fail(f"{folder}: the manifest lists {entry['name']}, which is missing")
                if os.path.getsize(path) != entry["size"]:
                    self.fail(f"{path}: {os.path.getsize(path)} bytes, the manifest says {entry['size']}")
                if sha256(path) != entry["sha256"]:
                    self.fail(f"{path}: its SHA-256 is not the manifest's")
            stored_path = os.path.join(folder, stored["name"])
            if stored["compression"] == "zstd" and shutil.which("zstd"):
                out = subprocess.run(["zstd", "-dc", stored_path], capture_output=True, check=False)
                if out.returncode != 0 or out.stdout != data:
                    self.fail(f"{stored_path} does not decompress to the input's bytes")
            # Every row predicted, once.
            rows = self.args.rows
            with open(os.path.join(folder, "predictions.csv"), "rb") as f:
                lines = f.read().split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            if len(lines) != rows + 1:
                self.fail(f"{folder}/predictions.csv has {len(lines) - 1} rows, the input {rows}")
            ids = sorted(int(line.split(b",", 1)[0]) for line in lines[1:])
            if ids != list(range(1, rows + 1)):
                self.fail(f"{folder}/predictions.csv does not hold each id 1..{rows} once")
        for name in inputs:
            count = len(seen.get(name, []))
            if count != 1:
                self.fail(f"{name} is archived {count} times: {seen.get(name, [])}")


def main() -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.environ.get("INFERWATCHER_BIN", os.path.join(root, ".build/debug/inferwatcher")))
    ap.add_argument("--model", default=os.path.join(root, "Tests/EngineTests/Fixtures/models/mlp_legacy.onnx"))
    ap.add_argument("--files", type=int, default=int(os.environ.get("SOAK_FILES", "10")))
    ap.add_argument("--rows", type=int, default=int(os.environ.get("SOAK_ROWS", "200000")))
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED", "20261204")))
    ap.add_argument("--max-delay", type=float, default=1.5, help="the latest kill instant after a start, in seconds")
    ap.add_argument("--finish-timeout", type=float, default=600)
    ap.add_argument("--workdir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "inferwatcher-soak"))
    args = ap.parse_args()
    args.model = os.path.abspath(args.model)
    if not os.access(args.bin, os.X_OK):
        print(f"soak: no binary at {args.bin} (build it, or pass --bin)", file=sys.stderr)
        return 2
    Soak(args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
