# mmdsct: `make demo` runs the main job, `make test` the test suite; both
# set everything up first (`make install`, idempotent).
#
# Variables: PYTHON (interpreter that creates the venv), VENV (its path),
# TORCH (the torch requirement; on a GPU machine pick a CUDA build and run
# `FORCE_CUDA=1 make install`, see README.md).

PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.mmdsct-installed
DEPS := requirements.txt requirements/build.txt requirements/tests.txt \
        requirements/mim.txt \
        setup.cfg setup.py pyproject.toml

.PHONY: install test demo clean-venv

install: $(STAMP)

$(STAMP): $(DEPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install "$(TORCH)" -r requirements/build.txt
	MMCV_WITH_OPS=1 $(PIP) install --no-build-isolation \
	    -r requirements.txt -r requirements/tests.txt
	$(PIP) install --no-deps -r requirements/mim.txt
	$(PIP) install --no-build-isolation --no-deps -e .
	$(PY) -c "import mmcv.ops, mmdsct; print('mmdsct', mmdsct.__version__, 'installed')"
	touch $@

test: install
	$(PY) -m pytest tests

demo: install
	$(PY) tools/misc/run_demo.py

clean-venv:
	rm -rf $(VENV)
