# One command per job on a fresh machine: `make demo`, `make test`.
# torch==2.13.0 is installed before the package so that its `torch>=` requirement
# is already met (an unpinned torch would pull the CUDA build). Where the pinned
# version is not already a CPU wheel (PyPI's Linux wheel pulls CUDA libraries):
#   make demo TORCH_INDEX="--index-url https://download.pytorch.org/whl/cpu"
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH_INDEX ?=

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0 $(TORCH_INDEX)
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
