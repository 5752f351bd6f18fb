"""Training throughput: time and peak memory of one training step
(data preprocessing, forward, loss, backward, gradient clipping, optimizer
step), several models taking turns.

A step is what mmengine's ``BaseModel.train_step`` does, with the forward
pass (only) under ``torch.autocast`` when a low-precision dtype is asked
for: ``data_preprocessor(data, True)``, ``model(..., mode='loss')``,
``parse_losses``, ``optim_wrapper.update_params``. bfloat16 needs no loss
scaling, so a plain ``OptimWrapper`` serves every dtype and device.

Peak memory:

- GPU: ``torch.cuda.max_memory_allocated`` over the step (tensor memory
  held by PyTorch), its counter reset before the step;
- CPU: the process's peak resident set size (``VmHWM`` in
  ``/proc/self/status``, Linux), reset before the step by writing ``5`` to
  ``/proc/self/clear_refs``, after glibc's ``malloc_trim`` has returned the
  heap's free memory: all memory of the process at its peak, weights,
  optimizer state, Python and libraries included. Where the reset is
  refused, the column is empty rather than a lifetime peak.

Both models live in one process, so ``peak_mib`` counts the other model's
weights too; ``step_mib``, the rise above the step's start, is what the
step itself needs (activations, gradients, temporaries).
"""
import contextlib
import copy
import ctypes
import logging
import os
import statistics
import time
from typing import Dict, Hashable, List, NamedTuple, Optional

import torch
from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.structures import InstanceData
from torch import nn

from .latency import synchronize
from .subject_boxes import SUBJECT_LABEL, grid_side_for, subject_grid_boxes

DTYPES = {'fp32': None, 'bf16': torch.bfloat16}
MIB = 2**20
CLEAR_REFS = '/proc/self/clear_refs'
PROC_STATUS = '/proc/self/status'
# mmengine's OptimWrapper types that need a GPU; replaced by OptimWrapper
AMP_WRAPPERS = ('AmpOptimWrapper', )
# glibc's malloc_trim once found (False where there is none)
_MALLOC_TRIM = None


class TrainCase(NamedTuple):
    """One model trained on one batch.

    Attributes:
        model (nn.Module): The model, in training mode.
        optim_wrapper (OptimWrapper): Its optimizer wrapper.
        data (dict): ``inputs`` (list of uint8 images [3, H, W]) and
            ``data_samples``, as a data loader gives them.
        dtype (torch.dtype, optional): Autocast dtype of the forward pass;
            None for float32.
    """
    model: nn.Module
    optim_wrapper: OptimWrapper
    data: dict
    dtype: Optional[torch.dtype]


