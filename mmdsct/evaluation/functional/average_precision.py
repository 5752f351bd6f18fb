"""Per-class average precision, step-wise over distinct score thresholds.

This is the AP of :func:`sklearn.metrics.average_precision_score`: sort the
samples by score, and at every *distinct* score (tied samples enter
together) add ``(recall_k - recall_{k-1}) * precision_k``. No interpolation.
EMOTIC's official mAP is the macro mean of exactly this quantity.

A class with no positive sample has no recall, hence no AP: it gets ``NaN``,
a warning that names it, and :func:`mean_average_precision` leaves it out of
the mean. (scikit-learn's own answer for such a class changed between
versions, from ``NaN`` to ``0``; we keep it visible instead.)
"""
import warnings
from typing import Optional, Sequence

import numpy as np


def _check_scores_and_targets(scores: np.ndarray, targets: np.ndarray) -> None:
    """Raise ``ValueError`` unless both are [N, C] and targets are 0/1."""
    if scores.ndim != 2 or scores.shape != targets.shape:
        raise ValueError('scores and targets must both be [N, C] arrays, got '
                         f'{scores.shape} and {targets.shape}')
    if not np.isin(targets, (0, 1)).all():
        raise ValueError('targets must hold only 0 and 1')
    if not np.isfinite(scores).all():
        raise ValueError('scores must be finite')


def binary_average_precision(scores: np.ndarray, targets: np.ndarray) -> float:
    """Average precision of one class.

    Args:
        scores (np.ndarray): Scores of the N samples, shape [N].
        targets (np.ndarray): 1 for a positive sample, 0 otherwise, [N].

    Returns:
        float: The AP in [0, 1]; ``NaN`` if no sample is positive.
    """
    num_positives = targets.sum()
    if num_positives == 0:
        return float('nan')
    order = np.argsort(-scores, kind='stable')
    sorted_scores = scores[order]
    true_positives = np.cumsum(targets[order])  # [N]
    # the last sample of each run of tied scores closes one threshold
    threshold_ends = np.r_[np.flatnonzero(np.diff(sorted_scores)),
                           len(sorted_scores) - 1]
    true_positives = true_positives[threshold_ends]  # [T]
    precision = true_positives / (threshold_ends + 1)
    recall = true_positives / num_positives
    recall_steps = np.diff(recall, prepend=0.0)
    return float(np.sum(recall_steps * precision))


def average_precision(scores: np.ndarray,
                      targets: np.ndarray,
                      class_names: Optional[Sequence[str]] = None,
                      warn_missing: bool = True) -> np.ndarray:
    """Average precision of every class (one-vs-rest).

    Args:
        scores (np.ndarray): Scores (probabilities or logits), [N, C].
        targets (np.ndarray): Multi-hot or one-hot labels of 0/1, [N, C].
        class_names (Sequence[str], optional): The C class names, used to
            name classes without positives in the warning.
        warn_missing (bool): Warn about classes without positives.
            Defaults to True.

    Returns:
        np.ndarray: AP per class in [0, 1], shape [C]; ``NaN`` for a class
        with no positive sample.
    """
    scores = np.asarray(scores, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    _check_scores_and_targets(scores, targets)
    per_class = np.array([
        binary_average_precision(scores[:, c], targets[:, c])
        for c in range(scores.shape[1])
    ])
    missing = np.flatnonzero(np.isnan(per_class))
    if warn_missing and len(missing) > 0:
        names = [
            class_names[c] if class_names is not None else f'class {c}'
            for c in missing
        ]
        warnings.warn(
            f'No positive sample of {", ".join(names)}: its AP is NaN and '
            'is left out of the mean AP.',
            stacklevel=2)
    return per_class


def mean_average_precision(per_class_ap: np.ndarray) -> float:
    """Mean of per-class APs over the classes that have one.

    Args:
        per_class_ap (np.ndarray): AP per class, [C]; ``NaN`` for a class
            without positives.

    Returns:
        float: The mean over non-``NaN`` entries; ``NaN`` if there is none.
    """
    per_class_ap = np.asarray(per_class_ap, dtype=np.float64)
    defined = per_class_ap[~np.isnan(per_class_ap)]
    return float(defined.mean()) if len(defined) > 0 else float('nan')
