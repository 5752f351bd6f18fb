"""Top-1 accuracy and confusion matrix of emotion scores.

Top-1 accuracy counts a subject as right when its highest-scoring class is
one of its positive classes. For single-label data (CAER-S) that is the usual
accuracy; for multi-label data (EMOTIC) it is precision at 1 (one minus the
"one-error"). Subjects without any positive class cannot be right or wrong
and are left out.
"""
from typing import Optional

import numpy as np

MISSED = -1


def top1_hits(scores: np.ndarray,
              targets: np.ndarray,
              seen: Optional[np.ndarray] = None) -> np.ndarray:
    """Whether each subject's highest-scoring class is a positive one.

    Args:
        scores (np.ndarray): Class scores, [N, C].
        targets (np.ndarray): Multi-hot or one-hot labels of 0/1, [N, C].
        seen (np.ndarray, optional): False for a subject that counts as
            wrong whatever its scores (unseen in the detection-aware
            protocol), [N] bool.

    Returns:
        np.ndarray: [N] bool.
    """
    if len(scores) == 0:
        return np.zeros(0, dtype=bool)
    top1 = np.argmax(scores, axis=1)  # [N]
    hits = np.take_along_axis(targets, top1[:, None], axis=1)[:, 0] > 0
    if seen is not None:
        hits &= seen
    return hits


def top1_accuracy(scores: np.ndarray,
                  targets: np.ndarray,
                  seen: Optional[np.ndarray] = None) -> float:
    """Share of subjects whose highest-scoring class is a positive one.

    Args:
        scores (np.ndarray): Class scores, [N, C].
        targets (np.ndarray): Multi-hot or one-hot labels of 0/1, [N, C].
        seen (np.ndarray, optional): False for a subject that counts as
            wrong (see :func:`top1_hits`), [N] bool.

    Returns:
        float: Accuracy in [0, 1] over the subjects with at least one
        positive class; ``NaN`` if there is none.
    """
    scores = np.asarray(scores)
    targets = np.asarray(targets)
    labelled = targets.sum(axis=1) > 0  # [N]
    if not labelled.any():
        return float('nan')
    hits = top1_hits(scores, targets, seen)
    return float(hits[labelled].mean())


def confusion_matrix(gt_labels: np.ndarray, pred_labels: np.ndarray,
                     num_classes: int) -> np.ndarray:
    """Count subjects per (true class, predicted class).

    Args:
        gt_labels (np.ndarray): True class of each subject, [N] int.
        pred_labels (np.ndarray): Predicted class of each subject, or
            :data:`MISSED` for a subject that got no prediction, [N] int.
        num_classes (int): Number of classes C.

    Returns:
        np.ndarray: [C, C + 1] int64; row = true class, column = predicted
        class, the last column counts missed subjects.
    """
    gt_labels = np.asarray(gt_labels, dtype=np.int64)
    columns = np.where(
        np.asarray(pred_labels) == MISSED, num_classes, pred_labels)
    counts = np.zeros((num_classes, num_classes + 1), dtype=np.int64)
    np.add.at(counts, (gt_labels, columns.astype(np.int64)), 1)
    return counts
