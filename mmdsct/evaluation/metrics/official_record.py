"""The per-image record of the official protocol.

The official protocol (see :mod:`.official_protocol`) needs what our
protocol does not keep: every subject query's prediction in query order
(ties go to the highest query index), the raw emotion logits (CAER-S
probabilities are a softmax over them) and the boxes without clamping.
:class:`~mmdsct.models.dense_heads.DSCTHead` predicts them as
``pred_instances.query_index``, ``emotion_logits`` and ``bboxes_unclamped``
(and ``num_queries`` in the instances' metainfo); this module reads them
back into query order.
"""
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
from mmengine.structures import BaseDataElement

from ...structures import EMOTIONS_FIELD
from .image_emotion_record import _instances_field, _to_numpy

OFFICIAL_FIELDS = ('query_index', 'emotion_logits', 'bboxes_unclamped')
BOX_VALUES = 4


@dataclass(frozen=True)
class OfficialImageRecord:
    """Ground truth and all query predictions of one image.

    Attributes:
        img_id (Any): The image's id in the dataset.
        img_path (str): The image file, to name it in errors.
        gt_bboxes (np.ndarray): GT subject boxes (x1, y1, x2, y2) in
            original pixels, crowd subjects included, [G, 4] float32.
        gt_emotions (np.ndarray): GT labels of 0/1, [G, C].
        pred_bboxes (np.ndarray): Unclamped boxes of the N queries in
            original pixels, in query order, [N, 4] float32.
        pred_emotion_logits (np.ndarray): Emotion logits of the N queries,
            in query order, [N, C] float32.
    """
    img_id: Any
    img_path: str
    gt_bboxes: np.ndarray
    gt_emotions: np.ndarray
    pred_bboxes: np.ndarray
    pred_emotion_logits: np.ndarray


def _gt_rows(data_sample: dict, img_path: str,
             num_classes: Optional[int]) -> tuple:
    """GT boxes [G, 4] and emotions [G, C] of every GT subject, the ignored
    (crowd) ones after the others: the official code filters nothing."""
    hint = ('the test pipeline must end with LoadEmotionAnnotations and '
            'PackEmotionInputs')
    parts = [
        _instances_field(data_sample, 'gt_instances', img_path,
                         'the data sample', hint)
    ]
    ignored = data_sample.get('ignored_instances')
    if ignored is not None and 'bboxes' in ignored:
        parts.append(ignored)
    boxes, emotions = [], []
    for instances in parts:
        boxes.append(
            _to_numpy(
                _instances_field(instances, 'bboxes', img_path, 'gt_instances',
                                 hint)).reshape(-1, BOX_VALUES))
        rows = _to_numpy(
            _instances_field(instances, EMOTIONS_FIELD, img_path,
                             'gt_instances', hint))
        if num_classes is not None:
            rows = rows.reshape(-1, num_classes)
        elif rows.ndim != 2:
            raise ValueError(f'image {img_path}: GT emotions must be '
                             f'[n, C], got shape {rows.shape}')
        emotions.append(rows)
    gt_bboxes = np.concatenate(boxes)  # [G, 4]
    gt_emotions = np.concatenate(emotions)  # [G, C]
    if len(gt_bboxes) != len(gt_emotions):
        raise ValueError(f'image {img_path}: {len(gt_bboxes)} GT boxes but '
                         f'{len(gt_emotions)} GT emotion rows')
    return gt_bboxes, gt_emotions


def _query_order(pred: dict, img_path: str) -> np.ndarray:
    """Row of each query 0..N-1 in ``pred``; every query must be there."""
    query_index = _to_numpy(pred['query_index'], np.int64).reshape(-1)
    num_queries = int(pred.get('num_queries', len(query_index)))
    if sorted(query_index.tolist()) != list(range(num_queries)):
        raise ValueError(
            f'image {img_path}: the official protocol scores every subject '
            f'query, but the predictions hold {len(query_index)} of '
            f'{num_queries} queries ({sorted(query_index.tolist())}); set '
            'model.test_cfg.max_per_img to at least the number of subject '
            'queries')
    return np.argsort(query_index)


def official_record_from_data_sample(
        data_sample: Any,
        num_classes: Optional[int] = None) -> OfficialImageRecord:
    """Extract the official protocol's record of one image.

    Args:
        data_sample (dict | DetDataSample): A model output with
            ``pred_instances`` (``query_index``, ``emotion_logits``,
            ``bboxes_unclamped``, as :class:`DSCTHead` predicts them) and
            ``gt_instances`` (``bboxes``, ``emotions``).
        num_classes (int, optional): Number of emotion classes C.

    Returns:
        OfficialImageRecord: Its record, predictions in query order.

    Raises:
        KeyError: If a field is missing (e.g. a model other than DSCT).
        ValueError: If queries are missing or fields disagree in length.
    """
    if isinstance(data_sample, BaseDataElement):
        data_sample = data_sample.to_dict()
    img_path = str(data_sample.get('img_path', data_sample.get('img_id')))
    pred = _instances_field(data_sample, 'pred_instances', img_path,
                            'the data sample',
                            'the model must predict emotions (DSCT predict)')
    for key in OFFICIAL_FIELDS:
        _instances_field(
            pred, key, img_path, 'pred_instances',
            "protocol='official' needs the fields DSCTHead predicts "
            f'({", ".join(OFFICIAL_FIELDS)}); use a DSCT model')
    order = _query_order(pred, img_path)  # [N]
    logits = _to_numpy(pred['emotion_logits'])
    if num_classes is not None:
        logits = logits.reshape(-1, num_classes)
    boxes = _to_numpy(pred['bboxes_unclamped']).reshape(-1, BOX_VALUES)
    if not len(logits) == len(boxes) == len(order):
        raise ValueError(f'image {img_path}: {len(order)} query indices, '
                         f'{len(logits)} logit rows, {len(boxes)} boxes')
    gt_bboxes, gt_emotions = _gt_rows(data_sample, img_path, num_classes)
    return OfficialImageRecord(
        img_id=data_sample.get('img_id'),
        img_path=img_path,
        gt_bboxes=gt_bboxes,
        gt_emotions=gt_emotions,
        pred_bboxes=boxes[order],
        pred_emotion_logits=logits[order])
