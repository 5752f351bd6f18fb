"""Fixtures shared by the whole suite."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TINY_CONFIG = REPO_ROOT / 'configs' / 'dsct' / 'dsct_tiny_synth.py'


def run_python(args, cwd, timeout=600, env=None):
    """Run ``python *args`` and fail the test with its output if it fails."""
    proc = subprocess.run([sys.executable, *map(str, args)],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    assert proc.returncode == 0, (
        f'{args} exited with {proc.returncode}\n--- stdout ---\n'
        f'{proc.stdout[-5000:]}\n--- stderr ---\n{proc.stderr[-5000:]}')
    return proc


@pytest.fixture(scope='session')
def repo_root():
    """The repository's root directory."""
    return REPO_ROOT


@pytest.fixture(scope='session')
def tiny_config():
    """Path of the tiny DSCT config (tests and the CPU quickstart)."""
    return TINY_CONFIG


@pytest.fixture(scope='session')
def python_runner():
    """:func:`run_python`, for tests that run the tools as a user does."""
    return run_python


@pytest.fixture(scope='session')
def synth_workspace(tmp_path_factory):
    """A working directory holding ``data/synth`` (the tiny config's data
    root): 12 training and 6 test images from the synthetic generator."""
    workspace = tmp_path_factory.mktemp('workspace')
    run_python([
        REPO_ROOT / 'tools' / 'misc' / 'make_synthetic_emotion.py',
        '--out-dir', workspace / 'data' / 'synth', '--num-train', 12,
        '--num-test', 6, '--seed', 0
    ], cwd=workspace)
    return workspace
