"""Head-to-head benchmark: DSCT, mmdet's DeformableDETR and the two-stage
recogniser: parameters, FLOPs and batch-1 inference latency, measured in
one run on one machine at one input size, as the number of subjects in the
image grows.

Models (random initialisation by each model's ``init_weights()``; no weights
are loaded or downloaded):

- ``DSCT``: the DSCT config given;
- ``DeformableDETR``: mmdet's plain Deformable DETR built from the same
  config (backbone, neck, encoder, decoder layers; the context-query count
  as its object queries; an 80-class COCO head), i.e. the detector DSCT
  starts from;
- ``TwoStage`` (with ``--two-stage-config``): the two-stage recogniser
  cropping the image's ground-truth subject boxes (``box_source='gt'``),
  so its cost grows with the number of subjects;
- ``TwoStage+DeformableDETR`` (with ``--with-detector``): the same
  recogniser as the project ships it with a detector in front
  (``box_source='detector'``): the plain Deformable DETR above, written to a
  temporary config and checkpoint and loaded by the recogniser's
  ``FrozenSubjectDetector``, whose N most confident detections (any class,
  no score threshold: the weights are random) are the subjects; stage one,
  the re-normalisation between the two preprocessors and stage two are
  timed together.

Inputs: one random image of ``--shape`` holding N subjects for every N of
``--subjects``; the boxes are the first N cells of a square grid sized for
the largest N, so every box has the same size at every N. Every model gets
the same image and boxes. DSCT's cost does not depend on N: it always
decodes its fixed number of subject queries.

Latency: ``mode='predict'`` (post-processing included), ``--warmup``
untimed rounds, then ``--repeat`` rounds in which every model at every
subject count takes its turn (the first one changes every round), so that
all see the same machine load; median, quartiles (IQR) and minimum. On a
GPU, ``torch.cuda.synchronize()`` brackets every pass. ``--clock cpu`` reads
the process's CPU time instead of wall time: on a machine other processes
share, it leaves out the time this one waited; with ``--threads 1`` on a CPU
it is the latency itself.

Training (``--train``, instead of all of the above): one training step
(data preprocessing, forward, losses, backward, gradient clipping, optimizer
step of the DSCT config's ``optim_wrapper``) of DSCT and of the same
DeformableDETR (given mmdet's Hungarian matching costs to train with), for
every ``--batch-sizes`` and ``--dtypes`` (``bf16``: the forward pass under
``torch.autocast``, bfloat16); all cases take turns. Per case: median step
time, images per second, peak memory (GPU: ``max_memory_allocated``; CPU:
the process's peak resident set size during the step) and the ratio of
step times to DeformableDETR. See :mod:`mmdsct.utils.benchmark.throughput`.

FLOPs: PyTorch's ``FlopCounterMode`` on one predict pass (a multiply-add is
2 FLOPs): convolutions, matrix products and attention kernels only.
Element-wise ops, normalisation, softmax, pooling, resampling,
multi-scale deformable attention's sampling (``grid_sample``, or mmcv's
compiled op) and mmcv's RoIAlign are not counted; the uncounted
non-element-wise ops that ran are listed in ``flops_uncounted_ops``. See
:mod:`mmdsct.utils.benchmark.flop_count`.

Output: a table on the console, a CSV (one row per model and subject count,
with the device, its name, the deformable-attention implementation, the
crop mode, torch version, input size and thread count) and a PNG plot of
latency against subjects, the device named in its title.

Examples::

    python tools/analysis_tools/benchmark.py configs/dsct/dsct_tiny_synth.py \
        --two-stage-config configs/two_stage/two-stage_r18_synth.py \
        --shape 128 128 --subjects 1 2 4 8 16 --repeat 5 --threads 2 \
        --out-dir work_dirs/benchmark_tiny_cpu
    python tools/analysis_tools/benchmark.py configs/dsct/dsct_r50_emotic.py \
        --two-stage-config configs/two_stage/two-stage_r50_emotic.py \
        --device cuda --msda-impl pytorch --with-detector \
        --out-dir work_dirs/benchmark_r50_gpu
    python tools/analysis_tools/benchmark.py configs/dsct/dsct_r50_emotic.py \
        --params-only
    python tools/analysis_tools/benchmark.py configs/dsct/dsct_r50_emotic.py \
        --train --shape 800 1333 --batch-sizes 2 4 --dtypes fp32 bf16 \
        --subjects 4 --device cuda --out-dir work_dirs/train_r50_gpu
"""
import argparse
import copy
import os
import os.path as osp
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config, ConfigDict, DictAction
from torch import nn

