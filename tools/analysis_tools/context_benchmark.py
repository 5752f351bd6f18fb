"""Context benchmark: how well each model reads context, at a training
budget, with its learning curve, size and CPU latency.

For every model config given (``CONFIG`` or ``CONFIG=WORK_DIR``):

1. training: a work dir that holds a finished run at the budget
   (``iter_<max_iters>.pth``) is reused as it is; a missing one is trained
   with ``tools/train.py`` and the budget's overrides; an unfinished one is
   an error (it may still be training) unless ``--resume`` (continue it)
   or ``--retrain`` is given. ``--no-train`` never trains;
2. learning curve: the validation figures of every training run in the
   work dir (``<timestamp>/vis_data/scalars.json``), against iteration;
3. final figures: the run's last validation when it ran at the last
   iteration and left its ``emotion_metrics.json`` (per-class APs
   included); otherwise (or with ``--retest``) ``tools/test.py`` on the
   final checkpoint, written under ``OUT_DIR/test/<model>``. Reported:
   AP of every context-only class, the subject-only and context-only mAPs,
   the detection-aware mAP (``mAP_det``) and, for models that find their
   own subjects (not a two-stage model on ground-truth boxes, whose box AP
   is 100 by construction), the subject-box AP50;
4. parameters (every ``nn.Parameter``) and CPU latency: batch 1, one
   random ``--shape`` image with ``--subjects`` subjects (the synthetic
   test images hold 2.5 on average), ``mode='predict'``, ``--threads``
   threads, the models taking turns (see
   :mod:`mmdsct.utils.benchmark.latency`); random weights, since the cost
   does not depend on them.

Budgets: ``demo``, the configs as they are (4,000 iterations for the
synthetic configs), work dirs ``work_dirs/<config stem>``; ``long``, twice
that: 8,000 iterations, validation and a checkpoint every 1,000, the
learning-rate step at 6,400 (:data:`BUDGETS`), work dirs
``work_dirs/bench_long/<config stem>``.

Output in ``--out-dir`` (default ``work_dirs/context_benchmark/<budget>``):
``context_benchmark.md`` (a markdown table), ``context_benchmark.json``
(every figure, curve and setting) and ``context_map_curves.png`` (the
context-only mAP of every model against iteration, the prevalence baseline
dashed).

Run it alone on the machine (training and the latency timing both want
the CPU to themselves). Examples::

    python tools/analysis_tools/context_benchmark.py \\
        configs/dsct/dsct_tiny_synth.py=work_dirs/demo \\
        configs/two_stage/two-stage_r18_synth.py \\
        configs/two_stage/two-stage_r18-crop-only_synth.py \\
        configs/two_stage/two-stage_r18-surround_synth.py --no-train
    python tools/analysis_tools/context_benchmark.py \\
        configs/dsct/dsct_tiny_synth.py \\
        configs/two_stage/two-stage_r18-surround_synth.py --budget long
"""
import argparse
import copy
import glob
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config, ConfigDict
from mmengine.logging import MMLogger, print_log

import mmdsct  # noqa: F401  (registers the models)
from mmdsct.models.utils import count_parameters
from mmdsct.utils import drop_pretrained_init_cfgs, init_random_weights
from mmdsct.utils.benchmark.context_report import (PREVALENCE_CURVE_KEY,
                                                   figures_of_report,
                                                   markdown_table,
                                                   plot_context_curves,
                                                   write_json)
from mmdsct.utils.benchmark.latency import (CLOCKS, latency_stats,
                                            time_alternating)
from mmdsct.utils.benchmark.learning_curves import (METRICS_FILE, RunError,
                                                    final_checkpoint,
                                                    last_validation_report,
                                                    learning_curve,
                                                    load_metrics_report)
from mmdsct.utils.benchmark.model_configs import (TWO_STAGE_TYPE,
                                                  two_stage_cfg_on_gt_boxes)
from mmdsct.utils.benchmark.subject_boxes import (grid_side_for,
                                                  make_subject_batch)

