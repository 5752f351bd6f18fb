"""Parameters and forward time of DSCT beside mmdet's plain DeformableDETR.

Both models are built from the same config: the plain detector keeps the
backbone, neck, encoder, decoder layers and positional encoding, uses the
context-query count as its number of object queries and mmdet's
``DeformableDETRHead`` (80 COCO classes), i.e. the COCO model DSCT starts
from. No weights are loaded or downloaded (random initialisation).

Forward time: batch 1, inference (``mode='predict'``, post-processing
included), warm-up first, then the two models alternate for ``--repeat``
rounds so that both see the same machine load; the median is reported.

Examples::

    python tools/analysis_tools/benchmark.py configs/dsct/dsct_r50_emotic.py \
        --params-only
    python tools/analysis_tools/benchmark.py configs/dsct/dsct_r50_emotic.py \
        --shape 320 480 --repeat 10 --out work_dirs/benchmark.csv
"""
import argparse
import copy
import csv
import statistics
import time
from typing import Callable, Dict, List, Tuple

import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import register_all_modules
from mmengine.config import Config, ConfigDict, DictAction
from torch import nn

import mmdsct  # noqa: F401  (registers DSCT)
from mmdsct.models.utils import count_parameters

DSCT_NAME = 'DSCT'
BASELINE_NAME = 'DeformableDETR'
COCO_CLASSES = 80
DSCT_ONLY_DECODER_KEYS = ('type', 'num_spatial_context',
                          'num_semantic_context')
Batch = Tuple[torch.Tensor, List[DetDataSample]]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Parameters and forward time of DSCT vs DeformableDETR')
    parser.add_argument('config', help='DSCT config file')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[800, 1333],
        metavar=('H', 'W'),
        help='input size (default: 800 1333)')
    parser.add_argument(
        '--repeat', type=int, default=10, help='timed rounds (default: 10)')
    parser.add_argument(
        '--warmup', type=int, default=2, help='untimed rounds (default: 2)')
    parser.add_argument(
        '--device', choices=['cpu', 'cuda'], default='cpu', help='device')
    parser.add_argument(
        '--threads', type=int, help='torch CPU threads (default: torch\'s)')
    parser.add_argument(
        '--params-only',
        action='store_true',
        help='count parameters, time nothing')
    parser.add_argument('--out', help='write the results to this CSV file')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config')
    return parser.parse_args()


