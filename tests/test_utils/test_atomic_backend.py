"""Atomic local writes: a crash never leaves a truncated file behind."""
import os

import pytest
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.fileio.backends import registry_utils

from mmdsct.utils import (AtomicLocalBackend, atomic_backend_args,
                          atomic_write_bytes, register_atomic_local_backend,
                          remove_atomic_write_leftovers)


@pytest.fixture
def restored_local_backend():
    """Put mmengine's ``'local'`` backend back as it was after the test."""
    backends = dict(registry_utils.backends)
    prefixes = dict(registry_utils.prefix_to_backends)
    yield
    registry_utils.backends.clear()
    registry_utils.backends.update(backends)
    registry_utils.prefix_to_backends.clear()
    registry_utils.prefix_to_backends.update(prefixes)


def test_atomic_backend_is_picked_by_name(tmp_path):
    backend = get_file_backend(
        str(tmp_path / 'x.pth'), backend_args=atomic_backend_args())
    assert type(backend) is AtomicLocalBackend
    backend.put(b'whole', tmp_path / 'x.pth')
    assert (tmp_path / 'x.pth').read_bytes() == b'whole'
    assert atomic_backend_args() is not atomic_backend_args()


def test_register_replaces_local_backend_idempotently(tmp_path,
                                                      restored_local_backend):
    registry_utils.backends['local'] = LocalBackend
    registry_utils.prefix_to_backends[''] = LocalBackend
    assert type(get_file_backend(str(tmp_path / 'x.pth'))) is LocalBackend
    register_atomic_local_backend()
    register_atomic_local_backend()
    assert type(get_file_backend(str(tmp_path / 'x.pth'))) is \
        AtomicLocalBackend
    assert type(get_file_backend(
        str(tmp_path), backend_args=dict(backend='local'))) is \
        AtomicLocalBackend


def test_write_replaces_whole_file(tmp_path):
    target = tmp_path / 'sub' / 'epoch_1.pth'
    atomic_write_bytes(b'first', target)
    atomic_write_bytes(b'second', target)
    assert target.read_bytes() == b'second'
    assert os.listdir(target.parent) == ['epoch_1.pth']


def test_crash_during_write_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / 'epoch_1.pth'
    target.write_bytes(b'good checkpoint')

    def crash(*args, **kwargs):
        raise OSError('disk full')

    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(OSError, match='disk full'):
        AtomicLocalBackend().put(b'half', target)
    assert target.read_bytes() == b'good checkpoint'
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # no temp file left


@pytest.mark.parametrize('umask, mode', [(0o022, 0o644), (0o077, 0o600),
                                         (0o002, 0o664)])
def test_new_file_gets_the_umask_mode(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        atomic_write_bytes(b'x', tmp_path / 'report.json')
    finally:
        os.umask(previous)
    assert (tmp_path / 'report.json').stat().st_mode & 0o777 == mode


def test_leftovers_of_interrupted_writes_are_removed(tmp_path):
    leftovers = ['.iter_4.pth.0a1b2c3d.tmp', '.last_checkpoint.k2j_9xqz.tmp']
    kept = ['iter_4.pth', '.hidden.tmp', 'notes.0a1b2c3d.tmp', '.x.short.tmp']
    for name in leftovers + kept:
        (tmp_path / name).write_bytes(b'')
    removed = remove_atomic_write_leftovers(tmp_path)
    assert sorted(os.path.basename(path) for path in removed) == \
        sorted(leftovers)
    assert sorted(os.listdir(tmp_path)) == sorted(kept)
    assert remove_atomic_write_leftovers(tmp_path / 'absent') == []
