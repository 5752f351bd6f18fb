"""The official protocol's matching: "+1 pixel" IoU, last index wins ties.

DSCT's published numbers were scored by the authors' ``test.py``, which
matches every ground-truth subject on its own to one subject query:

- IoU with the "+1 pixel" convention of integer-pixel detectors: a box
  (x1, y1, x2, y2) covers ``(x2 - x1 + 1) * (y2 - y1 + 1)`` pixels, and the
  overlap of two boxes is ``max(0, min(x2) - max(x1) + 1)`` times the same
  in y. The arithmetic is float32 (the predicted boxes are a float32
  tensor there), one IEEE operation per step, in the order written here,
  so that IoUs equal there are equal here too.
- The query of highest IoU wins; among equal IoUs (all zero included) the
  one of HIGHEST query index, because the official code takes the last
  element of an ascending sort that keeps tied values in index order.
- No threshold: every GT gets a query, and one query may serve several GTs.

Boxes are used as given: neither the GT nor the predictions are clamped to
the image.
"""
import numpy as np

BOX_VALUES = 4
PLUS_ONE = np.float32(1.0)


def _side_lengths(boxes: np.ndarray) -> np.ndarray:
    """Width and height with the "+1" convention, [N, 2] float32."""
    return (boxes[:, 2:] - boxes[:, :2]) + PLUS_ONE


def box_iou_plus_one(gt_boxes: np.ndarray,
                     pred_boxes: np.ndarray) -> np.ndarray:
    """Pairwise IoU with the "+1 pixel" convention, in float32.

    Args:
        gt_boxes (np.ndarray): GT boxes (x1, y1, x2, y2), [G, 4].
        pred_boxes (np.ndarray): Predicted boxes (x1, y1, x2, y2), [P, 4].

    Returns:
        np.ndarray: IoU, [G, P] float32 (``inter / (area_gt + area_pred -
        inter)``, no guard against a zero union: boxes with x2 >= x1 and
        y2 >= y1 always have an area of at least one pixel).
    """
    gt_boxes = np.asarray(gt_boxes, dtype=np.float32).reshape(-1, BOX_VALUES)
    pred_boxes = np.asarray(
        pred_boxes, dtype=np.float32).reshape(-1, BOX_VALUES)
    gt_sides = _side_lengths(gt_boxes)  # [G, 2]
    pred_sides = _side_lengths(pred_boxes)  # [P, 2]
    area_gt = gt_sides[:, 0] * gt_sides[:, 1]  # [G]
    area_pred = pred_sides[:, 0] * pred_sides[:, 1]  # [P]
    top_left = np.maximum(gt_boxes[:, None, :2], pred_boxes[None, :, :2])
    bottom_right = np.minimum(gt_boxes[:, None, 2:], pred_boxes[None, :, 2:])
    overlap = np.maximum((bottom_right - top_left) + PLUS_ONE,
                         np.float32(0))  # [G, P, 2]
    inter = overlap[..., 0] * overlap[..., 1]  # [G, P]
    union = (area_gt[:, None] + area_pred[None, :]) - inter  # [G, P]
    with np.errstate(divide='ignore', invalid='ignore'):
        return (inter / union).astype(np.float32)


def match_last_highest_iou(ious: np.ndarray) -> np.ndarray:
    """Each GT takes the query of highest IoU; ties go to the last query.

    A NaN IoU counts as higher than any number, as it sorts last in the
    official ascending sort.

    Args:
        ious (np.ndarray): IoU of GTs (rows) and queries (columns), [G, N]
            with N >= 1.

    Returns:
        np.ndarray: The chosen query of each GT, [G] int64.

    Raises:
        ValueError: If there is no query to choose from.
    """
    ious = np.asarray(ious)
    num_gts, num_queries = ious.shape
    if num_queries == 0 and num_gts > 0:
        raise ValueError('the official protocol needs at least one '
                         'predicted subject per image with a GT subject')
    ranked = np.where(np.isnan(ious), np.inf, ious)  # [G, N]
    # argmax returns the first maximum: look from the last query backwards
    last_first = np.argmax(ranked[:, ::-1], axis=1)  # [G]
    return (num_queries - 1 - last_first).astype(np.int64)
