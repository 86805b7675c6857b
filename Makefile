# Two commands matter (see README): `make run` and `make test`. Both are idempotent.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= ./var
# One model build shared by the demo, eval and bench archives (not by the tests, which keep theirs
# in .cache/ and must never write into a real data dir).
MODEL_CACHE ?= $(abspath $(DATA_DIR))/models
run eval bench: export SANGKIEN_MODEL_CACHE_DIR = $(MODEL_CACHE)

.PHONY: install run demo test eval bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# CPU torch first: anything that depends on a plain `torch` would otherwise pull a CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/sangkien demo --data-dir $(DATA_DIR)

# Lint (ruff), the layering contract (import-linter, see pyproject.toml), then the whole suite.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q

# Quality on the labelled families of ../shared (each script skips itself when it is absent) and on
# the families of bench/families and bench/heldout written for this project: novelty verdicts as
# shipped and leave-one-family-out, the passage decision on vnPara, evidence statuses, section
# headings in Markdown and in DOCX/PDF/TXT/DOC renderings, and archive search on bench/search.
eval: $(STAMP)
	status=0; \
	$(BIN)/python bench/eval.py --data-dir $(DATA_DIR)/eval || status=1; \
	$(BIN)/python bench/eval_vnpara.py --data-dir $(DATA_DIR)/eval || status=1; \
	$(BIN)/python bench/eval_evidence.py --quiet || status=1; \
	$(BIN)/python bench/eval_evidence.py --quiet --corpus bench/families || status=1; \
	$(BIN)/python bench/eval_evidence.py --quiet --corpus bench/heldout || status=1; \
	out=$$($(BIN)/python bench/check_sections.py) || status=1; echo "$$out" | tail -1; \
	$(BIN)/python bench/check_formats.py || status=1; \
	$(BIN)/python bench/eval_search.py --data-dir $(DATA_DIR)/eval-search || status=1; \
	exit $$status

bench: $(STAMP)
	$(BIN)/python bench/bench.py --data-dir $(DATA_DIR)/bench
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) $(DATA_DIR) .pytest_cache
