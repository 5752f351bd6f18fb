"""VAD on a model's [0, 1] scale and on the dataset's scale."""
from typing import Sequence, Tuple

import torch
from torch import Tensor


def check_vad_range(vad_range: Sequence[float]) -> Tuple[float, float]:
    """``(low, high)`` as floats; low must be below high.

    Args:
        vad_range (Sequence[float]): The dataset's VAD scale, e.g.
            (1, 10) for EMOTIC.

    Returns:
        tuple[float, float]: ``(low, high)``.

    Raises:
        ValueError: If it is not two numbers with low < high.
    """
    if len(vad_range) != 2 or not float(vad_range[0]) < float(vad_range[1]):
        raise ValueError('vad_range must be (low, high) with low < high, '
                         f'got {vad_range!r}.')
    return float(vad_range[0]), float(vad_range[1])


def vad_to_unit(vad: Tensor, vad_range: Tuple[float,
                                              float]) -> Tuple[Tensor, Tensor]:
    """Targets on the [0, 1] scale and which of them are known.

    Args:
        vad (Tensor): VAD on the dataset's scale, NaN where unknown,
            [..., 3].
        vad_range (tuple[float, float]): ``(low, high)``.

    Returns:
        tuple[Tensor, Tensor]: ``(vad - low) / (high - low)`` with the
        unknown values set to 0 (finite, so that a zero weight gives a zero
        gradient), and the weights (1 known, 0 unknown), both [..., 3].
    """
    low, high = vad_range
    known = torch.isfinite(vad)
    unit = torch.where(known, (vad - low) / (high - low),
                       torch.zeros_like(vad))
    return unit, known.to(vad.dtype)


def vad_from_unit(unit: Tensor, vad_range: Tuple[float, float]) -> Tensor:
    """Map [0, 1] outputs to the dataset's scale.

    Args:
        unit (Tensor): Values in [0, 1], [..., 3].
        vad_range (tuple[float, float]): ``(low, high)``.

    Returns:
        Tensor: ``low + (high - low) * unit``, [..., 3].
    """
    low, high = vad_range
    return low + (high - low) * unit
