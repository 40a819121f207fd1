# rvi: the two commands are `make run` (the embedded platform and its demo) and `make test`.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)

.PHONY: run test web lint format schemas check-schemas bench-flow bench-eligibility bench-media bench-edge bench-documents bench-scheduling uv sync system-deps

# Debian packages the tests need: GStreamer's RTSP server as a real IP camera (run by Debian's
# python3), ffmpeg's ffprobe, and Chromium as the real browser of the gateway's pages and the console
# (driven by playwright with executable_path=/usr/bin/chromium), with a CJK font for the console's
# Chinese pages; GStreamer's bad set for the H.265 and AAC test cameras. Documents: poppler's pdfsig
# and pdftotext as the second verifier and text extractor, OpenSSL's `ts` as the local RFC 3161 TSA,
# SoftHSM2 and OpenSC's pkcs11-tool for PKCS#11 signing. Janus, the reference SFU that
# make bench-media measures beside the gateway. Installed only when missing.
SYSTEM_DEPS := python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
	gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad gstreamer1.0-x ffmpeg chromium fonts-wqy-microhei \
	poppler-utils libnss3-tools openssl softhsm2 opensc janus

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

sync: uv
	$(UV) sync --frozen

# The console (web/): npm ci when the lock changed, vite build when a source changed; both from
# the npm registry only (package-lock.json).
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json web/package.json

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

web: web/dist/index.html

run: sync web
	$(UV) run --frozen rvi run

system-deps:
	@missing=$$(for p in $(SYSTEM_DEPS); do dpkg -s $$p 2>/dev/null | grep -q '^Status: install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then echo "system-deps: no apt-get; install $$missing yourself" >&2; exit 0; fi; \
	sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	echo "system-deps: installing" $$missing; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing

test: sync system-deps web
	@set +e; $(UV) run --frozen pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

lint: sync
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen python -m rvi_shared.events.schemas --check .

format: sync
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

schemas: sync
	$(UV) run --frozen python -m rvi_shared.events.schemas .

check-schemas: sync
	$(UV) run --frozen python -m rvi_shared.events.schemas --check .

bench-flow: sync
	$(UV) run --frozen python bench/flow.py $(BENCH_ARGS)

bench-eligibility: sync
	$(UV) run --frozen python bench/eligibility.py $(BENCH_ARGS)

bench-edge: sync
	$(UV) run --frozen python bench/edge.py $(BENCH_ARGS)

bench-media: sync
	$(UV) run --frozen python bench/media.py $(BENCH_ARGS)

bench-documents: sync
	$(UV) run --frozen python bench/documents.py $(BENCH_ARGS)

bench-scheduling: sync
	$(UV) run --frozen python bench/scheduling.py $(BENCH_ARGS)