TOOLS_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: Per budget: ``--cfg-options`` of the training runs and the folder the
#: work dirs ``<config stem>`` are in.
BUDGETS = {
    'demo':
    dict(overrides={}, work_root='work_dirs'),
    'long':
    dict(
        overrides={
            'train_cfg.max_iters': 8000,
            'train_cfg.val_interval': 1000,
            'param_scheduler.0.end': 8000,
            'param_scheduler.0.milestones': [6400],
            'default_hooks.checkpoint.interval': 1000,
        },
        work_root=osp.join('work_dirs', 'bench_long')),
}
OUT_ROOT = osp.join('work_dirs', 'context_benchmark')
TABLE_NAME = 'context_benchmark.md'
JSON_NAME = 'context_benchmark.json'
PLOT_NAME = 'context_map_curves.png'
LOGGER_NAME = 'context_benchmark'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Context-only APs, learning curves, parameters and CPU '
        'latency of several models at a training budget')
    parser.add_argument(
        'models',
        nargs='+',
        metavar='CONFIG[=WORK_DIR]',
        help='model configs; WORK_DIR defaults to the budget\'s folder / '
        'the config\'s stem')
    parser.add_argument(
        '--budget',
        choices=sorted(BUDGETS),
        default='demo',
        help='demo: the configs as they are; long: 8000 iterations '
        '(default: demo)')
    training = parser.add_mutually_exclusive_group()
    training.add_argument(
        '--no-train',
        action='store_true',
        help='never train: a missing or unfinished run is an error')
    training.add_argument(
        '--resume',
        action='store_true',
        help='continue unfinished runs (tools/train.py --resume)')
    training.add_argument(
        '--retrain',
        action='store_true',
        help='train every model again, even a finished run')
    parser.add_argument(
        '--retest',
        action='store_true',
        help='test the final checkpoint even when the last validation has '
        'every figure')
    parser.add_argument(
        '--out-dir',
        help='output folder (default: work_dirs/context_benchmark/<budget>)')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=(128, 128),
        metavar=('H', 'W'),
        help='latency input size (default: 128 128, the synthetic images)')
    parser.add_argument(
        '--subjects',
        type=int,
        default=2,
        help='subjects in the latency image (default: 2)')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch threads while timing (default: 1)')
    parser.add_argument(
        '--clock',
        choices=sorted(CLOCKS),
        default='cpu',
        help='latency clock: wall time or the process\'s CPU time '
        '(default: cpu)')
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--repeat', type=int, default=30)
    parser.add_argument(
        '--skip-latency',
        action='store_true',
        help='count parameters but do not time the models')
    args = parser.parse_args(argv)
    if args.subjects < 1 or args.repeat < 1 or args.warmup < 0:
        parser.error('--subjects and --repeat must be at least 1, '
                     '--warmup at least 0')
    return args


def split_model_arg(model_arg: str, budget: str) -> Tuple[str, str]:
    """``CONFIG[=WORK_DIR]`` as (config, work dir).

    Args:
        model_arg (str): A positional argument.
        budget (str): A key of :data:`BUDGETS`.

    Returns:
        tuple[str, str]: The config file and its work dir.
    """
    config, _, work_dir = model_arg.partition('=')
    if not osp.isfile(config):
        raise FileNotFoundError(f'{config} does not exist')
    if not work_dir:
        stem = osp.splitext(osp.basename(config))[0]
        work_dir = osp.join(BUDGETS[budget]['work_root'], stem)
    return config, work_dir


