"""Profile one DSCT forward pass against mmdet's plain Deformable DETR
built from the same config, and say where the extra time goes.

Both models are built as ``benchmark.py`` builds them (random weights,
nothing downloaded; Deformable DETR with DSCT's backbone, neck, encoder and
decoder layers and the context-query count as its queries). After
``--warmup`` untimed passes, ``--passes`` inference passes
(``mode='predict'``) of each model run under ``torch.profiler``, the models
taking turns pass by pass. Each operator's self time is charged to the
innermost labelled module around it (see
:mod:`mmdsct.utils.benchmark.profile`), so the table says which module and
which operators make the difference, and how many operations each scope
dispatches. Time outside every operator inside a scope (the Python
interpreter, and the labels' own hooks) is its own row.

The profiler adds a roughly constant cost to every operator call, so scopes
made of many small operators look slower than they run; the ranking and the
operation counts are what to read. Wall-clock ratios come from
``benchmark.py``.

Output: a Markdown file with the command, the environment and the tables
(``--out``), also printed.

Example::

    python tools/analysis_tools/profile_forward.py \
        configs/dsct/dsct_tiny_synth.py --shape 128 128 --threads 1 \
        --passes 50 --out resources/profile_tiny_cpu.md
"""
import argparse
import os
import os.path as osp
import platform
import shlex
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import torch
from mmdet.utils import register_all_modules
from mmengine.config import DictAction

import mmdsct  # noqa: F401  (registers DSCT)
from mmdsct.utils.benchmark import (device_name, grid_side_for,
                                    make_subject_batch, msda_pytorch_path,
                                    predict_once, resolve_device,
                                    resolve_msda_impl)
from mmdsct.utils.benchmark.devices import MSDA_CHOICES, MSDA_PYTORCH
from mmdsct.utils.benchmark.model_configs import (DEFORMABLE_DETR_TYPE,
                                                  DSCT_TYPE)
from mmdsct.utils.benchmark.profile import (ROOT_SCOPE, OpTime, ScopeTimes,
                                            comparison_tables, profile_forward)
from mmdsct.utils.benchmark.random_models import dsct_and_deformable_detr

FUSION_SCOPE = 'decoder.layers.*.fusion'
DECODER_SCOPE = 'decoder'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line arguments (``argv`` defaults to ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(
        description='Profile DSCT against Deformable DETR (one forward)')
    parser.add_argument('config', help='DSCT config file')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[800, 1333],
        metavar=('H', 'W'),
        help='input size (default: 800 1333)')
    parser.add_argument(
        '--subjects',
        type=int,
        default=1,
        help='ground-truth subjects in the image (unused by both models; '
        'default: 1)')
    parser.add_argument(
        '--passes',
        type=int,
        default=20,
        help='profiled passes per model (default: 20)')
    parser.add_argument(
        '--warmup', type=int, default=3, help='untimed passes (default: 3)')
    parser.add_argument(
        '--device',
        choices=['cpu', 'cuda'],
        default='cpu',
        help='device; cuda without a GPU falls back to the CPU')
    parser.add_argument(
        '--threads', type=int, help='torch CPU threads (default: torch\'s)')
    parser.add_argument(
        '--msda-impl',
        choices=MSDA_CHOICES,
        default='auto',
        help='deformable attention on a GPU (see benchmark.py)')
    parser.add_argument(
        '--max-ops',
        type=int,
        default=25,
        help='operator rows, largest differences first (default: 25)')
    parser.add_argument('--out', help='write the Markdown report here')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the DSCT config')
    args = parser.parse_args(argv)
    if args.passes < 1 or args.warmup < 0 or args.subjects < 1:
        parser.error('--passes and --subjects must be >= 1, --warmup >= 0')
    return args


def profile_in_turns(models: Dict[str, torch.nn.Module], batch, passes: int,
                     device: str) -> Dict[str, ScopeTimes]:
    """Profile one pass of each model in turn, ``passes`` times, and
    average: both see the same machine load.

    Returns:
        dict[str, ScopeTimes]: Per model, per scope and operator, per pass.
    """
    sums: Dict[str, Dict[str, Dict[str, List[float]]]] = {
        name: defaultdict(lambda: defaultdict(lambda: [0.0] * 4))
        for name in models
    }
    for index in range(passes):
        names = list(models)
        first = index % len(names)
        for name in names[first:] + names[:first]:
            one = profile_forward(models[name], batch, 1, device)
            for scope, ops in one.items():
                for op, op_time in ops.items():
                    entry = sums[name][scope][op]
                    for field, value in enumerate(op_time):
                        entry[field] += value
    return {
        name: {
            scope: {
                op: OpTime(*(value / passes for value in values))
                for op, values in ops.items()
            }
            for scope, ops in scopes.items()
        }
        for name, scopes in sums.items()
    }


def report(args: argparse.Namespace, times: Dict[str, ScopeTimes], device: str,
           msda_impl: str) -> List[str]:
    """The Markdown report: command, environment, tables."""
    command = ' '.join(
        shlex.quote(part)
        for part in ['python', 'tools/analysis_tools/profile_forward.py'] +
        list(sys.argv[1:] if args.argv is None else args.argv))
    header = [
        f'# Profile: one forward pass, {DSCT_TYPE} against '
        f'{DEFORMABLE_DETR_TYPE}', '', '```bash', command, '```', '',
        f'- config: `{args.config}`, input {args.shape[0]}x{args.shape[1]}, '
        f'batch 1, `mode=\'predict\'`',
        f'- device: {device_name(device)} ({device}), torch '
        f'{torch.__version__}, threads {torch.get_num_threads()}, '
        f'Python {platform.python_version()}',
        f'- deformable attention: {msda_impl}; {args.passes} profiled '
        f'passes per model after {args.warmup} warm-up passes, taking turns',
        '- times: self CPU time per forward pass (each operator\'s own time, '
        'charged to the innermost module around it); "ops" counts operator '
        'calls, "Python calls" those made directly from Python code',
        '- the profiler adds a cost to every operator call: small-operator '
        'scopes read slower than they run', ''
    ]
    tables = comparison_tables(
        times,
        DSCT_TYPE,
        DEFORMABLE_DETR_TYPE,
        focus_scopes=[FUSION_SCOPE, DECODER_SCOPE, ROOT_SCOPE],
        max_ops=args.max_ops)
    return header + tables


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Profile both models and write the report."""
    args = parse_args(argv)
    args.argv = argv
    register_all_modules()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    msda_impl = resolve_msda_impl(args.msda_impl, device)
    models = {
        name: model.eval()
        for name, model in dsct_and_deformable_detr(args.config, device,
                                                    args.cfg_options).items()
    }
    batch = make_subject_batch(
        tuple(args.shape), args.subjects, grid_side_for(args.subjects), device)
    with msda_pytorch_path(enabled=msda_impl == MSDA_PYTORCH):
        for _ in range(args.warmup):
            for model in models.values():
                predict_once(model, batch, device)
        times = profile_in_turns(models, batch, args.passes, device)
    lines = report(args, times, device, msda_impl)
    text = '\n'.join(lines) + '\n'
    print(text)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(text)
        print(f'Wrote {args.out}')


if __name__ == '__main__':
    main()
