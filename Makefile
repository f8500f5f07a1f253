# mtclip: `make demo` runs the headline experiment on the embedded default; `make test` runs the tests.
# Both create .venv and install what they need on a fresh machine, and are idempotent.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch/torchvision first, pinned to a pair that works with open_clip_torch 3.3.0 (override on other machines).
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
OUT ?= runs/demo

.PHONY: demo demo-quick test test-slow lint install export clean-nbs lab docs
install: $(VENV)/.installed

$(VENV)/.installed: setup.py settings.ini
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH_SPEC)
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

demo: install
	$(BIN)/mtclip demo --out $(OUT)

demo-quick: install
	$(BIN)/mtclip demo --out $(OUT) --quick

# Library notebooks are tested by nbdev (cells flagged `slow` are skipped); experiment notebooks are
# run with tiny parameters by tests/ (papermill), so they are skipped by nbdev_test here.
# The library notebooks run twice: as this machine runs them (2 threads), and as another machine would
# (OTHER_MACHINE: 1 thread, torch's scalar CPU kernels, oneDNN and MKL on older instruction sets; each changes
# float results in the last bits). An assertion that holds only for one BLAS kernel or thread count fails here.
# The second run leaves out the two notebooks about processes, not floats (papermill sweeps, kills and resumes:
# 3 of its 4 minutes); `make test-slow` runs them both ways.
OTHER_MACHINE := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41 \
                 MKL_ENABLE_INSTRUCTIONS=SSE4_2
NBDEV_TEST := $(BIN)/nbdev_test --n_workers 2 --timing --skip_folder_re '^(_|\.|experiments)'
NOT_FLOATS := '^([_.]|10_runs|17_reliability)'
# The first pass runs the notebooks for the docs site (mtclip docs: as nbdev_test does, 2 at a time, with the same
# flags), so the site that tests/test_docs.py opens in Chromium is built from this very run.
test: install lint
	OMP_NUM_THREADS=2 $(BIN)/mtclip docs --out _site --workers 2
	$(OTHER_MACHINE) $(NBDEV_TEST) --skip_file_re $(NOT_FLOATS)
	$(BIN)/pytest -q -m 'not slow' --durations=25 tests

# ruff on the exported library (ruff.toml; line length is checked by tests/test_layout.py). ruff is pinned in
# settings.ini: a newer ruff brings new rules, and an unpinned one failed CI on code this one passed.
lint: install
	$(BIN)/ruff check mtclip

test-slow: install
	$(BIN)/nbdev_test --n_workers 1 --flags slow --skip_folder_re '^(_|\.|experiments)'
	$(OTHER_MACHINE) $(NBDEV_TEST) --file_re '^(10_runs|17_reliability)'
	$(BIN)/pytest -q tests

# The docs site in _site/: nbdev_docs where Quarto is installed (with .venv first on PATH: nbdev_docs runs
# `pip install -e .[dev]` with the first pip it finds), else the same notebooks executed and rendered by mkdocs.
# Nothing is installed outside .venv.
docs: install
	@if command -v quarto >/dev/null 2>&1; then PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/nbdev_docs; \
	else OMP_NUM_THREADS=2 $(BIN)/mtclip docs --out _site; fi
	@echo "serve it: $(BIN)/python -m http.server -d _site 8000"

# README.md is written from nbs/index.ipynb (its source, and the docs' home page)
export: install
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean && $(BIN)/mtclip readme

# root (a container) needs --allow-root
lab: install
	$(BIN)/jupyter lab nbs $(if $(filter 0,$(shell id -u)),--allow-root)
