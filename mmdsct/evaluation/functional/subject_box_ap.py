"""COCO box AP of subject localisation, computed in memory.

The ground truth and the predictions gathered by the metric are turned into
pycocotools objects directly, so no annotation file is needed, and the
chatter pycocotools prints is captured and returned as text for the log.
"""
import contextlib
import io
from typing import List, NamedTuple, Sequence, Tuple

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

SUBJECT_CATEGORY_ID = 1
COCO_STAT_NAMES = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l',
                   'AR_1', 'AR_10', 'AR_100', 'AR_s', 'AR_m', 'AR_l')


class ImageBoxes(NamedTuple):
    """Subjects of one image, boxes (x1, y1, x2, y2) in image pixels.

    Attributes:
        height (int): Image height.
        width (int): Image width.
        gt_bboxes (np.ndarray): Ground-truth boxes, [G, 4].
        pred_bboxes (np.ndarray): Predicted boxes, [P, 4].
        pred_scores (np.ndarray): Subject scores of the predictions, [P].
    """
    height: int
    width: int
    gt_bboxes: np.ndarray
    pred_bboxes: np.ndarray
    pred_scores: np.ndarray


def _xyxy_to_xywh(bboxes: np.ndarray) -> np.ndarray:
    """[N, 4] (x1, y1, x2, y2) -> [N, 4] (x, y, w, h)."""
    bboxes = np.asarray(bboxes, dtype=np.float64).reshape(-1, 4)
    return np.concatenate([bboxes[:, :2], bboxes[:, 2:] - bboxes[:, :2]], 1)


def _box_records(image_id: int, bboxes: np.ndarray,
                 first_id: int) -> List[dict]:
    """COCO annotation dicts for the boxes of one image (ids from 1 up)."""
    return [
        dict(
            id=first_id + i,
            image_id=image_id,
            category_id=SUBJECT_CATEGORY_ID,
            bbox=box.tolist(),
            area=float(box[2] * box[3]),
            iscrowd=0) for i, box in enumerate(_xyxy_to_xywh(bboxes))
    ]


def _in_memory_coco(images: List[dict], annotations: List[dict]) -> COCO:
    """A pycocotools ``COCO`` built from lists (it prints: mute stdout)."""
    coco = COCO()
    coco.dataset = dict(
        images=images,
        annotations=annotations,
        categories=[dict(id=SUBJECT_CATEGORY_ID, name='person')])
    coco.createIndex()
    return coco


def _build_gt_and_results(
        images: Sequence[ImageBoxes]
) -> Tuple[List[dict], List[dict], List[dict]]:
    """COCO image, ground-truth and result records of all images."""
    image_records, gt_records, result_records = [], [], []
    for image_id, image in enumerate(images, start=1):
        image_records.append(
            dict(id=image_id, height=image.height, width=image.width))
        gt_records += _box_records(image_id, image.gt_bboxes,
                                   len(gt_records) + 1)
        results = _box_records(image_id, image.pred_bboxes,
                               len(result_records) + 1)
        for record, score in zip(results, image.pred_scores):
            record['score'] = float(score)
        result_records += results
    return image_records, gt_records, result_records


def subject_box_ap(images: Sequence[ImageBoxes]) -> Tuple[dict, str]:
    """COCO box AP and AR of the subjects, over all images.

    Args:
        images (Sequence[ImageBoxes]): Ground truth and predictions of every
            evaluated image.

    Returns:
        tuple[dict, str]: The 12 COCO statistics in [0, 1] keyed by
        :data:`COCO_STAT_NAMES` (``NaN`` where pycocotools has no answer,
        e.g. without any ground truth), and pycocotools' printed summary.
    """
    image_records, gt_records, result_records = _build_gt_and_results(images)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        coco_gt = _in_memory_coco(image_records, gt_records)
        coco_results = _in_memory_coco(image_records, result_records)
        coco_eval = COCOeval(coco_gt, coco_results, iouType='bbox')
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
    stats = [float(s) if s >= 0 else float('nan') for s in coco_eval.stats]
    return dict(zip(COCO_STAT_NAMES, stats)), printed.getvalue()