import mmdsct  # noqa: F401  (registers DSCT and the two-stage recogniser)
from mmdsct.models.utils import count_parameters
from mmdsct.utils import drop_pretrained_init_cfgs, init_random_weights
# yapf: disable
from mmdsct.utils.benchmark import (DetectorThenRecognizer,
                                    count_predict_flops,
                                    deformable_detr_cfg_like, device_name,
                                    grid_side_for, latency_stats,
                                    load_model_cfg, make_subject_batch,
                                    msda_pytorch_path,
                                    plot_latency_vs_subjects, print_rows,
                                    resolve_crop_mode, resolve_device,
                                    resolve_msda_impl, time_alternating,
                                    two_stage_cfg_on_detector,
                                    two_stage_cfg_on_gt_boxes, write_csv,
                                    write_detector_files)
# yapf: enable
from mmdsct.utils.benchmark.devices import (CROP_CHOICES, MSDA_CHOICES,
                                            MSDA_PYTORCH)
from mmdsct.utils.benchmark.latency import CLOCKS, Case
from mmdsct.utils.benchmark.model_configs import (DEFORMABLE_DETR_TYPE,
                                                  DSCT_TYPE, TWO_STAGE_TYPE)
from mmdsct.utils.benchmark.random_models import dsct_and_deformable_detr
from mmdsct.utils.benchmark.subject_boxes import Batch
from mmdsct.utils.benchmark.throughput import DTYPES as TRAIN_DTYPES
from mmdsct.utils.benchmark.throughput import measure_training

