#!/usr/bin/env bash
# The whole test suite, in steps that say where a failure is:
#   1. build (warnings are errors)
#   2. unit tests: engine (with the onnxruntime and pandas oracles), archive, config, schedules, CLI
#   3. daemon integration: the real binary on temporary spools with real inotify (bursts, kill -9,
#      schedules, a full tmpfs)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

step() { echo; echo "=== $* ==="; }
slow="SpoolIntegrationTests|CrashRecoveryTests|ScheduleIntegrationTests"

step "1/3 build (warnings are errors)"
# Build only what the tests need: building every target would also compile swift-protobuf's
# bundled C++ protoc, which nothing here uses.
swift build --product inferwatcher -Xswiftc -warnings-as-errors
swift build --product inferwatcherPackageTests -Xswiftc -warnings-as-errors

step "2/3 unit tests"
swift test --skip-build --parallel --num-workers 2 --skip "$slow"

step "3/3 daemon integration tests"
swift test --skip-build --filter "$slow"
