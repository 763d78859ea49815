# One virtual environment for everything; every target installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install dev test lint typecheck docs docs-check accuracy fuzz bench sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet .

dev: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

## make sample: install and classify the sample log shipped in examples/
sample: install
	$(BIN)/kling-errors classify examples/sample.log --format text

## make test: install, lint, type-check, check the generated docs and the field accuracy, run the tests
test: dev lint typecheck docs-check accuracy
	$(BIN)/python -m pytest

## make accuracy: the built-in rules on the labelled field corpus (corpus/); fails below 97 %
MIN_ACCURACY ?= 0.97
accuracy: dev
	$(BIN)/kling-errors rules eval corpus/ --no-config --min-accuracy $(MIN_ACCURACY) > .accuracy.txt \
	  || { cat .accuracy.txt; exit 6; }
	@head -3 .accuracy.txt

## make fuzz: the long property-based run (FUZZ_EXAMPLES per property, default 100000)
fuzz: dev
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_hostile.py tests/test_parallel.py \
	  -q --durations=0 -k "arbitrary_bytes or one_output or each_give or truncated_json or exactly"

## make docs: regenerate docs/ from the rules
docs: dev
	$(BIN)/kling-errors docs --update --no-config

docs-check: dev
	$(BIN)/kling-errors docs --check --no-config

lint: dev
	$(BIN)/ruff check kling_errors tests bench
	$(BIN)/ruff format --check kling_errors tests bench

typecheck: dev
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache

## make bench: the performance figures of the README (realistic logs; about 20 minutes)
bench: install
	$(BIN)/python -m compileall -q $(VENV)/lib
	$(BIN)/python bench/run.py --records 1000000 --runs 3
	$(BIN)/python bench/regex_safety.py
