"""Weights-only checkpoint loading (torch >= 2.6 safe unpickler)."""
import collections

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

import mmdsct  # noqa: F401  (installs the loader)
from mmdsct.utils import UnsafeCheckpointError, load_from_local_weights_only


def _mmengine_like_checkpoint() -> dict:
    """What mmengine's runner writes besides weights: history buffers,
    numpy arrays of several dtypes and numpy scalars."""
    buffer = HistoryBuffer()
    buffer.update(0.5)
    buffer.update(np.float64(0.25))
    return dict(
        meta=dict(epoch=1, iter=2, seed=np.int64(42), time='now'),
        state_dict=collections.OrderedDict(weight=torch.ones(2, 2)),
        message_hub=dict(
            log_scalars={'train/loss': buffer},
            runtime_info=dict(
                iter=2,
                arr=np.arange(3, dtype=np.int32),
                flags=np.array([True, False]),
                half=np.float16(1.5))))


def test_mmengine_checkpoint_loads_weights_only(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(_mmengine_like_checkpoint(), path)
    loaded = _load_checkpoint(str(path), map_location='cpu')
    assert torch.equal(loaded['state_dict']['weight'], torch.ones(2, 2))
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(0.375)
    assert loaded['meta']['seed'] == 42
    assert loaded['message_hub']['runtime_info']['arr'].dtype == np.int32


class ForeignPayload:
    """A type no checkpoint of ours contains."""

    def __init__(self):
        self.value = 1


def test_foreign_object_is_refused(tmp_path):
    path = tmp_path / 'foreign.pth'
    torch.save(dict(state_dict={}, payload=ForeignPayload()), path)
    with pytest.raises(UnsafeCheckpointError) as err:
        _load_checkpoint(str(path), map_location='cpu')
    assert str(path) in str(err.value)
    assert 'ForeignPayload' in str(err.value)


def test_code_running_pickle_is_refused(tmp_path):

    class RunsCode:

        def __reduce__(self):
            return (print, ('this must never run', ))

    path = tmp_path / 'evil.pth'
    torch.save(dict(payload=RunsCode()), path)
    with pytest.raises(UnsafeCheckpointError, match='print'):
        load_from_local_weights_only(str(path))


def test_missing_file_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothere.pth'):
        load_from_local_weights_only(str(tmp_path / 'nothere.pth'))


def test_only_history_buffer_lookups_pass_getattr(tmp_path):
    """mmengine pickles ``getattr(HistoryBuffer, 'mean')``; any other
    attribute lookup through ``getattr`` is refused."""

    class ReachesInit:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    path = tmp_path / 'getattr.pth'
    torch.save(dict(payload=ReachesInit()), path)
    with pytest.raises(UnsafeCheckpointError, match='__init__'):
        load_from_local_weights_only(str(path))


def test_history_buffer_loads_in_fresh_process(tmp_path):
    """Before any HistoryBuffer exists, its statistics table is empty; the
    pickled ``getattr(HistoryBuffer, 'min')`` must still be allowed."""
    import subprocess
    import sys
    path = tmp_path / 'buffer.pth'
    torch.save(_mmengine_like_checkpoint(), path)
    code = ('import mmdsct; from mmengine.runner.checkpoint import '
            f'_load_checkpoint; c = _load_checkpoint({str(path)!r}); '
            "print(c['message_hub']['log_scalars']['train/loss'].mean())")
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'local_weights_only backend' in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == '0.375'
