#!/usr/bin/env bash
# The whole test suite, in steps that say where a failure is:
#   1. format (scripts/validate.sh: .swift-format) and build (warnings are errors)
#   2. unit tests: engine (with the onnxruntime and pandas oracles), archive, calendar, systemd,
#      config and daemon (in-process, with a test clock), CLI
#   3. daemon integration: the real binary on temporary spools with real inotify (bursts, kill -9,
#      schedules, a full tmpfs)
#   4. end to end under a real systemd as PID 1 (tests/e2e: notify, watchdog, journal, catalog,
#      reload, stop, prune timer), with the release binary
#   5. report.html rendered by headless Chromium: the numbers in the rendered text, screenshots
#      at desktop and phone widths not blank, a print to PDF (tests/html)
#   6. the Debian package: built, linted, installed/upgraded/removed/purged under systemd with no
#      Swift toolchain visible (packaging/test-deb.sh)
#   7. kill -9 soak: a stream of files through the release binary, killed at 20 random instants
#      (scripts/soak.py, fixed seed, printed)
#   8. the unit and integration tests again under AddressSanitizer + UndefinedBehaviorSanitizer
#      (scripts/sanitize.sh asan, scratch path .build-asan)
#   9. the engine's and the daemon's concurrent tests under ThreadSanitizer (scripts/sanitize.sh
#      tsan, scratch path .build-tsan)
#  10. fuzzing: every libFuzzer target replays its corpus, then runs FUZZ_SECONDS (30) each
#      from the fixed seed FUZZ_SEED (20261205)
#      (scripts/fuzz.sh, scratch path .build-fuzz)
# Each step has a budget in minutes (the whole run must stay under 45 minutes on the 2-core CI
# machine); its time is printed, and a step over its budget fails the run. Docs: docs/TESTING.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"  # the test oracles (scripts/setup.sh)

# step "N/10 name" MINUTES: ends the previous step (its time against its budget), starts this one.
current_step=""
step_budget=0
step_start=0
end_step() {
    [ -n "$current_step" ] || return 0
    local took=$((SECONDS - step_start))
    printf 'step %s: %dm%02ds of %dm budget\n' "$current_step" $((took / 60)) $((took % 60)) "$step_budget"
    if [ "$took" -gt $((step_budget * 60)) ]; then
        echo "test.sh: step $current_step took longer than its ${step_budget}m budget" >&2
        exit 1
    fi
    current_step=""
}
step() {
    end_step
    current_step="$1"
    step_budget="$2"
    step_start=$SECONDS
    echo
    echo "=== $1 (budget ${2}m) ==="
}
# Swift Testing prints a line per test started and passed, and times each from when it was
# scheduled (on 2 cores most wait behind the long suites, so most "took" the same ~15 s): show the
# failures, their details and the count line instead. The unit step keeps XCTest's --parallel
# --num-workers 2 (there are no XCTest tests, so it says nothing of them); the other runs turn
# XCTest off, which silences its "Executed 0 tests".
quiet() { grep -v -E '^(◇ |✔ Test "|✔ Suite ")'; }

step "1/10 format and build (warnings are errors)" 6
scripts/validate.sh
# Build only what the tests need: building every target would also compile swift-protobuf's
# bundled C++ protoc, which nothing here uses.
swift build --product inferwatcher -Xswiftc -warnings-as-errors
swift build --product inferwatcherPackageTests -Xswiftc -warnings-as-errors

step "2/10 unit tests" 4
swift test --skip-build --parallel --num-workers 2 --skip DaemonIntegrationTests --skip LargeInputTests 2>&1 | quiet
# The archive's flat-memory test reads the process's peak RSS: alone, so that no other test's
# buffers (the in-process daemon runs real jobs) count against it.
swift test --skip-build --disable-xctest --filter LargeInputTests 2>&1 | quiet

step "3/10 daemon integration tests" 4
swift test --skip-build --disable-xctest --filter DaemonIntegrationTests 2>&1 | quiet

step "4/10 end to end under systemd" 5
swift build -c release --product inferwatcher -Xswiftc -warnings-as-errors
scripts/man.sh  # make man: the source build's man pages, in .build/man
INFERWATCHER_BIN="$(swift build -c release --show-bin-path)/inferwatcher" bash tests/e2e/run.sh

step "5/10 report.html in headless Chromium" 2
INFERWATCHER_BIN="$(swift build -c release --show-bin-path)/inferwatcher" bash tests/html/run.sh

step "6/10 Debian package" 5
packaging/test-deb.sh

step "7/10 kill -9 soak (release binary)" 2
INFERWATCHER_BIN="$(swift build -c release --show-bin-path)/inferwatcher" python3 scripts/soak.py

step "8/10 asan+ubsan: unit and integration tests" 7
scripts/sanitize.sh asan

step "9/10 tsan: concurrent engine and daemon tests" 4
scripts/sanitize.sh tsan

step "10/10 fuzz (FUZZ_SECONDS=${FUZZ_SECONDS:-30} per target)" 6
FUZZ_SEED="${FUZZ_SEED:-20261205}" scripts/fuzz.sh
end_step
echo "test.sh: all steps passed in $((SECONDS / 60))m$((SECONDS % 60))s"
