"""Fixtures shared by the whole suite."""
import functools
import http.server
import subprocess
import sys
import threading
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
    ],
               cwd=workspace)
    return workspace


class QuietHTTPHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr."""

    def log_message(self, format, *args):  # noqa: A002 (base signature)
        pass


@pytest.fixture
def http_root(tmp_path):
    """The directory :func:`http_url` serves."""
    root = tmp_path / 'served'
    root.mkdir()
    return root


@pytest.fixture
def http_url(http_root):
    """Base URL (``http://127.0.0.1:PORT``) of a loopback HTTP server for
    ``http_root``, running in a thread for the test's duration."""
    handler = functools.partial(QuietHTTPHandler, directory=str(http_root))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    """``TORCH_HOME`` set to a temporary directory (also for subprocesses
    started with the test's environment); returns the checkpoint cache
    ``<TORCH_HOME>/hub/checkpoints``."""
    home = tmp_path / 'torch_home'
    monkeypatch.setenv('TORCH_HOME', str(home))
    return home / 'hub' / 'checkpoints'


class WritesMarker:
    """Unpickling it creates (opens for writing) the file ``path``: a
    stand-in for a checkpoint that runs code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, 'w'))


@pytest.fixture
def hostile_checkpoint(http_root, tmp_path):
    """Write ``evil.pth`` into ``http_root``: an mmengine-looking checkpoint
    whose unpickling would create a marker file. Returns ``(name,
    marker)``."""
    import torch
    marker = tmp_path / 'code_ran.marker'
    torch.save(
        dict(
            state_dict={'weight': torch.zeros(1)},
            meta=dict(payload=WritesMarker(marker))), http_root / 'evil.pth')
    return 'evil.pth', marker
