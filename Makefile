# The two commands of the README: `make serve` and `make test`. Each builds .venv from
# pyproject.toml when it is missing or older than pyproject.toml, then runs.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed
BIN := $(VENV)/bin

.PHONY: serve test system-deps lint typecheck pytest bench conformance clean

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

pytest: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@scripts/system-deps.sh
	$(BIN)/python -m bench.speed

# Autobahn|Testsuite against every WebSocket mount and uvicorn (long: CASES=1.*,9.* for a
# subset); wstest gets its own Python 2.7 virtualenv under .conformance/.
CASES ?= *
conformance: $(STAMP)
	@scripts/autobahn-setup.sh
	$(BIN)/python -m bench.autobahn --cases '$(CASES)'

clean:
	rm -rf $(VENV) build *.egg-info
