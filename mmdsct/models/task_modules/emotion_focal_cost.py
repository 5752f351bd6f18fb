"""mmdet's focal matching cost on the emotion targets of a subject."""
import logging
from typing import Optional, Union

import torch
from mmdet.models.task_modules.assigners.match_cost import FocalLossCost
from mmdet.registry import TASK_UTILS
from mmengine.logging import print_log
from mmengine.structures import InstanceData
from torch import Tensor

from ...structures import EMOTIONS_FIELD, logits_are_multi_label

#: The official matcher's epsilon inside the logarithms (mmdet's: 1e-12).
OFFICIAL_EPS = 1e-8


@TASK_UTILS.register_module()
class EmotionFocalCost(FocalLossCost):
    """mmdet's ``FocalLossCost`` between emotion logits and the emotion
    targets (``gt_instances.emotions``, [num_gts, C]) of the subjects.

    The label kind is read off the width of the logits, which the head
    sets from its ``multi_label`` (see
    :func:`~mmdsct.structures.num_emotion_logits`), so head and cost
    always agree:

    - C logits, single-label data: ``FocalLossCost`` as it is, at each
      subject's class (the index of its one-hot target);
    - C + 1 logits, multi-label data: what ``FocalLossCost`` lacks, a
      multi-hot target. ``FocalLossCost``'s cost of each of the C classes,
      weighted by the target and averaged over the C classes, as in the
      official matcher. The last logit (the subject logit) takes no part.

    Args:
        alpha (float): Focal alpha. Defaults to 0.25.
        gamma (float): Focal gamma. Defaults to 2.0.
        eps (float): Added inside the logarithms. Defaults to 1e-8, the
            official matcher's.
        weight (float): Factor on the cost. Defaults to 1.0.
        multi_label (bool, optional): Deprecated and ignored: the label kind
            is read off the logits. Accepted so that configs written for
            earlier versions still build.
    """

    def __init__(self,
                 alpha: float = 0.25,
                 gamma: float = 2.0,
                 eps: float = OFFICIAL_EPS,
                 weight: Union[float, int] = 1.0,
                 multi_label: Optional[bool] = None) -> None:
        super().__init__(alpha=alpha, gamma=gamma, eps=eps, weight=weight)
        if multi_label is not None:
            print_log(
                'EmotionFocalCost(multi_label=...) is deprecated and '
                "ignored: the label kind follows the head's logits "
                '(its multi_label). Remove it from the config.',
                logger='current',
                level=logging.WARNING)

    def __call__(self,
                 pred_instances: InstanceData,
                 gt_instances: InstanceData,
                 img_meta: Optional[dict] = None,
                 **kwargs) -> Tensor:
        """Compute the cost matrix.

        Args:
            pred_instances (InstanceData): ``scores``: logits,
                [num_preds, C + 1] (multi-label) or [num_preds, C].
            gt_instances (InstanceData): ``emotions``: float multi-hot or
                one-hot targets, [num_gts, C].
            img_meta (dict, optional): Unused.

        Returns:
            Tensor: Weighted cost, [num_preds, num_gts].
        """
        if EMOTIONS_FIELD not in gt_instances:
            raise KeyError(
                f'EmotionFocalCost needs gt_instances.{EMOTIONS_FIELD} '
                '[num_gts, C]; load them with LoadEmotionAnnotations and '
                'pack them with PackEmotionInputs.')
        targets = gt_instances[EMOTIONS_FIELD]
        num_classes = targets.shape[1]
        logits = pred_instances.scores
        try:
            multi_label = logits_are_multi_label(logits.shape[1], num_classes)
        except ValueError as error:
            raise ValueError(f'EmotionFocalCost: {error}') from error
        logits = logits[:, :num_classes]
        if not multi_label:
            return self._focal_loss_cost(logits, targets.argmax(dim=1))
        classes = torch.arange(num_classes, device=logits.device)
        costs = self._focal_loss_cost(logits, classes)  # [num_preds, C]
        # [num_preds, C] x [C, num_gts] -> [num_preds, num_gts]
        return costs @ targets.to(costs.dtype).t() / num_classes
