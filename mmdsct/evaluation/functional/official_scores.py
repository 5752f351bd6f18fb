"""The official protocol's probabilities, accuracy and mAP.

What the authors' ``test.py`` computes once every GT subject has its query
(see :mod:`.plus_one_matching`):

- probabilities: EMOTIC (multi-label) the sigmoid of each of the C emotion
  logits, the subject logit ignored; CAER-S (single-label) the softmax over
  the C emotion logits. float32, as the official code computes them.
- accuracy: scikit-learn's ``accuracy_score`` of (the GT's first positive
  class, the argmax of its query's probabilities);
- mAP: scikit-learn's ``average_precision_score`` of the [M, C] GT label
  matrix and the [M, C] probability rows, ``average='macro'``: the plain
  mean over ALL C classes. A class with no positive GT counts as AP 0, as in
  scikit-learn 1.9.1 (the version the reference figures were made with).

:func:`sklearn_average_precision` repeats scikit-learn's arithmetic step
by step, so that the figures agree to the last bit, not just closely.
:func:`~.average_precision.average_precision` (our protocol) computes the
same AP but gives a class without positives NaN and leaves it out of the
mean.
"""
import numpy as np
import torch

NO_POSITIVE_AP = 0.0


def official_probabilities(emotion_logits: np.ndarray,
                           multi_label: bool) -> np.ndarray:
    """Emotion probabilities as the official test script computes them.

    Args:
        emotion_logits (np.ndarray): The C emotion logits of each query
            (the subject logit left out), [N, C].
        multi_label (bool): Sigmoid per class (True, EMOTIC) or softmax over
            the classes (False, CAER-S).

    Returns:
        np.ndarray: [N, C] float32.
    """
    logits = torch.as_tensor(np.asarray(emotion_logits, dtype=np.float32))
    probs = logits.sigmoid() if multi_label else logits.softmax(dim=-1)
    return probs.numpy()


def first_positive_class(targets: np.ndarray) -> np.ndarray:
    """The first positive class of each GT subject.

    Args:
        targets (np.ndarray): Labels of 0/1, [M, C].

    Returns:
        np.ndarray: [M] int64.

    Raises:
        ValueError: If a subject has no positive class (the official code
            cannot score it either).
    """
    targets = np.asarray(targets)
    unlabelled = np.flatnonzero(targets.sum(axis=1) == 0)
    if len(unlabelled) > 0:
        raise ValueError(
            f'{len(unlabelled)} GT subject(s) have no positive emotion '
            f'class (first at row {unlabelled[0]}); the official protocol '
            'scores every subject by its first positive class')
    return np.argmax(targets > 0, axis=1).astype(np.int64)


def official_accuracy(gt_classes: np.ndarray,
                      pred_classes: np.ndarray) -> float:
    """Share of subjects whose predicted class is their first GT class.

    Args:
        gt_classes (np.ndarray): First positive class of each subject, [M].
        pred_classes (np.ndarray): Argmax of its probabilities, [M].

    Returns:
        float: Accuracy in [0, 1]; NaN when M is 0.
    """
    hits = np.asarray(gt_classes) == np.asarray(pred_classes)  # [M]
    return float(np.mean(hits)) if hits.size else float('nan')


def sklearn_average_precision(scores: np.ndarray,
                              targets: np.ndarray) -> float:
    """AP of one class, computed as scikit-learn 1.9.1 computes it.

    Samples sorted by decreasing score; at each distinct score (tied samples
    enter together) the cumulative true positives ``tp`` and false positives
    ``fp`` give precision ``tp / (tp + fp)`` and recall ``tp / tp_total``;
    the curve is reversed, closed with (precision 1, recall 0), and
    ``AP = -sum(diff(recall) * precision[:-1])``, clipped at 0.

    Args:
        scores (np.ndarray): Scores of the M samples, [M].
        targets (np.ndarray): 1 for a positive sample, else 0, [M].

    Returns:
        float: The AP; 0 when no sample is positive.
    """
    scores = np.asarray(scores, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    order = np.argsort(-scores, kind='stable')  # decreasing score
    sorted_scores = scores[order]
    threshold_ends = np.r_[np.flatnonzero(np.diff(sorted_scores)),
                           len(sorted_scores) - 1]  # [T]
    true_pos = np.cumsum(targets[order])[threshold_ends]  # [T]
    false_pos = 1 + threshold_ends.astype(np.float64) - true_pos  # [T]
    precision = true_pos / (true_pos + false_pos)
    if true_pos[-1] == 0:
        return NO_POSITIVE_AP
    recall = true_pos / true_pos[-1]
    precision = np.r_[precision[::-1], 1.0]
    recall = np.r_[recall[::-1], 0.0]
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def official_average_precision(scores: np.ndarray,
                               targets: np.ndarray) -> np.ndarray:
    """AP of every class, as scikit-learn's macro average sees them.

    Args:
        scores (np.ndarray): Probabilities, [M, C].
        targets (np.ndarray): Labels of 0/1, [M, C].

    Returns:
        np.ndarray: [C] float64; 0 for a class without a positive sample.
    """
    scores = np.asarray(scores)
    targets = np.asarray(targets)
    if scores.shape != targets.shape or scores.ndim != 2:
        raise ValueError('scores and targets must both be [M, C] arrays, '
                         f'got {scores.shape} and {targets.shape}')
    if len(scores) == 0:
        return np.full(scores.shape[1], np.nan)
    return np.array([
        sklearn_average_precision(scores[:, c], targets[:, c])
        for c in range(scores.shape[1])
    ])


def official_mean_average_precision(per_class_ap: np.ndarray) -> float:
    """Plain mean over all classes (scikit-learn's ``average='macro'``).

    Args:
        per_class_ap (np.ndarray): [C] APs from
            :func:`official_average_precision`.

    Returns:
        float: Their mean.
    """
    return float(np.mean(np.asarray(per_class_ap, dtype=np.float64)))
