"""Where the time of one forward pass goes: PyTorch profiler, per module
scope and per operator, for two models side by side.

Every module of interest gets a ``record_function`` label for the time it
runs (forward hooks); each operator's *self* time (its own time, not that
of the operators it calls) is charged to the innermost label around it, so
that scopes and operators add up to the profiled total without counting
anything twice. Labels are layer-independent (``decoder.layers.*.fusion``
gathers every layer's fusion), so one row is one kind of work.
"""
import contextlib
import copy
import re
from collections import defaultdict
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence

import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile, record_function

from .subject_boxes import Batch

LABEL_PREFIX = 'scope::'
# the whole forward pass; what no module claims is charged here
ROOT_SCOPE = 'forward (not in a module below)'
LAYER_INDEX = re.compile(r'\.layers\.\d+')
# the pseudo-operator that holds a scope's time outside every operator
PYTHON_OP = '(Python, between operators)'


class OpTime(NamedTuple):
    """Profiled time of one operator name within one scope.

    Attributes:
        calls (float): Calls per forward pass.
        cpu_us (float): Self CPU time per forward pass, microseconds.
        device_us (float): Self GPU time per forward pass, microseconds
            (0 on the CPU).
        top_level_calls (float): Calls per forward pass made directly from
            Python (not from inside another operator): the operations the
            code asks for, each with its own dispatch overhead.
    """
    calls: float
    cpu_us: float
    device_us: float
    top_level_calls: float


# {scope: {operator: OpTime}}
ScopeTimes = Dict[str, Dict[str, OpTime]]


def scope_name(module_name: str) -> str:
    """The label of a module: its name with layer indices replaced by
    ``*`` (``decoder.layers.3.fusion`` -> ``decoder.layers.*.fusion``)."""
    return LAYER_INDEX.sub('.layers.*', module_name)


def default_scopes(model: nn.Module) -> List[str]:
    """Module names worth a label: the model's children, and the children
    of every transformer layer (attention, fusion, FFN, norms).

    Args:
        model (nn.Module): A DETR-like detector.

    Returns:
        list[str]: Names as in ``model.named_modules()``.
    """
    names = []
    for name, _ in model.named_modules():
        parts = name.split('.')
        is_child = len(parts) == 1 and name
        in_layer = (
            len(parts) == 4 and parts[1] == 'layers'
            and parts[0] in ('encoder', 'decoder'))
        if is_child or in_layer:
            names.append(name)
    return names


@contextlib.contextmanager
def labelled_modules(model: nn.Module, names: Sequence[str]) -> Iterator[None]:
    """Open a ``record_function`` label (:func:`scope_name`) for the time
    each named module's forward runs.

    Args:
        model (nn.Module): The model.
        names (Sequence[str]): Module names to label.
    """
    modules = dict(model.named_modules())
    handles, open_labels = [], []

    def opener(label):

        def pre_hook(module, args):
            context = record_function(LABEL_PREFIX + label)
            context.__enter__()
            open_labels.append(context)

        return pre_hook

    def closer(module, args, output):
        open_labels.pop().__exit__(None, None, None)

    try:
        for name in names:
            module = modules[name]
            handles.append(
                module.register_forward_pre_hook(opener(scope_name(name))))
            handles.append(module.register_forward_hook(closer))
        yield
    finally:
        for handle in handles:
            handle.remove()


def _scope_of(event) -> Optional[str]:
    """The innermost label around a profiler event, None if none."""
    parent = event.cpu_parent
    while parent is not None:
        if parent.name.startswith(LABEL_PREFIX):
            return parent.name[len(LABEL_PREFIX):]
        parent = parent.cpu_parent
    return None


def charge_events(events, num_passes: int) -> ScopeTimes:
    """Charge every operator's self time to its innermost label.

    Args:
        events: ``profile.events()`` of ``num_passes`` labelled passes.
        num_passes (int): Forward passes profiled.

    Returns:
        dict[str, dict[str, OpTime]]: Per scope and operator, per pass.
    """
    sums = defaultdict(lambda: defaultdict(lambda: [0, 0.0, 0.0, 0]))
    for event in events:
        if event.name.startswith(LABEL_PREFIX):
            # time inside a label but in no operator: Python and hooks
            entry = sums[event.name[len(LABEL_PREFIX):]][PYTHON_OP]
            entry[1] += event.self_cpu_time_total
            continue
        scope = _scope_of(event)
        if scope is None:
            continue  # outside the profiled passes (e.g. a deepcopy)
        parent = event.cpu_parent
        top_level = parent is None or parent.name.startswith(LABEL_PREFIX)
        entry = sums[scope][event.name]
        entry[0] += 1
        entry[1] += event.self_cpu_time_total
        entry[2] += getattr(event, 'self_device_time_total', 0.0)
        entry[3] += int(top_level)
    return {
        scope: {
            op: OpTime(calls / num_passes, cpu / num_passes,
                       device / num_passes, top / num_passes)
            for op, (calls, cpu, device, top) in ops.items()
        }
        for scope, ops in sums.items()
    }