DSCT_NAME = DSCT_TYPE
BASELINE_NAME = DEFORMABLE_DETR_TYPE
TWO_STAGE_NAME = 'TwoStage'
PIPELINE_NAME = f'{TWO_STAGE_NAME}+{BASELINE_NAME}'
DEFAULT_SUBJECTS = (1, 2, 4, 8, 16)
DEFAULT_OUT_DIR = osp.join('work_dirs', 'benchmark')
CSV_NAME = 'benchmark.csv'
TRAIN_CSV_NAME = 'train_throughput.csv'
PLOT_SUFFIX = '_latency.png'
GIGA = 1e9
# TwoStageEmotionRecognizer's crop mode when its config names none.
DEFAULT_CROP_MODE = 'roi_align'
CaseKey = Tuple[str, int]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line arguments (``argv`` defaults to ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(
        description='Parameters, FLOPs and latency of DSCT, DeformableDETR '
        'and the two-stage recogniser')
    parser.add_argument('config', help='DSCT config file')
    parser.add_argument(
        '--two-stage-config',
        help='TwoStageEmotionRecognizer config file (adds the two-stage '
        'model)')
    parser.add_argument(
        '--with-detector',
        action='store_true',
        help='also time the two-stage recogniser on the boxes of the plain '
        'DeformableDETR (stage one + stage two)')
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
        nargs='+',
        default=list(DEFAULT_SUBJECTS),
        help='subject counts to time (default: 1 2 4 8 16)')
    parser.add_argument(
        '--repeat', type=int, default=10, help='timed rounds (default: 10)')
    parser.add_argument(
        '--warmup', type=int, default=2, help='untimed rounds (default: 2)')
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
        help='deformable attention on a GPU: mmcv\'s choice (auto: its '
        'CUDA op if it works, else PyTorch) or always its pure-PyTorch '
        'path (default: auto)')
    parser.add_argument(
        '--crop-mode',
        choices=CROP_CHOICES,
        default='auto',
        help='two-stage crops: the config\'s mode if it runs on the device, '
        'else interpolate (auto), or forced (default: auto)')
    parser.add_argument(
        '--params-only',
        action='store_true',
        help='count parameters, measure nothing else')
    parser.add_argument(
        '--no-flops', action='store_true', help='do not count FLOPs')
    parser.add_argument(
        '--clock',
        choices=list(CLOCKS),
        default='wall',
        help='latency clock: wall time, or the process\'s CPU time (steady '
        'on a shared machine; the latency itself with --threads 1 on a '
        'CPU) (default: wall)')
    parser.add_argument(
        '--train',
        action='store_true',
        help='measure training steps (forward, backward, optimizer step) '
        'of DSCT and DeformableDETR instead of inference: images per second '
        f'and peak memory, written to {TRAIN_CSV_NAME}; every image holds '
        'the largest --subjects count of ground-truth subjects')
    parser.add_argument(
        '--batch-sizes',
        type=int,
        nargs='+',
        default=[2],
        help='with --train: images per step (default: 2)')
    parser.add_argument(
        '--dtypes',
        choices=list(TRAIN_DTYPES),
        nargs='+',
        default=['fp32'],
        help='with --train: float32 and/or AMP bfloat16 (the forward pass '
        'under torch.autocast) (default: fp32)')
    outputs = parser.add_mutually_exclusive_group()
    outputs.add_argument(
        '--out-dir',
        default=DEFAULT_OUT_DIR,
        help=f'write {CSV_NAME} and the latency plot here (default: '
        f'{DEFAULT_OUT_DIR})')
    outputs.add_argument(
        '--out',
        help=f'write the CSV to this file and the plot beside it '
        f'(<name>{PLOT_SUFFIX})')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the DSCT config')
    parser.add_argument(
        '--two-stage-cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the two-stage config')
    args = parser.parse_args(argv)
    if min(args.subjects) < 1:
        parser.error('--subjects must all be >= 1')
    if args.repeat < 1 or args.warmup < 0:
        parser.error('--repeat must be >= 1 and --warmup >= 0')
    if args.with_detector and not args.two_stage_config:
        parser.error('--with-detector needs --two-stage-config')
    if min(args.batch_sizes) < 1:
        parser.error('--batch-sizes must all be >= 1')
    args.subjects = sorted(set(args.subjects))
    return args


def build_eval_model(model_cfg: ConfigDict, device: str) -> nn.Module:
    """Build a model in eval mode with random weights, initialised as for
    training (``init_weights()``) but with no pretrained weights fetched."""
    model_cfg = copy.deepcopy(ConfigDict(model_cfg))
    drop_pretrained_init_cfgs(model_cfg)
    model = init_random_weights(MODELS.build(model_cfg))
    return model.to(device).eval()


def build_models(args: argparse.Namespace, device: str,
                 two_stage_cfg: Optional[ConfigDict]) -> Dict[str, nn.Module]:
    """Every model of the run, by name, in plot order.

    Args:
        args (argparse.Namespace): Parsed arguments (``config``,
            ``cfg_options``, ``with_detector``).
        device (str): ``'cpu'`` or ``'cuda'``.
        two_stage_cfg (ConfigDict, optional): The two-stage recogniser's
            model config, ready to build (see
            :func:`two_stage_cfg_on_gt_boxes`).

    Returns:
        dict[str, nn.Module]: ``DSCT``, ``DeformableDETR`` and, when asked,
        ``TwoStage`` and ``TwoStage+DeformableDETR``.
    """
    dsct_cfg = load_model_cfg(args.config, DSCT_TYPE, args.cfg_options)
    detr_cfg = deformable_detr_cfg_like(dsct_cfg)
    drop_pretrained_init_cfgs(detr_cfg)
    models = {
        DSCT_NAME: build_eval_model(dsct_cfg, device),
        BASELINE_NAME: build_eval_model(detr_cfg, device)
    }
    if two_stage_cfg is not None:
        models[TWO_STAGE_NAME] = build_eval_model(two_stage_cfg, device)
    if args.with_detector:
        models[PIPELINE_NAME] = build_detector_path(two_stage_cfg, detr_cfg,
                                                    models[BASELINE_NAME],
                                                    device)
    return models


