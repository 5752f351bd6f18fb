"""Sigmoid focal loss on multi-hot or one-hot emotion targets."""
from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.losses.utils import weight_reduce_loss
from mmdet.registry import MODELS
from torch import Tensor


def emotion_focal_loss(pred: Tensor,
                       target: Tensor,
                       alpha: float = 0.25,
                       gamma: float = 2.0) -> Tensor:
    """Element-wise sigmoid focal loss (Lin et al. 2017) on float targets.

    Each class is an independent binary problem, so a multi-hot target
    (several emotions at once), a one-hot target (one emotion) and an
    all-zero target (an unmatched query: no subject, no emotion) are all
    valid.

    Args:
        pred (Tensor): Logits, shape [N, C].
        target (Tensor): Targets in {0, 1} (soft values also work),
            shape [N, C].
        alpha (float): Weight of the positive term; negatives get
            ``1 - alpha``. Defaults to 0.25.
        gamma (float): Focusing exponent. Defaults to 2.0.

    Returns:
        Tensor: Loss per element, shape [N, C].
    """
    target = target.type_as(pred)
    prob = pred.sigmoid()
    prob_of_wrong_answer = prob * (1 - target) + (1 - prob) * target
    balance = alpha * target + (1 - alpha) * (1 - target)
    cross_entropy = F.binary_cross_entropy_with_logits(
        pred, target, reduction='none')
    return balance * prob_of_wrong_answer.pow(gamma) * cross_entropy


@MODELS.register_module()
class EmotionFocalLoss(nn.Module):
    """Sigmoid focal loss for multi-hot or one-hot emotion targets.

    mmdet's ``FocalLoss`` takes integer class labels, one class per sample;
    emotion targets are float multi-hot vectors ([N, C]), which this loss
    takes as they are. With ``avg_factor`` set to the number of matched
    subjects and ``reduction='mean'`` it sums the element-wise loss and
    divides by that number, which is how Deformable DETR normalises its
    classification loss.

    Args:
        alpha (float): Weight of the positive term. Defaults to 0.25.
        gamma (float): Focusing exponent. Defaults to 2.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
        loss_weight (float): Factor on the loss. Defaults to 1.0.
    """

    # mmdet's DETR heads read this flag: one sigmoid per class and no
    # background class (cls_out_channels = number of classes).
    use_sigmoid = True

    def __init__(self,
                 alpha: float = 0.25,
                 gamma: float = 2.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(
                f'EmotionFocalLoss: unknown reduction {reduction!r}; '
                "expected 'none', 'mean' or 'sum'.")
        self.alpha = alpha
        self.gamma = gamma
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): Logits, shape [N, C].
            target (Tensor): Float targets, shape [N, C].
            weight (Tensor, optional): Weight per sample [N] or per element
                [N, C]. Defaults to None.
            avg_factor (float, optional): Divisor of the summed loss when
                the reduction is ``'mean'``. Defaults to None.
            reduction_override (str, optional): Replaces ``reduction`` for
                this call. Defaults to None.

        Returns:
            Tensor: The weighted loss; a scalar unless the reduction is
            ``'none'`` (then [N, C]).
        """
        if pred.shape != target.shape:
            raise ValueError(
                'EmotionFocalLoss: pred and target must have the same shape '
                f'[N, C], got {tuple(pred.shape)} and {tuple(target.shape)}.')
        reduction = reduction_override or self.reduction
        loss = emotion_focal_loss(pred, target, self.alpha, self.gamma)
        if weight is not None and weight.dim() == 1:
            weight = weight[:, None]  # [N, 1], broadcast over classes
        loss = weight_reduce_loss(loss, weight, reduction, avg_factor)
        return self.loss_weight * loss