def profile_forward(model: nn.Module,
                    batch: Batch,
                    num_passes: int,
                    device: str,
                    scopes: Optional[Sequence[str]] = None) -> ScopeTimes:
    """Profile ``num_passes`` inference passes (``mode='predict'``).

    Args:
        model (nn.Module): A detector in eval mode, warmed up.
        batch (Batch): Inputs and data samples (copied per pass).
        num_passes (int): Passes to profile (per-pass averages come back).
        device (str): ``'cpu'`` or ``'cuda'`` (adds GPU kernel times).
        scopes (Sequence[str], optional): Modules to label; defaults to
            :func:`default_scopes`.

    Returns:
        dict[str, dict[str, OpTime]]: See :func:`charge_events`; the scope
        :data:`ROOT_SCOPE` holds what no labelled module ran.
    """
    inputs, samples = batch
    activities = [ProfilerActivity.CPU]
    if device == 'cuda':
        activities.append(ProfilerActivity.CUDA)
    copies = [copy.deepcopy(samples) for _ in range(num_passes)]
    names = default_scopes(model) if scopes is None else scopes
    with labelled_modules(
            model,
            names), torch.no_grad(), profile(activities=activities) as prof:
        for pass_samples in copies:
            with record_function(LABEL_PREFIX + ROOT_SCOPE):
                model(inputs, pass_samples, mode='predict')
            if device == 'cuda':
                torch.cuda.synchronize()
    return charge_events(prof.events(), num_passes)


def scope_totals(times: ScopeTimes) -> Dict[str, OpTime]:
    """Sum the operators of every scope.

    Returns:
        dict[str, OpTime]: Per scope, the totals per pass.
    """
    totals = {}
    for scope, ops in times.items():
        totals[scope] = OpTime(*(sum(values) for values in zip(
            *ops.values()))) if ops else OpTime(0, 0.0, 0.0, 0)
    return totals


def op_totals(times: ScopeTimes) -> Dict[str, OpTime]:
    """Sum every operator over all scopes.

    Returns:
        dict[str, OpTime]: Per operator name, the totals per pass.
    """
    sums = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for ops in times.values():
        for op, op_time in ops.items():
            for index, value in enumerate(op_time):
                sums[op][index] += value
    return {op: OpTime(*values) for op, values in sums.items()}


def _fmt(value: float, digits: int = 1) -> str:
    return f'{value:,.{digits}f}'


def _scope_ops_table(ours: Dict[str, OpTime], theirs: Dict[str, OpTime],
                     model: str, baseline: str) -> List[str]:
    """One scope's operators in both models, largest self time first."""
    zero = OpTime(0, 0.0, 0.0, 0)
    lines = [
        f'| operator | {model} calls (from Python) | {model} self us | '
        f'{baseline} calls (from Python) | {baseline} self us |',
        '|---|---:|---:|---:|---:|'
    ]
    for op in sorted(
            set(ours) | set(theirs),
            key=lambda op: -max(
                ours.get(op, zero).cpu_us,
                theirs.get(op, zero).cpu_us)):
        a, b = ours.get(op, zero), theirs.get(op, zero)
        lines.append(f'| `{op}` | {_fmt(a.calls, 0)} '
                     f'({_fmt(a.top_level_calls, 0)}) | {_fmt(a.cpu_us)} | '
                     f'{_fmt(b.calls, 0)} ({_fmt(b.top_level_calls, 0)}) | '
                     f'{_fmt(b.cpu_us)} |')
    return lines