def build_detector_path(two_stage_cfg: ConfigDict, detector_cfg: ConfigDict,
                        detector: nn.Module, device: str) -> nn.Module:
    """The two-stage recogniser with ``detector`` as its frozen subject
    detector (``box_source='detector'``), loaded from a temporary config
    and checkpoint as a trained detector would be.

    Args:
        two_stage_cfg (ConfigDict): The recogniser's model config.
        detector_cfg (ConfigDict): The detector's model config.
        detector (nn.Module): The built detector (its weights are kept).
        device (str): ``'cpu'`` or ``'cuda'``.

    Returns:
        nn.Module: A :class:`DetectorThenRecognizer` in eval mode.
    """
    with tempfile.TemporaryDirectory() as directory:
        files = write_detector_files(detector, detector_cfg, directory)
        recognizer = build_eval_model(
            two_stage_cfg_on_detector(two_stage_cfg, files), device)
    return DetectorThenRecognizer(recognizer).to(device).eval()


def two_stage_model_cfg(args: argparse.Namespace,
                        device: str) -> Optional[ConfigDict]:
    """The two-stage recogniser's config on ground-truth boxes, its crop
    mode resolved for ``device``; None without ``--two-stage-config``."""
    if not args.two_stage_config:
        return None
    cfg = load_model_cfg(args.two_stage_config, TWO_STAGE_TYPE,
                         args.two_stage_cfg_options)
    config_mode = cfg.get('crop_mode', DEFAULT_CROP_MODE)
    crop_mode = resolve_crop_mode(args.crop_mode, config_mode, device)
    return two_stage_cfg_on_gt_boxes(cfg, crop_mode)


def measure_parameters(models: Dict[str, nn.Module]) -> Dict[str, dict]:
    """Measurement: parameter counts per model.

    Returns:
        dict[str, dict]: Per model, ``params_total``, ``params_official``
        and ``params_trainable`` (see :func:`count_parameters`).
    """
    return {name: count_parameters(model) for name, model in models.items()}


def measure_flops(models: Dict[str, nn.Module],
                  batch: Batch) -> Dict[str, dict]:
    """Measurement: FLOPs of one predict pass per model.

    Args:
        models (dict[str, nn.Module]): Models by name.
        batch (Batch): Inputs and data samples.

    Returns:
        dict[str, dict]: Per model, ``gflops`` and ``flops_uncounted_ops``
        (';'-separated).
    """
    columns = {}
    for name, model in models.items():
        count = count_predict_flops(model, batch)
        columns[name] = dict(
            gflops=round(count.flops / GIGA, 3),
            flops_uncounted_ops=';'.join(count.uncounted_ops))
    return columns


def measure_latency(cases: Dict[CaseKey, Case],
                    device: str,
                    warmup: int,
                    repeat: int,
                    clock: str = 'wall') -> Dict[CaseKey, dict]:
    """Measurement: batch-1 inference latency of every case (a model and
    its batch, keyed by (model name, subject count)), the cases taking
    turns, and the ratio of medians to the plain Deformable DETR on the same
    batch.

    Args:
        cases (dict[tuple[str, int], Case]): (model, batch) by key; the
            ``DeformableDETR`` case of every subject count among them.
        device (str): ``'cpu'`` or ``'cuda'``.
        warmup (int): Untimed rounds.
        repeat (int): Timed rounds.
        clock (str): ``'wall'`` or ``'cpu'`` (see ``--clock``).

    Returns:
        dict[tuple[str, int], dict]: Per case, the columns of
        :func:`latency_stats` and ``time_vs_deformable_detr``.
    """
    times = time_alternating(cases, device, warmup, repeat, clock)
    stats = {
        key: latency_stats(case_times)
        for key, case_times in times.items()
    }
    for (_, num_subjects), columns in stats.items():
        baseline = stats[(BASELINE_NAME, num_subjects)]['median_ms']
        columns['time_vs_deformable_detr'] = round(
            columns['median_ms'] / baseline, 4)
    return stats


