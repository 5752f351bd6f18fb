"""Reading finished training runs: learning curves and final figures.

A training run of ``tools/train.py`` with ``--work-dir WORK_DIR`` leaves:

- ``WORK_DIR/<timestamp>/vis_data/scalars.json``: one JSON object per line;
  training records (``loss``, ``lr``, ... and ``step``, the iteration) and,
  after every validation, one record of the validation metrics
  (``emotion/mAP``, ``emotion/mAP_context_only``, ...);
- ``WORK_DIR/<timestamp>/emotion_metrics.json``: every figure of the
  latest evaluation of that run (see ``EmotionMetric``), per class too;
- ``WORK_DIR/iter_<N>.pth`` and ``WORK_DIR/last_checkpoint``.

Validation records of iteration-based runs carry no iteration of their own
(mmengine logs them by epoch, 0), so each gets the iteration of the last
training record before it: the iteration the validation ran after, as long
as the logging interval divides the validation interval (20 and 1000 or
2000 in the synthetic configs).
"""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional

SCALARS_PATH = osp.join('vis_data', 'scalars.json')
METRICS_FILE = 'emotion_metrics.json'
TRAIN_KEY = 'loss'
VAL_PREFIX = 'emotion/'
# Relative tolerance when matching a run's metrics file to its last
# validation record (both hold the same float, printed twice).
SAME_FIGURE_TOL = 1e-6


class RunError(RuntimeError):
    """A work dir that does not hold the finished run it should."""


def read_scalars(path: str) -> List[dict]:
    """The records of a ``scalars.json``.

    Args:
        path (str): The file.

    Returns:
        list[dict]: One dict per non-empty line, in file order.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If a line is not a JSON object (file and line named).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist')
    records = []
    with open(path, encoding='utf-8') as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}, line {line_no}: not JSON ({err})')
            if not isinstance(record, dict):
                raise ValueError(f'{path}, line {line_no}: not a JSON object')
            records.append(record)
    return records


def is_train_record(record: dict) -> bool:
    """Whether a scalars record was logged by a training iteration."""
    return TRAIN_KEY in record


def validation_points(records: List[dict]) -> List[dict]:
    """The validation records of one run, each with its iteration.

    Args:
        records (list[dict]): The records of one ``scalars.json``.

    Returns:
        list[dict]: Per validation, ``iter`` (the ``step`` of the last
        training record before it; 0 before any) and its ``emotion/*``
        figures.
    """
    points, last_iter = [], 0
    for record in records:
        if is_train_record(record):
            last_iter = int(record.get('step', last_iter))
            continue
        figures = {
            key: value
            for key, value in record.items() if key.startswith(VAL_PREFIX)
        }
        if figures:
            points.append(dict(iter=last_iter, **figures))
    return points


def training_run_dirs(work_dir: str) -> List[str]:
    """The ``<timestamp>`` dirs of ``work_dir`` that hold training records.

    Test runs (``tools/test.py``) in the same work dir are left out.

    Args:
        work_dir (str): A training work dir.

    Returns:
        list[str]: Oldest first (timestamps sort as strings).
    """
    runs = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', SCALARS_PATH))):
        if any(is_train_record(r) for r in read_scalars(path)):
            runs.append(osp.dirname(osp.dirname(path)))
    return runs


def learning_curve(work_dir: str) -> List[dict]:
    """Validation figures against iteration, over every training run.

    A resumed run continues the curve; where two runs validated at the same
    iteration, the later run's figures are kept.

    Args:
        work_dir (str): A training work dir.

    Returns:
        list[dict]: Sorted by ``iter``; see :func:`validation_points`.
    """
    by_iter: Dict[int, dict] = {}
    for run in training_run_dirs(work_dir):
        for point in validation_points(
                read_scalars(osp.join(run, SCALARS_PATH))):
            by_iter[point['iter']] = point
    return [by_iter[i] for i in sorted(by_iter)]


def final_checkpoint(work_dir: str, max_iters: int) -> str:
    """The last checkpoint of a finished run, or a clear error.

    Args:
        work_dir (str): A training work dir.
        max_iters (int): The run's ``train_cfg.max_iters``.

    Returns:
        str: ``work_dir/iter_<max_iters>.pth``.

    Raises:
        RunError: If the work dir or that checkpoint is missing (the message
            says how far the run got).
    """
    if not osp.isdir(work_dir):
        raise RunError(f'{work_dir} does not exist: no run to read')
    checkpoint = osp.join(work_dir, f'iter_{max_iters}.pth')
    if osp.isfile(checkpoint):
        return checkpoint
    last = osp.join(work_dir, 'last_checkpoint')
    got = 'no checkpoint yet'
    if osp.isfile(last):
        with open(last, encoding='utf-8') as f:
            got = f'last checkpoint {f.read().strip()}'
    raise RunError(f'{work_dir}: unfinished run ({got}; {checkpoint} '
                   f'missing for {max_iters} iterations). It may still be '
                   'training; otherwise resume or retrain it')


def last_validation_report(work_dir: str, max_iters: int) -> Optional[dict]:
    """The full report of the run's final validation, when there is one.

    That is the ``emotion_metrics.json`` of the latest training run, if
    the run's last validation ran at ``max_iters`` and the file holds that
    validation's figures (same ``mAP``).

    Args:
        work_dir (str): A training work dir.
        max_iters (int): The run's ``train_cfg.max_iters``.

    Returns:
        dict | None: The report (see ``EmotionMetric``), or None when the
        final checkpoint must be tested instead.
    """
    runs = training_run_dirs(work_dir)
    curve = learning_curve(work_dir)
    if not runs or not curve or curve[-1]['iter'] != max_iters:
        return None
    path = osp.join(runs[-1], METRICS_FILE)
    if not osp.isfile(path):
        return None
    report = load_metrics_report(path)
    logged = curve[-1].get(VAL_PREFIX + 'mAP')
    written = report.get('metrics', {}).get('mAP')
    if logged is None or written is None or \
            abs(logged - written) > SAME_FIGURE_TOL * max(1.0, abs(logged)):
        return None
    return report


def load_metrics_report(path: str) -> dict:
    """Read an ``emotion_metrics.json`` and check what the benchmark needs.

    Args:
        path (str): The file.

    Returns:
        dict: Its content.

    Raises:
        ValueError: If it is not JSON or misses ``metrics``,
            ``emotion_classes``, ``per_class.AP`` or
            ``emotion_class_groups``.
    """
    try:
        with open(path, encoding='utf-8') as f:
            report = json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f'{path}: not JSON ({err})')
    for key in ('metrics', 'emotion_classes', 'per_class',
                'emotion_class_groups'):
        if key not in report:
            raise ValueError(f'{path}: no {key!r}; written by an evaluation '
                             'without emotion class groups?')
    if 'AP' not in report['per_class']:
        raise ValueError(f'{path}: per_class has no AP')
    return report
