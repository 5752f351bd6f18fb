"""The device a benchmark runs on, its name, and which kernels run there."""
import contextlib
import platform
from typing import Callable, Iterator

import mmcv.ops.multi_scale_deform_attn as msda_module
import torch
from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttnFunction

from mmdsct.models.layers.subject_crop import SubjectCrop

CPU_INFO = '/proc/cpuinfo'
MSDA_PYTORCH = 'pytorch'
MSDA_MMCV_CUDA = 'mmcv_cuda'
MSDA_CHOICES = ('auto', MSDA_PYTORCH)
CROP_CHOICES = ('auto', 'roi_align', 'interpolate')
CROP_FALLBACK = 'interpolate'
# The smallest inputs a probe of a compiled op runs on.
PROBE_SIZE = 2
PROBE_IM2COL_STEP = 64


def resolve_device(requested: str, echo: Callable[[str], None] = print) -> str:
    """The device to run on: ``requested``, or the CPU without a GPU.

    Args:
        requested (str): ``'cpu'`` or ``'cuda'``.
        echo (callable): Where the fallback message goes.

    Returns:
        str: ``'cuda'`` when requested and available, else ``'cpu'``.
    """
    if requested == 'cuda' and not torch.cuda.is_available():
        build = (f'built with CUDA {torch.version.cuda}'
                 if torch.version.cuda else 'a CPU-only build')
        echo(f'No CUDA GPU is available (torch {torch.__version__}, {build}):'
             ' running the CPU part only.')
        return 'cpu'
    return requested


def device_name(device: str) -> str:
    """The GPU model, or the CPU model from ``/proc/cpuinfo``.

    Args:
        device (str): ``'cpu'`` or ``'cuda'``.

    Returns:
        str: E.g. ``'NVIDIA H100 80GB HBM3'`` or ``'AMD EPYC 7B13'``.
    """
    if device == 'cuda':
        return torch.cuda.get_device_name()
    try:
        with open(CPU_INFO) as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or 'unknown CPU'


@contextlib.contextmanager
def msda_pytorch_path(enabled: bool = True) -> Iterator[None]:
    """Make mmcv's ``MultiScaleDeformableAttention`` take its pure-PyTorch
    path (``grid_sample``) even for CUDA tensors, inside the block.

    mmcv picks its compiled op when its module-level ``IS_CUDA_AVAILABLE``
    is true and the value tensor is on a GPU; this clears that flag in
    ``mmcv.ops.multi_scale_deform_attn`` (nowhere else) and restores it on
    exit. For an mmcv built without CUDA ops, or to time the reference path.

    Args:
        enabled (bool): Whether to patch; False leaves mmcv alone.
            Defaults to True.
    """
    saved = msda_module.IS_CUDA_AVAILABLE
    if enabled:
        msda_module.IS_CUDA_AVAILABLE = False
    try:
        yield
    finally:
        msda_module.IS_CUDA_AVAILABLE = saved


def _compiled_msda_runs(device: str) -> bool:
    """Whether mmcv's compiled deformable attention runs on ``device``."""
    size = PROBE_SIZE
    num_keys = size * size
    try:
        value = torch.zeros(1, num_keys, 1, size, device=device)
        shapes = torch.tensor([[size, size]], device=device)
        level_start = torch.zeros(1, dtype=torch.long, device=device)
        # [bs, queries, heads, levels, points, 2] and [..., points]
        locations = torch.full((1, 1, 1, 1, 1, 2), 0.5, device=device)
        weights = torch.ones(1, 1, 1, 1, 1, device=device)
        MultiScaleDeformableAttnFunction.apply(value, shapes, level_start,
                                               locations, weights,
                                               PROBE_IM2COL_STEP)
        if device == 'cuda':
            torch.cuda.synchronize()
    except Exception:  # noqa: BLE001 (any failure means: not usable)
        return False
    return True


def resolve_msda_impl(requested: str,
                      device: str,
                      echo: Callable[[str], None] = print) -> str:
    """Which deformable-attention implementation the models will run.

    Args:
        requested (str): ``'auto'`` (mmcv's choice: its compiled op on a
            GPU when it works there) or ``'pytorch'`` (always the
            pure-PyTorch path; see :func:`msda_pytorch_path`).
        device (str): ``'cpu'`` or ``'cuda'``.
        echo (callable): Where the fallback message goes.

    Returns:
        str: ``'pytorch'`` or ``'mmcv_cuda'``.
    """
    if requested not in MSDA_CHOICES:
        raise ValueError(f'msda_impl must be one of {MSDA_CHOICES}, '
                         f'got {requested!r}')
    if device != 'cuda' or requested == MSDA_PYTORCH:
        return MSDA_PYTORCH
    if not msda_module.IS_CUDA_AVAILABLE or not _compiled_msda_runs(device):
        echo('mmcv has no working CUDA MultiScaleDeformableAttention op '
             '(build mmcv with FORCE_CUDA=1): using its pure-PyTorch path.')
        return MSDA_PYTORCH
    return MSDA_MMCV_CUDA


def _roi_align_runs(device: str) -> bool:
    """Whether mmcv's compiled RoIAlign runs on ``device``."""
    size = PROBE_SIZE
    try:
        images = torch.zeros(1, 1, size, size, device=device)
        rois = torch.tensor([[0.0, 0.0, 0.0, size, size]], device=device)
        SubjectCrop((size, size), mode='roi_align')(images, rois)
        if device == 'cuda':
            torch.cuda.synchronize()
    except Exception:  # noqa: BLE001 (any failure means: not usable)
        return False
    return True


def resolve_crop_mode(requested: str,
                      config_mode: str,
                      device: str,
                      echo: Callable[[str], None] = print) -> str:
    """How the two-stage recogniser will cut its subject crops.

    Args:
        requested (str): ``'auto'`` (the config's mode when it runs on
            ``device``, else ``'interpolate'``), ``'roi_align'`` or
            ``'interpolate'``.
        config_mode (str): The ``crop_mode`` of the recogniser's config.
        device (str): ``'cpu'`` or ``'cuda'``.
        echo (callable): Where the fallback message goes.

    Returns:
        str: ``'roi_align'`` or ``'interpolate'``.
    """
    if requested not in CROP_CHOICES:
        raise ValueError(f'crop_mode must be one of {CROP_CHOICES}, '
                         f'got {requested!r}')
    if requested != 'auto':
        return requested
    if config_mode == 'roi_align' and not _roi_align_runs(device):
        echo(f'mmcv has no working RoIAlign op on {device}: the two-stage '
             f'recogniser crops with {CROP_FALLBACK!r}.')
        return CROP_FALLBACK
    return config_mode
