"""Draw the per-class APs (and confusion matrices) of an emotion evaluation.

Reads the ``emotion_metrics.json`` that ``EmotionMetric`` writes into
``work_dir/<timestamp>/`` and draws:

- ``--out``: a horizontal bar per class, GT-matched AP beside
  detection-aware AP, the prevalence baseline's AP as a marker;
- for single-label data, ``--confusion-out`` (default ``<out>_confusion.png``):
  the confusion matrices of both protocols, rows = true class.

Example::

    python tools/analysis_tools/plot_emotion_ap.py \\
        work_dirs/dsct_tiny_synth/20260101_000000/emotion_metrics.json \\
        --out emotion_ap.png
"""
import argparse
import json
import os.path as osp
from typing import List, Optional, Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

BAR_HEIGHT = 0.4
INCHES_PER_CLASS = 0.35
MIN_FIGURE_HEIGHT = 3.0
FIGURE_WIDTH = 8.0
CONFUSION_CELL_INCHES = 0.5
DPI = 120
LEGEND_BELOW_AXES = -0.2
DARK_CELL_SHARE = 0.5
PREVALENCE_MARKER_SIZE = 200
PERCENT_AXIS_MAX = 100
NOTE_X = 1
REQUIRED_KEYS = ('emotion_classes', 'per_class', 'metrics')
REQUIRED_PER_CLASS = ('AP', 'AP_det', 'AP_prevalence')
CONFUSION_KEYS = (('confusion_matrix', 'GT-matched'), ('confusion_matrix_det',
                                                       'detection-aware'))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plot per-class emotion AP from emotion_metrics.json')
    parser.add_argument('json', help='emotion_metrics.json of an evaluation')
    parser.add_argument('--out', required=True, help='PNG of per-class AP')
    parser.add_argument(
        '--confusion-out',
        help='PNG of the confusion matrices (single-label data); defaults '
        'to <out>_confusion.png')
    parser.add_argument(
        '--normalize',
        action='store_true',
        help='show each confusion-matrix row as shares of its true class')
    parser.add_argument('--title', help='title of the AP chart')
    return parser.parse_args(argv)


def load_report(path: str) -> dict:
    """Read and check an ``emotion_metrics.json``.

    Args:
        path (str): The JSON file.

    Returns:
        dict: Its content.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it is not valid JSON or misses a needed key.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist')
    try:
        with open(path, encoding='utf-8') as f:
            report = json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f'{path} is not valid JSON: {err}') from err
    missing = [key for key in REQUIRED_KEYS if key not in report]
    missing += [
        f'per_class.{key}' for key in REQUIRED_PER_CLASS
        if key not in report.get('per_class', {})
    ]
    if missing:
        raise ValueError(f'{path} is not an emotion_metrics.json: it lacks '
                         f'{", ".join(missing)}')
    return report


def _as_values(values: List[Optional[float]]) -> np.ndarray:
    """JSON list (``null`` for undefined) -> float array with ``NaN``."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _mean_label(name: str, value: Optional[float]) -> str:
    """Legend label with the mean AP, e.g. ``GT-matched (mAP 31.2)``."""
    return f'{name} (mAP {"-" if value is None else f"{value:.1f}"})'


def plot_class_ap(report: dict, out: str, title: Optional[str] = None) -> None:
    """Draw the per-class AP bar chart.

    Args:
        report (dict): Content of ``emotion_metrics.json``.
        out (str): Destination PNG.
        title (str, optional): Chart title.
    """
    names = report['emotion_classes']
    per_class, metrics = report['per_class'], report['metrics']
    rows = np.arange(len(names))
    height = max(MIN_FIGURE_HEIGHT, INCHES_PER_CLASS * len(names))
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, height))
    ax.barh(
        rows - BAR_HEIGHT / 2,
        _as_values(per_class['AP']),
        BAR_HEIGHT,
        label=_mean_label('GT-matched', metrics.get('mAP')))
    ax.barh(
        rows + BAR_HEIGHT / 2,
        _as_values(per_class['AP_det']),
        BAR_HEIGHT,
        label=_mean_label('detection-aware', metrics.get('mAP_det')))
    ax.scatter(
        _as_values(per_class['AP_prevalence']),
        rows,
        marker='|',
        s=PREVALENCE_MARKER_SIZE,
        color='black',
        zorder=3,
        label=_mean_label('prevalence baseline',
                          metrics.get('mAP_prevalence')))
    for row in np.flatnonzero(np.isnan(_as_values(per_class['AP']))):
        ax.text(
            NOTE_X,
            row,
            'no positive subject: AP undefined',
            va='center',
            fontsize='x-small')
    ax.set_yticks(rows, names)
    ax.invert_yaxis()
    ax.set_xlim(0, PERCENT_AXIS_MAX)
    ax.set_xlabel('AP (%)')
    ax.set_title(title or 'Emotion AP per class')
    ax.legend(
        loc='upper center',
        bbox_to_anchor=(0.5, LEGEND_BELOW_AXES),
        ncol=3,
        fontsize='small')
    fig.tight_layout()
    fig.savefig(out, dpi=DPI, bbox_inches='tight')
    plt.close(fig)


def _draw_confusion(ax: plt.Axes, matrix: np.ndarray, names: List[str],
                    normalize: bool, title: str) -> None:
    """One confusion matrix with its counts (or shares) written in."""
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)  # [C, 1]
        matrix = np.divide(
            matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    ax.imshow(matrix, cmap='Blues')
    dark_from = DARK_CELL_SHARE * matrix.max()
    for (row, col), value in np.ndenumerate(matrix):
        ax.text(
            col,
            row,
            f'{value:.2f}' if normalize else f'{value:.0f}',
            ha='center',
            va='center',
            fontsize='x-small',
            color='white' if value > dark_from else 'black')
    ax.set_xticks(np.arange(matrix.shape[1]), [*names, 'missed'], rotation=90)
    ax.set_yticks(np.arange(len(names)), names)
    ax.set_xlabel('predicted')
    ax.set_ylabel('true')
    ax.set_title(title)


def plot_confusion(report: dict, out: str, normalize: bool = False) -> None:
    """Draw the confusion matrices of both protocols side by side.

    Args:
        report (dict): Content of ``emotion_metrics.json`` of single-label
            data (with ``confusion_matrix`` and ``confusion_matrix_det``).
        out (str): Destination PNG.
        normalize (bool): Divide each row by its number of subjects.
    """
    names = report['emotion_classes']
    panels = [(key, label) for key, label in CONFUSION_KEYS if key in report]
    side = max(MIN_FIGURE_HEIGHT, CONFUSION_CELL_INCHES * (len(names) + 2))
    fig, axes = plt.subplots(
        1, len(panels), figsize=(side * len(panels), side), squeeze=False)
    for ax, (key, label) in zip(axes[0], panels):
        _draw_confusion(ax, np.asarray(report[key], dtype=float), names,
                        normalize, label)
    fig.tight_layout()
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


def default_confusion_path(out: str) -> str:
    """``a/b.png`` -> ``a/b_confusion.png``."""
    stem, ext = osp.splitext(out)
    return f'{stem}_confusion{ext or ".png"}'


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    report = load_report(args.json)
    plot_class_ap(report, args.out, args.title)
    print(f'per-class AP drawn to {args.out}')
    if 'confusion_matrix' in report:
        confusion_out = args.confusion_out or default_confusion_path(args.out)
        plot_confusion(report, confusion_out, args.normalize)
        print(f'confusion matrices drawn to {confusion_out}')


if __name__ == '__main__':
    main()
