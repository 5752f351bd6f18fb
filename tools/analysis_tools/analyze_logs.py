"""Plot training curves and time training from mmengine's scalar logs.

mmengine writes one JSON record per line to
``work_dirs/<run>/<timestamp>/vis_data/scalars.json`` (and the same records
to ``vis_data/<timestamp>.json``): training records (``lr``, ``loss``,
``loss_*``, ``time``, ``iter``, ``step``) and validation records (the
metric's figures, e.g. ``emotion/mAP``, ``emotion/bbox_mAP_50``). A run
directory or its ``<timestamp>`` folder may be given instead of the file.

Validation figures are drawn at the training iteration after which they
were computed, so every curve shares one axis (iterations), whether the run
is epoch- or iteration-based.

Example::

    python tools/analysis_tools/analyze_logs.py plot_curve \\
        work_dirs/demo --keys emotion/mAP loss --out curves.png
    python tools/analysis_tools/analyze_logs.py cal_train_time work_dirs/demo
"""
import argparse
import glob
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DEFAULT_KEYS = ('emotion/mAP', 'loss')
SCALARS_FILE = 'scalars.json'
#: Keys of bookkeeping, never a curve.
POSITION_KEYS = ('step', 'iter', 'epoch')
FIGURE_WIDTH = 8.0
INCHES_PER_PLOT = 3.0
DPI = 120

Record = Dict[str, float]
Curve = Tuple[List[int], List[float]]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Analyse the scalar logs of mmengine runs')
    commands = parser.add_subparsers(dest='command', required=True)
    plot = commands.add_parser('plot_curve', help='draw curves of keys')
    plot.add_argument(
        'logs',
        nargs='+',
        help='scalars.json / <timestamp>.json files, or run directories')
    plot.add_argument(
        '--keys',
        nargs='+',
        default=list(DEFAULT_KEYS),
        help='figures to draw, one plot each (default: emotion/mAP loss)')
    plot.add_argument(
        '--legend', nargs='+', help='one name per log (default: the paths)')
    plot.add_argument('--title', help='title of the figure')
    plot.add_argument('--out', required=True, help='PNG to write')
    timing = commands.add_parser(
        'cal_train_time', help='average training time per iteration')
    timing.add_argument('logs', nargs='+', help='as for plot_curve')
    args = parser.parse_args(argv)
    if args.command == 'plot_curve' and args.legend and len(
            args.legend) != len(args.logs):
        parser.error(f'--legend has {len(args.legend)} names for '
                     f'{len(args.logs)} logs')
    return args


def find_log(path: str) -> str:
    """The scalar log of a file or run directory.

    Args:
        path (str): A JSON log, a ``<timestamp>`` folder or a work dir.

    Returns:
        str: The JSON file; the newest run's when there are several.

    Raises:
        FileNotFoundError: If no log is found.
    """
    if osp.isfile(path):
        return path
    found = sorted(
        glob.glob(osp.join(path, 'vis_data', SCALARS_FILE)) +
        glob.glob(osp.join(path, '*', 'vis_data', SCALARS_FILE)))
    if not found:
        raise FileNotFoundError(
            f'{path}: no such file, and no vis_data/{SCALARS_FILE} in it or '
            'in its sub-folders')
    return found[-1]


def load_records(path: str) -> List[Record]:
    """Read a JSON-lines scalar log.

    Args:
        path (str): The log file.

    Returns:
        list[dict]: One dict per line, in file order.

    Raises:
        ValueError: If a line is not a JSON object.
    """
    records = []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}, line {number}: not JSON '
                                 f'({err.msg})') from err
            if not isinstance(record, dict):
                raise ValueError(f'{path}, line {number}: not a JSON object')
            records.append(record)
    return records


def is_training_record(record: Record) -> bool:
    """Whether a record was logged during training (not validation)."""
    return 'lr' in record or any(key.startswith('loss') for key in record)


def curves(records: Sequence[Record]) -> Dict[str, Curve]:
    """Every logged figure as ``(iterations, values)``.

    A training record sits at its ``iter`` (``step`` if absent); a
    validation record at the iteration of the training record before it
    (its own ``step`` when none precedes it). A validation key without a
    ``/`` (``time``, ``data_time``) is prefixed with ``val/`` so that it
    stays apart from the training key of the same name.

    Args:
        records (Sequence[dict]): Records in file order.

    Returns:
        dict[str, tuple[list[int], list[float]]]: Key → its curve.
    """
    result: Dict[str, Curve] = defaultdict(lambda: ([], []))
    last_iter = None
    for record in records:
        training = is_training_record(record)
        if training:
            last_iter = int(record.get('iter', record.get('step', 0)))
            position = last_iter
        else:
            position = last_iter if last_iter is not None else int(
                record.get('step', 0))
        for key, value in record.items():
            if key in POSITION_KEYS or not isinstance(value, (int, float)):
                continue
            if not training and '/' not in key:
                key = f'val/{key}'
            xs, ys = result[key]
            xs.append(position)
            ys.append(float(value))
    return dict(result)


def plot_curves(logs: Sequence[str],
                keys: Sequence[str],
                out: str,
                legend: Optional[Sequence[str]] = None,
                title: Optional[str] = None) -> None:
    """Draw one plot per key, one line per log.

    Args:
        logs (Sequence[str]): Log files or run directories.
        keys (Sequence[str]): Figures to draw.
        out (str): The PNG to write.
        legend (Sequence[str], optional): A name per log.
        title (str, optional): Figure title.

    Raises:
        KeyError: If a key is in none of the logs.
    """
    paths = [find_log(log) for log in logs]
    all_curves = [curves(load_records(path)) for path in paths]
    for key in keys:
        if not any(key in found for found in all_curves):
            available = sorted(set().union(*all_curves))
            raise KeyError(f'{key} is in none of {paths}; logged keys: '
                           f'{available}')
    names = legend or paths
    fig, axes = plt.subplots(
        len(keys),
        1,
        figsize=(FIGURE_WIDTH, INCHES_PER_PLOT * len(keys)),
        squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        for name, found in zip(names, all_curves):
            if key in found:
                xs, ys = found[key]
                ax.plot(
                    xs, ys, marker='o' if len(xs) < 20 else None, label=name)
        ax.set_ylabel(key)
        ax.grid(True, alpha=0.3)
        ax.legend()
    axes[-1, 0].set_xlabel('iteration')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


def train_time(path: str) -> Dict[str, float]:
    """Statistics of the seconds per training iteration of one log.

    Args:
        path (str): The log file.

    Returns:
        dict: ``iterations`` (records with a time), ``mean``, ``std``,
        ``slowest``, ``fastest`` (seconds per iteration).

    Raises:
        ValueError: If no training record has a ``time``.
    """
    times = np.array([
        record['time'] for record in load_records(path)
        if is_training_record(record) and 'time' in record
    ])
    if times.size == 0:
        raise ValueError(f'{path} has no training record with a "time"')
    return dict(
        iterations=int(times.size),
        mean=float(times.mean()),
        std=float(times.std()),
        slowest=float(times.max()),
        fastest=float(times.min()))


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if args.command == 'plot_curve':
        plot_curves(args.logs, args.keys, args.out, args.legend, args.title)
        print(f'saved {args.out}')
        return
    for log in args.logs:
        path = find_log(log)
        stats = train_time(path)
        print(f'{path}: {stats["mean"]:.4f} s/iter on average '
              f'(std {stats["std"]:.4f}, fastest {stats["fastest"]:.4f}, '
              f'slowest {stats["slowest"]:.4f}; {stats["iterations"]} '
              'logged windows)')


if __name__ == '__main__':
    main()
