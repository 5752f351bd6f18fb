"""Packing subjects' emotions and VAD into the data sample."""
from mmdet.datasets.transforms import PackDetInputs
from mmdet.registry import TRANSFORMS

from ...structures import (EMOTIONS_FIELD, GT_EMOTIONS_KEY, GT_INSTANCE_KEYS,
                           GT_VAD_KEY, VAD_FIELD)


@TRANSFORMS.register_module()
class PackEmotionInputs(PackDetInputs):
    """mmdet's ``PackDetInputs`` that also packs emotions and VAD.

    ``gt_emotions`` becomes ``data_sample.gt_instances.emotions`` (float
    tensor [num_gt, C]) and ``gt_vad`` becomes ``gt_instances.vad`` (float
    tensor [num_gt, 3]); ignored (crowd) subjects go to
    ``ignored_instances`` as boxes do.

    Raises a ``ValueError`` when an emotion field and ``gt_bboxes`` differ
    in length: some transform dropped boxes without their labels.

    Args:
        meta_keys (Sequence[str]): As in :class:`PackDetInputs`.
    """

    mapping_table = dict(
        PackDetInputs.mapping_table, **{
            GT_EMOTIONS_KEY: EMOTIONS_FIELD,
            GT_VAD_KEY: VAD_FIELD
        })

    def transform(self, results: dict) -> dict:
        """Check that per-instance fields agree, then pack.

        Args:
            results (dict): Result dict of the pipeline.

        Returns:
            dict: ``inputs`` and ``data_samples``.
        """
        self._check_in_step(results)
        return super().transform(results)

    @staticmethod
    def _check_in_step(results: dict) -> None:
        """Fail when an emotion field is out of step with the boxes."""
        if results.get('gt_bboxes') is None:
            return
        num_boxes = len(results['gt_bboxes'])
        for key in GT_INSTANCE_KEYS:
            if key in results and len(results[key]) != num_boxes:
                raise ValueError(
                    f'{results.get("img_path")}: {key} has '
                    f'{len(results[key])} rows but gt_bboxes has '
                    f'{num_boxes}. A transform dropped boxes without their '
                    'emotion labels; most likely a plain mmdet RandomCrop, '
                    'FilterAnnotations or MinIoURandomCrop is in the '
                    'pipeline. Use EmotionRandomCrop / '
                    'EmotionFilterAnnotations, or wrap the transform in '
                    "dict(type='KeepEmotionsInStep', transform=...).")
