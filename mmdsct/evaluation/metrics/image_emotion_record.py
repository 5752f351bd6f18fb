"""The compact, picklable record :class:`EmotionMetric` keeps per image.

``BaseMetric.collect_results`` pickles these records to gather them on rank
0, so they hold small numpy arrays only, never tensors or data samples. A
dataclass rather than a named tuple: ``BaseMetric.evaluate`` rebuilds every
tuple it finds in the results as a plain tuple, dropping the field names.
"""
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import numpy as np
from mmengine.structures import BaseDataElement

from ...structures import EMOTIONS_FIELD, NUM_VAD_DIMENSIONS, VAD_FIELD


@dataclass(frozen=True)
class ImageEmotionRecord:
    """Ground truth and predictions of one image, in original pixels.

    Attributes:
        img_id (Any): The image's id in the dataset.
        img_path (str): The image file, to name it in errors.
        ori_shape (tuple[int, int]): Original (height, width).
        gt_bboxes (np.ndarray): GT subject boxes (x1, y1, x2, y2), [G, 4].
        gt_emotions (np.ndarray): GT labels of 0/1, [G, C].
        gt_vad (np.ndarray | None): GT valence/arousal/dominance, [G, 3];
            ``NaN`` rows where a subject has none.
        pred_bboxes (np.ndarray): Predicted subject boxes, [P, 4].
        pred_scores (np.ndarray): Subject scores, [P].
        pred_emotions (np.ndarray): Emotion probabilities, [P, C].
        pred_vad (np.ndarray | None): Predicted VAD, [P, 3].
    """
    img_id: Any
    img_path: str
    ori_shape: Tuple[int, int]
    gt_bboxes: np.ndarray
    gt_emotions: np.ndarray
    gt_vad: Optional[np.ndarray]
    pred_bboxes: np.ndarray
    pred_scores: np.ndarray
    pred_emotions: np.ndarray
    pred_vad: Optional[np.ndarray]


def _to_numpy(value: Any, dtype: type = np.float32) -> np.ndarray:
    """Tensor, box structure (``.tensor``) or array-like -> numpy array."""
    value = getattr(value, 'tensor', value)
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=dtype)


def _instances_field(instances: dict, key: str, img_path: str, where: str,
                     hint: str) -> Any:
    """``instances[key]``, or a ``KeyError`` naming the image and a fix.

    Args:
        instances (dict): A data sample or instance data, as a dict.
        key (str): The field.
        img_path (str): The image, to name it in the error.
        where (str): What ``instances`` is, for the error.
        hint (str): How to fix a missing field, for the error.

    Returns:
        The field's value.
    """
    if key not in instances:
        raise KeyError(f'{where} of image {img_path} has no "{key}": {hint}')
    return instances[key]


def _optional_vad(instances: dict, num_instances: int,
                  img_path: str) -> Optional[np.ndarray]:
    """The [n, 3] ``vad`` field if there is one, checked."""
    if VAD_FIELD not in instances:
        return None
    vad = _to_numpy(instances[VAD_FIELD],
                    np.float64).reshape(-1, NUM_VAD_DIMENSIONS)  # [n, 3]
    if len(vad) != num_instances:
        raise ValueError(f'image {img_path}: {len(vad)} VAD rows for '
                         f'{num_instances} instances')
    return vad


def _class_count(gt_emotions: np.ndarray, pred_emotions: np.ndarray,
                 img_path: str) -> int:
    """Number of classes C read off whichever emotion array is [n, C]."""
    for emotions in (pred_emotions, gt_emotions):
        if emotions.ndim == 2:
            return emotions.shape[1]
    raise ValueError(f'image {img_path}: emotions must be [n, C] arrays, got '
                     f'{gt_emotions.shape} (GT), {pred_emotions.shape} '
                     '(predicted)')


def _as_class_rows(emotions: np.ndarray, num_classes: int, img_path: str,
                   name: str) -> np.ndarray:
    """Check that ``emotions`` is [n, C] (an empty array may be 1-D)."""
    if emotions.size == 0:
        return emotions.reshape(0, num_classes)  # [0, C]
    if emotions.ndim != 2 or emotions.shape[1] != num_classes:
        raise ValueError(f'image {img_path}: {name} has shape '
                         f'{emotions.shape}, expected [n, {num_classes}]')
    return emotions


