#!/usr/bin/env bash
# The tests under the sanitizers (steps 7 and 8 of scripts/test.sh; docs/TESTING.md):
#   scripts/sanitize.sh asan   unit and integration tests under AddressSanitizer (with
#                              LeakSanitizer) + UndefinedBehaviorSanitizer, in .build-asan
#   scripts/sanitize.sh tsan   the concurrent tests under ThreadSanitizer, in .build-tsan: the
#                              engine's chunk pipeline, prediction and Parquet tests (reader,
#                              worker and writer threads) and DaemonTests (the daemon in-process)
# Every report fails the run (halt_on_error). Suppressions live only in Tests/Sanitizers/*.supp,
# each with its reason. Extra arguments go to `swift test` (e.g. --filter).
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-}"
shift || true
supp="$PWD/Tests/Sanitizers"
# Swift Testing's per-test lines; keep failures, sanitizer reports and the count line.
quiet() { grep -v -E '^(◇ |✔ Test "|✔ Suite ")'; }

case "$kind" in
    asan)
        scratch=.build-asan
        # swiftc has no -sanitize=undefined for x86_64-unknown-linux-gnu (Swift 6.3.1: "unsupported
        # option"), and Swift code traps on overflow and bounds by itself: UBSan instruments the C
        # targets (CKernels, CFiles), whose reports the ASan runtime prints.
        flags=(--sanitize=address -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined)
        export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1"
        export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
        export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp"
        # LargeInputTests measures the process's peak RSS, which ASan's shadow memory and
        # quarantine make meaningless; it runs in the plain unit step.
        selection=(--skip LargeInputTests)
        ;;
    tsan)
        scratch=.build-tsan
        flags=(--sanitize=thread)
        export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
        selection=(--filter 'EngineTests\.(ChunkPipelineTests|PredictionTests|ParquetInputTests)' --filter '^DaemonTests\.')
        ;;
    *)
        echo "usage: scripts/sanitize.sh asan|tsan [swift test arguments]" >&2
        exit 2
        ;;
esac

start=$SECONDS
swift build --build-tests --scratch-path "$scratch" "${flags[@]}" -Xswiftc -warnings-as-errors 2>&1 \
    | { grep -v -E 'Cannot export local symbol|^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Wrapping|Write|Linking)'; true; }
echo "sanitize $kind: built in $((SECONDS - start)) s"
# The integration tests find the binary next to the test bundle: the sanitized one.
swift test --skip-build --scratch-path "$scratch" "${flags[@]}" --parallel --num-workers 2 \
    "${selection[@]}" "$@" 2>&1 | quiet
echo "sanitize $kind: done in $((SECONDS - start)) s"
