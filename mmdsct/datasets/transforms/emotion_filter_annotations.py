"""Annotation filter that drops a subject's emotions together with its box."""
from mmdet.datasets.transforms import FilterAnnotations
from mmdet.registry import TRANSFORMS

from .instances_in_step import InstancesInStepMixin


@TRANSFORMS.register_module()
class EmotionFilterAnnotations(InstancesInStepMixin, FilterAnnotations):
    """mmdet's ``FilterAnnotations`` that also filters ``gt_emotions``/
    ``gt_vad``.

    Takes the arguments of
    :class:`mmdet.datasets.transforms.FilterAnnotations`.
    """
