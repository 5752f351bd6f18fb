"""Atomic local writes: a crash never leaves a truncated file behind."""
import os

import pytest
from mmengine.fileio import get_file_backend

import mmdsct  # noqa: F401  (installs the backend)
from mmdsct.utils import AtomicLocalBackend, atomic_write_bytes


def test_mmengine_uses_atomic_backend(tmp_path):
    assert isinstance(get_file_backend(str(tmp_path / 'x.pth')),
                      AtomicLocalBackend)


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
