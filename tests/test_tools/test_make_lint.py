"""``make lint`` (flake8, isort and yapf with mmdet's settings) passes a
file formatted that way and fails one that is not, naming what is wrong.

The linters are installed by ``make lint`` itself (from PyPI); these tests
run where that has happened (CI runs ``make lint`` before the tests)."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

#: The Makefile's default place of the linters' virtualenv (``make lint
#: LINT_VENV=...`` or the environment variable moves it).
DEFAULT_LINT_VENV = Path('.venv', 'lint')
LINTERS = ('flake8', 'isort', 'yapf')

CLEAN = '''"""A module formatted as mmdet formats its code."""
import os.path as osp

import torch


def joined(*parts: str) -> str:
    """Join path parts; return a tensor-free string."""
    return osp.join(*parts) + str(torch.zeros(1).numel())
'''

BADLY_FORMATTED = '''import torch
import sys, os
def joined( *parts ):
  return os.path.join(*parts)+str(torch.zeros(1).numel())
'''


@pytest.fixture(scope='module')
def lint(repo_root):
    """Run ``make lint`` on given paths; return the finished process."""
    if shutil.which('make') is None:
        pytest.skip('make is not installed')
    lint_bin = repo_root / os.environ.get('LINT_VENV',
                                          DEFAULT_LINT_VENV) / 'bin'
    missing = [name for name in LINTERS if not (lint_bin / name).is_file()]
    if missing:
        pytest.skip(f'make lint has not installed {missing} yet')

    def run(*paths):
        return subprocess.run([
            'make', '--no-print-directory', 'lint',
            'LINT_PATHS=' + ' '.join(map(str, paths))
        ],
                              cwd=repo_root,
                              capture_output=True,
                              text=True,
                              timeout=300)

    return run


def test_clean_file_passes(lint, tmp_path):
    path = tmp_path / 'clean.py'
    path.write_text(CLEAN)
    proc = lint(path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'lint: clean' in proc.stdout


def test_badly_formatted_file_fails_every_linter(lint, tmp_path):
    path = tmp_path / 'bad.py'
    path.write_text(BADLY_FORMATTED)
    proc = lint(path)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'lint: FAILED' in out
    for code in ('E401', 'F401', 'E302', 'E201', 'E111'):  # flake8
        assert 'bad.py:' in out and code in out, code
    assert 'Imports are incorrectly sorted' in out  # isort
    assert '(reformatted)' in out  # yapf's diff
    assert path.read_text() == BADLY_FORMATTED  # checked, not rewritten
