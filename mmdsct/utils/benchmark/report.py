"""Benchmark output: a table on the console, a CSV file and a plot."""
import csv
from typing import Callable, Dict, List, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

FIGURE_SIZE = (7.0, 4.5)
FIGURE_DPI = 120
IQR_ALPHA = 0.2
MARKER = 'o'


def columns_of(rows: Sequence[dict]) -> List[str]:
    """Every key of the rows, in first-seen order."""
    return list(dict.fromkeys(key for row in rows for key in row))


def print_rows(rows: Sequence[dict],
               echo: Callable[[str], None] = print) -> None:
    """Print the rows as an aligned table.

    Args:
        rows (Sequence[dict]): One dict per row; missing keys print empty.
        echo (callable): Where the lines go.
    """
    columns = columns_of(rows)
    widths = {
        col: max(len(col), *(len(str(row.get(col, ''))) for row in rows))
        for col in columns
    }
    echo('  '.join(col.ljust(widths[col]) for col in columns))
    for row in rows:
        echo('  '.join(
            str(row.get(col, '')).ljust(widths[col]) for col in columns))


def write_csv(rows: Sequence[dict], path: str) -> None:
    """Write the rows to a CSV file with a header.

    Args:
        rows (Sequence[dict]): One dict per row.
        path (str): Output path.
    """
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=columns_of(rows))
        writer.writeheader()
        writer.writerows(rows)


def plot_latency_vs_subjects(rows: Sequence[dict], title: str,
                             path: str) -> None:
    """Median latency against the number of subjects, one line per model,
    the interquartile range shaded.

    Args:
        rows (Sequence[dict]): Rows with ``model``, ``subjects``,
            ``median_ms``, ``q1_ms`` and ``q3_ms``.
        title (str): Figure title (name the device in it).
        path (str): Output PNG path.
    """
    series: Dict[str, List[dict]] = {}
    for row in rows:
        series.setdefault(row['model'], []).append(row)
    figure = Figure(figsize=FIGURE_SIZE, dpi=FIGURE_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for model, model_rows in series.items():
        model_rows = sorted(model_rows, key=lambda row: row['subjects'])
        subjects = [row['subjects'] for row in model_rows]
        line, = axes.plot(
            subjects, [row['median_ms'] for row in model_rows],
            marker=MARKER,
            label=model)
        axes.fill_between(
            subjects, [row['q1_ms'] for row in model_rows],
            [row['q3_ms'] for row in model_rows],
            color=line.get_color(),
            alpha=IQR_ALPHA,
            linewidth=0)
    all_subjects = sorted({row['subjects'] for row in rows})
    axes.set_xscale('log', base=2)
    axes.set_xticks(all_subjects)
    axes.set_xticklabels([str(n) for n in all_subjects])
    axes.set_xlabel('subjects in the image')
    axes.set_ylabel('latency, batch 1 (ms; median, IQR shaded)')
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=IQR_ALPHA)
    axes.legend()
    axes.set_title(title, fontsize='small')
    figure.tight_layout()
    figure.savefig(path)
