"""mmdsct: the Decoupled Subject-Context Transformer as an MMDetection plugin.

``import mmdsct`` registers every module of the project into mmdet's
registries (``MODELS``, ``TASK_UTILS``, ``DATASETS``, ``TRANSFORMS``,
``METRICS``, ``VISUALIZERS``, ``HOOKS``, ``RUNNERS``) and turns on
:func:`~mmdsct.utils.enable_safe_checkpoint_io`: mmengine then loads every
checkpoint, local or remote, with weights-only unpickling (see
:mod:`mmdsct.utils.remote_checkpoint`) and writes files atomically (see
:mod:`mmdsct.utils.atomic_backend`). Configs pull it in with
``custom_imports = dict(imports=['mmdsct'], allow_failed_imports=False)``.
"""
from .utils import enable_safe_checkpoint_io
from .version import __version__

enable_safe_checkpoint_io()

from . import (datasets, engine, evaluation, models,  # noqa: E402,F401
               visualization)

__all__ = ['__version__']
