"""The DSCT head: emotion logits and boxes on the subject tokens."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmdet.models.dense_heads import DeformableDETRHead
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from mmdet.utils import InstanceList, reduce_mean
from mmengine.structures import InstanceData
from torch import Tensor

from ...structures import (EMOTIONS_FIELD, NUM_VAD_DIMENSIONS, SUBJECT_CLASSES,
                           SUBJECT_LABEL, VAD_FIELD, num_emotion_logits)
from ..utils.side_init import build_aside, reset_linear_aside
from ..utils.vad_scale import check_vad_range, vad_from_unit, vad_to_unit

# DSCT detects a single class, the subject.
NUM_DETECTION_CLASSES = len(SUBJECT_CLASSES)
# What the losses are divided by (see DSCTHead.loss_by_feat_single).
LOSS_NORMALIZERS = ('num_gt', 'num_matched')
#: EMOTIC's scale of valence, arousal and dominance.
DEFAULT_VAD_RANGE = (1.0, 10.0)


@MODELS.register_module()
class DSCTHead(DeformableDETRHead):
    """Head of DSCT, applied to the subject tokens of every decoder layer.

    One linear emotion head and one 3-layer box MLP, both shared across the
    decoder layers (the detector sets ``share_pred_layer`` because DSCT does
    not refine boxes). The box MLP adds offsets to the inverse-sigmoid
    reference point, as Deformable DETR does.

    The logits follow :func:`~mmdsct.structures.num_emotion_logits`:

    - ``multi_label=True`` (EMOTIC): ``num_emotions + 1`` logits, the last
      one saying "this query is a subject". A matched query's target is its
      multi-hot emotions and 1; an unmatched query's target is all zeros.
      The subject score is the sigmoid of the last logit.
    - ``multi_label=False`` (CAER-S): ``num_emotions`` logits; a matched
      query's target is its one-hot emotion, an unmatched query's all zeros.
      The subject score is the largest emotion probability.

    The match cost (:class:`~mmdsct.models.task_modules.EmotionFocalCost`)
    reads the label kind off these logits, so ``multi_label`` is set here
    only. The emotion loss (``loss_cls`` in the loss dict, mmdet's sigmoid
    ``FocalLoss`` on the float targets, summed over queries and classes),
    the L1 and the GIoU losses are divided by the number of
    ground-truth subjects in the batch, averaged over the processes and at
    least 1, as the authors' code (Deformable DETR's ``num_boxes``) does.
    An image with more subjects than subject queries leaves some of them
    unmatched; they still count. ``loss_normalizer='num_matched'`` divides
    by the number of matched queries instead, as mmdet's DETR heads do.

    Optional VAD branch (``with_vad=True``; off in the faithful configs, and
    then the head builds and computes exactly what it does without it): a
    2-layer MLP on the subject tokens, shared across the decoder layers,
    predicts valence, arousal and dominance as ``low + (high - low) *
    sigmoid(x)`` with ``(low, high) = vad_range`` (EMOTIC: 1-10), reported
    as ``pred_instances.vad``. ``loss_vad`` (an L1 or smooth-L1 loss) is
    computed on the [0, 1] scale, ``(vad - low) / (high - low)``, for the
    matched queries whose subject has VAD (``gt_instances.vad``; a missing
    field or a NaN value gives no loss and no gradient), averaged over those
    values (``loss_vad`` and ``d{i}.loss_vad``). The matching is the one of
    the other losses: its cost has no VAD term. The branch is created after
    the other layers, and created and initialised without drawing from
    torch's global random stream, so every other parameter starts as it
    does without the branch. With ``vad_detach_input=True`` the branch
    reads the subject tokens through a stop-gradient: the VAD loss then
    trains the branch's own layers only, and, with the branch's gradients
    clipped apart from the rest
    (:class:`~mmdsct.engine.optimizers.SeparateClipOptimWrapperConstructor`),
    every other parameter follows exactly the trajectory it follows without
    the branch.

    Args:
        num_emotions (int): Number C of emotion classes.
        multi_label (bool): Multi-hot (True) or one-hot (False) emotion
            targets. Defaults to True.
        loss_normalizer (str): ``'num_gt'`` (the authors') or
            ``'num_matched'`` (mmdet's). Defaults to ``'num_gt'``.
        with_vad (bool): Add the VAD branch. Defaults to False.
        vad_range (Sequence[float]): ``(low, high)`` of the dataset's VAD
            scale. Defaults to (1.0, 10.0).
        loss_vad (dict): Config of the VAD loss (``L1Loss`` or
            ``SmoothL1Loss``), used with ``with_vad``. Defaults to
            ``dict(type='L1Loss', loss_weight=1.0)``.
        vad_detach_input (bool): Feed the branch detached subject tokens,
            so that no VAD gradient reaches the shared layers. Needs
            ``with_vad``. Defaults to False (trained jointly).
        **kwargs: The arguments of
            :class:`~mmdet.models.dense_heads.DeformableDETRHead` except
            ``num_classes`` (DSCT detects one class, the subject).
    """

    def __init__(self,
                 *args,
                 num_emotions: int,
                 multi_label: bool = True,
                 loss_normalizer: str = 'num_gt',
                 with_vad: bool = False,
                 vad_range: Sequence[float] = DEFAULT_VAD_RANGE,
                 loss_vad: Optional[dict] = None,
                 vad_detach_input: bool = False,
                 **kwargs) -> None:
        if kwargs.pop('num_classes', NUM_DETECTION_CLASSES) != \
                NUM_DETECTION_CLASSES:
            raise ValueError(
                'DSCTHead detects one class (the subject); set the number '
                'of emotion classes with num_emotions, not num_classes.')
        if num_emotions < 1:
            raise ValueError(f'num_emotions must be >= 1, got {num_emotions}.')
        if loss_normalizer not in LOSS_NORMALIZERS:
            raise ValueError(f'loss_normalizer must be one of '
                             f'{LOSS_NORMALIZERS}, got {loss_normalizer!r}.')
        self.loss_normalizer = loss_normalizer
        self.num_emotions = num_emotions
        self.multi_label = multi_label
        if vad_detach_input and not with_vad:
            raise ValueError('vad_detach_input=True needs with_vad=True.')
        self.with_vad = with_vad
        self.vad_detach_input = vad_detach_input
        self.vad_range = check_vad_range(vad_range)
        super().__init__(*args, num_classes=NUM_DETECTION_CLASSES, **kwargs)
        if with_vad:
            self.loss_vad = MODELS.build(
                loss_vad or dict(type='L1Loss', loss_weight=1.0))

    def _init_layers(self) -> None:
        """Build the shared emotion head and box MLP, then the VAD branch."""
        self.cls_out_channels = num_emotion_logits(self.num_emotions,
                                                   self.multi_label)
        super()._init_layers()
        if self.with_vad:
            # forked: the global stream stays where it was, so the layers
            # built after the head start as they do without the branch
            self.vad_branch = build_aside(lambda: nn.Sequential(
                nn.Linear(self.embed_dims, self.embed_dims), nn.ReLU(),
                nn.Linear(self.embed_dims, NUM_VAD_DIMENSIONS)))
            self._init_vad_branch()

    def init_weights(self) -> None:
        """Initialise as Deformable DETR's head, then the VAD branch."""
        super().init_weights()
        if self.with_vad:
            self._init_vad_branch()

    def _init_vad_branch(self) -> None:
        """PyTorch's default Linear init, the last bias 0 (mid-scale),
        drawn aside from the global random stream (see
        :mod:`mmdsct.models.utils.side_init`)."""
        reset_linear_aside(self.vad_branch, b'vad_branch')
        nn.init.zeros_(self.vad_branch[-1].bias)

    def forward_vad(self, hidden_states: Tensor) -> Tensor:
        """VAD of every decoder layer on the [0, 1] scale.

        Args:
            hidden_states (Tensor): Subject tokens of every decoder layer,
                [num_layers, bs, num_subject, dim].

        Returns:
            Tensor: ``sigmoid`` outputs, [num_layers, bs, num_subject, 3];
            ``vad_range`` maps them to the dataset's scale.
        """
        if self.vad_detach_input:
            hidden_states = hidden_states.detach()
        return self.vad_branch(hidden_states).sigmoid()

    def forward(
        self,
        hidden_states: Tensor,
        references: List[Tensor],
        spatial_context_points: Optional[Tensor] = None,
        semantic_context_points: Optional[Tensor] = None
    ) -> Tuple[Tensor, Tensor]:
        """Emotion logits and boxes of every decoder layer.

        Args:
            hidden_states (Tensor): Subject tokens of every decoder layer,
                [num_layers, bs, num_subject, dim].
            references (list[Tensor]): Their reference points, num_layers
                + 1 tensors [bs, num_subject, 2].
            spatial_context_points (Tensor, optional): Unused here: DSCT
                hands the chosen context points to every head call; only
                :meth:`predict` reports them.
            semantic_context_points (Tensor, optional): Unused here.

        Returns:
            tuple[Tensor, Tensor]: Emotion logits
            [num_layers, bs, num_subject, cls_out_channels] and normalised
            (cx, cy, w, h) boxes [num_layers, bs, num_subject, 4].
        """
        return super().forward(hidden_states, references)

    def loss(self,
             hidden_states: Tensor,
             references: List[Tensor],
             enc_outputs_class: Optional[Tensor],
             enc_outputs_coord: Optional[Tensor],
             batch_data_samples: SampleList,
             spatial_context_points: Optional[Tensor] = None,
             semantic_context_points: Optional[Tensor] = None) -> dict:
        """Losses of every decoder layer (see
        :meth:`loss_by_feat_single`).

        Args:
            hidden_states (Tensor): Subject tokens of every decoder layer,
                [num_layers, bs, num_subject, dim].
            references (list[Tensor]): Their reference points, num_layers
                + 1 tensors [bs, num_subject, 2].
            enc_outputs_class (Tensor, optional): None: DSCT has no
                two-stage proposals.
            enc_outputs_coord (Tensor, optional): None, likewise.
            batch_data_samples (list[DetDataSample]): Ground truth
                (``gt_instances`` with ``emotions``) and meta information.
            spatial_context_points (Tensor, optional): Unused: the chosen
                context points take no part in the losses.
            semantic_context_points (Tensor, optional): Unused, likewise.

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_bbox``, ``loss_iou`` of
            the last layer and ``d{i}.loss_*`` of the others.
        """
        batch_gt_instances = [s.gt_instances for s in batch_data_samples]
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        outs = self(hidden_states, references)
        losses = self.loss_by_feat(*outs, enc_outputs_class, enc_outputs_coord,
                                   batch_gt_instances, batch_img_metas)
        if self.with_vad:
            losses.update(
                self.loss_vad_by_feat(*outs, self.forward_vad(hidden_states),
                                      batch_gt_instances, batch_img_metas))
        return losses

    def loss_vad_by_feat(self, all_layers_cls_scores: Tensor,
                         all_layers_bbox_preds: Tensor,
                         all_layers_vad_preds: Tensor,
                         batch_gt_instances: InstanceList,
                         batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """VAD loss of every decoder layer, on that layer's matching.

        Args:
            all_layers_cls_scores (Tensor): Emotion logits,
                [num_layers, bs, num_queries, cls_out_channels].
            all_layers_bbox_preds (Tensor): Normalised (cx, cy, w, h),
                [num_layers, bs, num_queries, 4].
            all_layers_vad_preds (Tensor): VAD on the [0, 1] scale,
                [num_layers, bs, num_queries, 3].
            batch_gt_instances (list[InstanceData]): Ground truth per image,
                with ``vad`` [num_gts, 3] where the data has it.
            batch_img_metas (list[dict]): Meta information per image.

        Returns:
            dict[str, Tensor]: ``loss_vad`` of the last layer and
            ``d{i}.loss_vad`` of the others.
        """
        losses = {}
        num_layers = all_layers_vad_preds.size(0)
        for layer in range(num_layers):
            name = 'loss_vad' if layer == num_layers - 1 else \
                f'd{layer}.loss_vad'
            losses[name] = self.loss_vad_single(all_layers_cls_scores[layer],
                                                all_layers_bbox_preds[layer],
                                                all_layers_vad_preds[layer],
                                                batch_gt_instances,
                                                batch_img_metas)
        return losses

    def loss_vad_single(self, cls_scores: Tensor, bbox_preds: Tensor,
                        vad_preds: Tensor, batch_gt_instances: InstanceList,
                        batch_img_metas: List[dict]) -> Tensor:
        """VAD loss of one decoder layer.

        Only matched queries whose subject has a finite VAD value count;
        the others get weight 0 and a finite placeholder target, hence no
        gradient. The loss is averaged over the counted values (averaged
        over the processes, at least 1).

        Args:
            cls_scores (Tensor): Emotion logits,
                [bs, num_queries, cls_out_channels].
            bbox_preds (Tensor): Normalised (cx, cy, w, h),
                [bs, num_queries, 4].
            vad_preds (Tensor): VAD on the [0, 1] scale,
                [bs, num_queries, 3].
            batch_gt_instances (list[InstanceData]): Ground truth per image.
            batch_img_metas (list[dict]): Meta information per image.

        Returns:
            Tensor: The weighted loss, a scalar.
        """
        targets = torch.zeros_like(vad_preds)
        weights = torch.zeros_like(vad_preds)
        for i, gt_instances in enumerate(batch_gt_instances):
            if VAD_FIELD not in gt_instances or len(gt_instances) == 0:
                continue
            pos_inds, _, pos_gt_inds = self._match(cls_scores[i],
                                                   bbox_preds[i], gt_instances,
                                                   batch_img_metas[i])
            targets[i, pos_inds], weights[i, pos_inds] = vad_to_unit(
                gt_instances[VAD_FIELD][pos_gt_inds].to(vad_preds),
                self.vad_range)
        avg_factor = torch.clamp(
            reduce_mean(weights.sum().detach()), min=1).item()
        return self.loss_vad(
            vad_preds.reshape(-1, NUM_VAD_DIMENSIONS),
            targets.reshape(-1, NUM_VAD_DIMENSIONS),
            weights.reshape(-1, NUM_VAD_DIMENSIONS),
            avg_factor=avg_factor)

    def loss_by_feat_single(self, cls_scores: Tensor, bbox_preds: Tensor,
                            batch_gt_instances: InstanceList,
                            batch_img_metas: List[dict]) -> Tuple[Tensor]:
        """Emotion, L1 and GIoU losses of one decoder layer.

        With ``loss_normalizer='num_gt'`` each loss is a sum over the batch
        divided by the number of ground-truth subjects (averaged over the
        processes, at least 1): the focal loss summed over all queries and
        logits, the L1 distance summed over the matched boxes' 4
        coordinates, ``1 - GIoU`` summed over the matched boxes. With
        ``'num_matched'``, mmdet's ``DETRHead`` computes them.

        Args:
            cls_scores (Tensor): Emotion logits,
                [bs, num_queries, cls_out_channels].
            bbox_preds (Tensor): Normalised (cx, cy, w, h),
                [bs, num_queries, 4].
            batch_gt_instances (list[InstanceData]): Ground truth per image.
            batch_img_metas (list[dict]): Meta information per image.

        Returns:
            tuple[Tensor]: ``loss_cls``, ``loss_bbox`` and ``loss_iou``.
        """
        if self.loss_normalizer == 'num_matched':
            return super().loss_by_feat_single(cls_scores, bbox_preds,
                                               batch_gt_instances,
                                               batch_img_metas)
        num_imgs = cls_scores.size(0)
        (emotion_targets, emotion_weights, bbox_targets, bbox_weights, _,
         _) = self.get_targets([cls_scores[i] for i in range(num_imgs)],
                               [bbox_preds[i] for i in range(num_imgs)],
                               batch_gt_instances, batch_img_metas)
        num_gts = sum(len(gt) for gt in batch_gt_instances)
        avg_factor = torch.clamp(
            reduce_mean(cls_scores.new_tensor([num_gts])), min=1).item()
        loss_cls = self.loss_cls(
            cls_scores.reshape(-1, self.cls_out_channels),
            torch.cat(emotion_targets),
            torch.cat(emotion_weights),
            avg_factor=avg_factor)

        # (w, h, w, h) of each image, one row per query: [bs * num_queries, 4]
        factors = torch.cat([
            bbox_preds.new_tensor([w, h, w, h]).expand(bbox_preds.size(1), 4)
            for h, w in (meta['img_shape'][:2] for meta in batch_img_metas)
        ])
        bbox_preds = bbox_preds.reshape(-1, 4)
        bbox_targets = torch.cat(bbox_targets)
        bbox_weights = torch.cat(bbox_weights)
        loss_iou = self.loss_iou(
            bbox_cxcywh_to_xyxy(bbox_preds) * factors,
            bbox_cxcywh_to_xyxy(bbox_targets) * factors,
            bbox_weights,
            avg_factor=avg_factor)
        loss_bbox = self.loss_bbox(
            bbox_preds, bbox_targets, bbox_weights, avg_factor=avg_factor)
        return loss_cls, loss_bbox, loss_iou

    def _get_targets_single(self, cls_score: Tensor, bbox_pred: Tensor,
                            gt_instances: InstanceData,
                            img_meta: dict) -> tuple:
        """Match the subject queries of one image and build their targets.

        Args:
            cls_score (Tensor): Emotion logits of one decoder layer,
                [num_queries, cls_out_channels].
            bbox_pred (Tensor): Normalised (cx, cy, w, h) boxes,
                [num_queries, 4].
            gt_instances (InstanceData): ``bboxes`` [num_gts, 4] (xyxy,
                pixels of the network input), ``labels`` [num_gts] and
                ``emotions`` [num_gts, C].
            img_meta (dict): Meta information (``img_shape``).

        Returns:
            tuple[Tensor]: ``emotion_targets`` [num_queries,
            cls_out_channels] float (in the place of mmdet's labels),
            ``emotion_weights`` [num_queries], ``bbox_targets``
            [num_queries, 4], ``bbox_weights`` [num_queries, 4],
            ``pos_inds`` and ``neg_inds``.
        """
        if EMOTIONS_FIELD not in gt_instances:
            raise KeyError(
                f'DSCTHead needs gt_instances.{EMOTIONS_FIELD} [num_gts, C]; '
                'load them with LoadEmotionAnnotations and pack them with '
                'PackEmotionInputs.')
        img_h, img_w = img_meta['img_shape']
        factor = bbox_pred.new_tensor([img_w, img_h, img_w, img_h])[None]
        num_queries = bbox_pred.size(0)
        pos_inds, neg_inds, pos_gt_inds = self._match(cls_score, bbox_pred,
                                                      gt_instances, img_meta)

        emotion_targets = cls_score.new_zeros(
            (num_queries, self.cls_out_channels))
        emotion_targets[pos_inds, :self.num_emotions] = \
            gt_instances[EMOTIONS_FIELD][pos_gt_inds].to(cls_score.dtype)
        if self.multi_label:  # the subject logit
            emotion_targets[pos_inds, self.num_emotions] = 1.0
        emotion_weights = cls_score.new_ones(num_queries)

        gt_bboxes = gt_instances.bboxes.to(bbox_pred.dtype)
        bbox_targets = torch.zeros_like(bbox_pred)
        bbox_weights = torch.zeros_like(bbox_pred)
        bbox_weights[pos_inds] = 1.0
        bbox_targets[pos_inds] = bbox_xyxy_to_cxcywh(gt_bboxes[pos_gt_inds] /
                                                     factor)
        return (emotion_targets, emotion_weights, bbox_targets, bbox_weights,
                pos_inds, neg_inds)

    def _match(self, cls_score: Tensor, bbox_pred: Tensor,
               gt_instances: InstanceData,
               img_meta: dict) -> Tuple[Tensor, Tensor, Tensor]:
        """Hungarian matching of one image's subject queries.

        Args:
            cls_score (Tensor): Emotion logits,
                [num_queries, cls_out_channels].
            bbox_pred (Tensor): Normalised (cx, cy, w, h),
                [num_queries, 4].
            gt_instances (InstanceData): Ground truth of the image.
            img_meta (dict): Meta information (``img_shape``).

        Returns:
            tuple[Tensor, Tensor, Tensor]: ``pos_inds`` (matched queries),
            ``neg_inds`` (the others) and ``pos_gt_inds`` (the subject of
            each matched query), all long.
        """
        img_h, img_w = img_meta['img_shape']
        factor = bbox_pred.new_tensor([img_w, img_h, img_w, img_h])[None]
        pred_instances = InstanceData(
            scores=cls_score, bboxes=bbox_cxcywh_to_xyxy(bbox_pred) * factor)
        assign_result = self.assigner.assign(
            pred_instances=pred_instances,
            gt_instances=gt_instances,
            img_meta=img_meta)
        pos_inds = torch.nonzero(assign_result.gt_inds > 0).squeeze(-1)
        neg_inds = torch.nonzero(assign_result.gt_inds == 0).squeeze(-1)
        return pos_inds, neg_inds, assign_result.gt_inds[pos_inds] - 1

    def predict(
            self,
            hidden_states: Tensor,
            references: List[Tensor],
            batch_data_samples: SampleList,
            rescale: bool = True,
            spatial_context_points: Optional[Tensor] = None,
            semantic_context_points: Optional[Tensor] = None) -> InstanceList:
        """Predict subjects, their emotions and the chosen context points.

        Args:
            hidden_states (Tensor): Subject tokens of every decoder layer,
                [num_layers, bs, num_subject, dim].
            references (list[Tensor]): Their reference points, each
                [bs, num_subject, 2].
            batch_data_samples (list[DetDataSample]): Meta information.
            rescale (bool): Return boxes and points in original-image pixels.
                Defaults to True.
            spatial_context_points (Tensor, optional): Normalised reference
                points of the context tokens chosen by the spatial relation
                of the last layer, [bs, num_subject, K_sp, 2].
            semantic_context_points (Tensor, optional): The same for the
                semantic relation, [bs, num_subject, K_sm, 2].

        Returns:
            list[InstanceData]: One per image, see
            :meth:`_predict_by_feat_single`.
        """
        batch_img_metas = [sample.metainfo for sample in batch_data_samples]
        outs = self(hidden_states, references)
        vad_preds = self.forward_vad(hidden_states[-1:]) \
            if self.with_vad else None
        return self.predict_by_feat(
            *outs,
            batch_img_metas=batch_img_metas,
            rescale=rescale,
            spatial_context_points=spatial_context_points,
            semantic_context_points=semantic_context_points,
            all_layers_vad_preds=vad_preds)

    def predict_by_feat(
            self,
            all_layers_cls_scores: Tensor,
            all_layers_bbox_preds: Tensor,
            batch_img_metas: List[Dict],
            rescale: bool = False,
            spatial_context_points: Optional[Tensor] = None,
            semantic_context_points: Optional[Tensor] = None,
            all_layers_vad_preds: Optional[Tensor] = None) -> InstanceList:
        """Turn the last layer's outputs into per-image predictions.

        Args:
            all_layers_cls_scores (Tensor): Emotion logits,
                [num_layers, bs, num_subject, cls_out_channels].
            all_layers_bbox_preds (Tensor): Normalised (cx, cy, w, h) boxes,
                [num_layers, bs, num_subject, 4].
            batch_img_metas (list[dict]): Meta information of each image.
            rescale (bool): Return original-image pixels. Defaults to False.
            spatial_context_points (Tensor, optional):
                [bs, num_subject, K_sp, 2], normalised.
            semantic_context_points (Tensor, optional):
                [bs, num_subject, K_sm, 2], normalised.
            all_layers_vad_preds (Tensor, optional): VAD on the [0, 1]
                scale, [num_layers, bs, num_subject, 3] (the last layer is
                used); None without the VAD branch.

        Returns:
            list[InstanceData]: One per image.
        """
        cls_scores = all_layers_cls_scores[-1]
        bbox_preds = all_layers_bbox_preds[-1]
        num_subject = cls_scores.shape[1]
        no_points = cls_scores.new_zeros(
            (cls_scores.shape[0], num_subject, 0, 2))
        if spatial_context_points is None:
            spatial_context_points = no_points
        if semantic_context_points is None:
            semantic_context_points = no_points
        vad_preds = None if all_layers_vad_preds is None else \
            all_layers_vad_preds[-1]
        return [
            self._predict_by_feat_single(
                cls_scores[i], bbox_preds[i], img_meta, rescale,
                spatial_context_points[i], semantic_context_points[i],
                None if vad_preds is None else vad_preds[i])
            for i, img_meta in enumerate(batch_img_metas)
        ]

    def subject_scores_and_emotions(
            self, cls_score: Tensor) -> Tuple[Tensor, Tensor]:
        """Split logits into subject scores and emotion probabilities.

        Args:
            cls_score (Tensor): Logits, [num_subject, cls_out_channels].

        Returns:
            tuple[Tensor, Tensor]: Subject scores [num_subject] and emotion
            probabilities [num_subject, C], all in [0, 1].
        """
        prob = cls_score.sigmoid()
        emotions = prob[:, :self.num_emotions]
        if self.multi_label:
            return prob[:, self.num_emotions], emotions
        return emotions.max(dim=1).values, emotions

    def _predict_by_feat_single(
            self,
            cls_score: Tensor,
            bbox_pred: Tensor,
            img_meta: dict,
            rescale: bool = True,
            spatial_context_points: Optional[Tensor] = None,
            semantic_context_points: Optional[Tensor] = None,
            vad_pred: Optional[Tensor] = None) -> InstanceData:
        """Predictions of one image, sorted by subject score.

        Args:
            cls_score (Tensor): Logits, [num_subject, cls_out_channels].
            bbox_pred (Tensor): Normalised (cx, cy, w, h),
                [num_subject, 4].
            img_meta (dict): ``img_shape`` and, with ``rescale``,
                ``scale_factor``.
            rescale (bool): Return original-image pixels. Defaults to True.
            spatial_context_points (Tensor, optional): Normalised points,
                [num_subject, K_sp, 2].
            semantic_context_points (Tensor, optional): Normalised points,
                [num_subject, K_sm, 2].
            vad_pred (Tensor, optional): VAD on the [0, 1] scale,
                [num_subject, 3].

        Returns:
            InstanceData: ``bboxes`` [n, 4] xyxy (clamped to the image),
            ``scores`` [n], ``labels`` [n] (all 0), ``emotions`` [n, C],
            ``spatial_context_points`` [n, K_sp, 2] and
            ``semantic_context_points`` [n, K_sm, 2] as (x, y) pixels;
            n is ``test_cfg.max_per_img`` or the number of subject queries.
            For the official protocol (see ``EmotionMetric``) also
            ``query_index`` [n] (the subject query of each row),
            ``emotion_logits`` [n, C] (the subject logit left out) and
            ``bboxes_unclamped`` [n, 4] (see :meth:`_official_boxes`), and
            ``num_queries`` in the metainfo. With ``vad_pred``, ``vad``
            [n, 3] (valence, arousal, dominance) in ``vad_range``.
        """
        num_subject = cls_score.shape[0]
        max_per_img = (self.test_cfg or {}).get('max_per_img', num_subject)
        scores, emotions = self.subject_scores_and_emotions(cls_score)
        scores, order = scores.sort(descending=True)
        order = order[:max_per_img]
        img_h, img_w = img_meta['img_shape']
        # (x, y) pixels of the network input per normalised unit
        size = bbox_pred.new_tensor([img_w, img_h])
        if rescale:
            size = size / size.new_tensor(img_meta['scale_factor'][:2])

        bboxes = bbox_cxcywh_to_xyxy(bbox_pred[order]).clamp(min=0, max=1)
        results = InstanceData()
        results.bboxes = bboxes * size.repeat(2)
        results.scores = scores[:max_per_img]
        results.labels = torch.full_like(order, SUBJECT_LABEL)
        results.emotions = emotions[order]
        results.query_index = order
        results.emotion_logits = cls_score[order, :self.num_emotions]
        results.bboxes_unclamped = self._official_boxes(
            bbox_pred[order], img_meta, size if rescale else None)
        results.set_metainfo(dict(num_queries=num_subject))
        for name, points in (('spatial_context_points',
                              spatial_context_points),
                             ('semantic_context_points',
                              semantic_context_points)):
            if points is None:
                points = bbox_pred.new_zeros((num_subject, 0, 2))
            results[name] = points[order] * size
        if vad_pred is not None:
            results[VAD_FIELD] = vad_from_unit(vad_pred[order], self.vad_range)
        return results

    @staticmethod
    def _official_boxes(bbox_pred: Tensor, img_meta: dict,
                        rescaled_size: Optional[Tensor]) -> Tensor:
        """Boxes as the official test script computes them: not clamped.

        (cx, cy, w, h) -> (x1, y1, x2, y2), times (W, H, W, H) of the
        original image (``ori_shape``), in float32 as given. Without
        ``ori_shape``, the size the clamped boxes use.

        Args:
            bbox_pred (Tensor): Normalised (cx, cy, w, h), [n, 4].
            img_meta (dict): ``ori_shape`` (or ``img_shape``).
            rescaled_size (Tensor, optional): (x, y) pixels of the original
                image per normalised unit, [2]; None for network-input
                pixels (``rescale=False``).

        Returns:
            Tensor: [n, 4] xyxy pixels, possibly outside the image.
        """
        if rescaled_size is None:
            height, width = img_meta['img_shape'][:2]
        elif 'ori_shape' in img_meta:
            height, width = img_meta['ori_shape'][:2]
        else:
            return bbox_cxcywh_to_xyxy(bbox_pred) * rescaled_size.repeat(2)
        factor = bbox_pred.new_tensor([width, height, width, height])
        return bbox_cxcywh_to_xyxy(bbox_pred) * factor
