"""Weights-only loading of mmengine checkpoints under torch >= 2.6.

torch 2.6 made ``torch.load(weights_only=True)`` the default. An mmengine
0.10.7 checkpoint then fails to load, because besides tensors it stores the
training state of the :class:`~mmengine.logging.MessageHub`: a few
:class:`~mmengine.logging.HistoryBuffer` objects holding numpy arrays and
numpy scalars. Turning weights-only loading off would let any checkpoint run
arbitrary code; instead we allow-list exactly the types mmengine writes and
keep the safe unpickler for everything else.

:func:`load_from_local_weights_only` loads a local file,
:func:`load_bytes_weights_only` bytes fetched from a storage backend. A
checkpoint that holds anything else is refused with
:class:`UnsafeCheckpointError`, which names the file and the offending type.
:mod:`mmdsct.utils.remote_checkpoint` puts every scheme of mmengine's
``CheckpointLoader`` (local paths, URLs, ``open-mmlab://``, ...) through
these two functions.
"""
import io
import os.path as osp
import pickle
import re
from typing import IO, Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

SafeGlobal = Union[Any, Tuple[Any, str]]
# Statistics every HistoryBuffer registers when it is created; custom ones
# are added to ``HistoryBuffer._statistics_methods`` by
# ``HistoryBuffer.register_statistics``.
BUILTIN_STATISTICS = frozenset({'min', 'max', 'current', 'mean'})


class UnsafeCheckpointError(pickle.UnpicklingError):
    """Raised when a checkpoint holds an object outside the allow-list."""


class OfficialCheckpointError(UnsafeCheckpointError):
    """Raised when a checkpoint is in the format of the official DSCT (or
    Deformable DETR) code: ``{'model', 'optimizer', 'lr_scheduler',
    'epoch', 'args'}`` with ``args`` an ``argparse.Namespace``. Such a file
    must be converted first (the message names the command)."""


#: Global that only checkpoints written by the official DSCT / Deformable
#: DETR code hold (their ``args`` entry).
OFFICIAL_ARGS_GLOBAL = 'argparse.Namespace'
#: The command that converts an official checkpoint.
OFFICIAL_CONVERTER = (
    'python tools/model_converters/dsct_official_to_mmdsct.py'
    ' IN.pth OUT.pth --dataset emotic|caers')


def _numpy_core() -> Any:
    """Return numpy's ``multiarray`` module (``numpy._core`` in numpy 2)."""
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    return multiarray


def history_buffer_statistics_method(owner: Any, name: str) -> Any:
    """Stand-in for ``getattr`` while unpickling a checkpoint.

    A :class:`HistoryBuffer` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')`` and so on. Allowing the real
    ``getattr`` would let a checkpoint reach any attribute of any allowed
    object; this stand-in allows exactly those lookups.

    Args:
        owner: The object the pickle asks an attribute of.
        name (str): The attribute's name.

    Returns:
        The statistics method ``HistoryBuffer.<name>``.
    """
    allowed = BUILTIN_STATISTICS | set(HistoryBuffer._statistics_methods)
    if owner is HistoryBuffer and name in allowed:
        return getattr(owner, name)
    raise UnsafeCheckpointError(
        f'getattr({owner!r}, {name!r}) is not part of an mmengine checkpoint')


