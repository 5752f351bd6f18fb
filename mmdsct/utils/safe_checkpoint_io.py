"""One switch for the project's safe checkpoint input and output."""
from .atomic_backend import register_atomic_local_backend
from .remote_checkpoint import register_weights_only_loader


def enable_safe_checkpoint_io() -> None:
    """Make mmengine load and write checkpoints safely, process-wide.

    * Loading: every scheme of mmengine's ``CheckpointLoader`` (local paths,
      ``http(s)://``, ``torchvision://``, ``open-mmlab://``, ``mmcls://``,
      ``pavi://``, ``s3://``) unpickles weights only (see
      :mod:`mmdsct.utils.remote_checkpoint`).
    * Writing: mmengine's local file backend writes atomically (see
      :mod:`mmdsct.utils.atomic_backend`).

    ``import mmdsct`` calls it; calling it again is harmless.
    """
    register_weights_only_loader()
    register_atomic_local_backend()
