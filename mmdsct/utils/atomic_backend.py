"""Atomic writes for mmengine's local file backend.

mmengine writes a checkpoint with ``open(path, 'wb').write(...)``: a crash or
a full disk halfway leaves a truncated ``epoch_N.pth`` behind. The backend
below writes to a temporary file in the same directory
(``.<name>.<8 characters>.tmp``), flushes it to disk and renames it over the
target, so a file under the final name is always whole. A process killed
mid-write leaves the temporary file behind;
:func:`remove_atomic_write_leftovers` deletes such files (the checkpoint hook
does so when training starts).

Importing this module registers the backend under its own name,
``'atomic_local'`` (:data:`ATOMIC_LOCAL_BACKEND`), beside mmengine's
``'local'``, which it leaves as it is: a writer picks it with
``backend_args=dict(backend='atomic_local')`` (as ``SafeCheckpointHook``
does). :func:`register_atomic_local_backend` goes further and puts it in
place of ``'local'`` for the whole process (the tools do so).
"""
import os
import os.path as osp
import re
import secrets
from pathlib import Path
from typing import List, Union

from mmengine.fileio import LocalBackend, register_backend
from mmengine.utils import mkdir_or_exist

#: Name of an unfinished atomic write: ``.<target name>.<8 chars>.tmp``
#: (hex digits here; ``tempfile.mkstemp``'s alphabet in earlier versions).
LEFTOVER_PATTERN = re.compile(r'^\..+\.[a-z0-9_]{8}\.tmp$')
#: Mode of new files before the umask applies, as for ``open(path, 'w')``.
NEW_FILE_MODE = 0o666
#: Name of :class:`AtomicLocalBackend` in mmengine's file backends.
ATOMIC_LOCAL_BACKEND = 'atomic_local'


def _open_temporary(directory: str, basename: str) -> tuple:
    """Create a new, empty temporary file for ``basename`` in ``directory``.

    Unlike :func:`tempfile.mkstemp` (always 0600), the file gets the mode
    ``open()`` would give: 0666 less the process umask.

    Returns:
        tuple[int, str]: The open file descriptor and the file's path.
    """
    while True:
        path = osp.join(directory, f'.{basename}.{secrets.token_hex(4)}.tmp')
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         NEW_FILE_MODE)
        except FileExistsError:
            continue
        return fd, path


def fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (best effort)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so that readers never see a partial file.

    The file is created with the mode a plain ``open()`` gives (0666 less
    the umask).

    Args:
        data (bytes): Content to write.
        filepath (str | Path): Destination; its directory is created.
    """
    filepath = str(filepath)
    directory = osp.dirname(osp.abspath(filepath))
    mkdir_or_exist(directory)
    fd, tmp_path = _open_temporary(directory, osp.basename(filepath))
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
    fsync_directory(directory)


def remove_atomic_write_leftovers(directory: Union[str, Path]) -> List[str]:
    """Delete the temporary files of interrupted atomic writes.

    Args:
        directory (str | Path): The directory to clean (not recursive); a
            missing directory has nothing to clean.

    Returns:
        list[str]: Paths of the files removed.
    """
    directory = str(directory)
    if not osp.isdir(directory):
        return []
    removed = []
    for name in sorted(os.listdir(directory)):
        path = osp.join(directory, name)
        if LEFTOVER_PATTERN.match(name) and osp.isfile(path):
            os.remove(path)
            removed.append(path)
    return removed


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


def atomic_backend_args() -> dict:
    """``backend_args`` that make an mmengine writer use
    :class:`AtomicLocalBackend` (a new dict on every call)."""
    return dict(backend=ATOMIC_LOCAL_BACKEND)


def register_atomic_local_backend() -> None:
    """Use :class:`AtomicLocalBackend` for every local path in mmengine,
    process-wide: it replaces mmengine's ``'local'`` backend. Idempotent."""
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')


# An additional backend name; mmengine's own backends stay as they are.
register_backend(ATOMIC_LOCAL_BACKEND, AtomicLocalBackend, force=True)