def budget_config(config: str, budget: str) -> Config:
    """The config as the budget trains it."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(copy.deepcopy(BUDGETS[budget]['overrides']))
    return cfg


def cfg_options_of(overrides: Dict[str, object]) -> List[str]:
    """``--cfg-options`` arguments of ``tools/train.py``."""
    if not overrides:
        return []
    items = []
    for key, value in overrides.items():
        text = ('[' + ','.join(str(v) for v in value) +
                ']' if isinstance(value, (list, tuple)) else str(value))
        items.append(f'{key}={text}')
    return ['--cfg-options', *items]


def train_command(config: str, work_dir: str, budget: str,
                  resume: bool) -> List[str]:
    """The ``tools/train.py`` command line of one model at a budget."""
    command = [
        sys.executable,
        osp.join(TOOLS_DIR, 'train.py'), config, '--work-dir', work_dir
    ]
    if resume:
        command.append('--resume')
    return command + cfg_options_of(BUDGETS[budget]['overrides'])


def run_command(command: List[str], what: str) -> None:
    """Run a tool, its output going to this console; fail clearly."""
    print_log(f'{what}: {" ".join(command)}', logger=LOGGER_NAME)
    result = subprocess.run(command)
    if result.returncode != 0:
        raise RunError(f'{what} failed (exit code {result.returncode}): '
                       f'{" ".join(command)}')


def ensure_trained(config: str, work_dir: str, max_iters: int,
                   args: argparse.Namespace) -> str:
    """Reuse, train or resume one model's run, as the arguments say.

    Returns:
        str: The final checkpoint.
    """
    if not args.retrain:
        try:
            checkpoint = final_checkpoint(work_dir, max_iters)
        except RunError as unfinished:
            started = bool(glob.glob(osp.join(work_dir, 'iter_*.pth')))
            if args.no_train or (started and not args.resume):
                raise unfinished
        else:
            print_log(
                f'{work_dir}: finished run reused ({checkpoint})',
                logger=LOGGER_NAME)
            return checkpoint
    resume = args.resume and bool(glob.glob(osp.join(work_dir, 'iter_*.pth')))
    run_command(
        train_command(config, work_dir, args.budget, resume), 'training')
    return final_checkpoint(work_dir, max_iters)


def test_report(config: str, checkpoint: str, test_dir: str) -> dict:
    """``tools/test.py`` on a checkpoint; its ``emotion_metrics.json``."""
    run_command([
        sys.executable,
        osp.join(TOOLS_DIR, 'test.py'), config, checkpoint, '--work-dir',
        test_dir
    ], 'testing')
    written = sorted(glob.glob(osp.join(test_dir, '*', METRICS_FILE)))
    if not written:
        raise RunError(f'tools/test.py wrote no {METRICS_FILE} under '
                       f'{test_dir}: does the config evaluate with '
                       'EmotionMetric?')
    return load_metrics_report(written[-1])


def finds_own_boxes(model_cfg: ConfigDict) -> bool:
    """Whether a model predicts its subjects' boxes itself."""
    return model_cfg.get('type') != TWO_STAGE_TYPE or \
        model_cfg.get('box_source') == 'detector'


def latency_model_cfg(model_cfg: ConfigDict) -> ConfigDict:
    """The model config timed: a two-stage model crops the image's
    ground-truth subjects; pretrained starts are not fetched."""
    cfg = copy.deepcopy(model_cfg)
    if cfg.get('type') == TWO_STAGE_TYPE:
        cfg = two_stage_cfg_on_gt_boxes(cfg)
    drop_pretrained_init_cfgs(cfg)
    return cfg


def build_random_model(model_cfg: ConfigDict) -> torch.nn.Module:
    """A model with random weights in eval mode on the CPU."""
    torch.manual_seed(0)
    model = MODELS.build(latency_model_cfg(model_cfg))
    return init_random_weights(model).eval()


def measure_models(model_cfgs: Dict[str, ConfigDict],
                   args: argparse.Namespace) -> Dict[str, dict]:
    """Parameters and (unless skipped) batch-1 CPU latency per model.

    Returns:
        dict[str, dict]: Per model, ``params`` and the counts of
        :func:`count_parameters`, and ``latency`` (see
        :func:`latency_stats`) or None.
    """
    torch.set_num_threads(args.threads)
    models = {
        name: build_random_model(cfg)
        for name, cfg in model_cfgs.items()
    }
    measured = {}
    for name, model in models.items():
        counts = count_parameters(model)
        measured[name] = dict(
            params=counts['params_total'], **counts, latency=None)
    if args.skip_latency:
        return measured
    print_log(
        f'timing {len(models)} models: batch 1, {args.shape[0]}x'
        f'{args.shape[1]}, {args.subjects} subjects, {args.threads} '
        f'thread(s), {args.warmup} + {args.repeat} rounds, {args.clock} '
        'clock',
        logger=LOGGER_NAME)
    batch = make_subject_batch(
        tuple(args.shape), args.subjects, grid_side_for(args.subjects), 'cpu')
    cases = {name: (model, batch) for name, model in models.items()}
    times = time_alternating(cases, 'cpu', args.warmup, args.repeat,
                             args.clock)
    for name, model_times in times.items():
        measured[name]['latency'] = latency_stats(model_times)
    return measured


