# The two commands of the README: `make serve` and `make test`. Each builds .venv from
# pyproject.toml when it is missing or older than pyproject.toml, then runs.
# .venv is built by the first of these that runs Python 3.11 or newer
# (scripts/find-python.sh); `make PYTHON=/path/to/python` names one.
PYTHON ?= python3.13 python3.12 python3.11 python3
VENV := .venv
STAMP := $(VENV)/.installed
BIN := $(VENV)/bin

.PHONY: serve test system-deps lint typecheck docs pytest dist bench conformance clean

$(STAMP): pyproject.toml
	@python=$$(scripts/find-python.sh $(PYTHON)) && echo "make: .venv from $$python" \
		&& $$python -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

serve: $(STAMP)
	$(BIN)/twistbridge serve

# The checks that read the tree (ruff, mypy, the site, the package) run beside pytest
# rather than before it: the suite spends much of its time waiting on servers, and
# those minutes are cores the others can use. A failing check still fails the target.
test: $(STAMP) system-deps
	$(MAKE) --no-print-directory -j 5 lint typecheck docs pytest

system-deps:
	@scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The site, strictly: a broken link or anchor, or a page the nav names that is not
# there, fails it (tests/docs/test_site.py checks the built HTML's links too).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# The suite on four processes (pytest-xdist) on this machine's two cores: a test
# spends more of its time waiting (a server starting, draining, a timeout running
# out) than computing, so two workers left the cores half idle (some 630 s of CPU in
# 600 s of two workers); four keep them busy. Each worker starts its own servers on
# ephemeral ports and has its own tmp_path; --dist loadscope keeps a module's tests,
# and its module-scoped servers, on one worker; --no-loadscope-reorder keeps the
# order tests/conftest.py gives the modules (those marked `long` first, so that none
# is left running alone at the end). PYTEST_ARGS adds flags, e.g.
# PYTEST_ARGS=--durations=40 for the slowest tests. Tests marked `timing` compare
# wall-clock times, which other workers on the same cores skew: they run after the
# others, in one process. tests/test_package.py installs the wheel `dist` built (run
# alone, it builds its own).
# Python may write bytecode here even where PYTHONDONTWRITEBYTECODE is set (an empty
# value is unset): the suite starts some 250 Python processes (servers, CLIs), each
# of which would otherwise compile the project's 200 modules again (a server's start
# 1.25 s of CPU, 0.8 s with them compiled), and each pytest process would rewrite
# and compile every test module (its collection 6 s of CPU, 3 s).
PYTEST_WORKERS ?= 4
pytest: export PYTHONDONTWRITEBYTECODE =
pytest: $(STAMP) dist
	TWISTBRIDGE_DIST=dist $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder -m "not timing" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m timing $(PYTEST_ARGS)

# The sdist and the wheel, as a release would upload them. --no-isolation: built with
# the venv's setuptools (the `test` extra pins the floor [build-system] asks for)
# rather than one downloaded into two fresh environments on every run.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@scripts/system-deps.sh
	$(BIN)/python -m bench.speed

# Autobahn|Testsuite against every WebSocket mount and uvicorn (long: CASES=1.*,9.* for a
# subset, AUTOBAHN='--parallel --deadline 3600' for a wstest per target and a time
# limit); wstest gets its own Python 2.7 virtualenv under .conformance/.
CASES ?= *
AUTOBAHN ?=
conformance: $(STAMP)
	@scripts/autobahn-setup.sh
	$(BIN)/python -m bench.autobahn --cases '$(CASES)' $(AUTOBAHN)

clean:
	rm -rf $(VENV) build dist *.egg-info
