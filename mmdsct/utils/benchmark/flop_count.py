"""FLOPs of one inference pass, with PyTorch's ``FlopCounterMode``.

What is counted: the ops PyTorch has FLOP formulas for: convolutions,
matrix products (``mm``, ``addmm``, ``bmm``, ``baddbmm``, hence every
``nn.Linear`` and the attention products) and fused attention kernels, with
a multiply-add counted as 2 FLOPs.

What is not counted:

- element-wise ops (additions, activations, ...), normalisations, softmax,
  pooling, resampling and sorting: the ops of :data:`UNCOUNTED_COMPUTE_OPS`
  that a pass runs are listed beside its count;
- multi-scale deformable attention's sampling: on the pure-PyTorch path it
  is ``grid_sample`` (listed as ``grid_sampler_2d``); mmcv's compiled op
  (CUDA) is invisible to PyTorch's dispatcher. Either way the linear layers
  around it (value, offsets, attention weights, output) are counted, so the
  count does not depend on the implementation;
- mmcv's compiled ``RoIAlign`` (the two-stage recogniser's crops), also
  invisible to the dispatcher.

The count is the same kind for every model, so it compares them; it is not
the full arithmetic of a pass.
"""
import collections
import contextlib
import copy
from typing import Counter, Iterator, NamedTuple, Tuple

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from .subject_boxes import Batch

# Non-element-wise ops with arithmetic that FlopCounterMode has no formula
# for; those a pass runs are reported beside its FLOPs.
UNCOUNTED_COMPUTE_OPS = ('grid_sampler_2d', 'upsample_bilinear2d',
                         '_upsample_bilinear2d_aa', 'upsample_nearest2d',
                         '_euclidean_dist', 'cdist', '_softmax',
                         'native_layer_norm', 'native_group_norm',
                         'native_batch_norm',
                         '_native_batch_norm_legit_no_training',
                         'cudnn_batch_norm', 'max_pool2d_with_indices',
                         'avg_pool2d', '_adaptive_avg_pool2d', 'mean', 'topk',
                         'sort')


class FlopCount(NamedTuple):
    """FLOPs of one pass.

    Attributes:
        flops (int): Counted FLOPs (multiply-add = 2).
        uncounted_ops (tuple[str]): Ops of :data:`UNCOUNTED_COMPUTE_OPS`
            that ran, sorted.
    """
    flops: int
    uncounted_ops: Tuple[str, ...]


class _OpRecorder(TorchDispatchMode):
    """Counts the ATen ops that run inside it, by name."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.calls[func.overloadpacket.__name__] += 1
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def _parameters_frozen(model: nn.Module) -> Iterator[None]:
    """Switch ``requires_grad`` off on every parameter inside the block,
    then restore it.

    FlopCounterMode's module tracker hooks the autograd graph of every
    tensor that requires grad; views of parameters made under ``no_grad``
    require grad but have no graph, which it rejects.
    """
    params = list(model.parameters())
    flags = [param.requires_grad for param in params]
    try:
        for param in params:
            param.requires_grad_(False)
        yield
    finally:
        for param, flag in zip(params, flags):
            param.requires_grad_(flag)


def count_predict_flops(model: nn.Module, batch: Batch) -> FlopCount:
    """FLOPs of one inference pass (``mode='predict'``), as the module
    docstring defines them.

    Args:
        model (nn.Module): A detector in eval mode.
        batch (Batch): Inputs [B, 3, H, W] and their data samples (copied,
            not changed).

    Returns:
        FlopCount: The count and the uncounted ops that ran.
    """
    inputs, samples = batch
    samples = copy.deepcopy(samples)
    counter = FlopCounterMode(display=False)
    recorder = _OpRecorder()
    with _parameters_frozen(model), counter, recorder, torch.no_grad():
        model(inputs, samples, mode='predict')
    uncounted = tuple(
        sorted(op for op in UNCOUNTED_COMPUTE_OPS if recorder.calls[op]))
    return FlopCount(counter.get_total_flops(), uncounted)
