"""Keeping per-instance emotion fields in step with their boxes.

mmdet's box-dropping transforms (``RandomCrop``, ``FilterAnnotations``,
``MinIoURandomCrop``, ...) index ``gt_bboxes``, ``gt_bboxes_labels``,
``gt_masks`` and ``gt_ignore_flags`` with the same mask, and know nothing of
``gt_emotions`` or ``gt_vad``. The one mechanism used here: before the
transform, ``gt_bboxes_labels`` temporarily holds each instance's index
(0..n-1); whatever the transform keeps of it says which instances survived,
in which order, and the emotion fields (and the real labels) are indexed
with it afterwards. It works for every transform that treats labels like
boxes, which all of mmdet's box-dropping transforms do.
"""
from typing import Callable, Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from ...structures import GT_INSTANCE_KEYS

INDEX_CARRIER = 'gt_bboxes_labels'


def apply_in_step(
        transform: Callable[[dict], Optional[dict]],
        results: dict,
        instance_keys: Sequence[str] = GT_INSTANCE_KEYS) -> Optional[dict]:
    """Run a box-dropping transform, keeping ``instance_keys`` in step.

    Args:
        transform (Callable): The transform function (``results`` ->
            ``results`` or None).
        results (dict): Result dict with ``gt_bboxes``.
        instance_keys (Sequence[str]): Per-instance arrays to carry, each of
            shape [num_gt, ...]. Missing ones are ignored.

    Returns:
        dict | None: The transformed results, or None when the transform
        dropped the sample.
    """
    carried = {key: results[key] for key in instance_keys if key in results}
    if not carried or results.get('gt_bboxes') is None:
        return transform(results)
    labels = results.get(INDEX_CARRIER)
    results[INDEX_CARRIER] = np.arange(
        len(results['gt_bboxes']), dtype=np.int64)
    results = transform(results)
    if results is None:
        return None
    kept = np.asarray(results[INDEX_CARRIER], dtype=np.int64)
    if labels is None:
        del results[INDEX_CARRIER]
    else:
        results[INDEX_CARRIER] = labels[kept]
    for key, values in carried.items():
        results[key] = values[kept]
    return results


class InstancesInStepMixin:
    """Mixin for a subclass of a box-dropping mmdet transform.

    Put it first among the bases: ``class EmotionRandomCrop(
    InstancesInStepMixin, RandomCrop)``; its ``transform`` wraps the mmdet
    one with :func:`apply_in_step`.
    """

    instance_keys: Sequence[str] = GT_INSTANCE_KEYS

    def transform(self, results: dict) -> Optional[dict]:
        """Run the parent transform, keeping emotion fields in step.

        Args:
            results (dict): Result dict.

        Returns:
            dict | None: Transformed results, None if the sample is dropped.
        """
        return apply_in_step(super().transform, results, self.instance_keys)


@TRANSFORMS.register_module()
class KeepEmotionsInStep(BaseTransform):
    """Wrap any box-dropping transform so that emotions follow the boxes.

    Example: ``dict(type='KeepEmotionsInStep',
    transform=dict(type='MinIoURandomCrop'))``.

    Args:
        transform (dict): Config of the wrapped transform.
        instance_keys (Sequence[str]): Per-instance fields to carry.
            Defaults to ``('gt_emotions', 'gt_vad')``.
    """

    def __init__(self,
                 transform: dict,
                 instance_keys: Sequence[str] = GT_INSTANCE_KEYS) -> None:
        self.transform_fn = TRANSFORMS.build(transform)
        self.instance_keys = tuple(instance_keys)

    def transform(self, results: dict) -> Optional[dict]:
        """Run the wrapped transform, keeping emotion fields in step.

        Args:
            results (dict): Result dict.

        Returns:
            dict | None: Transformed results, None if the sample is dropped.
        """
        return apply_in_step(self.transform_fn, results, self.instance_keys)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transform={self.transform_fn!r}, '
                f'instance_keys={self.instance_keys})')
