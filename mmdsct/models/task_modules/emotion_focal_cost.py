"""Focal-style emotion cost for mmdet's ``HungarianAssigner``."""
from typing import Optional, Union

from mmdet.models.task_modules.assigners.match_cost import BaseMatchCost
from mmdet.registry import TASK_UTILS
from mmengine.structures import InstanceData
from torch import Tensor


@TASK_UTILS.register_module()
class EmotionFocalCost(BaseMatchCost):
    """Matching cost between emotion logits and emotion targets.

    mmdet's ``FocalLossCost`` reads one integer label per ground truth;
    a subject carries a multi-hot emotion vector instead. With the sigmoid
    probability ``p`` of each emotion class, the focal-style costs are::

        pos = -alpha * (1 - p)^gamma * log(p)
        neg = -(1 - alpha) * p^gamma * log(1 - p)

    - multi-label: mean over the C classes of ``(pos - neg) * target``;
    - single-label: ``pos - neg`` at the target class (the one-hot argmax).

    Only the first C logits are read, C being the width of
    ``gt_instances.emotions``; a trailing "is a subject" logit (multi-label
    head) takes no part, as in the official matcher.

    Args:
        alpha (float): Focal alpha. Defaults to 0.25.
        gamma (float): Focal gamma. Defaults to 2.0.
        eps (float): Added inside the logarithms. Defaults to 1e-8.
        multi_label (bool): Multi-hot targets (EMOTIC) or one-hot targets
            (CAER-S). Defaults to True.
        weight (float): Factor on the cost. Defaults to 1.0.
    """

    def __init__(self,
                 alpha: float = 0.25,
                 gamma: float = 2.0,
                 eps: float = 1e-8,
                 multi_label: bool = True,
                 weight: Union[float, int] = 1.0) -> None:
        super().__init__(weight=weight)
        self.alpha = alpha
        self.gamma = gamma
        self.eps = eps
        self.multi_label = multi_label

    def focal_costs(self, prob: Tensor) -> Tensor:
        """Positive minus negative focal cost of every probability.

        Args:
            prob (Tensor): Sigmoid probabilities, [num_preds, C].

        Returns:
            Tensor: ``pos - neg``, [num_preds, C].
        """
        neg = -(1 - prob + self.eps).log() * (1 - self.alpha) * prob.pow(
            self.gamma)
        pos = -(prob + self.eps).log() * self.alpha * (1 - prob).pow(
            self.gamma)
        return pos - neg

    def __call__(self,
                 pred_instances: InstanceData,
                 gt_instances: InstanceData,
                 img_meta: Optional[dict] = None,
                 **kwargs) -> Tensor:
        """Compute the cost matrix.

        Args:
            pred_instances (InstanceData): ``scores``: logits,
                [num_preds, C] or [num_preds, C + 1].
            gt_instances (InstanceData): ``emotions``: float multi-hot or
                one-hot targets, [num_gts, C].
            img_meta (dict, optional): Unused.

        Returns:
            Tensor: Weighted cost, [num_preds, num_gts].
        """
        if 'emotions' not in gt_instances:
            raise KeyError(
                'EmotionFocalCost needs gt_instances.emotions [num_gts, C]; '
                'load them with LoadEmotionAnnotations and pack them with '
                'PackEmotionInputs.')
        targets = gt_instances.emotions
        num_emotions = targets.shape[1]
        logits = pred_instances.scores
        if logits.shape[1] < num_emotions:
            raise ValueError(
                f'EmotionFocalCost: {logits.shape[1]} logits per query but '
                f'{num_emotions} emotion classes in the targets.')
        costs = self.focal_costs(logits[:, :num_emotions].sigmoid())
        if self.multi_label:
            # [num_preds, C] x [C, num_gts] -> [num_preds, num_gts]
            cost = costs @ targets.to(costs.dtype).t() / num_emotions
        else:
            cost = costs[:, targets.argmax(dim=1)]
        return cost * self.weight
