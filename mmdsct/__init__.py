"""mmdsct: the Decoupled Subject-Context Transformer as an MMDetection plugin.

``import mmdsct`` registers every module of the project into mmdet's
registries (``MODELS``, ``TASK_UTILS``, ``DATASETS``, ``TRANSFORMS``,
``METRICS``, ``VISUALIZERS``), makes mmengine load local checkpoints with
weights-only unpickling (see :mod:`mmdsct.utils.checkpoint`) and write files
atomically (see :mod:`mmdsct.utils.atomic_backend`). Configs pull it in with
``custom_imports = dict(imports=['mmdsct'], allow_failed_imports=False)``.
"""
from .utils import register_atomic_local_backend, register_weights_only_loader
from .version import __version__

register_weights_only_loader()
register_atomic_local_backend()

from . import datasets, evaluation, models, visualization  # noqa: E402,F401

__all__ = ['__version__']
