# inferwatcher — the README's commands.
.PHONY: setup demo test build bench deb test-deb man fuzz soak

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

deb:
	packaging/build-deb.sh

test-deb:
	packaging/test-deb.sh

man:
	scripts/man.sh

fuzz:
	scripts/fuzz.sh

soak:
	python3 scripts/soak.py