def measure_latency_vs_subjects(models: Dict[str, nn.Module],
                                args: argparse.Namespace,
                                device: str) -> List[dict]:
    """Measurement: FLOPs and latency of every model at every subject
    count; all (model, subject count) cases take turns in every round.

    Args:
        models (dict[str, nn.Module]): Models by name.
        args (argparse.Namespace): ``shape``, ``subjects``, ``warmup``,
            ``repeat``, ``no_flops``.
        device (str): ``'cpu'`` or ``'cuda'``.

    Returns:
        list[dict]: One row per model and subject count: ``model``,
        ``subjects``, FLOP columns, latency columns.
    """
    grid_side = grid_side_for(max(args.subjects))
    cases, flops = {}, {}
    for num_subjects in args.subjects:
        batch = make_subject_batch(
            tuple(args.shape), num_subjects, grid_side, device)
        if not args.no_flops:
            for name, columns in measure_flops(models, batch).items():
                flops[(name, num_subjects)] = columns
        for name, model in models.items():
            cases[(name, num_subjects)] = (model, batch)
    latency = measure_latency(cases, device, args.warmup, args.repeat,
                              args.clock)
    return [
        dict(
            model=name,
            subjects=num_subjects,
            **flops.get((name, num_subjects), {}),
            **latency[(name, num_subjects)]) for name, num_subjects in cases
    ]


def environment_columns(device: str) -> dict:
    """The columns that say where a row was measured."""
    return dict(
        device=device,
        device_name=device_name(device),
        torch=torch.__version__)


def timing_columns(args: argparse.Namespace, msda_impl: str) -> dict:
    """The columns that say how FLOPs and latency were measured."""
    return dict(
        msda_impl=msda_impl,
        input_hw=f'{args.shape[0]}x{args.shape[1]}',
        threads=torch.get_num_threads(),
        warmup=args.warmup,
        repeats=args.repeat,
        clock=args.clock)


def model_columns(args: argparse.Namespace,
                  crop_mode: Optional[str]) -> Dict[str, dict]:
    """Per model name, its config file and (two-stage) crop mode."""
    two_stage = dict(config=args.two_stage_config, crop_mode=crop_mode)
    return {
        DSCT_NAME: dict(config=args.config),
        BASELINE_NAME: dict(config=args.config),
        TWO_STAGE_NAME: two_stage,
        PIPELINE_NAME: two_stage
    }


def output_paths(args: argparse.Namespace) -> Tuple[str, str]:
    """(CSV path, PNG path) from ``--out`` or ``--out-dir``."""
    if args.out:
        stem = osp.splitext(args.out)[0]
        return args.out, stem + PLOT_SUFFIX
    return (osp.join(args.out_dir, CSV_NAME),
            osp.join(args.out_dir,
                     osp.splitext(CSV_NAME)[0] + PLOT_SUFFIX))


def plot_title(env: dict, crop_mode: Optional[str]) -> str:
    """The plot's title: input, device and kernels."""
    where = (f'{env["device_name"]} ({env["device"]}, torch threads: '
             f'{env["threads"]})' if env['device'] == 'cpu' else
             f'{env["device_name"]} ({env["device"]})')
    crops = f', two-stage crops: {crop_mode}' if crop_mode else ''
    return (f'Batch-1 inference latency, input {env["input_hw"]}, torch '
            f'{env["torch"]}\n{where}, deformable attention: '
            f'{env["msda_impl"]}{crops}')


def print_ratios(rows: List[dict]) -> None:
    """Print the ratios of medians that the benchmark is about."""
    by_key = {(row['model'], row['subjects']): row for row in rows}
    for num_subjects in sorted({row['subjects'] for row in rows}):
        dsct = by_key[(DSCT_NAME, num_subjects)]
        parts = [
            'DSCT / DeformableDETR forward time (median): '
            f'{dsct["time_vs_deformable_detr"]:.3f}x'
        ]
        for name in (TWO_STAGE_NAME, PIPELINE_NAME):
            if (name, num_subjects) in by_key:
                ratio = (
                    by_key[(name, num_subjects)]['median_ms'] /
                    dsct['median_ms'])
                parts.append(f'{name} / DSCT: {ratio:.3f}x')
        print(f'{num_subjects:>3} subject(s): ' + ', '.join(parts))


