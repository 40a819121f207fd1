# rvi: the two commands are `make run` (the embedded platform and its demo) and `make test`.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)

.PHONY: run test lint format schemas check-schemas bench-flow bench-eligibility uv sync

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

sync: uv
	$(UV) sync --frozen

run: sync
	$(UV) run --frozen rvi run

test: sync
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
