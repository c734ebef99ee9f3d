# inferwatcher — the README's commands.
.PHONY: setup demo test build bench

setup:
	scripts/setup.sh

demo:
	scripts/demo.sh

test:
	scripts/test.sh

build:
	swift build -c release --product inferwatcher

bench:
	scripts/bench.sh
