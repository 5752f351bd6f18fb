"""Random crop that drops a subject's emotions together with its box."""
from mmdet.datasets.transforms import RandomCrop
from mmdet.registry import TRANSFORMS

from .instances_in_step import InstancesInStepMixin


@TRANSFORMS.register_module()
class EmotionRandomCrop(InstancesInStepMixin, RandomCrop):
    """mmdet's ``RandomCrop`` that also crops ``gt_emotions``/``gt_vad``.

    Takes the arguments of :class:`mmdet.datasets.transforms.RandomCrop`.
    A box left with no area inside the crop is dropped with its emotion and
    VAD rows; the remaining rows stay with their boxes.
    """
