#!/usr/bin/env bash
# make fuzz: the libFuzzer targets of Tests/Fuzz (docs/TESTING.md).
#   1. builds every target once, with -sanitize=fuzzer,address, in its own scratch path
#      (.build-fuzz; Package.swift declares the targets only when INFERWATCHER_FUZZ=1);
#   2. replays each committed corpus (Tests/Fuzz/corpus/<target>: seeds and every input that
#      once crashed), which must pass;
#   3. fuzzes each target, one at a time, for FUZZ_SECONDS (default 30) from a working copy of
#      its corpus in .build-fuzz/corpus; a crash, a timeout or an out-of-memory fails the run and
#      leaves the input in .build-fuzz/artifacts/<target>/ (copy it into the committed corpus
#      once fixed, and write a unit test from it).
# FUZZ_TARGETS="csv decimal" limits the run; FUZZ_SECONDS=0 only builds and replays.
# FUZZ_SEED fixes libFuzzer's seed (scripts/test.sh sets one, so that CI explores the same way
# every run); unset, every run draws its own and prints it ("INFO: Seed: N" in the log).
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
seed=()
if [ -n "${FUZZ_SEED:-}" ]; then seed=(-seed="$FUZZ_SEED"); fi
FUZZ_TARGETS="${FUZZ_TARGETS:-csv decimal onnx config calendar parquet}"
scratch=.build-fuzz

product() {
    case "$1" in
        csv) echo FuzzCSV ;; decimal) echo FuzzDecimal ;; onnx) echo FuzzONNX ;;
        config) echo FuzzConfig ;; calendar) echo FuzzCalendar ;; parquet) echo FuzzParquet ;;
        *) echo "fuzz.sh: unknown target '$1' (csv decimal onnx config calendar parquet)" >&2; exit 2 ;;
    esac
}

# Per target: the longest input (bytes), and the per-input time limit (seconds). A model or a
# Parquet file that takes more than 10 s, or any input over 2 GiB of memory (or one allocation
# over 1 GiB), is a finding.
max_len() {
    case "$1" in
        csv) echo 65536 ;; decimal) echo 400 ;; onnx) echo 65536 ;;
        config) echo 16384 ;; calendar) echo 256 ;; parquet) echo 131072 ;;
    esac
}
limits=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024)
# gold warns about every ASan symbol it cannot export; they are noise.
# (Always succeeds, so that under pipefail the build's own status decides.)
build_filter() {
    grep -v -E "Cannot export local symbol|^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Wrapping|Write|Linking)"
    true
}

start=$SECONDS
echo "=== fuzz: build ($scratch) ==="
for target in $FUZZ_TARGETS; do
    INFERWATCHER_FUZZ=1 swift build --scratch-path "$scratch" --product "$(product "$target")" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -warnings-as-errors 2>&1 \
        | build_filter
done
bin="$scratch/debug"
echo "built in $((SECONDS - start)) s"

echo "=== fuzz: replay the committed corpora ==="
for target in $FUZZ_TARGETS; do
    corpus="Tests/Fuzz/corpus/$target"
    count=$(find "$corpus" -type f | wc -l)
    if ! "$bin/$(product "$target")" -runs=0 "${limits[@]}" -artifact_prefix="$scratch/replay-" "$corpus" >"$scratch/replay-$target.log" 2>&1; then
        tail -40 "$scratch/replay-$target.log"
        echo "fuzz.sh: replaying $corpus failed (log: $scratch/replay-$target.log)" >&2
        exit 1
    fi
    echo "$target: $count inputs replayed"
done

if [ "$FUZZ_SECONDS" -gt 0 ]; then
    for target in $FUZZ_TARGETS; do
        echo "=== fuzz: $target for $FUZZ_SECONDS s ==="
        work="$scratch/corpus/$target"
        artifacts="$scratch/artifacts/$target/"
        mkdir -p "$work" "$artifacts"
        log="$scratch/fuzz-$target.log"
        if ! "$bin/$(product "$target")" "${limits[@]}" ${seed[@]+"${seed[@]}"} -max_len="$(max_len "$target")" \
            -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -artifact_prefix="$artifacts" \
            "$work" "Tests/Fuzz/corpus/$target" >"$log" 2>&1; then
            grep -v -E '^#[0-9]+' "$log" | tail -60
            echo "fuzz.sh: $target found a problem: the input is in $artifacts (log: $log)" >&2
            exit 1
        fi
        grep -E '^INFO: Seed:' "$log" | head -1 | tr '\n' ' '
        grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$log" | tr '\n' ' '
        echo
    done
fi
echo "fuzz: done in $((SECONDS - start)) s"
