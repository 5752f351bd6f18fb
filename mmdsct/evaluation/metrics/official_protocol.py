"""Score a whole split the way the authors' ``test.py`` does.

The steps, for images in ascending ``img_id``:

1. each GT subject takes, on its own, the query of highest "+1 pixel" IoU
   among ALL N subject queries (no threshold, no top-k, no clamping; ties
   to the highest query index), see :mod:`..functional.plus_one_matching`;
2. its row is that query's probabilities: sigmoid of the emotion logits
   (multi-label data, EMOTIC) or softmax over them (single-label, CAER-S);
3. accuracy of (first positive GT class, argmax of the row) and macro mAP
   over all classes, see :mod:`..functional.official_scores`.

Images come in ascending id and subjects in their data-sample order; no
figure depends on either order (AP takes tied scores together).

A GT subject without any positive class cannot be scored this way (the
official script fails on one): such subjects are left out of every figure
and counted (:attr:`OfficialScores.num_unlabelled`).
"""
from typing import List, NamedTuple, Sequence

import numpy as np

from ..functional import (box_iou_plus_one, first_positive_class,
                          match_last_highest_iou, official_accuracy,
                          official_average_precision,
                          official_mean_average_precision,
                          official_probabilities)
from .official_record import OfficialImageRecord


class OfficialScores(NamedTuple):
    """Every GT subject's match and the official figures (fractions).

    Attributes:
        img_ids (list): The image of each GT subject, [M].
        matched_queries (np.ndarray): Query chosen for each GT, [M] int64.
        targets (np.ndarray): GT labels of 0/1, [M, C].
        probabilities (np.ndarray): The matched queries' probabilities,
            [M, C] float32.
        gt_classes (np.ndarray): First positive GT class, [M] int64.
        pred_classes (np.ndarray): Argmax of the probabilities, [M] int64.
        per_class_ap (np.ndarray): AP of each class in [0, 1], [C].
        accuracy (float): In [0, 1].
        mAP (float): Mean of ``per_class_ap``, in [0, 1].
        num_unlabelled (int): GT subjects left out for having no positive
            class.
    """
    img_ids: List
    matched_queries: np.ndarray
    targets: np.ndarray
    probabilities: np.ndarray
    gt_classes: np.ndarray
    pred_classes: np.ndarray
    per_class_ap: np.ndarray
    accuracy: float
    mAP: float
    num_unlabelled: int


def _in_id_order(
        records: Sequence[OfficialImageRecord]) -> List[OfficialImageRecord]:
    """Records by ascending ``img_id`` (as given if ids do not compare)."""
    try:
        return sorted(records, key=lambda record: record.img_id)
    except TypeError:
        return list(records)


def score_official(records: Sequence[OfficialImageRecord], num_classes: int,
                   multi_label: bool) -> OfficialScores:
    """Match, score and summarise every GT subject of a split.

    Args:
        records (Sequence[OfficialImageRecord]): One record per image.
        num_classes (int): Number of emotion classes C.
        multi_label (bool): Sigmoid (True) or softmax (False) probabilities.

    Returns:
        OfficialScores: Per-subject matches and the figures.

    Raises:
        ValueError: If an image with GT subjects has no prediction.
    """
    img_ids, matched, targets, rows = [], [], [], []
    num_unlabelled = 0
    for record in _in_id_order(records):
        labelled = record.gt_emotions.sum(axis=1) > 0  # [G]
        num_unlabelled += int((~labelled).sum())
        if not labelled.any():
            continue
        if len(record.pred_bboxes) == 0:
            raise ValueError(f'image {record.img_path}: no predicted '
                             'subject to match its GT subjects with')
        ious = box_iou_plus_one(record.gt_bboxes[labelled], record.pred_bboxes)
        queries = match_last_highest_iou(ious)  # [G']
        probs = official_probabilities(record.pred_emotion_logits,
                                       multi_label)  # [N, C]
        img_ids.extend([record.img_id] * len(queries))
        matched.append(queries)
        targets.append(record.gt_emotions[labelled])
        rows.append(probs[queries])
    matched_queries = np.concatenate([np.zeros(0, np.int64)] + matched)
    targets = np.concatenate([np.zeros((0, num_classes))] + targets)
    probabilities = np.concatenate([np.zeros((0, num_classes), np.float32)] +
                                   rows)
    gt_classes = first_positive_class(targets)
    pred_classes = np.argmax(probabilities, axis=1).astype(np.int64)
    per_class_ap = official_average_precision(probabilities, targets)
    return OfficialScores(
        img_ids=img_ids,
        matched_queries=matched_queries,
        targets=targets,
        probabilities=probabilities,
        gt_classes=gt_classes,
        pred_classes=pred_classes,
        per_class_ap=per_class_ap,
        accuracy=official_accuracy(gt_classes, pred_classes),
        mAP=official_mean_average_precision(per_class_ap),
        num_unlabelled=num_unlabelled)
