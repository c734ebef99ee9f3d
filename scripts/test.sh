#!/usr/bin/env bash
# The whole test suite, in steps that say where a failure is:
#   1. format (scripts/validate.sh: .swift-format) and build (warnings are errors)
#   2. unit tests: engine (with the onnxruntime and pandas oracles), archive, calendar, systemd,
#      config and daemon (in-process, with a test clock), CLI
#   3. daemon integration: the real binary on temporary spools with real inotify (bursts, kill -9,
#      schedules, a full tmpfs)
#   4. end to end under a real systemd as PID 1 (tests/e2e: notify, watchdog, journal, catalog,
#      reload, stop, prune timer), with the release binary
#   5. the Debian package: built, linted, installed/upgraded/removed/purged under systemd with no
#      Swift toolchain visible (packaging/test-deb.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"  # the test oracles (scripts/setup.sh)

step() { echo; echo "=== $* ==="; }
# Swift Testing prints a line per test started and passed, and times each from when it was
# scheduled (on 2 cores most wait behind the long suites, so most "took" the same ~15 s): show the
# failures, their details and the count line instead. The unit step keeps XCTest's --parallel
# --num-workers 2 (there are no XCTest tests, so it says nothing of them); the other runs turn
# XCTest off, which silences its "Executed 0 tests".
quiet() { grep -v -E '^(◇ |✔ Test "|✔ Suite ")'; }

step "1/5 format and build (warnings are errors)"
scripts/validate.sh
# Build only what the tests need: building every target would also compile swift-protobuf's
# bundled C++ protoc, which nothing here uses.
swift build --product inferwatcher -Xswiftc -warnings-as-errors
swift build --product inferwatcherPackageTests -Xswiftc -warnings-as-errors

step "2/5 unit tests"
swift test --skip-build --parallel --num-workers 2 --skip DaemonIntegrationTests --skip LargeInputTests 2>&1 | quiet
# The archive's flat-memory test reads the process's peak RSS: alone, so that no other test's
# buffers (the in-process daemon runs real jobs) count against it.
swift test --skip-build --disable-xctest --filter LargeInputTests 2>&1 | quiet

step "3/5 daemon integration tests"
swift test --skip-build --disable-xctest --filter DaemonIntegrationTests 2>&1 | quiet

step "4/5 end to end under systemd"
swift build -c release --product inferwatcher -Xswiftc -warnings-as-errors
scripts/man.sh  # make man: the source build's man pages, in .build/man
INFERWATCHER_BIN="$(swift build -c release --show-bin-path)/inferwatcher" bash tests/e2e/run.sh

step "5/5 Debian package"
packaging/test-deb.sh
