# Two commands on a fresh machine: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LINT_PATHS := $(wildcard src tests bench examples)
STAMP := $(VENV)/.installed-stamp
DEMO_STAMP := $(VENV)/.demo-stamp

.PHONY: test demo lint typecheck importlint pytest setup clean bench

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: setup
	$(BIN)/mypy

importlint: setup
	$(BIN)/lint-imports

pytest: setup
	$(BIN)/pytest

test: lint typecheck importlint pytest

# The demo needs only the core, Flask, PyJWT and SQLAlchemy: a quick install on a fresh machine.
$(DEMO_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[demo]'
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/python examples/demo.py

bench: setup
	$(BIN)/python bench/cache_bench.py
	$(BIN)/python bench/memory_bench.py
	$(BIN)/python bench/bulk_bench.py
	$(BIN)/python bench/agent_bench.py
	$(BIN)/python bench/audit_bench.py
	$(BIN)/python bench/async_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
