# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when it is missing.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: run examples test serve lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

## run: check the shipped rules, run their tests (and prove their properties), decide the example cases with their
##      reasons, and write the analyzer's report over the library to out/ (ignored by git: `make run` leaves the
##      checkout clean; its summary is printed)
run: $(STAMP)
	$(BIN)/eenvoud check rules/
	$(BIN)/eenvoud test rules/
	$(BIN)/eenvoud eval rules/nl/rijk/zorgtoeslag.rules --facts examples/zorgtoeslag/single-low-income.json --date 2025-01-01
	$(BIN)/eenvoud eval rules/nl/rijk/zorgtoeslag.rules --facts examples/zorgtoeslag/couple-undetermined.json --date 2025-01-01
	$(BIN)/eenvoud eval rules/nl/events/low_income.rules --facts examples/events/low_income.json --date 2024-03-01
	$(BIN)/eenvoud analyze rules/ --out out/analysis.html --out out/analysis.md --out out/analysis.json

## examples: regenerate the committed example report in examples/reports/ (on purpose, then review and commit it)
examples: $(STAMP)
	$(BIN)/eenvoud analyze rules/ --out examples/reports/analysis.html --out examples/reports/analysis.md --out examples/reports/analysis.json

## test: lint first (a lint error fails the build), then the whole test suite; .ci/postgres.sh installs and starts
##       a PostgreSQL for the decision store's tests when it can (it says what is skipped when not; CI=true skips
##       nothing); .ci/chromium.sh installs Debian's chromium for the browser tests the same way; servers the tests
##       start keep their decisions in a temporary data folder (EENVOUD_DATA_DIR); the shipped rules are held to the
##       library's policy (`eenvoud check --library rules/`, docs/library.md), and .ci/vscode.sh builds the VS Code
##       extension (npm ci, vsce package) for tests/editors (without npm: skipped, said why; CI=true skips nothing)
test: lint
	$(BIN)/eenvoud check --library rules/
	.ci/vscode.sh
	url=$$(.ci/postgres.sh) && .ci/chromium.sh && data=$$(mktemp -d) && \
	  EENVOUD_TEST_POSTGRES_URL="$$url" EENVOUD_DATA_DIR="$$data" $(BIN)/python -m pytest -n 2 -rs tests; \
	  status=$$?; rm -rf "$$data"; exit $$status

## serve: the eligibility API on http://127.0.0.1:8000, with the drafter's playground at /playground (Ctrl-C to stop)
serve: $(STAMP)
	$(BIN)/eenvoud serve --rules rules/

## lint: ruff, mypy, and the layering contracts of pyproject.toml (import-linter)
lint: $(STAMP)
	$(BIN)/ruff check eenvoud tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
