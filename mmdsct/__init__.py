"""mmdsct: the Decoupled Subject-Context Transformer as an MMDetection plugin.

``import mmdsct`` (configs pull it in with ``custom_imports =
dict(imports=['mmdsct'], allow_failed_imports=False)``) does two things:

1. It registers every module of the project into mmdet's registries
   (``MODELS``, ``TASK_UTILS``, ``DATASETS``, ``TRANSFORMS``, ``METRICS``,
   ``VISUALIZERS``, ``HOOKS``, ``RUNNERS``), and the file backend
   ``'atomic_local'`` into mmengine's (an additional name; mmengine's own
   backends stay as they are).
2. It calls :func:`~mmdsct.utils.enable_weights_only_loading`: mmengine's
   ``CheckpointLoader`` then loads every checkpoint, local or remote, with
   weights-only unpickling and the allow-list of what mmengine writes (see
   :mod:`mmdsct.utils.remote_checkpoint`). This is the one process-wide
   change, and it is made on import on purpose: importing the package is the
   only step every use of a config shares, so only then does the safe loader
   also serve ``load_from``, ``init_cfg`` and mmdet's ``init_detector`` or
   mmengine's ``Runner`` called directly. Without it, torch >= 2.6 refuses
   mmengine's local checkpoints and mmengine loads URLs with
   ``weights_only=False``.

Atomic writes are not switched on by import: the tools turn them on
(:func:`~mmdsct.utils.enable_safe_checkpoint_io`), and the project's own
writers are atomic without the switch.
"""
from . import datasets, engine, evaluation, models, visualization
from .utils import enable_weights_only_loading
from .version import __version__

enable_weights_only_loading()

__all__ = ['__version__']
