# Two commands for a fresh machine with Python 3.11: `make run` (serve the API on the default
# corpus) and `make test` (the whole test suite). Re-running them is fast when nothing changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-eclaireur
MODEL := models/multilingual-e5-small/modules.json
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test setup

run: setup
	$(BIN)/eclaireur serve

test: setup
	@$(BIN)/python -m pytest $(PYTEST_ARGS); code=$$?; \
	if [ $$code -eq 5 ]; then echo "pytest : aucun test collecté."; exit 0; fi; exit $$code

setup: $(STAMP) $(MODEL)

# torch is pinned and installed first: its CPU build lies on this machine's disk, and an unpinned
# torch would pull a multi-gigabyte CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(MODEL): | $(STAMP)
	$(BIN)/eclaireur model install
