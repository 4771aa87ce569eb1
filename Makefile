# kerasish: `make demo` trains the quickstart example; `make test` runs the whole suite.
# Each target creates .venv and installs what it needs, so either works first on a fresh machine.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: demo test bench lint clean

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	touch $@

$(VENV)/.installed-core: $(VENV)/.created pyproject.toml
	$(PIP) install --quiet -e ".[examples,plot]"
	touch $@

$(VENV)/.installed-dev: $(VENV)/.created pyproject.toml
	$(PIP) install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-core

demo: $(VENV)/.installed-core
	$(PY) examples/quickstart.py

# Two workers (one file each at a time): the suite takes about 8 minutes on 2 cores.
test: $(VENV)/.installed-dev
	JAX_PLATFORMS=$${JAX_PLATFORMS:-cpu} $(PY) -m pytest -n 2 --dist loadfile

# The peers are optional: each one that fails to install is reported as missing.
bench: $(VENV)/.installed-core
	$(PIP) install --quiet -e ".[bench]" || echo "bench extras not fully installed"
	$(PIP) install --quiet "torch==2.13.0" || echo "PyTorch not installed: reported as a missing peer"
	$(PY) benchmarks/bench.py --chart docs/performance.png

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check kerasish backends tests examples benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