def mmengine_checkpoint_globals() -> List[SafeGlobal]:
    """List the non-tensor types an mmengine 0.10.7 checkpoint contains.

    numpy arrays pickle through ``_reconstruct``/``ndarray``/``dtype`` and
    one dtype class per element type; numpy scalars through ``scalar``.
    Checkpoints written under numpy 1.x name these ``numpy.core.*`` and under
    numpy 2 ``numpy._core.*``; both spellings are accepted. ``getattr`` is
    answered by :func:`history_buffer_statistics_method`, which serves only
    the lookups a :class:`HistoryBuffer` pickles.

    Returns:
        list: Objects, or ``(object, qualified name)`` pairs, for
        :func:`torch.serialization.safe_globals`.
    """
    multiarray = _numpy_core()
    safe: List[SafeGlobal] = [HistoryBuffer, np.ndarray, np.dtype]
    for module in ('__builtin__', 'builtins'):
        safe.append((history_buffer_statistics_method, f'{module}.getattr'))
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        safe.append((multiarray._reconstruct, f'{module}._reconstruct'))
        safe.append((multiarray.scalar, f'{module}.scalar'))
    dtype_classes = {
        type(np.dtype(name))
        for name in ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8',
                     'uint16', 'uint32', 'uint64', 'float16', 'float32',
                     'float64')
    }
    safe.extend(sorted(dtype_classes, key=lambda cls: cls.__name__))
    return safe


def _offending_global(err: Exception) -> str:
    """Name the global that torch's weights-only unpickler refused."""
    found = re.search(r'GLOBAL (\S+) was not an allowed global', str(err))
    if found:
        return f'`{found.group(1)}`'
    return f'an object it could not load safely ({err})'


def supports_weights_only_allow_list() -> bool:
    """Whether this torch can allow-list globals (added in torch 2.4)."""
    return hasattr(torch.serialization, 'safe_globals')


def load_from_local_weights_only(
    filename: str,
    map_location: Optional[Any] = None,
    extra_globals: Sequence[SafeGlobal] = ()
) -> Any:
    """Load a local checkpoint with weights-only unpickling.

    Args:
        filename (str): Path of the checkpoint.
        map_location: As for :func:`torch.load`.
        extra_globals (Sequence): Objects (or ``(object, name)`` pairs)
            allowed besides :func:`mmengine_checkpoint_globals`, e.g.
            ``argparse.Namespace`` for the official-checkpoint converter.

    Returns:
        The unpickled checkpoint (usually a dict).

    Raises:
        FileNotFoundError: If ``filename`` is not a file.
        OfficialCheckpointError: If the file is an official DSCT
            checkpoint (it holds ``argparse.Namespace``), which must be
            converted first.
        UnsafeCheckpointError: If the file holds any other type outside
            :func:`mmengine_checkpoint_globals` and ``extra_globals``.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return _load_weights_only(filename, filename, map_location, extra_globals)


def load_bytes_weights_only(data: bytes,
                            name: str,
                            map_location: Optional[Any] = None) -> Any:
    """Load a checkpoint held in memory with weights-only unpickling.

    Args:
        data (bytes): The checkpoint file's content.
        name (str): Where it came from (a URI), for error messages.
        map_location: As for :func:`torch.load`.

    Returns:
        The unpickled checkpoint.

    Raises:
        UnsafeCheckpointError: As :func:`load_from_local_weights_only`.
    """
    with io.BytesIO(data) as buffer:
        return _load_weights_only(buffer, name, map_location, ())


def _load_weights_only(source: Union[str, IO[bytes]], name: str,
                       map_location: Optional[Any],
                       extra_globals: Sequence[SafeGlobal]) -> Any:
    """``torch.load`` with the allow-list; refusals name ``name``."""
    allowed = [*mmengine_checkpoint_globals(), *extra_globals]
    with torch.serialization.safe_globals(allowed):
        try:
            return torch.load(
                source, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as err:
            if _offending_global(err) == f'`{OFFICIAL_ARGS_GLOBAL}`':
                raise OfficialCheckpointError(
                    f'{name} is a checkpoint of the official DSCT (or '
                    'Deformable DETR) code, which mmdsct cannot load as it '
                    f'is. Convert it first: {OFFICIAL_CONVERTER}') from err
            raise UnsafeCheckpointError(
                f'Refusing to load checkpoint {name}: it holds '
                f'{_offending_global(err)}, which is neither a tensor nor '
                'part of the training state mmengine writes, and unpickling '
                'it could run code. If you made this file yourself and trust '
                'it, re-save its plain state dict (tensors only).') from err
