"""Per-class decision thresholds: probabilities to a predicted label set.

A multi-label emotion model gives a probability per class; a user wants the
set of emotions a subject shows. Each class gets its own threshold: a class
is in the set when its probability is at least the threshold. Thresholds are
fitted on a validation split, per class, to the value that maximises that
class's F1 score; without fitted thresholds every class uses
:data:`DEFAULT_THRESHOLD`. Single-label data needs no threshold: its label
is the most probable class.

Conventions (documented choices, also in the tests):

- A class without positives has no defined F1 (``NaN``), is left out of the
  macro F1 (as the mean AP leaves it out), and keeps
  :data:`DEFAULT_THRESHOLD` when fitting.
- Fitting cuts between two neighbouring distinct scores: the threshold is
  the midpoint of the lowest score kept and the highest score dropped (half
  the lowest score when every score is kept), so subjects of equal score
  always fall on the same side.
- When several cuts reach the same best F1, the highest threshold wins (the
  smallest label set).

Thresholds travel as a mapping class name → threshold: in a JSON file beside
the checkpoint, or in the checkpoint's ``meta['emotion_thresholds']``.
"""
import json
import os.path as osp
from typing import Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

#: Threshold of a class when none was fitted.
DEFAULT_THRESHOLD = 0.5
#: Key of the thresholds in a checkpoint's ``meta``.
CHECKPOINT_META_KEY = 'emotion_thresholds'
#: A target at or above this marks a positive label.
POSITIVE_TARGET_THR = 0.5

ThresholdsLike = Union[None, str, Sequence[float], Mapping[str, float],
                       np.ndarray]


