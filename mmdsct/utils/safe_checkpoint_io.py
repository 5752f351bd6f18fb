"""The project's safe checkpoint input and output, switched on explicitly.

Two process-wide settings of mmengine, each with its own switch:

* :func:`enable_weights_only_loading`: every scheme of mmengine's
  ``CheckpointLoader`` (local paths, ``http(s)://``, ``torchvision://``,
  ``open-mmlab://``, ``mmcls://``, ``pavi://``, ``s3://``) unpickles weights
  only, with the allow-list of :mod:`mmdsct.utils.checkpoint` (see
  :mod:`mmdsct.utils.remote_checkpoint`). ``import mmdsct`` calls it: the
  configs import the package (``custom_imports``), and only a switch made on
  import covers every way a config's checkpoints are loaded, including
  mmdet's ``init_detector`` and mmengine's ``Runner`` called directly.
* :func:`enable_atomic_local_writes`: mmengine's ``'local'`` file backend
  (every path without a scheme) writes atomically (see
  :mod:`mmdsct.utils.atomic_backend`). Import does not call it;
  ``tools/train.py``, ``tools/test.py`` and ``tools/infer.py`` do, through
  :func:`enable_safe_checkpoint_io`. Without it, the project's own writers
  are atomic all the same: ``SafeCheckpointHook`` saves through the
  additional ``'atomic_local'`` backend and the inference API and the other
  tools call :func:`~mmdsct.utils.atomic_backend.atomic_write_bytes`.

Both are idempotent: calling them again leaves the same state.
"""
from .atomic_backend import register_atomic_local_backend
from .remote_checkpoint import register_weights_only_loader


def enable_weights_only_loading() -> None:
    """Make every scheme of mmengine's ``CheckpointLoader`` load weights
    only, process-wide (done by ``import mmdsct``)."""
    register_weights_only_loader()


def enable_atomic_local_writes() -> None:
    """Make mmengine's local file backend write atomically, process-wide."""
    register_atomic_local_backend()


def enable_safe_checkpoint_io() -> None:
    """Both switches: weights-only loading and atomic local writes.

    The entry points ``tools/train.py``, ``tools/test.py`` and
    ``tools/infer.py`` call it first thing; calling it again is harmless.
    """
    enable_weights_only_loading()
    enable_atomic_local_writes()
