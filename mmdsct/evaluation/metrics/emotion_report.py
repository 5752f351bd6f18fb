"""How :class:`EmotionMetric` shows its figures: a log table and a JSON file.

The JSON file (``emotion_metrics.json``) holds every figure of an
evaluation, per-class ones included; ``tools/analysis_tools/
plot_emotion_ap.py`` draws it. Its keys:

- ``metrics``: the scalars the metric returns (without the ``emotion/``
  prefix);
- ``emotion_classes``, ``multi_label``, ``emotion_class_groups``;
- ``per_class``: ``AP``, ``AP_det``, ``AP_prevalence``, ``prevalence``
  (the baseline's frequencies) and ``num_positives``, lists of C values;
- ``prevalence_source``: the annotation file the frequencies come from, or
  ``'evaluated split'``;
- ``confusion_matrix`` and ``confusion_matrix_det`` (single-label data):
  [C][C + 1] counts, row = true class, column = predicted class, the last
  column counts subjects without a (matching) prediction;
- ``subject_box``: the 12 COCO statistics of the subject boxes;
- ``counts``: numbers of images, GT subjects and predictions;
- ``units``, ``iou_thr``, ``protocol`` (``'mmdsct'``) and, during
  training, ``epoch`` and ``iter``.

With ``EmotionMetric(protocol='official')`` the file holds ``protocol``
(``'official'``), ``metrics``, ``emotion_classes``, ``multi_label``,
``probabilities`` (``'sigmoid'`` or ``'softmax'``), ``per_class`` (``AP``,
``num_positives``), ``subjects`` (per GT subject in evaluation order:
``img_id``, ``matched_query``, ``gt_class``, ``pred_class``), ``counts``
(``images``, ``gt_subjects`` scored, ``unlabelled_subjects_left_out``,
``predictions``) and ``units``.

``NaN`` (an undefined figure) is written as ``null``.
"""
import math
import os.path as osp
from typing import Any, Dict, Optional, Sequence

import numpy as np
from mmengine.fileio import dump
from mmengine.logging import MMLogger
from terminaltables import AsciiTable

PERCENT = 100.0
METRICS_FILE_NAME = 'emotion_metrics.json'


def format_class_ap_table(class_names: Sequence[str],
                          columns: Dict[str, np.ndarray]) -> str:
    """A plain-text table with one row per class.

    Args:
        class_names (Sequence[str]): The C class names.
        columns (dict[str, np.ndarray]): Column title -> [C] values; floats
            are printed with two decimals, ``NaN`` as ``-``.

    Returns:
        str: The table, ready for the log.
    """

    def cell(value: Any) -> str:
        if isinstance(value, (float, np.floating)):
            return '-' if math.isnan(value) else f'{value:.2f}'
        return str(value)

    header = ['class', *columns]
    rows = [[name, *(cell(values[c]) for values in columns.values())]
            for c, name in enumerate(class_names)]
    return AsciiTable([header, *rows]).table


def to_json_ready(value: Any) -> Any:
    """Numpy values -> plain Python, ``NaN`` -> ``None``, recursively."""
    if isinstance(value, dict):
        return {str(k): to_json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_json_ready(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    return value


def current_log_dir() -> Optional[str]:
    """Directory of the current run's log file (``work_dir/<timestamp>``).

    Returns:
        str | None: None when the current logger writes no file.
    """
    log_file = MMLogger.get_current_instance().log_file
    return osp.dirname(osp.abspath(log_file)) if log_file else None


def write_metrics_json(report: dict,
                       out_dir: str,
                       file_name: str = METRICS_FILE_NAME) -> str:
    """Write ``report`` as JSON into ``out_dir`` (created if missing).

    Args:
        report (dict): Every figure of the evaluation.
        out_dir (str): Destination directory.
        file_name (str): File name. Defaults to ``emotion_metrics.json``.

    Returns:
        str: The path written.
    """
    path = osp.join(out_dir, file_name)
    dump(to_json_ready(report), path, file_format='json', indent=2)
    return path