def f1_per_class(predicted: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """F1 score of each class, from predicted label sets.

    Args:
        predicted (np.ndarray): Predicted labels, [N, C] bool.
        targets (np.ndarray): Labels of 0/1, [N, C].

    Returns:
        np.ndarray: [C] float64 in [0, 1]; ``NaN`` for a class without
        positives.
    """
    predicted = np.asarray(predicted, dtype=bool)
    positive = np.asarray(targets) >= POSITIVE_TARGET_THR  # [N, C]
    true_pos = (predicted & positive).sum(axis=0).astype(np.float64)
    num_predicted = predicted.sum(axis=0)
    num_positive = positive.sum(axis=0)
    f1 = np.full(positive.shape[1], np.nan)
    defined = num_positive > 0
    f1[defined] = 2 * true_pos[defined] / (
        num_predicted[defined] + num_positive[defined])
    return f1


def macro_f1(per_class_f1: np.ndarray) -> float:
    """Mean F1 over the classes where it is defined.

    Args:
        per_class_f1 (np.ndarray): [C], ``NaN`` for undefined classes.

    Returns:
        float: The mean, ``NaN`` if no class is defined.
    """
    defined = per_class_f1[~np.isnan(per_class_f1)]
    return float(defined.mean()) if len(defined) else float('nan')


def predict_label_sets(
        probabilities: np.ndarray,
        thresholds: Optional[np.ndarray] = None,
        multi_label: bool = True,
        has_prediction: Optional[np.ndarray] = None) -> np.ndarray:
    """Turn emotion probabilities into predicted label sets.

    Args:
        probabilities (np.ndarray): Emotion probabilities, [N, C].
        thresholds (np.ndarray, optional): Per-class thresholds, [C];
            None uses :data:`DEFAULT_THRESHOLD` for every class.
        multi_label (bool): True: every class at or above its threshold;
            False: the most probable class only (thresholds unused).
        has_prediction (np.ndarray, optional): [N] bool; rows where it is
            False (no prediction behind the probabilities) get no label.

    Returns:
        np.ndarray: [N, C] bool.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    num_rows, num_classes = probabilities.shape
    if multi_label:
        if thresholds is None:
            thresholds = np.full(num_classes, DEFAULT_THRESHOLD)
        labels = probabilities >= np.asarray(thresholds)[None, :]
    else:
        labels = np.zeros((num_rows, num_classes), dtype=bool)
        if num_classes:
            labels[np.arange(num_rows), probabilities.argmax(axis=1)] = True
    if has_prediction is not None:
        labels &= np.asarray(has_prediction, dtype=bool)[:, None]
    return labels


def fit_class_threshold(scores: np.ndarray,
                        targets: np.ndarray,
                        missed_positives: int = 0) -> Tuple[float, float]:
    """The threshold that maximises one class's F1 on given data.

    Every cut between distinct scores is tried (see the module docstring
    for where the threshold sits within a cut and how ties are broken).

    Args:
        scores (np.ndarray): Probabilities of the class, [N].
        targets (np.ndarray): Labels of 0/1, [N].
        missed_positives (int): Positives no threshold can find (subjects
            without a prediction); they count in the F1 as misses.

    Returns:
        tuple[float, float]: The threshold and the F1 it reaches;
        ``(DEFAULT_THRESHOLD, nan)`` for a class without positives.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    positive = np.asarray(targets).reshape(-1) >= POSITIVE_TARGET_THR
    num_positive = int(positive.sum()) + missed_positives
    if num_positive == 0:
        return DEFAULT_THRESHOLD, float('nan')
    if not positive.any():  # every positive missed: F1 is 0 anyway
        return DEFAULT_THRESHOLD, 0.0
    order = np.argsort(-scores, kind='stable')
    sorted_scores = scores[order]  # [N], decreasing
    true_pos = np.cumsum(positive[order])  # [N]
    kept = np.arange(1, len(scores) + 1)  # [N], labels predicted
    # Only cut after the last of a run of equal scores.
    cut_ends = np.append(sorted_scores[1:] != sorted_scores[:-1], True)
    cut_scores = sorted_scores[cut_ends]  # [K], decreasing
    f1 = 2 * true_pos[cut_ends] / (kept[cut_ends] + num_positive)  # [K]
    best = int(np.flatnonzero(f1 == f1.max())[0])  # highest threshold
    below = cut_scores[best + 1] if best + 1 < len(cut_scores) else 0.0
    return float((cut_scores[best] + below) / 2), float(f1[best])


def fit_decision_thresholds(
    scores: np.ndarray,
    targets: np.ndarray,
    has_prediction: Optional[np.ndarray] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """Per-class thresholds that maximise each class's F1.

    Args:
        scores (np.ndarray): Emotion probabilities, [N, C].
        targets (np.ndarray): Labels of 0/1, [N, C].
        has_prediction (np.ndarray, optional): [N] bool; a row where it is
            False (a subject no prediction was matched to) can never be
            labelled: its positives count as misses at every threshold.

    Returns:
        tuple[np.ndarray, np.ndarray]: Thresholds [C] and the F1 each
        reaches on the given data [C] (``NaN`` for a class without
        positives, whose threshold is :data:`DEFAULT_THRESHOLD`).
    """
    scores = np.asarray(scores, dtype=np.float64)
    targets = np.asarray(targets)
    if scores.shape != targets.shape or scores.ndim != 2:
        raise ValueError('scores and targets must both be [N, C], got '
                         f'{scores.shape} and {targets.shape}')
    found = np.ones(len(scores), dtype=bool) if has_prediction is None \
        else np.asarray(has_prediction, dtype=bool)
    missed = (targets[~found] >= POSITIVE_TARGET_THR).sum(axis=0)  # [C]
    fitted = [
        fit_class_threshold(scores[found, c], targets[found, c],
                            int(missed[c])) for c in range(scores.shape[1])
    ]
    thresholds = np.array([threshold for threshold, _ in fitted])
    f1 = np.array([score for _, score in fitted])
    return thresholds, f1


def thresholds_to_dict(thresholds: Sequence[float],
                       class_names: Sequence[str]) -> Dict[str, float]:
    """Thresholds as the mapping class name → threshold that is stored.

    Args:
        thresholds (Sequence[float]): [C], in class order.
        class_names (Sequence[str]): The C class names.

    Returns:
        dict[str, float]: In class order.
    """
    return {
        str(name): float(value)
        for name, value in zip(class_names, thresholds)
    }


def load_decision_thresholds(path: str,
                             class_names: Sequence[str]) -> np.ndarray:
    """Read thresholds from a JSON file (class name → threshold).

    Args:
        path (str): The JSON file.
        class_names (Sequence[str]): The C class names of the model.

    Returns:
        np.ndarray: [C] float64, in class order.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it is not JSON or does not match the classes.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Thresholds file {path} does not exist.')
    try:
        with open(path, encoding='utf-8') as file:
            content = json.load(file)
    except json.JSONDecodeError as error:
        raise ValueError(f'Thresholds file {path} is not valid JSON: '
                         f'{error}') from error
    return decision_thresholds_array(content, class_names, path)


def decision_thresholds_array(thresholds: ThresholdsLike,
                              class_names: Sequence[str],
                              source: str = 'thresholds') -> np.ndarray:
    """Thresholds in any accepted form as a [C] array in class order.

    Args:
        thresholds (None | str | Sequence[float] | Mapping[str, float]):
            None (every class at :data:`DEFAULT_THRESHOLD`), a JSON file, C
            values in class order, or class name → threshold for every
            class.
        class_names (Sequence[str]): The C class names.
        source (str): What the thresholds are, for error messages.

    Returns:
        np.ndarray: [C] float64, each in [0, 1].

    Raises:
        ValueError: If the count or the names do not match the classes, or
            a value is not a number in [0, 1].
    """
    class_names = [str(name) for name in class_names]
    if thresholds is None:
        return np.full(len(class_names), DEFAULT_THRESHOLD)
    if isinstance(thresholds, str):
        return load_decision_thresholds(thresholds, class_names)
    if isinstance(thresholds, Mapping):
        unknown = sorted(set(map(str, thresholds)) - set(class_names))
        missing = [name for name in class_names if name not in thresholds]
        if unknown or missing:
            raise ValueError(
                f'{source}: the class names do not match the model\'s '
                f'emotion classes (unknown: {unknown}, missing: {missing})')
        values = [thresholds[name] for name in class_names]
    else:
        values = list(thresholds)
        if len(values) != len(class_names):
            raise ValueError(
                f'{source}: {len(values)} thresholds for '
                f'{len(class_names)} emotion classes {class_names}')
    return _checked_values(values, class_names, source)


def _checked_values(values: Sequence, class_names: Sequence[str],
                    source: str) -> np.ndarray:
    """The values as floats, each a finite number in [0, 1]."""
    checked = []
    for name, value in zip(class_names, values):
        if isinstance(value, bool) or not isinstance(
                value, (int, float, np.number)) or not 0 <= value <= 1:
            raise ValueError(f'{source}: the threshold of {name} must be a '
                             f'number in [0, 1], got {value!r}')
        checked.append(float(value))
    return np.array(checked, dtype=np.float64)
