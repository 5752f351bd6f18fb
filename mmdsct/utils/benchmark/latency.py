"""Inference latency of several models and inputs, measured taking turns."""
import copy
import statistics
import time
from typing import Dict, Hashable, List, Tuple

import torch
from torch import nn

from .subject_boxes import Batch

Case = Tuple[nn.Module, Batch]
# What a timing reads: wall-clock time, or the CPU time of this process
# (every thread of it), which leaves out the time the process waited while
# other processes ran: steadier on a shared machine, and the latency itself
# when torch runs one thread (``--threads 1``) on a CPU.
CLOCKS = {'wall': time.perf_counter, 'cpu': time.process_time}


def synchronize(device: str) -> None:
    """Wait for queued GPU work, so that wall time measures it.

    Args:
        device (str): ``'cpu'`` or ``'cuda'``.
    """
    if device == 'cuda':
        torch.cuda.synchronize()


def predict_once(model: nn.Module,
                 batch: Batch,
                 device: str,
                 clock: str = 'wall') -> float:
    """Seconds of one inference pass (``mode='predict'``, post-processing
    included). The data samples are copied before the clock starts, since
    ``predict`` writes its results into them.

    Args:
        model (nn.Module): A detector in eval mode.
        batch (Batch): Inputs [B, 3, H, W] and their data samples.
        device (str): ``'cpu'`` or ``'cuda'``.
        clock (str): A key of :data:`CLOCKS`. Defaults to ``'wall'``.

    Returns:
        float: Seconds on that clock.
    """
    now = CLOCKS[clock]
    inputs, samples = batch
    samples = copy.deepcopy(samples)
    synchronize(device)
    start = now()
    with torch.no_grad():
        model(inputs, samples, mode='predict')
    synchronize(device)
    return now() - start


def time_alternating(cases: Dict[Hashable, Case],
                     device: str,
                     warmup: int,
                     repeat: int,
                     clock: str = 'wall') -> Dict[Hashable, List[float]]:
    """Inference times per case, the cases taking turns every round.

    A case is a model and the batch it runs on (e.g. one model at one
    subject count). Taking turns spreads changes of the machine's load over
    all cases alike; the case that goes first changes from round to round.

    Args:
        cases (dict[Hashable, tuple[nn.Module, Batch]]): (model, batch) by
            case key.
        device (str): ``'cpu'`` or ``'cuda'``.
        warmup (int): Untimed rounds.
        repeat (int): Timed rounds.
        clock (str): A key of :data:`CLOCKS`. Defaults to ``'wall'``.

    Returns:
        dict[Hashable, list[float]]: Seconds per round, per case key.
    """
    keys = list(cases)
    for _ in range(warmup):
        for key in keys:
            predict_once(*cases[key], device)
    times = {key: [] for key in keys}
    for round_index in range(repeat):
        first = round_index % len(keys)
        for key in keys[first:] + keys[:first]:
            times[key].append(predict_once(*cases[key], device, clock))
    return times


def latency_stats(times: List[float]) -> Dict[str, float]:
    """Summary of repeated timings in milliseconds.

    Args:
        times (list[float]): Seconds per round, at least one.

    Returns:
        dict[str, float]: ``median_ms``, ``q1_ms`` and ``q3_ms`` (quartiles,
        inclusive method; all equal for one round), ``iqr_ms`` and
        ``min_ms``, rounded to 0.01 ms.
    """
    if not times:
        raise ValueError('latency_stats needs at least one timing')
    millis = [1000 * t for t in times]
    if len(millis) > 1:
        q1, _, q3 = statistics.quantiles(millis, n=4, method='inclusive')
    else:
        q1 = q3 = millis[0]
    return dict(
        median_ms=round(statistics.median(millis), 2),
        q1_ms=round(q1, 2),
        q3_ms=round(q3, 2),
        iqr_ms=round(q3 - q1, 2),
        min_ms=round(min(millis), 2))