def make_training_data(image_hw: tuple,
                       batch_size: int,
                       num_subjects: int,
                       num_emotions: int,
                       multi_label: bool = True,
                       seed: int = 0) -> dict:
    """A batch as the training data loader gives it: random uint8 images
    and ground truth with ``num_subjects`` boxes each (the grid boxes of
    :func:`subject_grid_boxes`), label 0 and random emotions.

    Args:
        image_hw (tuple[int, int]): (height, width) of every image.
        batch_size (int): Images in the batch.
        num_subjects (int): Ground-truth subjects per image.
        num_emotions (int): Emotion classes (``DSCTHead.num_emotions``);
            Deformable DETR ignores the emotions.
        multi_label (bool): Multi-hot (EMOTIC) or one-hot (CAER-S)
            emotions. Defaults to True.
        seed (int): Seed of the images and emotions. Defaults to 0.

    Returns:
        dict: ``inputs`` (list of [3, H, W] uint8 tensors) and
        ``data_samples`` (list of :class:`DetDataSample`).
    """
    generator = torch.Generator().manual_seed(seed)
    height, width = image_hw
    boxes = subject_grid_boxes(num_subjects, grid_side_for(num_subjects),
                               image_hw)
    inputs, samples = [], []
    for _ in range(batch_size):
        inputs.append(
            torch.randint(
                0,
                256, (3, height, width),
                generator=generator,
                dtype=torch.uint8))
        if multi_label:
            emotions = (torch.rand(
                num_subjects, num_emotions, generator=generator) <
                        0.5).float()
        else:
            emotions = nn.functional.one_hot(
                torch.randint(
                    num_emotions, (num_subjects, ), generator=generator),
                num_emotions).float()
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(height, width),
                ori_shape=(height, width),
                scale_factor=(1.0, 1.0)))
        sample.gt_instances = InstanceData(
            bboxes=boxes.clone(),
            labels=torch.full((num_subjects, ),
                              SUBJECT_LABEL,
                              dtype=torch.long),
            emotions=emotions)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def build_plain_optim_wrapper(model: nn.Module,
                              optim_cfg: ConfigDict) -> OptimWrapper:
    """The config's optimizer wrapper as a plain ``OptimWrapper`` (AMP is
    applied by :func:`train_step` itself, on any device).

    Args:
        model (nn.Module): The model to optimise.
        optim_cfg (ConfigDict): The config's ``optim_wrapper``.

    Returns:
        OptimWrapper: Optimizer, parameter-wise settings and gradient
        clipping as configured.
    """
    optim_cfg = copy.deepcopy(ConfigDict(optim_cfg))
    if optim_cfg.get('type', 'OptimWrapper') in AMP_WRAPPERS:
        optim_cfg.type = 'OptimWrapper'
        for key in ('loss_scale', 'dtype', 'use_fsdp'):
            optim_cfg.pop(key, None)
    # mmengine logs every parameter's settings at INFO level
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        return build_optim_wrapper(model, optim_cfg)
    finally:
        logger.setLevel(level)


def train_step(case: TrainCase) -> Dict[str, float]:
    """One training step (see the module docstring).

    Args:
        case (TrainCase): Model, optimizer wrapper, data and dtype.

    Returns:
        dict[str, float]: The logged losses (``parse_losses``' log vars).
    """
    model = case.model
    data = {
        'inputs': case.data['inputs'],
        'data_samples': copy.deepcopy(case.data['data_samples'])
    }
    with case.optim_wrapper.optim_context(model):
        data = model.data_preprocessor(data, True)
        with _autocast(data['inputs'].device.type, case.dtype):
            losses = model(**data, mode='loss')
    parsed, log_vars = model.parse_losses(losses)
    case.optim_wrapper.update_params(parsed)
    return {
        key: float(value.detach()) if torch.is_tensor(value) else float(value)
        for key, value in log_vars.items()
    }


