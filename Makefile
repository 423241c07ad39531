# Two commands for a fresh machine with Python 3.11: `make run` (serve the API on the default
# corpus) and `make test` (the whole test suite). Re-running them is fast when nothing changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-eclaireur
# `eclaireur model install` converts the bundled model, then exports its ONNX files (token table, fp32 and int8
# graphs, written together, last): the token table stands for a complete model folder.
MODEL := models/multilingual-e5-small/onnx/word_embeddings.npy
AXE_VERSION := 4.14.1
AXE_STAMP := build/npm/.axe-core-$(AXE_VERSION)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

FUZZ_EXAMPLES ?= 300

.PHONY: run test fuzz setup browser chromium postgresql

run: setup
	$(BIN)/eclaireur serve

test: setup browser postgresql
	@$(BIN)/python -m pytest $(PYTEST_ARGS); code=$$?; \
	if [ $$code -eq 5 ]; then echo "pytest : aucun test collecté."; exit 0; fi; exit $$code

# A longer fuzzing of the API against its own OpenAPI document (and of the MCP tool calls), with a new random seed at each run
# (`make test` runs the same tests derandomized, 30 examples per operation).
fuzz: setup
	FUZZ_MODE=random FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/api/test_schema_fuzz.py tests/mcp/test_fuzz.py -q $(PYTEST_ARGS)

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

# The widget's tests drive Debian's Chromium (never a browser downloaded by `playwright install`) and inject
# axe-core from npm. Installing system packages needs root or password-less sudo; without them the browser
# tests are skipped and say why. Both steps do nothing once installed.
browser: chromium $(AXE_STAMP)

chromium:
	@$(call apt_install,[ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1,chromium fonts-noto-color-emoji,\
	  Chromium,les tests du widget dans le navigateur seront sautés)

# The storage tests start their own throwaway PostgreSQL server from Debian's binaries (initdb, pg_ctl); nothing
# needs to be running. Without root or sudo, they are skipped and say why.
postgresql:
	@$(call apt_install,ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1,postgresql,\
	  PostgreSQL,les tests sur PostgreSQL seront sautés)

# $(call apt_install,CHECK,PACKAGES,NAME,WITHOUT): unless the shell test CHECK succeeds, apt-get installs PACKAGES,
# as root or through password-less sudo; WITHOUT says what the tests do when that cannot be done.
define apt_install
if $(1); then exit 0; fi; \
if [ "$$(id -u)" = 0 ]; then SUDO=; \
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; \
else echo "$(strip $(3)) absent et ni root ni sudo : $(4) (installez-le avec « apt-get install $(2) »)."; exit 0; fi; \
echo "Installation de $(strip $(3)) (apt-get)…"; \
$$SUDO env DEBIAN_FRONTEND=noninteractive sh -c 'apt-get update -qq && apt-get install -y -qq $(2)' \
  || echo "Échec de l'installation de $(strip $(3)) : $(4)."
endef

# axe-core goes to build/ (ignored by git), pinned; the stamp file makes re-runs instant.
$(AXE_STAMP):
	@if ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; \
	  else echo "npm absent et ni root ni sudo : installez npm, sans quoi le test d'accessibilité du widget échouera."; exit 0; fi; \
	  echo "Installation de npm (apt-get)…"; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive sh -c 'apt-get update -qq && apt-get install -y -qq npm' || exit 1; \
	fi; \
	mkdir -p build/npm && npm install --prefix build/npm --no-audit --no-fund --loglevel=error axe-core@$(AXE_VERSION) && touch $@
