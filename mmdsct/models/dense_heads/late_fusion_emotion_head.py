"""The late-fusion emotion head of the two-stage baseline recogniser."""
from typing import Dict, Sequence

import torch
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig, reduce_mean
from mmengine.model import BaseModule
from torch import Tensor, nn


@MODELS.register_module()
class LateFusionEmotionHead(BaseModule):
    """Classifies each subject from its concatenated branch features.

    This is the fusion network of the two-stage baselines (Kosti et al.,
    EMOTIC): the pooled feature of every CNN branch (body crop, whole image)
    is computed separately, the features are concatenated, and a small MLP
    maps them to one logit per emotion class. It has no box outputs: stage
    one already fixed the subjects.

    Args:
        num_emotions (int): Number of emotion classes C.
        in_channels (Sequence[int]): Channels of each branch's pooled
            feature, in the order the branches are concatenated. The
            recogniser fills this in from its backbones.
        hidden_channels (int): Width of the fusion layer. Defaults to 256.
        dropout (float): Dropout after the fusion layer. Defaults to 0.5.
        loss_emotion (dict): Config of the emotion loss, called as
            ``loss(logits [K, C], targets [K, C], avg_factor=K)``.
            Defaults to mmdet's sigmoid ``FocalLoss``, the loss of DSCT.
        init_cfg (dict or list[dict], optional): Initialisation config.
            By default the classifier's bias starts at a 1 % prior, as the
            classification layers of the DETR family trained with focal loss.
    """

    def __init__(
        self,
        num_emotions: int,
        in_channels: Sequence[int],
        hidden_channels: int = 256,
        dropout: float = 0.5,
        loss_emotion: ConfigType = dict(type='FocalLoss', use_sigmoid=True),
        init_cfg: OptMultiConfig = dict(
            type='Xavier',
            layer='Linear',
            distribution='uniform',
            override=dict(
                name='classifier', type='Normal', std=0.01, bias_prob=0.01))
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) == 0:
            raise ValueError('LateFusionEmotionHead needs at least one '
                             'branch in in_channels, got none')
        self.num_emotions = num_emotions
        self.in_channels = tuple(in_channels)
        self.fusion = nn.Sequential(
            nn.Linear(sum(self.in_channels), hidden_channels),
            nn.LayerNorm(hidden_channels), nn.ReLU(inplace=True),
            nn.Dropout(dropout))
        self.classifier = nn.Linear(hidden_channels, num_emotions)
        self.loss_emotion = MODELS.build(loss_emotion)

    def forward(self, branch_feats: Sequence[Tensor]) -> Tensor:
        """Fuse the branch features of every subject into emotion logits.

        Args:
            branch_feats (Sequence[Tensor]): One pooled feature per branch,
                each [K, in_channels[i]], row k belonging to subject k.

        Returns:
            Tensor: Emotion logits, [K, C].
        """
        if len(branch_feats) != len(self.in_channels):
            raise ValueError(f'LateFusionEmotionHead was built for '
                             f'{len(self.in_channels)} branches, got '
                             f'{len(branch_feats)}')
        fused = torch.cat(list(branch_feats), dim=1)  # [K, sum(in_channels)]
        return self.classifier(self.fusion(fused))

    def loss(self, branch_feats: Sequence[Tensor],
             gt_emotions: Tensor) -> Dict[str, Tensor]:
        """Emotion loss of a batch of subjects.

        The loss is summed over subjects and classes and divided by the
        number of subjects (averaged over processes in distributed training,
        at least 1), as DSCT normalises its emotion loss by the number of
        ground-truth subjects.

        Args:
            branch_feats (Sequence[Tensor]): As in :meth:`forward`.
            gt_emotions (Tensor): Multi-hot (or one-hot) float targets,
                [K, C].

        Returns:
            dict[str, Tensor]: ``loss_emotion``, a scalar.
        """
        logits = self(branch_feats)  # [K, C]
        num_subjects = reduce_mean(
            logits.new_tensor(float(gt_emotions.size(0)))).clamp(min=1).item()
        loss = self.loss_emotion(
            logits, gt_emotions.to(logits.dtype), avg_factor=num_subjects)
        return dict(loss_emotion=loss)

    def predict(self, branch_feats: Sequence[Tensor]) -> Tensor:
        """Per-class emotion probabilities of every subject.

        Args:
            branch_feats (Sequence[Tensor]): As in :meth:`forward`.

        Returns:
            Tensor: Sigmoid probabilities in [0, 1], [K, C].
        """
        return self(branch_feats).sigmoid()
