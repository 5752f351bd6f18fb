"""Atomic writes for mmengine's local file backend.

mmengine writes a checkpoint with ``open(path, 'wb').write(...)``: a crash or
a full disk halfway leaves a truncated ``epoch_N.pth`` behind. The backend
below writes to a temporary file in the same directory, flushes it to disk and
renames it over the target, so a file under the final name is always whole.
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend
from mmengine.utils import mkdir_or_exist


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so that readers never see a partial file.

    Args:
        data (bytes): Content to write.
        filepath (str | Path): Destination; its directory is created.
    """
    filepath = str(filepath)
    directory = osp.dirname(osp.abspath(filepath))
    mkdir_or_exist(directory)
    fd, tmp_path = tempfile.mkstemp(
        dir=directory, prefix=f'.{osp.basename(filepath)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


class AtomicLocalBackend(LocalBackend):
    """:class:`~mmengine.fileio.LocalBackend` whose writes are atomic."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes atomically (see :func:`atomic_write_bytes`)."""
        atomic_write_bytes(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text atomically (see :func:`atomic_write_bytes`)."""
        atomic_write_bytes(obj.encode(encoding), filepath)


def register_atomic_local_backend() -> None:
    """Use :class:`AtomicLocalBackend` for every local path in mmengine."""
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
