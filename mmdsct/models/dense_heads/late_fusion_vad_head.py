"""The optional VAD head of the two-stage baseline recogniser."""
from typing import Dict, Sequence

import torch
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig, reduce_mean
from mmengine.model import BaseModule
from torch import Tensor, nn

from ...structures import NUM_VAD_DIMENSIONS
from ..utils.side_init import build_aside, reset_linear_aside
from ..utils.vad_scale import check_vad_range, vad_from_unit, vad_to_unit


@MODELS.register_module()
class LateFusionVADHead(BaseModule):
    """Valence, arousal and dominance of each subject from its branch
    features, as the continuous output of Kosti et al.'s EMOTIC baseline.

    The pooled features of the recogniser's branches (body crop, context)
    are concatenated and a 2-layer MLP gives three outputs, mapped to the
    dataset's scale as ``low + (high - low) * sigmoid(x)`` with
    ``(low, high) = vad_range``. The loss (L1 or smooth L1) is computed on
    the [0, 1] scale over the known values: a subject without VAD (NaN) adds
    nothing and gets no gradient. The layers are built and initialised
    without drawing from torch's global random stream, so a recogniser
    starts its other layers as it does without this head.

    Args:
        in_channels (Sequence[int]): Channels of each branch's pooled
            feature; the recogniser fills this in.
        hidden_channels (int): Width of the hidden layer. Defaults to 256.
        vad_range (Sequence[float]): ``(low, high)`` of the dataset's VAD
            scale. Defaults to (1.0, 10.0) (EMOTIC).
        loss_vad (dict): Config of the loss, called as ``loss(pred [K, 3],
            target [K, 3], weight [K, 3], avg_factor=...)``. Defaults to
            ``dict(type='L1Loss', loss_weight=1.0)``.
        init_cfg (dict or list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 hidden_channels: int = 256,
                 vad_range: Sequence[float] = (1.0, 10.0),
                 loss_vad: ConfigType = dict(type='L1Loss', loss_weight=1.0),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) == 0:
            raise ValueError('LateFusionVADHead needs at least one branch '
                             'in in_channels, got none')
        self.in_channels = tuple(in_channels)
        self.vad_range = check_vad_range(vad_range)
        self.mlp = build_aside(lambda: nn.Sequential(
            nn.Linear(sum(self.in_channels), hidden_channels),
            nn.ReLU(inplace=True),
            nn.Linear(hidden_channels, NUM_VAD_DIMENSIONS)))
        self._reset_parameters()
        self.loss_vad = MODELS.build(loss_vad)

    def init_weights(self) -> None:
        """Apply ``init_cfg`` if any, else the init of :meth:`__init__`
        again (both aside from the global random stream when no
        ``init_cfg`` is given)."""
        if self.init_cfg:
            super().init_weights()
        else:
            self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's default Linear init, the last bias 0 (mid-scale),
        drawn aside from the global random stream (see
        :mod:`mmdsct.models.utils.side_init`)."""
        reset_linear_aside(self.mlp, b'late_fusion_vad_head')
        nn.init.zeros_(self.mlp[-1].bias)

    def forward(self, branch_feats: Sequence[Tensor]) -> Tensor:
        """VAD of every subject on the [0, 1] scale.

        Args:
            branch_feats (Sequence[Tensor]): One pooled feature per branch,
                each [K, in_channels[i]].

        Returns:
            Tensor: Sigmoid outputs, [K, 3].
        """
        if len(branch_feats) != len(self.in_channels):
            raise ValueError(f'LateFusionVADHead was built for '
                             f'{len(self.in_channels)} branches, got '
                             f'{len(branch_feats)}')
        return self.mlp(torch.cat(list(branch_feats), dim=1)).sigmoid()

    def loss(self, branch_feats: Sequence[Tensor],
             gt_vad: Tensor) -> Dict[str, Tensor]:
        """VAD loss of a batch of subjects, averaged over the known values
        (averaged over the processes, at least 1).

        Args:
            branch_feats (Sequence[Tensor]): As in :meth:`forward`.
            gt_vad (Tensor): VAD on the dataset's scale, NaN where unknown,
                [K, 3].

        Returns:
            dict[str, Tensor]: ``loss_vad``, a scalar.
        """
        pred = self(branch_feats)  # [K, 3]
        targets, weights = vad_to_unit(gt_vad.to(pred.dtype), self.vad_range)
        avg_factor = reduce_mean(weights.sum().detach()).clamp(min=1).item()
        return dict(
            loss_vad=self.loss_vad(
                pred, targets, weights, avg_factor=avg_factor))

    def predict(self, branch_feats: Sequence[Tensor]) -> Tensor:
        """VAD of every subject on the dataset's scale.

        Args:
            branch_feats (Sequence[Tensor]): As in :meth:`forward`.

        Returns:
            Tensor: [K, 3] in ``vad_range``.
        """
        return vad_from_unit(self(branch_feats), self.vad_range)
