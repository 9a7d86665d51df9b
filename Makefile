# The two commands a new user needs:   make demo   (set up, run the main job)   and   make test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
CLIP   ?= ../shared/data/clips/arm_wrestling_k400.mp4

.PHONY: setup test lint typecheck unit bench demo sdk clean

setup: $(STAMP)

$(STAMP): pyproject.toml clients/python/stae-encoder-client/pyproject.toml clients/python/stae-decoder-client/pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]' -e clients/python/stae-encoder-client -e clients/python/stae-decoder-client
	@touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check services tests bench clients/generate.py
	$(VENV)/bin/ruff format --check services tests bench clients/generate.py

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# pytest exits 5 when it collects nothing; that is a broken test tree, never a pass.
unit: $(STAMP)
	@$(VENV)/bin/pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the test tree is broken" >&2; fi; exit $$rc

test: lint typecheck unit

bench: $(STAMP)
	$(PY) bench/encoder.py --json bench/results/encoder-cpu.json --markdown bench/results/encoder-cpu.md

# The main job: decoder and encoder as real processes, a real clip through POST /recognize.
demo: $(STAMP)
	$(VENV)/bin/stae demo --clip $(CLIP)

# Re-export the OpenAPI documents and regenerate the committed SDKs (CI fails when they are stale).
sdk: $(STAMP)
	$(PY) clients/generate.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