def record_from_data_sample(
        data_sample: Any,
        num_classes: Optional[int] = None) -> ImageEmotionRecord:
    """Extract the record of one image from a data sample.

    Args:
        data_sample (dict | DetDataSample): A model output with
            ``pred_instances`` (``bboxes``, ``scores``, ``emotions``,
            optional ``vad``) and ``gt_instances`` (``bboxes``,
            ``emotions``, optional ``vad``), as a data sample or as the
            dict of ``DetDataSample.to_dict()`` that the evaluator passes.
        num_classes (int, optional): Number of emotion classes C; read off
            the emotion arrays when not given.

    Returns:
        ImageEmotionRecord: Its compact record.

    Raises:
        KeyError: If a field the metric needs is missing.
        ValueError: If fields of the same instances disagree in length, or
            the emotions are not [n, C].
    """
    if isinstance(data_sample, BaseDataElement):
        data_sample = data_sample.to_dict()
    img_path = str(data_sample.get('img_path', data_sample.get('img_id')))
    pipeline_hint = ('the test pipeline must end with LoadEmotionAnnotations '
                     'and PackEmotionInputs')
    model_hint = 'the model must predict emotions (DSCT predict)'
    gt = _instances_field(data_sample, 'gt_instances', img_path,
                          'the data sample', pipeline_hint)
    pred = _instances_field(data_sample, 'pred_instances', img_path,
                            'the data sample', model_hint)
    gt_bboxes = _to_numpy(
        _instances_field(gt, 'bboxes', img_path, 'gt_instances',
                         pipeline_hint)).reshape(-1, 4)  # [G, 4]
    gt_emotions = _to_numpy(
        _instances_field(gt, EMOTIONS_FIELD, img_path, 'gt_instances',
                         pipeline_hint))
    pred_bboxes = _to_numpy(
        _instances_field(pred, 'bboxes', img_path, 'pred_instances',
                         model_hint)).reshape(-1, 4)  # [P, 4]
    pred_scores = _to_numpy(
        _instances_field(pred, 'scores', img_path, 'pred_instances',
                         model_hint)).reshape(-1)  # [P]
    pred_emotions = _to_numpy(
        _instances_field(pred, EMOTIONS_FIELD, img_path, 'pred_instances',
                         model_hint))
    if num_classes is None:
        num_classes = _class_count(gt_emotions, pred_emotions, img_path)
    gt_emotions = _as_class_rows(gt_emotions, num_classes, img_path,
                                 'gt_instances.emotions')  # [G, C]
    pred_emotions = _as_class_rows(pred_emotions, num_classes, img_path,
                                   'pred_instances.emotions')  # [P, C]
    if len(gt_bboxes) != len(gt_emotions):
        raise ValueError(f'image {img_path}: {len(gt_bboxes)} GT boxes but '
                         f'{len(gt_emotions)} GT emotion rows')
    if not len(pred_bboxes) == len(pred_scores) == len(pred_emotions):
        raise ValueError(
            f'image {img_path}: {len(pred_bboxes)} predicted boxes, '
            f'{len(pred_scores)} scores, {len(pred_emotions)} emotion rows')
    ori_shape = _instances_field(data_sample, 'ori_shape', img_path,
                                 'the data sample',
                                 'PackEmotionInputs meta_keys need it')
    height, width = (int(size) for size in ori_shape[:2])
    return ImageEmotionRecord(
        img_id=data_sample.get('img_id'),
        img_path=img_path,
        ori_shape=(height, width),
        gt_bboxes=gt_bboxes,
        gt_emotions=gt_emotions,
        gt_vad=_optional_vad(gt, len(gt_bboxes), img_path),
        pred_bboxes=pred_bboxes,
        pred_scores=pred_scores,
        pred_emotions=pred_emotions,
        pred_vad=_optional_vad(pred, len(pred_bboxes), img_path))