def _device_table(ours: Dict[str, OpTime], theirs: Dict[str, OpTime],
                  model: str, baseline: str) -> List[str]:
    """GPU kernel time per scope (self time of the kernels each scope's
    operators launched), for profiles taken on a GPU."""
    zero = OpTime(0, 0.0, 0.0, 0)
    lines = [
        f'| scope | {model} GPU ms | {baseline} GPU ms | difference ms |',
        '|---|---:|---:|---:|'
    ]
    for scope in sorted(
            set(ours) | set(theirs),
            key=lambda s: -(ours.get(s, zero).device_us + theirs.get(s, zero).
                            device_us)):
        a, b = ours.get(scope, zero), theirs.get(scope, zero)
        lines.append(f'| `{scope}` | {_fmt(a.device_us / 1e3, 3)} | '
                     f'{_fmt(b.device_us / 1e3, 3)} | '
                     f'{_fmt((a.device_us - b.device_us) / 1e3, 3)} |')
    return lines


def comparison_tables(times: Dict[str, ScopeTimes],
                      model: str,
                      baseline: str,
                      focus_scopes: Sequence[str] = (),
                      max_ops: int = 25) -> List[str]:
    """Markdown tables: scopes and operators of ``model`` against
    ``baseline`` (self CPU time per forward pass; on a GPU also the kernel
    time per scope), then the operators of each focus scope in both.

    Args:
        times (dict[str, ScopeTimes]): Per model name, its profile.
        model (str): The model compared (e.g. ``'DSCT'``).
        baseline (str): The reference model (e.g. ``'DeformableDETR'``).
        focus_scopes (Sequence[str]): Scopes of ``model`` whose operators
            get a table of their own (e.g. the fusion).
        max_ops (int): Operator rows, largest differences first.

    Returns:
        list[str]: Markdown lines.
    """
    lines = []
    ours, theirs = scope_totals(times[model]), scope_totals(times[baseline])
    zero = OpTime(0, 0.0, 0.0, 0)
    total_ours = sum(t.cpu_us for t in ours.values())
    total_theirs = sum(t.cpu_us for t in theirs.values())
    lines += [
        f'| scope | {model} ms | {baseline} ms | difference ms | '
        f'{model} ops (Python calls) | {baseline} ops (Python calls) |',
        '|---|---:|---:|---:|---:|---:|'
    ]
    for scope in sorted(
            set(ours) | set(theirs),
            key=lambda s: -(ours.get(s, zero).cpu_us + theirs.get(s, zero).
                            cpu_us)):
        a, b = ours.get(scope, zero), theirs.get(scope, zero)
        lines.append(f'| `{scope}` | {_fmt(a.cpu_us / 1e3, 3)} | '
                     f'{_fmt(b.cpu_us / 1e3, 3)} | '
                     f'{_fmt((a.cpu_us - b.cpu_us) / 1e3, 3)} | '
                     f'{_fmt(a.calls, 0)} ({_fmt(a.top_level_calls, 0)}) | '
                     f'{_fmt(b.calls, 0)} ({_fmt(b.top_level_calls, 0)}) |')
    lines.append(f'| **total** | **{_fmt(total_ours / 1e3, 3)}** | '
                 f'**{_fmt(total_theirs / 1e3, 3)}** | '
                 f'**{_fmt((total_ours - total_theirs) / 1e3, 3)}** | | |')
    lines.append('')
    if any(t.device_us for t in list(ours.values()) + list(theirs.values())):
        lines += _device_table(ours, theirs, model, baseline) + ['']
    op_ours, op_theirs = op_totals(times[model]), op_totals(times[baseline])
    rows = sorted(
        set(op_ours) | set(op_theirs),
        key=lambda op: -abs(
            op_ours.get(op, zero).cpu_us - op_theirs.get(op, zero).cpu_us))
    lines += [
        f'| operator | {model} calls | {baseline} calls | {model} self us | '
        f'{baseline} self us | difference us |', '|---|---:|---:|---:|---:|'
        '---:|'
    ]
    for op in rows[:max_ops]:
        a, b = op_ours.get(op, zero), op_theirs.get(op, zero)
        lines.append(f'| `{op}` | {_fmt(a.calls, 0)} | {_fmt(b.calls, 0)} | '
                     f'{_fmt(a.cpu_us)} | {_fmt(b.cpu_us)} | '
                     f'{_fmt(a.cpu_us - b.cpu_us)} |')
    for scope in focus_scopes:
        lines += ['', f'Operators of `{scope}` (all layers together):', '']
        lines += _scope_ops_table(times[model].get(scope, {}),
                                  times[baseline].get(scope,
                                                      {}), model, baseline)
    return lines
