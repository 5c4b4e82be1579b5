# The course repository's entry points. Both `make demo` and `make test` work on a fresh
# clone: they create .venv (from Debian's /usr/bin/python3 when present, so that the
# grader's unprivileged sandbox user can run it) and install the pinned requirements.
SHELL := /bin/bash
BOOT_PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || command -v python3)
VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
ASSIGNMENTS := assignment1 assignment2 assignment3 assignment4
export PYTHONPATH := $(CURDIR)

.PHONY: venv test lint demo train seeds gpu-reference bench-train check handouts autograders clean project-report

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(VENV)/bin/python || $(BOOT_PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

test: venv
	$(PY) -m pytest -q

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Build assignment 1's handout and autograder zip, grade the reference and the bare stubs
# through the autograder zip as Gradescope runs it, then train the two-layer net briefly.
demo: venv
	$(PY) -m grader demo assignment1 --out build/demo
	$(MAKE) -C assignment1 train PYTHON=$(PY) CONFIG=configs/demo.yaml OUT=$(CURDIR)/build/demo/train
	@echo
	@echo "demo outputs in build/demo/: assignment1-handout/ (student handout),"
	@echo "  assignment1-autograder.zip (upload to Gradescope), results-*.json (Gradescope results),"
	@echo "  train-sample/metrics.json and train-sample/curves.png (the short training run, on the bundled sample)"

# Train from the root, with paths relative to here (ARGS: more options, e.g. "--resume --epochs 20"):
#   make train A=assignment1 CONFIG=configs/two_layer.yaml DATA_DIR=../shared/data OUT=runs/a1
A ?= assignment1
train: venv
	$(MAKE) -C $(A) train PYTHON=$(PY) $(if $(CONFIG),CONFIG=$(CONFIG)) \
		$(if $(OUT),OUT=$(abspath $(OUT))) $(if $(DATA_DIR),DATA_DIR=$(abspath $(DATA_DIR))) $(if $(ARGS),ARGS="$(ARGS)")

# A reference figure as the READMEs give it: one run per seed in runs/seeds/<A>-<config>-seed<N>
# (-sample appended on the bundled sample), then the mean, sample std and range of each result.
#   make seeds A=assignment1 CONFIG=configs/two_layer.yaml SEEDS="0 1 2" DATA_DIR=../shared/data
SEEDS ?= 0 1 2
SEED_RUNS = $(CURDIR)/runs/seeds/$(A)-$(basename $(notdir $(CONFIG)))
seeds: venv
	test -n "$(CONFIG)" || { echo "make seeds: give CONFIG=configs/<name>.yaml (and A=assignmentN)"; exit 2; }
	for s in $(SEEDS); do \
		$(MAKE) -C $(A) train PYTHON=$(PY) CONFIG=$(CONFIG) OUT=$(SEED_RUNS)-seed$$s $(if $(DEVICE),DEVICE=$(DEVICE)) \
			$(if $(DATA_DIR),DATA_DIR=$(abspath $(DATA_DIR))) ARGS="--seed $$s --no-progress $(ARGS)" || exit 1; \
	done
	runs=""; for s in $(SEEDS); do \
		if [ -d $(SEED_RUNS)-seed$$s-sample ] && [ -z "$(DATA_DIR)$$DATA_DIR" ]; then runs="$$runs $(SEED_RUNS)-seed$$s-sample"; \
		else runs="$$runs $(SEED_RUNS)-seed$$s"; fi; \
	done; $(PY) -m trainkit.spread $$runs

# The READMEs' GPU figures, one run after another on one CUDA GPU (runs/seeds/, as make seeds):
# MyModel (A2, configs/mymodel_gpu.yaml, seed 0), the transformer (A4, seeds 0-2) and the LSTM with
# dot-product attention (A4, seed 0). About 10 minutes on one H200 by the runs' epoch times (the target
# itself has not run on a GPU yet); DATA_DIR holds cifar10/ and multi30k/
#   make gpu-reference DATA_DIR=../shared/data
gpu-reference: venv
	test -n "$(DATA_DIR)" || { echo "make gpu-reference: give DATA_DIR=... (the full data sets)"; exit 2; }
	$(MAKE) seeds A=assignment2 CONFIG=configs/mymodel_gpu.yaml SEEDS=0 DEVICE=$(or $(DEVICE),cuda)
	$(MAKE) seeds A=assignment4 CONFIG=configs/transformer.yaml SEEDS="0 1 2" DEVICE=$(or $(DEVICE),cuda)
	$(MAKE) seeds A=assignment4 CONFIG=configs/seq2seq_attention.yaml SEEDS=0 DEVICE=$(or $(DEVICE),cuda)

# Training throughput on this machine, for every assignment that trains a reference (see each README).
bench-train: venv
	for a in $(ASSIGNMENTS); do \
		if grep -q '^bench-train:' $$a/Makefile; then $(MAKE) -C $$a bench-train PYTHON=$(PY) || exit 1; fi; \
	done

# The group project's report template, built with the typst Python package (make -C project has the rest).
project-report: venv
	$(MAKE) -C project report PYTHON=$(PY)

check: venv
	for a in $(ASSIGNMENTS); do $(PY) -m grader check $$a || exit 1; done

handouts: venv
	for a in $(ASSIGNMENTS); do $(PY) -m grader release $$a --out build/handouts/$$a || exit 1; done

autograders: venv
	for a in $(ASSIGNMENTS); do $(PY) -m grader autograder $$a --out build/autograders/$$a.zip || exit 1; done

clean:
	rm -rf build .pytest_cache
