# mmdsct: `make demo` runs the main job, `make test` the test suite; both
# set everything up first (`make install`, idempotent). `make lint` checks
# the code with flake8, isort and yapf (mmdet's settings, setup.cfg).
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

# The linters live in a virtualenv of their own, installed on first use
# (requirements/lint.txt); LINT_PATHS are the files and folders checked.
LINT_VENV ?= $(VENV)/lint
LINT_BIN := $(LINT_VENV)/bin
LINT_STAMP := $(LINT_VENV)/.mmdsct-lint-installed
LINT_PATHS ?= mmdsct tools tests configs

# `make context-benchmark [BUDGET=long]`: context-only APs, learning
# curves, parameters and CPU latency of CONTEXT_MODELS at the demo's budget
# or the long one (tools/analysis_tools/context_benchmark.py; it reuses
# finished runs and trains missing ones; output in
# work_dirs/context_benchmark/$(BUDGET)). Run it alone on the machine.
BUDGET ?= demo
CONTEXT_MODELS_demo := configs/dsct/dsct_tiny_synth.py=work_dirs/demo
CONTEXT_MODELS_long := configs/dsct/dsct_tiny_synth.py
CONTEXT_MODELS_OTHERS := configs/dsct_follow/dsct-follow_tiny_synth.py \
    configs/two_stage/two-stage_r18_synth.py \
    configs/two_stage/two-stage_r18-crop-only_synth.py \
    configs/two_stage/two-stage_r18-surround_synth.py
CONTEXT_MODELS ?= $(CONTEXT_MODELS_$(BUDGET)) $(CONTEXT_MODELS_OTHERS)

.PHONY: install test demo lint clean-venv context-benchmark

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

context-benchmark: install
	$(PY) tools/analysis_tools/context_benchmark.py $(CONTEXT_MODELS) \
	    --budget $(BUDGET)

lint: $(LINT_STAMP)
	@status=0; \
	echo "flake8 $(LINT_PATHS)"; \
	$(LINT_BIN)/flake8 --config setup.cfg $(LINT_PATHS) || status=1; \
	echo "isort --check-only --diff $(LINT_PATHS)"; \
	$(LINT_BIN)/isort --settings-path setup.cfg --check-only --diff \
	    $(LINT_PATHS) || status=1; \
	echo "yapf --diff --recursive $(LINT_PATHS)"; \
	$(LINT_BIN)/yapf --style setup.cfg --diff --recursive \
	    $(LINT_PATHS) || status=1; \
	if [ $$status -eq 0 ]; then echo "lint: clean"; \
	else echo "lint: FAILED (fix by hand what flake8 lists; isort and"; \
	echo "  yapf fix themselves: $(LINT_BIN)/isort $(LINT_PATHS) &&"; \
	echo "  $(LINT_BIN)/yapf -i -r $(LINT_PATHS))"; fi; \
	exit $$status

$(LINT_STAMP): requirements/lint.txt
	test -x $(LINT_BIN)/python || $(PYTHON) -m venv $(LINT_VENV)
	$(LINT_BIN)/python -m pip install -r requirements/lint.txt
	touch $@

clean-venv:
	rm -rf $(VENV)
