# The two commands of the README: `make demo` (the main job) and `make test`.
# Both do all set-up on a fresh Debian-like machine as root.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
LABKIT := $(VENV)/bin/labkit
STAMP := $(VENV)/.installed

.PHONY: demo test engines test-tools venv unit lint bench bench-class clean

engines:
	bash scripts/provision-engines

test-tools:
	bash scripts/provision-test-tools

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: engines venv
	bash scripts/demo

# Each engine's tests in a worker of their own (tests/scheduling.py), side by side; the third
# worker takes the engine-free tests.
TEST_WORKERS ?= 3

test: engines test-tools venv lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

unit: venv
	$(PY) -m pytest tests/unit

lint: venv
	$(VENV)/bin/ruff format --check toolkit tests bench
	$(VENV)/bin/ruff check toolkit tests bench
	$(VENV)/bin/mypy

bench: engines venv
	$(PY) -m bench.stacks
	$(PY) -m bench.cli

bench-class: engines venv
	$(PY) -m bench.class_on_one_host
	$(PY) -m bench.class_grading

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