def load_model_cfg(config: str, cfg_options: dict = None) -> ConfigDict:
    """The DSCT model config of a config file.

    Args:
        config (str): Config path.
        cfg_options (dict, optional): ``--cfg-options`` overrides.

    Returns:
        ConfigDict: ``cfg.model``.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if cfg.model.get('type') != DSCT_NAME:
        raise ValueError(f'{config}: model.type is {cfg.model.get("type")!r},'
                         f' expected {DSCT_NAME!r}.')
    return cfg.model


def deformable_detr_cfg_like(dsct_cfg: ConfigDict) -> ConfigDict:
    """mmdet's plain DeformableDETR with DSCT's transformer settings.

    Args:
        dsct_cfg (ConfigDict): A DSCT model config.

    Returns:
        ConfigDict: A DeformableDETR model config with
        ``num_queries = num_context_queries``.
    """
    cfg = copy.deepcopy(dsct_cfg)
    cfg.type = BASELINE_NAME
    cfg.num_queries = cfg.pop('num_context_queries', 300)
    cfg.pop('num_subject_queries', None)
    for key in DSCT_ONLY_DECODER_KEYS:
        cfg.decoder.pop(key, None)
    head = cfg.bbox_head
    cfg.bbox_head = ConfigDict(
        type='DeformableDETRHead',
        num_classes=COCO_CLASSES,
        embed_dims=head.get('embed_dims', 256),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, loss_weight=2.0),
        loss_bbox=head.get('loss_bbox', dict(type='L1Loss')),
        loss_iou=head.get('loss_iou', dict(type='GIoULoss')))
    cfg.train_cfg = None
    return cfg


def build_model(model_cfg: ConfigDict, device: str) -> nn.Module:
    """Build a model in eval mode (random weights, nothing downloaded)."""
    model = MODELS.build(copy.deepcopy(model_cfg))
    return model.to(device).eval()


def make_batch(shape: Tuple[int, int], device: str) -> Batch:
    """One normalised random image of ``shape`` and its data sample."""
    height, width = shape
    inputs = torch.randn(1, 3, height, width, device=device)
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(height, width),
            ori_shape=(height, width),
            pad_shape=(height, width),
            batch_input_shape=(height, width),
            scale_factor=(1.0, 1.0)))
    return inputs, [sample]


def synchronize(device: str) -> None:
    """Wait for queued GPU work, so that wall time measures it."""
    if device == 'cuda':
        torch.cuda.synchronize()


def predict_once(model: nn.Module, batch: Batch, device: str) -> float:
    """Seconds of one inference forward pass."""
    inputs, samples = batch
    synchronize(device)
    start = time.perf_counter()
    with torch.no_grad():
        model(inputs, copy.deepcopy(samples), mode='predict')
    synchronize(device)
    return time.perf_counter() - start


def time_alternating(models: Dict[str, nn.Module], batch: Batch,
                     device: str, warmup: int,
                     repeat: int) -> Dict[str, List[float]]:
    """Forward times per model, the models taking turns every round.

    Args:
        models (dict[str, nn.Module]): Models by name.
        batch (Batch): Inputs and data samples.
        device (str): ``'cpu'`` or ``'cuda'``.
        warmup (int): Untimed rounds.
        repeat (int): Timed rounds.

    Returns:
        dict[str, list[float]]: Seconds per round, per model.
    """
    for _ in range(warmup):
        for model in models.values():
            predict_once(model, batch, device)
    times = {name: [] for name in models}
    for _ in range(repeat):
        for name, model in models.items():
            times[name].append(predict_once(model, batch, device))
    return times


def timing_columns(times: List[float]) -> Dict[str, float]:
    """Median and minimum forward time in milliseconds."""
    return dict(
        median_ms=round(1000 * statistics.median(times), 2),
        min_ms=round(1000 * min(times), 2))


def write_csv(rows: List[dict], path: str) -> None:
    """Write one row per model."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def print_rows(rows: List[dict], echo: Callable[[str], None] = print) -> None:
    """Print the rows as an aligned table."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    widths = {
        col: max(len(col), *(len(str(row.get(col, ''))) for row in rows))
        for col in columns
    }
    echo('  '.join(col.ljust(widths[col]) for col in columns))
    for row in rows:
        echo('  '.join(
            str(row.get(col, '')).ljust(widths[col]) for col in columns))


def parameter_columns(models: Dict[str, nn.Module]) -> Dict[str, dict]:
    """Measurement: parameter counts per model."""
    return {name: count_parameters(model) for name, model in models.items()}


def forward_time_columns(models: Dict[str, nn.Module],
                         args: argparse.Namespace) -> Dict[str, dict]:
    """Measurement: batch-1 inference time per model, and the ratio to the
    plain Deformable DETR."""
    batch = make_batch(tuple(args.shape), args.device)
    times = time_alternating(models, batch, args.device, args.warmup,
                             args.repeat)
    baseline = statistics.median(times[BASELINE_NAME])
    return {
        name: dict(
            device=args.device,
            input_hw=f'{args.shape[0]}x{args.shape[1]}',
            threads=torch.get_num_threads(),
            repeats=args.repeat,
            **timing_columns(model_times),
            time_vs_deformable_detr=round(
                statistics.median(model_times) / baseline, 4))
        for name, model_times in times.items()
    }


def main() -> None:
    args = parse_args()
    register_all_modules()
    if args.threads:
        torch.set_num_threads(args.threads)
    dsct_cfg = load_model_cfg(args.config, args.cfg_options)
    models = {
        DSCT_NAME: build_model(dsct_cfg, args.device),
        BASELINE_NAME: build_model(
            deformable_detr_cfg_like(dsct_cfg), args.device)
    }
    measurements = [parameter_columns(models)]
    if not args.params_only:
        measurements.append(forward_time_columns(models, args))
    rows = []
    for name in models:
        row = dict(model=name, config=args.config)
        for columns in measurements:
            row.update(columns[name])
        rows.append(row)
    print_rows(rows)
    if not args.params_only:
        ratio = rows[0]['time_vs_deformable_detr']
        print(f'DSCT / DeformableDETR forward time (median): {ratio:.3f}x')
    if args.out:
        write_csv(rows, args.out)
        print(f'Wrote {args.out}')


if __name__ == '__main__':
    main()