def assemble_rows(measured: List[dict], params: Dict[str, dict],
                  per_model: Dict[str, dict], env: dict) -> List[dict]:
    """Join the measurements of every row with its context columns."""
    rows = []
    for row in measured:
        name = row['model']
        rows.append(
            dict(
                model=name,
                subjects=row.get('subjects', ''),
                **params[name],
                **{
                    k: v
                    for k, v in row.items() if k not in ('model', 'subjects')
                },
                **env,
                **per_model[name]))
    return rows


def run_training_benchmark(args: argparse.Namespace, device: str,
                           msda_impl: str) -> None:
    """``--train``: images per second and peak memory of one training step
    of DSCT and DeformableDETR (same optimizer settings: the DSCT config's
    ``optim_wrapper``) for every batch size and dtype, all cases taking
    turns; the rows go to the console and to :data:`TRAIN_CSV_NAME`."""
    models = dsct_and_deformable_detr(args.config, device, args.cfg_options)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    with msda_pytorch_path(enabled=msda_impl == MSDA_PYTORCH):
        measured = measure_training(models,
                                    cfg.optim_wrapper, tuple(args.shape),
                                    max(args.subjects), args.batch_sizes,
                                    args.dtypes, device, args.warmup,
                                    args.repeat)
    env = dict(
        environment_columns(device),
        msda_impl=msda_impl,
        input_hw=f'{args.shape[0]}x{args.shape[1]}',
        subjects=max(args.subjects),
        threads=torch.get_num_threads(),
        warmup=args.warmup,
        repeats=args.repeat,
        config=args.config)
    rows = [dict(row, **env) for row in measured]
    print_rows(rows)
    csv_path = (
        args.out if args.out else osp.join(args.out_dir, TRAIN_CSV_NAME))
    os.makedirs(osp.dirname(osp.abspath(csv_path)), exist_ok=True)
    write_csv(rows, csv_path)
    print(f'Wrote {csv_path}')
    for row in rows:
        if row['model'] == DSCT_NAME:
            print(f'batch {row["batch_size"]}, {row["dtype"]}: DSCT '
                  f'{row["images_per_s"]} images/s, DSCT / DeformableDETR '
                  f'step time (median): '
                  f'{row["step_time_vs_deformable_detr"]:.3f}x')


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run the benchmark (see the module docstring)."""
    args = parse_args(argv)
    register_all_modules()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    msda_impl = resolve_msda_impl(args.msda_impl, device)
    if args.train:
        run_training_benchmark(args, device, msda_impl)
        return
    two_stage_cfg = two_stage_model_cfg(args, device)
    crop_mode = two_stage_cfg.crop_mode if two_stage_cfg else None
    models = build_models(args, device, two_stage_cfg)
    params = measure_parameters(models)
    env = environment_columns(device)
    if args.params_only:
        measured = [dict(model=name) for name in models]
    else:
        with msda_pytorch_path(enabled=msda_impl == MSDA_PYTORCH):
            measured = measure_latency_vs_subjects(models, args, device)
        env.update(timing_columns(args, msda_impl))
    rows = assemble_rows(measured, params, model_columns(args, crop_mode), env)
    print_rows(rows)
    csv_path, plot_path = output_paths(args)
    os.makedirs(osp.dirname(osp.abspath(csv_path)), exist_ok=True)
    write_csv(rows, csv_path)
    print(f'Wrote {csv_path}')
    if not args.params_only:
        print_ratios(rows)
        plot_latency_vs_subjects(rows, plot_title(env, crop_mode), plot_path)
        print(f'Wrote {plot_path}')


if __name__ == '__main__':
    main()
