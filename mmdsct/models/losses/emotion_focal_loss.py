"""The former name of the emotion loss: mmdet's ``FocalLoss``."""
import logging

from mmdet.models.losses import FocalLoss
from mmdet.registry import MODELS
from mmengine.logging import print_log


@MODELS.register_module()
class EmotionFocalLoss(FocalLoss):
    """Deprecated: use mmdet's ``FocalLoss``.

    mmdet's sigmoid ``FocalLoss`` takes float [N, C] targets as they are
    (multi-hot, one-hot or all zeros), which is all the emotion loss needs;
    this name is kept so that configs written for earlier versions still
    build, and gives the same values.

    Args:
        alpha (float): Weight of the positive term. Defaults to 0.25.
        gamma (float): Focusing exponent. Defaults to 2.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
        loss_weight (float): Factor on the loss. Defaults to 1.0.
    """

    def __init__(self,
                 alpha: float = 0.25,
                 gamma: float = 2.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        print_log(
            "EmotionFocalLoss is deprecated: use dict(type='FocalLoss', "
            'use_sigmoid=True, ...), mmdet\'s loss, which it now is.',
            logger='current',
            level=logging.WARNING)
        super().__init__(
            use_sigmoid=True,
            gamma=gamma,
            alpha=alpha,
            reduction=reduction,
            loss_weight=loss_weight)
