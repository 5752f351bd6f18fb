"""Initialising an optional add-on without moving the other layers' start.

An add-on (e.g. a VAD head) that draws from torch's global random stream
when it is built or initialised shifts every later draw, so the rest of the
model would start differently with the add-on than without it.
:func:`build_aside` builds it with the global stream forked, and
:func:`reset_linear_aside` initialises its linear layers from a private
generator seeded by a hash of the global state, read and not advanced: the
add-on is reproducible under ``torch.manual_seed`` and the other layers
start exactly as they do without it.
"""
import hashlib
import math
from typing import Callable, TypeVar

import torch
from torch import nn

T = TypeVar('T')


def build_aside(build: Callable[[], T]) -> T:
    """Call ``build`` with torch's global CPU random stream forked.

    Args:
        build (Callable[[], T]): Builds the add-on.

    Returns:
        T: What ``build`` returns; the global stream is where it was.
    """
    with torch.random.fork_rng(devices=[]):
        return build()


def private_generator(salt: bytes) -> torch.Generator:
    """A generator seeded by a hash of the global random state and ``salt``.

    Args:
        salt (bytes): Tells the add-ons of one model apart.

    Returns:
        torch.Generator: A CPU generator; the global state is unchanged.
    """
    state = torch.get_rng_state().numpy().tobytes()
    digest = hashlib.sha256(state + salt).digest()
    return torch.Generator().manual_seed(
        int.from_bytes(digest[:8], 'little') % 2**63)


def reset_linear_aside(module: nn.Module, salt: bytes) -> None:
    """PyTorch's default init of every ``nn.Linear`` in ``module``, drawn
    from :func:`private_generator`.

    Args:
        module (nn.Module): The add-on.
        salt (bytes): See :func:`private_generator`.
    """
    generator = private_generator(salt)
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_uniform_(
                layer.weight, a=math.sqrt(5), generator=generator)
            if layer.bias is not None:
                bound = 1 / math.sqrt(layer.in_features)
                nn.init.uniform_(
                    layer.bias, -bound, bound, generator=generator)
