# The two commands of the README: `make serve` and `make test`. Each builds .venv from
# pyproject.toml when it is missing or older than pyproject.toml, then runs.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed
BIN := $(VENV)/bin

.PHONY: serve test system-deps lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) is needed (Python 3.11 or newer)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

serve: $(STAMP)
	$(BIN)/twistbridge serve

test: $(STAMP) system-deps lint typecheck pytest

system-deps:
	@scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite on two processes (pytest-xdist), this machine's cores: each worker starts
# its own servers on ephemeral ports and has its own tmp_path; --dist loadscope keeps
# a module's tests, and its module-scoped servers, on one worker. PYTEST_ARGS adds
# flags, e.g. PYTEST_ARGS=--durations=40 for the slowest tests. Tests marked `timing`
# compare wall-clock times, which a second worker on the same cores skews: they run
# after the others, in one process.
PYTEST_WORKERS ?= 2
pytest: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadscope -m "not timing" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m timing $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@scripts/system-deps.sh
	$(BIN)/python -m bench.speed

clean:
	rm -rf $(VENV) build *.egg-info
