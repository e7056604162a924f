# One command per job on a fresh machine: `make demo`, `make test`.
# torch==2.13.0 is installed before the package so that its `torch>=` requirement
# is already met (an unpinned torch would pull the CUDA build); PyTorch's CPU index
# offers 2.13.0+cpu, which pip prefers to PyPI's Linux wheel with its CUDA libraries.
VENV ?= .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0 --extra-index-url https://download.pytorch.org/whl/cpu
	$(PY) -m pip install --quiet -e ".[test,plot,docs]"
	touch $@

.PHONY: venv demo test test-all
venv: $(VENV)/.installed

demo: venv
	$(PY) examples/quickstart.py

test: venv
	OMP_NUM_THREADS=1 $(PY) -m pytest -q

test-all: venv
	$(PY) -m pytest -q -m "slow or data or examples or not slow"