def unique_name(config: str, taken: Dict[str, object]) -> str:
    """The config's stem, numbered when two models share it."""
    name = osp.splitext(osp.basename(config))[0]
    candidate, index = name, 2
    while candidate in taken:
        candidate, index = f'{name} ({index})', index + 1
    return candidate


def evaluate_model(config: str, work_dir: str, name: str,
                   args: argparse.Namespace, out_dir: str) -> dict:
    """Train (if need be), read the curve and the final figures.

    Returns:
        dict: ``model``, ``config``, ``work_dir``, ``checkpoint``,
        ``max_iters``, ``figures_from``, ``curve`` and the figures of
        :func:`figures_of_report`.
    """
    cfg = budget_config(config, args.budget)
    max_iters = int(cfg.train_cfg.max_iters)
    checkpoint = ensure_trained(config, work_dir, max_iters, args)
    curve = learning_curve(work_dir)
    report = None if args.retest else last_validation_report(
        work_dir, max_iters)
    figures_from = f'last validation (iteration {max_iters})'
    if report is None:
        report = test_report(config, checkpoint,
                             osp.join(out_dir, 'test', name))
        figures_from = f'tools/test.py on {checkpoint}'
    return dict(
        model=name,
        config=config,
        work_dir=work_dir,
        checkpoint=checkpoint,
        max_iters=max_iters,
        figures_from=figures_from,
        curve=curve,
        **figures_of_report(report, finds_own_boxes(cfg.model)))


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    out_dir = args.out_dir or osp.join(OUT_ROOT, args.budget)
    MMLogger.get_instance(LOGGER_NAME, log_level='INFO')
    rows, model_cfgs = [], {}
    pairs = [split_model_arg(m, args.budget) for m in args.models]
    for index, (config, work_dir) in enumerate(pairs, 1):
        name = unique_name(config, model_cfgs)
        print_log(
            f'[{index}/{len(pairs)}] {name} ({args.budget} budget, '
            f'{work_dir})',
            logger=LOGGER_NAME)
        rows.append(evaluate_model(config, work_dir, name, args, out_dir))
        model_cfgs[name] = Config.fromfile(config).model
    print_log('parameters and latency', logger=LOGGER_NAME)
    measured = measure_models(model_cfgs, args)
    for row in rows:
        size_and_time = measured[row['model']]
        row.update(size_and_time)
        latency = size_and_time['latency']
        row['latency_ms'] = latency['median_ms'] if latency else None
    return write_outputs(rows, args, out_dir)


def write_outputs(rows: List[dict], args: argparse.Namespace,
                  out_dir: str) -> dict:
    """Write the table, the JSON and the curves; return the JSON content."""
    os.makedirs(out_dir, exist_ok=True)
    prevalence = next(
        (row['mAP_prevalence_context_only']
         for row in rows if row['mAP_prevalence_context_only'] is not None),
        None)
    if prevalence is None:
        prevalence = next((p[PREVALENCE_CURVE_KEY] for row in rows
                           for p in row['curve'] if PREVALENCE_CURVE_KEY in p),
                          None)
    content = dict(
        budget=args.budget,
        training_overrides=BUDGETS[args.budget]['overrides'],
        latency_settings=dict(
            shape=list(args.shape),
            subjects=args.subjects,
            threads=args.threads,
            clock=args.clock,
            warmup=args.warmup,
            repeat=args.repeat,
            measured=not args.skip_latency,
            torch=torch.__version__),
        prevalence_context_only=prevalence,
        units='percent; parameters counted; latency in ms',
        models=rows)
    table = markdown_table(rows)
    with open(osp.join(out_dir, TABLE_NAME), 'w', encoding='utf-8') as f:
        f.write(table)
    write_json(content, osp.join(out_dir, JSON_NAME))
    plot_context_curves({row['model']: row['curve']
                         for row in rows}, prevalence,
                        f'Context-only mAP, {args.budget} budget',
                        osp.join(out_dir, PLOT_NAME))
    print_log('\n' + table, logger=LOGGER_NAME)
    print_log(
        f'written: {out_dir}/{{{TABLE_NAME}, {JSON_NAME}, '
        f'{PLOT_NAME}}}',
        logger=LOGGER_NAME)
    return content


if __name__ == '__main__':
    try:
        main()
    except (RunError, FileNotFoundError, ValueError) as err:
        sys.exit(f'context_benchmark: {err}')