def _autocast(device_type: str, dtype: Optional[torch.dtype]):
    """``torch.autocast`` for ``dtype``, or nothing for float32."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device_type, dtype=dtype)


def _read_status_kib(field: str) -> Optional[int]:
    """A ``kB`` field of ``/proc/self/status``; None where there is none."""
    try:
        with open(PROC_STATUS) as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def release_free_heap() -> None:
    """Hand the C heap's free memory back to the system (glibc's
    ``malloc_trim``), so that the resident set size at a step's start is
    what is in use, not what earlier steps freed; nothing elsewhere."""
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        try:
            _MALLOC_TRIM = ctypes.CDLL('libc.so.6').malloc_trim
        except (OSError, AttributeError):
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


def reset_peak_rss() -> bool:
    """Reset the process's peak resident set size to its current one.

    Returns:
        bool: Whether the kernel accepted the reset.
    """
    try:
        with open(CLEAR_REFS, 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


class StepMeasurement(NamedTuple):
    """Time and memory of one training step.

    Attributes:
        seconds (float): Wall-clock seconds.
        peak_mib (float, optional): Peak memory during the step (see the
            module docstring), MiB; None where it cannot be read.
        start_mib (float, optional): The same counter when the step began.
    """
    seconds: float
    peak_mib: Optional[float]
    start_mib: Optional[float]


def measure_step(case: TrainCase, device: str) -> StepMeasurement:
    """Run :func:`train_step` once, timed, with its peak memory.

    Args:
        case (TrainCase): What to train.
        device (str): ``'cpu'`` or ``'cuda'``.

    Returns:
        StepMeasurement: Seconds and memory.
    """
    synchronize(device)
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
        start = torch.cuda.memory_allocated() / MIB
    else:
        release_free_heap()
        reset = reset_peak_rss()
        rss = _read_status_kib('VmRSS')
        start = rss / 1024 if reset and rss is not None else None
    began = time.perf_counter()
    train_step(case)
    synchronize(device)
    seconds = time.perf_counter() - began
    if device == 'cuda':
        peak = torch.cuda.max_memory_allocated() / MIB
    else:
        hwm = _read_status_kib('VmHWM')
        peak = hwm / 1024 if start is not None and hwm is not None else None
    return StepMeasurement(seconds, peak, start)


def time_training_alternating(
        cases: Dict[Hashable, TrainCase], device: str, warmup: int,
        repeat: int) -> Dict[Hashable, List[StepMeasurement]]:
    """Training steps of every case, the cases taking turns every round
    (the first one changes from round to round).

    Args:
        cases (dict[Hashable, TrainCase]): What to train, by key.
        device (str): ``'cpu'`` or ``'cuda'``.
        warmup (int): Untimed rounds (the first step also creates the
            optimizer state).
        repeat (int): Timed rounds.

    Returns:
        dict[Hashable, list[StepMeasurement]]: Per case, one per round.
    """
    keys = list(cases)
    for _ in range(warmup):
        for key in keys:
            train_step(cases[key])
    measured = {key: [] for key in keys}
    for round_index in range(repeat):
        first = round_index % len(keys)
        for key in keys[first:] + keys[:first]:
            measured[key].append(measure_step(cases[key], device))
    return measured


def throughput_stats(steps: List[StepMeasurement],
                     batch_size: int) -> Dict[str, Optional[float]]:
    """Summary of the timed steps of one case.

    Args:
        steps (list[StepMeasurement]): At least one.
        batch_size (int): Images per step.

    Returns:
        dict: ``step_median_ms``, ``step_q1_ms``, ``step_q3_ms``,
        ``images_per_s`` (batch size / median step time), ``peak_mib``
        (the largest peak of any step), ``start_mib`` (the counter when
        that step began) and ``step_mib`` (the largest rise of any step
        above its start: the memory the step itself needs); memory None
        where not measured.
    """
    if not steps:
        raise ValueError('throughput_stats needs at least one step')
    millis = [1000 * step.seconds for step in steps]
    if len(millis) > 1:
        q1, _, q3 = statistics.quantiles(millis, n=4, method='inclusive')
    else:
        q1 = q3 = millis[0]
    median = statistics.median(millis)
    with_memory = [step for step in steps if step.peak_mib is not None]
    top = max(with_memory, key=lambda step: step.peak_mib, default=None)
    rise = max((step.peak_mib - step.start_mib for step in with_memory),
               default=None)
    return dict(
        step_median_ms=round(median, 1),
        step_q1_ms=round(q1, 1),
        step_q3_ms=round(q3, 1),
        images_per_s=round(1000 * batch_size / median, 3),
        peak_mib=None if top is None else round(top.peak_mib, 1),
        start_mib=None if top is None else round(top.start_mib, 1),
        step_mib=None if rise is None else round(rise, 1))


def memory_kind(device: str) -> str:
    """What the memory columns measure on ``device`` (for the report)."""
    if device == 'cuda':
        return 'torch.cuda.max_memory_allocated'
    return 'peak RSS (VmHWM)' if os.path.exists(CLEAR_REFS) else 'none'


def training_cases(models: Dict[str, nn.Module], optim_cfg: ConfigDict,
                   image_hw: tuple, num_subjects: int, batch_sizes: List[int],
                   dtypes: List[str]) -> Dict[tuple, TrainCase]:
    """Every (model, batch size, dtype) to train, each model with one
    optimizer wrapper of its own per case (the same settings for all).

    Args:
        models (dict[str, nn.Module]): Models by name, in training mode;
            one with a ``bbox_head.num_emotions`` sets the emotion count.
        optim_cfg (ConfigDict): The config's ``optim_wrapper``.
        image_hw (tuple[int, int]): Input size.
        num_subjects (int): Ground-truth subjects per image.
        batch_sizes (list[int]): Images per step.
        dtypes (list[str]): Keys of :data:`DTYPES`.

    Returns:
        dict[tuple[str, int, str], TrainCase]: Keyed by (model name, batch
        size, dtype name).
    """
    heads = [model.bbox_head for model in models.values()]
    emotion_head = next(
        (head for head in heads if hasattr(head, 'num_emotions')), None)
    num_emotions = getattr(emotion_head, 'num_emotions', 1)
    multi_label = getattr(emotion_head, 'multi_label', True)
    cases = {}
    for batch_size in batch_sizes:
        data = make_training_data(image_hw, batch_size, num_subjects,
                                  num_emotions, multi_label)
        for dtype in dtypes:
            for name, model in models.items():
                cases[(name, batch_size, dtype)] = TrainCase(
                    model, build_plain_optim_wrapper(model, optim_cfg), data,
                    DTYPES[dtype])
    return cases


def measure_training(models: Dict[str, nn.Module],
                     optim_cfg: ConfigDict,
                     image_hw: tuple,
                     num_subjects: int,
                     batch_sizes: List[int],
                     dtypes: List[str],
                     device: str,
                     warmup: int,
                     repeat: int,
                     baseline: str = 'DeformableDETR') -> List[dict]:
    """Training throughput of every model, batch size and dtype, all cases
    taking turns.

    Args:
        models (dict[str, nn.Module]): Models by name, in training mode, on
            ``device``.
        optim_cfg (ConfigDict): The config's ``optim_wrapper``.
        image_hw (tuple[int, int]): Input size.
        num_subjects (int): Ground-truth subjects per image.
        batch_sizes (list[int]): Images per step.
        dtypes (list[str]): Keys of :data:`DTYPES`.
        device (str): ``'cpu'`` or ``'cuda'``.
        warmup (int): Untimed rounds.
        repeat (int): Timed rounds.
        baseline (str): The model the ratios refer to.

    Returns:
        list[dict]: One row per case: ``model``, ``batch_size``, ``dtype``,
        the columns of :func:`throughput_stats`, ``memory`` (what the
        memory columns measure) and ``step_time_vs_<baseline>`` (ratio of
        median step times at the same batch size and dtype).
    """
    cases = training_cases(models, optim_cfg, image_hw, num_subjects,
                           batch_sizes, dtypes)
    measured = time_training_alternating(cases, device, warmup, repeat)
    stats = {
        key: throughput_stats(steps, key[1])
        for key, steps in measured.items()
    }
    rows = []
    ratio_column = f'step_time_vs_{_snake(baseline)}'
    for (name, batch_size, dtype), columns in stats.items():
        reference = stats.get((baseline, batch_size, dtype))
        ratio = (
            round(columns['step_median_ms'] /
                  reference['step_median_ms'], 4) if reference else None)
        rows.append(
            dict(
                model=name,
                batch_size=batch_size,
                dtype=dtype,
                **columns,
                memory=memory_kind(device),
                **{ratio_column: ratio}))
    return rows


def _snake(name: str) -> str:
    """``DeformableDETR`` -> ``deformable_detr``."""
    out = ''
    for index, char in enumerate(name):
        if char.isupper() and index and not name[index - 1].isupper():
            out += '_'
        out += char.lower()
    return out
