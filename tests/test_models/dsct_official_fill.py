"""Official-format DSCT state dicts and checkpoints for the tests.

The key lists of ``tests/data/dsct_official/`` name every tensor of the
authors' DSCT state dict (EMOTIC and CAER-S recipes). The fill rule below
rebuilds each tensor from its key alone, so that the official outputs stored
next to the key lists can be reproduced without any weights file:

- seed: CRC-32 of the key, where the two head names
  ``class_embed_dsct.<i>.`` / ``bbox_embed_dsct.<i>.`` use index 0 (the six
  copies of one shared module get equal values);
- one ``torch.rand`` draw of the tensor's shape from a CPU generator with
  that seed, mapped to ``s = 2u - 1`` in [-1, 1);
- ``value = s * scale (+ offset)`` in float32, with (scale, offset) from the
  first rule of :func:`fill_scale_offset` that matches.

Not collected by pytest (no ``test_`` prefix): test modules load it by path,
as the suite runs with ``--import-mode=importlib``.
"""
import argparse
import json
import math
import re
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Tuple

import torch

DATA_DIR = Path(__file__).resolve().parents[1] / 'data' / 'dsct_official'
RECIPES = ('emotic', 'caers')
SHARED_HEAD = re.compile(r'^(class_embed_dsct|bbox_embed_dsct)\.\d+\.')
UNIT_VARIANCE_KEYS = ('query_embed.weight', 'query_embed_dsct.weight',
                      'transformer.level_embed')


def key_list(recipe: str) -> List[Tuple[str, List[int]]]:
    """``(key, shape)`` of the official state dict, in its order.

    Args:
        recipe (str): ``'emotic'`` or ``'caers'``.

    Returns:
        list[tuple[str, list[int]]]: 562 entries.
    """
    entries = json.loads(
        (DATA_DIR / f'{recipe}_official_keys.json').read_text())
    return [(key, shape) for key, shape, _ in entries]


def fill_seed(key: str) -> int:
    """The generator seed of a key (the head copies share index 0)."""
    name = SHARED_HEAD.sub(lambda m: f'{m.group(1)}.0.', key)
    return zlib.crc32(name.encode('utf-8'))


def fill_scale_offset(key: str, shape: List[int]) -> Tuple[float, float]:
    """(scale, offset) of the first fill rule that matches the key."""
    if key.endswith('running_var'):
        return 0.25, 1.0
    if key.endswith('running_mean'):
        return 0.1, 0.0
    if key in UNIT_VARIANCE_KEYS:
        return math.sqrt(3), 0.0
    if key.endswith('bias'):
        return 0.1, 0.0
    if len(shape) == 1 and key.endswith('weight'):
        return 0.25, 1.0
    fan_in = math.prod(shape[1:])
    return math.sqrt(3 / fan_in), 0.0


def fill_tensor(key: str, shape: List[int]) -> torch.Tensor:
    """The float32 tensor the fill rule gives for ``key``."""
    generator = torch.Generator().manual_seed(fill_seed(key))
    uniform = torch.rand(shape, generator=generator, dtype=torch.float32)
    signed = uniform * 2.0 - 1.0
    scale, offset = fill_scale_offset(key, shape)
    value = signed * scale
    if offset != 0:
        value = value + offset
    return value.contiguous()


def official_state_dict(recipe: str) -> 'OrderedDict[str, torch.Tensor]':
    """The filled official state dict of a recipe.

    Args:
        recipe (str): ``'emotic'`` or ``'caers'``.

    Returns:
        OrderedDict[str, Tensor]: Keys as the authors' ``model.state_dict()``.
    """
    return OrderedDict(
        (key, fill_tensor(key, shape)) for key, shape in key_list(recipe))


def fill_statistics(tensor: torch.Tensor) -> List[float]:
    """``[sum, sum of abs, first, last]`` as ``fill_checksums.json``."""
    flat = tensor.reshape(-1).double()
    return [
        flat.sum().item(),
        flat.abs().sum().item(), flat[0].item(), flat[-1].item()
    ]


def fill_checksums(recipe: str) -> Dict[str, List[float]]:
    """The stored statistics of every filled tensor of a recipe."""
    checksums = json.loads((DATA_DIR / 'fill_checksums.json').read_text())
    return checksums[recipe]


def official_args(recipe: str) -> argparse.Namespace:
    """The authors' ``main.py`` arguments of a recipe's training run."""
    args = json.loads((DATA_DIR / 'official_args.json').read_text())[recipe]
    return argparse.Namespace(**args)


def official_checkpoint(state_dict: Dict[str, torch.Tensor],
                        recipe: str = 'emotic',
                        epoch: int = 0) -> dict:
    """A checkpoint in the authors' format around ``state_dict``.

    Args:
        state_dict (dict[str, Tensor]): The ``model`` entry.
        recipe (str): Which ``args`` to store. Defaults to ``'emotic'``.
        epoch (int): The ``epoch`` entry. Defaults to 0.

    Returns:
        dict: ``model``, ``optimizer``, ``lr_scheduler``, ``epoch`` and
        ``args`` (an ``argparse.Namespace``), as the authors' ``main.py``
        saves it.
    """
    return dict(
        model=state_dict,
        optimizer={},
        lr_scheduler={},
        epoch=epoch,
        args=official_args(recipe))


def load_inputs() -> Dict[str, torch.Tensor]:
    """``inputs.npz`` as tensors (the padded batch, mask and sizes)."""
    import numpy as np
    with np.load(DATA_DIR / 'inputs.npz') as data:
        return {name: torch.from_numpy(data[name]) for name in data.files}


def load_expected(recipe: str) -> Dict[str, torch.Tensor]:
    """``<recipe>_expected.npz`` as tensors (the official outputs)."""
    import numpy as np
    with np.load(DATA_DIR / f'{recipe}_expected.npz') as data:
        return {name: torch.from_numpy(data[name]) for name in data.files}
