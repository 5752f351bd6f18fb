"""Output of the context benchmark: figures per model, a markdown table,
JSON and one picture of the context-only learning curves."""
import json
from typing import Dict, List, Optional, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

CONTEXT_GROUP = 'context_only'
SUBJECT_GROUP = 'subject_only'
CURVE_KEY = 'emotion/mAP_context_only'
PREVALENCE_CURVE_KEY = 'emotion/mAP_prevalence_context_only'
FIGURE_SIZE = (7.0, 4.5)
FIGURE_DPI = 120
MARKER = 'o'
MISSING = '—'


def figures_of_report(report: dict, with_boxes: bool) -> dict:
    """The benchmark's figures from an ``emotion_metrics.json`` report.

    Args:
        report (dict): See ``EmotionMetric`` (``metrics``,
            ``emotion_classes``, ``emotion_class_groups``, ``per_class``).
        with_boxes (bool): Whether the model finds its own subjects, so
            that its box AP50 means something (with ground-truth boxes it
            is 100 by construction and left out).

    Returns:
        dict: ``context_ap`` (AP per context-only class, by name),
        ``mAP_subject_only``, ``mAP_context_only``, ``mAP_det``,
        ``bbox_mAP_50`` (None without boxes) and
        ``mAP_prevalence_context_only``; percent.
    """
    metrics = report['metrics']
    classes = report['emotion_classes']
    ap = report['per_class']['AP']
    groups = report['emotion_class_groups']
    if CONTEXT_GROUP not in groups:
        raise ValueError(f'the report has no {CONTEXT_GROUP!r} class group '
                         f'(groups: {sorted(groups)})')
    context_ap = {
        name: ap[classes.index(name)]
        for name in groups[CONTEXT_GROUP]
    }
    return dict(
        context_ap=context_ap,
        mAP_subject_only=metrics.get(f'mAP_{SUBJECT_GROUP}'),
        mAP_context_only=metrics.get(f'mAP_{CONTEXT_GROUP}'),
        mAP_det=metrics.get('mAP_det'),
        bbox_mAP_50=metrics.get('bbox_mAP_50') if with_boxes else None,
        mAP_prevalence_context_only=metrics.get(
            f'mAP_prevalence_{CONTEXT_GROUP}'))


def _cell(value: Optional[float], digits: int = 1) -> str:
    """A table cell: a number rounded, or a dash."""
    return MISSING if value is None else f'{value:.{digits}f}'


def _count(value: Optional[int]) -> str:
    return MISSING if value is None else f'{value:,}'


def markdown_table(rows: Sequence[dict]) -> str:
    """The benchmark as a markdown table, one line per model.

    Args:
        rows (Sequence[dict]): Per model: ``model``, the keys of
            :func:`figures_of_report`, ``params`` and ``latency_ms``
            (median, or None when not measured).

    Returns:
        str: The table, with a header naming every context-only class.
    """
    classes = list(
        dict.fromkeys(name for row in rows for name in row['context_ap']))
    header = [
        'model', *(f'AP {name}' for name in classes), 'mAP subject-only',
        'mAP context-only', 'mAP_det', 'box AP50', 'parameters',
        'CPU ms / image'
    ]
    lines = [
        '| ' + ' | '.join(header) + ' |',
        '|' + '---|' * len(header),
    ]
    for row in rows:
        cells = [row['model']]
        cells += [_cell(row['context_ap'].get(name)) for name in classes]
        cells += [
            _cell(row['mAP_subject_only']),
            _cell(row['mAP_context_only']),
            _cell(row['mAP_det']),
            _cell(row['bbox_mAP_50']),
            _count(row.get('params')),
            _cell(row.get('latency_ms'), 1)
        ]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def write_json(content: dict, path: str) -> None:
    """Write ``content`` as indented JSON."""
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(content, f, indent=2)


def plot_context_curves(curves: Dict[str,
                                     List[dict]], prevalence: Optional[float],
                        title: str, path: str) -> None:
    """Context-only mAP against iteration, a line per model, the
    prevalence baseline dashed.

    Args:
        curves (dict[str, list[dict]]): Per model, its validation points
            (``iter`` and ``emotion/mAP_context_only``).
        prevalence (float, optional): The prevalence baseline's
            context-only mAP; not drawn when None.
        title (str): Figure title.
        path (str): Output PNG path.
    """
    figure = Figure(figsize=FIGURE_SIZE, dpi=FIGURE_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for name, points in curves.items():
        drawn = [p for p in points if CURVE_KEY in p]
        axes.plot([p['iter'] for p in drawn], [p[CURVE_KEY] for p in drawn],
                  marker=MARKER,
                  label=name)
    if prevalence is not None:
        axes.axhline(
            prevalence, linestyle='--', color='gray', label='prevalence')
    axes.set_xlabel('iteration')
    axes.set_ylabel('context-only mAP (%)')
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize='small')
    figure.tight_layout()
    figure.savefig(path)
