# The two commands a new user needs:   make demo   (set up, run the main job)   and   make test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
CLIP   ?= ../shared/data/clips/arm_wrestling_k400.mp4

.PHONY: setup test lint typecheck unit bench demo sdk tiny-synth clean

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

# Train the shipped tiny model from scratch (issue 3): a fresh synthetic set, Algorithm 1, the eval grid with its
# plots, the grid below the paper's β, and the profile, into models/tiny-synth. On 2 CPU cores: 25 minutes
# in all (synthesis 1.5, training 10, evaluation 11 + 3.5).
WORK ?= /tmp/stae-tiny-synth
TINY := models/tiny-synth
tiny-synth: $(STAMP)
	$(VENV)/bin/stae synth --out $(WORK)/data --classes 10 --clips-per-class 400 --size 64 --seed 0
	$(VENV)/bin/stae -v train --data $(WORK)/data --out $(WORK)/run --cache $(WORK)/cache --model tiny
	$(VENV)/bin/stae eval $(WORK)/run --data $(WORK)/data --cache $(WORK)/cache --store \
		--json $(WORK)/eval.json --markdown $(WORK)/eval.md --plots $(WORK)/plots
	$(VENV)/bin/stae eval $(WORK)/run --data $(WORK)/data --cache $(WORK)/cache --alphas 4 16 --betas 0.2 0.1 0.05 \
		--h264-clips 0 --json $(WORK)/eval-small-beta.json --markdown $(WORK)/eval-small-beta.md
	mkdir -p $(TINY)
	cp $(WORK)/run/last/* $(WORK)/eval*.json $(WORK)/eval*.md $(WORK)/plots/*.png $(TINY)/
	$(VENV)/bin/stae profile --checkpoint $(TINY) --json-out $(TINY)/profile.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
