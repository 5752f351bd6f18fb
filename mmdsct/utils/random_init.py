"""Random initialisation of a model built without a checkpoint.

Building an mmdet model does not initialise all of it: parameters created
with ``torch.Tensor(...)`` (Deformable DETR's and DSCT's ``level_embed``)
hold whatever memory was there (NaN or 1e38 at times) until
``init_weights()`` runs, which the runner does before training but
:func:`mmdet.apis.init_detector` and a bare ``MODELS.build`` do not.
``init_weights()`` would also fetch ``init_cfg=dict(type='Pretrained')``
weights; :func:`drop_pretrained_init_cfgs` removes those first, so that a
model meant to be random downloads nothing.
"""
import logging
from contextlib import contextmanager
from typing import Any, Iterator, List

import torch.nn as nn
from mmengine.logging import MMLogger

#: Part of the name of every ``init_cfg`` type that loads weights from a
#: checkpoint: mmengine's ``Pretrained`` (class ``PretrainedInit``) and
#: mmdsct's ``FirstAvailablePretrained``.
PRETRAINED_MARK = 'Pretrained'


def _is_pretrained(init_cfg: Any) -> bool:
    """Whether an ``init_cfg`` (a dict or a list of them) loads weights."""
    if isinstance(init_cfg, dict):
        init_type = init_cfg.get('type')
        name = init_type if isinstance(init_type, str) else getattr(
            init_type, '__name__', '')
        return PRETRAINED_MARK in name
    if isinstance(init_cfg, (list, tuple)):
        return any(_is_pretrained(item) for item in init_cfg)
    return False


def drop_pretrained_init_cfgs(cfg: Any, path: str = 'model') -> List[str]:
    """Set every ``init_cfg`` that loads pretrained weights to None.

    Args:
        cfg (dict | list): A model config (changed in place), searched at
            every depth.
        path (str): Name of ``cfg`` in the returned paths.

    Returns:
        list[str]: Dotted paths of the ``init_cfg`` entries dropped.
    """
    dropped = []
    if isinstance(cfg, dict):
        for key in list(cfg):
            child_path = f'{path}.{key}'
            if key == 'init_cfg' and _is_pretrained(cfg[key]):
                cfg[key] = None
                dropped.append(child_path)
            else:
                dropped.extend(drop_pretrained_init_cfgs(cfg[key], child_path))
    elif isinstance(cfg, (list, tuple)):
        for index, item in enumerate(cfg):
            dropped.extend(drop_pretrained_init_cfgs(item, f'{path}[{index}]'))
    return dropped


@contextmanager
def _warnings_only() -> Iterator[None]:
    """Raise the current MMLogger to WARNING for the duration."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def init_random_weights(model: nn.Module) -> nn.Module:
    """Run the model's ``init_weights()`` (mmengine modules) if it has one.

    mmengine logs how every parameter was initialised, one INFO message
    per parameter when no log file is open; outside a runner that is only
    noise, so the current logger shows warnings only meanwhile.

    Args:
        model (nn.Module): A freshly built model.

    Returns:
        nn.Module: The same model.
    """
    init_weights = getattr(model, 'init_weights', None)
    if callable(init_weights):
        with _warnings_only():
            init_weights()
    return model
