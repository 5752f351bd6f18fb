"""Assign predicted subjects to ground-truth subjects of one image.

Two protocols (docs/evaluation_protocols.md):

- GT-matched (the official one): every GT takes the prediction of highest
  IoU, whatever the IoU; one prediction may serve several GTs.
- Detection-aware (stricter): predictions, in decreasing subject score, each
  take the still-free GT of highest IoU if that IoU reaches a threshold; a GT
  left without a prediction is *unseen*.

Both return, per GT, the index of its prediction or :data:`UNMATCHED`.
"""
import numpy as np

UNMATCHED = -1


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of two sets of boxes.

    Args:
        boxes_a (np.ndarray): Boxes (x1, y1, x2, y2), [A, 4].
        boxes_b (np.ndarray): Boxes (x1, y1, x2, y2), [B, 4].

    Returns:
        np.ndarray: IoU, [A, B]; 0 where the union has no area.
    """
    boxes_a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 4)
    boxes_b = np.asarray(boxes_b, dtype=np.float64).reshape(-1, 4)
    top_left = np.maximum(boxes_a[:, None, :2], boxes_b[None, :, :2])
    bottom_right = np.minimum(boxes_a[:, None, 2:], boxes_b[None, :, 2:])
    overlap_wh = np.clip(bottom_right - top_left, 0, None)  # [A, B, 2]
    intersection = overlap_wh[..., 0] * overlap_wh[..., 1]  # [A, B]
    area_a = np.prod(np.clip(boxes_a[:, 2:] - boxes_a[:, :2], 0, None), 1)
    area_b = np.prod(np.clip(boxes_b[:, 2:] - boxes_b[:, :2], 0, None), 1)
    union = area_a[:, None] + area_b[None, :] - intersection
    return np.divide(
        intersection, union, out=np.zeros_like(intersection), where=union > 0)


def match_highest_iou(ious: np.ndarray, pred_scores: np.ndarray) -> np.ndarray:
    """GT-matched protocol: each GT takes the prediction of highest IoU.

    Among predictions of equal IoU (e.g. none overlaps the GT), the one of
    higher subject score wins.

    Args:
        ious (np.ndarray): IoU of GTs (rows) and predictions, [G, P].
        pred_scores (np.ndarray): Subject scores of the predictions, [P].

    Returns:
        np.ndarray: Index of each GT's prediction, [G] int64;
        :data:`UNMATCHED` for every GT when P is 0.
    """
    num_gts, num_preds = ious.shape
    if num_preds == 0:
        return np.full(num_gts, UNMATCHED, dtype=np.int64)
    by_score = np.argsort(-np.asarray(pred_scores), kind='stable')
    best_in_score_order = np.argmax(ious[:, by_score], axis=1)  # [G]
    return by_score[best_in_score_order].astype(np.int64)


def match_one_to_one(ious: np.ndarray,
                     pred_scores: np.ndarray,
                     iou_thr: float = 0.5) -> np.ndarray:
    """Detection-aware protocol: greedy one-to-one matching by score.

    Args:
        ious (np.ndarray): IoU of GTs (rows) and predictions, [G, P].
        pred_scores (np.ndarray): Subject scores of the predictions, [P].
        iou_thr (float): Least IoU of a match. Defaults to 0.5.

    Returns:
        np.ndarray: Index of each GT's prediction, [G] int64;
        :data:`UNMATCHED` for a GT no prediction matched (unseen).
    """
    num_gts, _ = ious.shape
    gt_to_pred = np.full(num_gts, UNMATCHED, dtype=np.int64)
    for pred in np.argsort(-np.asarray(pred_scores), kind='stable'):
        candidate_ious = np.where(gt_to_pred == UNMATCHED, ious[:, pred], -1.)
        if num_gts == 0 or candidate_ious.max() < iou_thr:
            continue
        gt_to_pred[np.argmax(candidate_ious)] = pred
    return gt_to_pred


def gather_matched_rows(values: np.ndarray, gt_to_pred: np.ndarray,
                        fill_value: float) -> np.ndarray:
    """Per GT, the row of its matched prediction, or ``fill_value``.

    Args:
        values (np.ndarray): One row per prediction, [P, D].
        gt_to_pred (np.ndarray): Index of each GT's prediction or
            :data:`UNMATCHED`, [G].
        fill_value (float): Value of the rows of unmatched GTs.

    Returns:
        np.ndarray: [G, D] float64.
    """
    rows = np.full((len(gt_to_pred), values.shape[1]),
                   fill_value,
                   dtype=np.float64)
    matched = gt_to_pred != UNMATCHED
    rows[matched] = values[gt_to_pred[matched]]
    return rows
