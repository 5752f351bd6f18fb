"""Turn per-image records into one row of scores per ground-truth subject.

Both protocols of docs/evaluation_protocols.md end in the same shape: a
[G, C] score matrix over all G ground-truth subjects of the evaluated split,
which the protocol-free functions (AP, accuracy) then read.
"""
from typing import NamedTuple, Optional, Sequence

import numpy as np

from ...structures import NUM_VAD_DIMENSIONS
from ..functional import (UNMATCHED, box_iou, gather_matched_rows,
                          match_highest_iou, match_one_to_one)
from .image_emotion_record import ImageEmotionRecord

NO_SCORE = 0.0


class SubjectScores(NamedTuple):
    """Scores of every GT subject under both protocols.

    Attributes:
        targets (np.ndarray): GT labels of 0/1, [G, C].
        scores (np.ndarray): GT-matched emotion scores (zeros for a GT whose
            image has no prediction), [G, C].
        scores_det (np.ndarray): Detection-aware emotion scores (zeros for
            an unseen GT), [G, C].
        has_prediction (np.ndarray): Whether the GT's image has any
            prediction, i.e. the GT-matched protocol found one, [G] bool.
        seen (np.ndarray): Whether the detection-aware protocol matched the
            GT, [G] bool.
        gt_vad (np.ndarray): GT VAD, ``NaN`` where unknown, [G, 3].
        pred_vad (np.ndarray | None): GT-matched predicted VAD, ``NaN`` where
            there is none, [G, 3]; None if no image has predicted VAD.
    """
    targets: np.ndarray
    scores: np.ndarray
    scores_det: np.ndarray
    has_prediction: np.ndarray
    seen: np.ndarray
    gt_vad: np.ndarray
    pred_vad: Optional[np.ndarray]


def _image_scores(record: ImageEmotionRecord, iou_thr: float) -> dict:
    """The rows of :class:`SubjectScores` for one image's GT subjects."""
    ious = box_iou(record.gt_bboxes, record.pred_bboxes)  # [G, P]
    gt_matched = match_highest_iou(ious, record.pred_scores)  # [G]
    det_matched = match_one_to_one(ious, record.pred_scores, iou_thr)  # [G]
    num_gts = len(record.gt_bboxes)
    gt_vad = record.gt_vad if record.gt_vad is not None else np.full(
        (num_gts, NUM_VAD_DIMENSIONS), np.nan)
    pred_vad = None
    if record.pred_vad is not None:
        pred_vad = gather_matched_rows(record.pred_vad, gt_matched, np.nan)
    return dict(
        targets=record.gt_emotions.astype(np.float64),
        scores=gather_matched_rows(record.pred_emotions, gt_matched, NO_SCORE),
        scores_det=gather_matched_rows(record.pred_emotions, det_matched,
                                       NO_SCORE),
        has_prediction=gt_matched != UNMATCHED,
        seen=det_matched != UNMATCHED,
        gt_vad=np.asarray(gt_vad, dtype=np.float64),
        pred_vad=pred_vad)


def score_subjects(records: Sequence[ImageEmotionRecord], num_classes: int,
                   iou_thr: float) -> SubjectScores:
    """Match predictions to GT subjects in every image, both protocols.

    Args:
        records (Sequence[ImageEmotionRecord]): One record per image.
        num_classes (int): Number of emotion classes C.
        iou_thr (float): Least IoU of a detection-aware match.

    Returns:
        SubjectScores: One row per GT subject, images in record order.
    """
    per_image = [_image_scores(record, iou_thr) for record in records]
    any_pred_vad = any(rows['pred_vad'] is not None for rows in per_image)
    for rows in per_image:
        if rows['pred_vad'] is None:
            rows['pred_vad'] = np.full(
                (len(rows['targets']), NUM_VAD_DIMENSIONS), np.nan)
    empty_rows = dict(
        targets=np.zeros((0, num_classes)),
        scores=np.zeros((0, num_classes)),
        scores_det=np.zeros((0, num_classes)),
        has_prediction=np.zeros(0, dtype=bool),
        seen=np.zeros(0, dtype=bool),
        gt_vad=np.zeros((0, NUM_VAD_DIMENSIONS)),
        pred_vad=np.zeros((0, NUM_VAD_DIMENSIONS)))
    stacked = {
        key: np.concatenate([empty] + [rows[key] for rows in per_image])
        for key, empty in empty_rows.items()
    }
    if not any_pred_vad:
        stacked['pred_vad'] = None
    return SubjectScores(**stacked)
