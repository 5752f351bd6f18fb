"""The two-stage baseline: subject boxes first, then crop + context CNNs."""
import copy
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.detectors import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, OptSampleList, SampleList
from mmdet.structures.bbox import bbox2roi, bbox_rescale, get_box_tensor
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ...structures import (EMOTIONS_FIELD, NUM_VAD_DIMENSIONS, SUBJECT_LABEL,
                           VAD_FIELD)
from ..dense_heads.late_fusion_emotion_head import LateFusionEmotionHead
from ..layers.subject_crop import SubjectCrop
from .frozen_subject_detector import FrozenSubjectDetector

BOX_SOURCES = ('gt', 'detector')
CONTEXT_SOURCES = ('image', 'surround')


@MODELS.register_module()
class TwoStageEmotionRecognizer(BaseDetector):
    """Two-stage context-aware emotion recogniser (Kosti et al. style).

    Stage one gives the subject boxes; stage two classifies every subject
    from a crop of its box fused with the whole image::

        subject box crops ─ body CNN ──── avg pool ─┐
                                                    ├─ concat ─ MLP ─ C logits
        whole image ─────── context CNN ─ avg pool ─┘

    The body branch runs once per subject (its cost grows with the number of
    subjects); the context branch runs once per image. The two CNNs have
    separate weights. With ``use_context=False`` the context branch is not
    built: the crop-only variant of the context ablation, whose prediction
    depends only on the pixels inside the subject box (plus the one pixel
    that bilinear resampling reads at the box border).

    With ``context_source='surround'`` the context branch reads, instead of
    the whole image, a crop of the subject box enlarged ``surround_scale``
    times about its centre (the "body + surrounding" input of context-aware
    two-stage methods); it then runs once per subject. Where the enlarged
    box leaves the image the crop is padded with zeros of the normalised
    input, i.e. the data preprocessor's mean colour (the value batch padding
    has too)::

        subject box crops ─────── body CNN ──── avg pool ─┐
                                                          ├─ concat ─ MLP
        enlarged box crops ────── context CNN ─ avg pool ─┘

    Subject boxes:

    - training (``loss``) always uses the ground-truth boxes, in the pixels
      of the network input, as the training pipeline transforms them;
    - ``box_source='gt'`` (GT-matched protocol): ``predict`` uses
      ``gt_instances.bboxes``, which the test pipeline keeps in
      original-image pixels; they are scaled by ``scale_factor`` to crop the
      resized input. Every prediction has score 1;
    - ``box_source='detector'``: ``predict`` uses the boxes of a trained
      detector (see :class:`FrozenSubjectDetector`) with its scores.

    Args:
        body_backbone (dict): Config of the body CNN, run on the crops. It
            must expose ``feat_dim`` (the channels of its last output), as
            mmdet's ``ResNet`` does.
        emotion_head (dict): Config of the fusion head
            (:class:`LateFusionEmotionHead`); its ``in_channels`` are filled
            in from the backbones.
        context_backbone (dict, optional): Config of the context CNN, run on
            the whole image; like ``body_backbone``. Required when
            ``use_context`` is True.
        crop_size (tuple[int, int]): (height, width) every subject crop is
            resampled to. Defaults to (128, 128), the body input of Kosti et
            al. A body CNN with batch norm in training needs a last feature
            map of more than one pixel: at least twice its stride (64 for
            ResNet).
        crop_mode (str): How crops are cut: ``'roi_align'`` (mmcv's
            compiled op, batched) or ``'interpolate'`` (plain PyTorch, per
            subject; for an mmcv without ops on the device). See
            :class:`SubjectCrop`. Defaults to ``'roi_align'``.
        use_context (bool): Whether to build and use the context branch.
            Defaults to True.
        context_source (str): What the context branch reads: ``'image'``
            (the whole image, once per image) or ``'surround'`` (an enlarged
            box around each subject). Defaults to ``'image'``.
        surround_scale (float): How many times the subject box is enlarged
            (width and height, about its centre) for ``'surround'``.
            Defaults to 3.0.
        surround_size (tuple[int, int], optional): (height, width) the
            enlarged-box crops are resampled to; None takes ``crop_size``.
            Defaults to None.
        box_source (str): Where ``predict`` takes subject boxes from:
            ``'gt'`` or ``'detector'``. Defaults to ``'gt'``.
        detector (dict, optional): Keyword arguments of
            :class:`FrozenSubjectDetector` (``config``, ``checkpoint``,
            optional ``score_thr``, ``subject_label``, ``max_subjects``);
            required when ``box_source='detector'``.
        data_preprocessor (dict, optional): Config of the data
            preprocessor, usually ``DetDataPreprocessor``.
        init_cfg (dict or list[dict], optional): Initialisation config.
        vad_head (dict, optional): Config of an optional VAD head
            (:class:`~mmdsct.models.dense_heads.LateFusionVADHead`) on the
            same branch features; its ``in_channels`` are filled in. It is
            built last, so the other layers start as they do without it.
            It adds ``loss_vad`` (subjects without ``gt_instances.vad`` or
            with NaN values add nothing) and ``pred_instances.vad`` [n, 3].
            Defaults to None.
    """

    def __init__(self,
                 body_backbone: ConfigType,
                 emotion_head: ConfigType,
                 context_backbone: OptConfigType = None,
                 crop_size: Tuple[int, int] = (128, 128),
                 crop_mode: str = 'roi_align',
                 use_context: bool = True,
                 context_source: str = 'image',
                 surround_scale: float = 3.0,
                 surround_size: Optional[Tuple[int, int]] = None,
                 box_source: str = 'gt',
                 detector: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 vad_head: OptConfigType = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if box_source not in BOX_SOURCES:
            raise ValueError(f'box_source must be one of {BOX_SOURCES}, '
                             f'got {box_source!r}')
        if box_source == 'detector' and detector is None:
            raise ValueError("box_source='detector' needs detector=dict("
                             'config=..., checkpoint=...)')
        if use_context and context_backbone is None:
            raise ValueError('use_context=True needs a context_backbone '
                             'config')
        if context_source not in CONTEXT_SOURCES:
            raise ValueError(f'context_source must be one of '
                             f'{CONTEXT_SOURCES}, got {context_source!r}')
        if surround_scale < 1:
            raise ValueError('surround_scale must be at least 1 (the '
                             f'enlarged box holds the subject), got '
                             f'{surround_scale}')
        self.use_context = use_context
        self.context_source = context_source
        self.surround_scale = float(surround_scale)
        self.box_source = box_source
        self.body_backbone = MODELS.build(body_backbone)
        branch_channels = [self._feature_channels(self.body_backbone)]
        if use_context:
            self.context_backbone = MODELS.build(context_backbone)
            branch_channels.append(
                self._feature_channels(self.context_backbone))
        head_cfg = copy.deepcopy(emotion_head)
        head_cfg.update(in_channels=branch_channels)
        self.emotion_head: LateFusionEmotionHead = MODELS.build(head_cfg)
        self.crop = SubjectCrop(crop_size, mode=crop_mode)
        if use_context and context_source == 'surround':
            self.surround_crop = SubjectCrop(
                surround_size or crop_size, mode=crop_mode)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.subject_detector: Optional[FrozenSubjectDetector] = (
            FrozenSubjectDetector(
                **detector) if box_source == 'detector' else None)
        self.vad_head = None if vad_head is None else MODELS.build(
            dict(copy.deepcopy(vad_head), in_channels=branch_channels))

    @staticmethod
    def _feature_channels(backbone: nn.Module) -> int:
        """Channels of the last feature map of ``backbone``."""
        if not hasattr(backbone, 'feat_dim'):
            raise ValueError(
                f'{type(backbone).__name__} has no feat_dim: the two-stage '
                'recogniser needs backbones that report the channels of '
                'their last output (e.g. mmdet ResNet)')
        out_indices = getattr(backbone, 'out_indices', None)
        num_stages = getattr(backbone, 'num_stages', None)
        if out_indices is not None and num_stages is not None and \
                max(out_indices) != num_stages - 1:
            raise ValueError(
                f'{type(backbone).__name__}: out_indices {out_indices} must '
                f'include its last stage ({num_stages - 1}), whose channels '
                'feat_dim reports and the recogniser pools')
        return backbone.feat_dim

    def _pooled(self, backbone: nn.Module, images: Tensor) -> Tensor:
        """Global average of the last feature map of ``backbone``.

        Args:
            backbone (nn.Module): A branch CNN.
            images (Tensor): [N, 3, H, W].

        Returns:
            Tensor: [N, feat_dim].
        """
        last_level = backbone(images)[-1]  # [N, feat_dim, h, w]
        return self.pool(last_level).flatten(1)  # [N, feat_dim]

    def surround_crops(self, batch_inputs: Tensor, rois: Tensor) -> Tensor:
        """Crops of the subject boxes enlarged ``surround_scale`` times.

        The images are padded with zeros just enough for every enlarged box
        to lie inside, so that the part of a box outside its image reads
        zeros instead of being clipped off.

        Args:
            batch_inputs (Tensor): Preprocessed images, [B, 3, H, W].
            rois (Tensor): [K, 5], rows (image index, x1, y1, x2, y2) in
                pixels of ``batch_inputs``.

        Returns:
            Tensor: [K, 3, surround_h, surround_w].
        """
        enlarged = bbox_rescale(rois, self.surround_scale)  # [K, 5]
        if enlarged.size(0) == 0:
            return self.surround_crop(batch_inputs, enlarged)
        height, width = batch_inputs.shape[-2:]
        overshoot = torch.cat([
            -enlarged[:, 1:3].flatten(),
            (enlarged[:, 3] - width),
            (enlarged[:, 4] - height),
        ]).max().item()
        margin = max(0, int(math.ceil(overshoot))) + 1  # + resampling ring
        padded = F.pad(batch_inputs, (margin, ) * 4)  # [B, 3, H + 2m, W + 2m]
        shifted = enlarged.clone()
        shifted[:, 1:] += margin
        return self.surround_crop(padded, shifted)

    def _context_feat(self, batch_inputs: Tensor, rois: Tensor) -> Tensor:
        """Context features of every subject.

        Args:
            batch_inputs (Tensor): Preprocessed images, [B, 3, H, W].
            rois (Tensor): [K, 5] subject rois in pixels of
                ``batch_inputs``.

        Returns:
            Tensor: [K, C_context].
        """
        if self.context_source == 'image':
            images = self._pooled(self.context_backbone, batch_inputs)
            return images[rois[:, 0].long()]  # [K, C_context]
        if rois.size(0) == 0:
            return rois.new_zeros((0, self.emotion_head.in_channels[1]))
        return self._pooled(self.context_backbone,
                            self.surround_crops(batch_inputs, rois))

    def extract_feat(self, batch_inputs: Tensor,
                     subject_boxes: Sequence[Tensor]) -> List[Tensor]:
        """Pooled features of every subject, one tensor per branch.

        Args:
            batch_inputs (Tensor): Preprocessed images, [B, 3, H, W].
            subject_boxes (Sequence[Tensor]): Per image, subject boxes xyxy
                in the pixels of ``batch_inputs``, [n_b, 4].

        Returns:
            list[Tensor]: Body features [K, C_body] and, with context,
            context features [K, C_context], K = sum of n_b; rows follow the
            images, then the boxes within each image.
        """
        rois = bbox2roi(list(subject_boxes))  # [K, 5] (image index, xyxy)
        crops = self.crop(batch_inputs, rois)  # [K, 3, crop_h, crop_w]
        if crops.size(0) == 0:
            body = crops.new_zeros((0, self.emotion_head.in_channels[0]))
        else:
            body = self._pooled(self.body_backbone, crops)  # [K, C_body]
        branch_feats = [body]
        if self.use_context:
            branch_feats.append(self._context_feat(batch_inputs, rois))
        return branch_feats

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Emotion loss of the ground-truth subjects of a batch.

        Args:
            batch_inputs (Tensor): Preprocessed images, [B, 3, H, W].
            batch_data_samples (list[DetDataSample]): With
                ``gt_instances.bboxes`` (input pixels) and
                ``gt_instances.emotions`` [n_b, C].

        Returns:
            dict[str, Tensor]: ``loss_emotion``, and ``loss_vad`` with a
            VAD head.
        """
        boxes = [
            get_box_tensor(sample.gt_instances.bboxes)
            for sample in batch_data_samples
        ]
        gt_emotions = torch.cat(
            [self._gt_emotions(sample) for sample in batch_data_samples])
        branch_feats = self.extract_feat(batch_inputs, boxes)
        losses = self.emotion_head.loss(branch_feats, gt_emotions)
        if self.vad_head is not None:
            gt_vad = torch.cat(
                [self._gt_vad(sample) for sample in batch_data_samples])
            losses.update(self.vad_head.loss(branch_feats, gt_vad))
        return losses

    @staticmethod
    def _gt_vad(data_sample: DetDataSample) -> Tensor:
        """The VAD targets of one image, [n, 3]; NaN without VAD."""
        gt = data_sample.gt_instances
        if VAD_FIELD in gt:
            return gt[VAD_FIELD].float()
        return gt.bboxes.new_full((len(gt), NUM_VAD_DIMENSIONS), float('nan'))

    @staticmethod
    def _gt_emotions(data_sample: DetDataSample) -> Tensor:
        """The emotion targets of one image, [n, C]."""
        if EMOTIONS_FIELD not in data_sample.gt_instances:
            raise KeyError(
                f'{data_sample.metainfo.get("img_path", "an image")}: '
                f'gt_instances has no {EMOTIONS_FIELD}; load the annotations '
                'with LoadEmotionAnnotations and pack them with '
                'PackEmotionInputs')
        return data_sample.gt_instances[EMOTIONS_FIELD]

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Find the subjects of every image and predict their emotions.

        Args:
            batch_inputs (Tensor): Preprocessed images, [B, 3, H, W].
            batch_data_samples (list[DetDataSample]): Their data samples;
                with ``box_source='gt'`` they must hold
                ``gt_instances.bboxes`` in original-image pixels.
            rescale (bool): Whether the returned boxes are in original-image
                pixels (True) or in the pixels of ``batch_inputs``.
                Defaults to True.

        Returns:
            list[DetDataSample]: Each with ``pred_instances``: ``bboxes``
            [n, 4] xyxy, ``scores`` [n], ``labels`` [n] (all 0, the subject
            class) and ``emotions`` [n, C] probabilities; with a VAD head
            also ``vad`` [n, 3].
        """
        subjects = self._find_subjects(batch_inputs, batch_data_samples)
        input_boxes = [
            self._to_input_pixels(found.bboxes, sample)
            for found, sample in zip(subjects, batch_data_samples)
        ]
        num_subjects = [len(boxes) for boxes in input_boxes]
        vads = None
        if sum(num_subjects) == 0:
            emotions = batch_inputs.new_zeros(
                (0, self.emotion_head.num_emotions))
            if self.vad_head is not None:
                vads = batch_inputs.new_zeros((0, NUM_VAD_DIMENSIONS))
        else:
            branch_feats = self.extract_feat(batch_inputs, input_boxes)
            emotions = self.emotion_head.predict(branch_feats)  # [K, C]
            if self.vad_head is not None:
                vads = self.vad_head.predict(branch_feats)  # [K, 3]
        results = []
        for index, (found, boxes, probs) in enumerate(
                zip(subjects, input_boxes, emotions.split(num_subjects))):
            result = InstanceData(
                bboxes=found.bboxes if rescale else boxes,
                scores=found.scores,
                labels=found.scores.new_full((len(found), ),
                                             SUBJECT_LABEL,
                                             dtype=torch.long),
                emotions=probs)
            if vads is not None:
                result[VAD_FIELD] = vads.split(num_subjects)[index]
            results.append(result)
        return self.add_pred_to_datasample(batch_data_samples, results)

    def _find_subjects(self, batch_inputs: Tensor,
                       batch_data_samples: SampleList) -> List[InstanceData]:
        """Stage one: the subjects of every image.

        Returns:
            list[InstanceData]: Per image, ``bboxes`` [n, 4] xyxy in
            original-image pixels and ``scores`` [n].
        """
        if self.subject_detector is not None:
            return self.subject_detector(batch_inputs, batch_data_samples,
                                         self.data_preprocessor)
        subjects = []
        for sample in batch_data_samples:
            if 'gt_instances' not in sample or \
                    'bboxes' not in sample.gt_instances:
                raise ValueError(
                    f'{sample.metainfo.get("img_path", "an image")}: '
                    "box_source='gt' needs gt_instances.bboxes at test "
                    'time; keep LoadEmotionAnnotations in the test pipeline')
            boxes = get_box_tensor(sample.gt_instances.bboxes).float()
            subjects.append(
                InstanceData(
                    bboxes=boxes.clone(),
                    scores=boxes.new_ones((boxes.size(0), ))))
        return subjects

    @staticmethod
    def _to_input_pixels(boxes: Tensor, data_sample: DetDataSample) -> Tensor:
        """Scale boxes from original-image pixels to network-input pixels.

        Args:
            boxes (Tensor): [n, 4] xyxy, original-image pixels.
            data_sample (DetDataSample): Holds ``scale_factor`` (w, h).

        Returns:
            Tensor: [n, 4] xyxy in input pixels.
        """
        scale_w, scale_h = data_sample.metainfo.get('scale_factor', (1.0, 1.0))
        return boxes * boxes.new_tensor([scale_w, scale_h, scale_w, scale_h])

    def _forward(self,
                 batch_inputs: Tensor,
                 batch_data_samples: OptSampleList = None) -> Tensor:
        """Emotion logits of the ground-truth subjects, without
        post-processing (``mode='tensor'``, e.g. for FLOP counting).

        Args:
            batch_inputs (Tensor): Preprocessed images, [B, 3, H, W].
            batch_data_samples (list[DetDataSample]): With
                ``gt_instances.bboxes`` in input pixels, as in training.

        Returns:
            Tensor: Emotion logits, [K, C].
        """
        if batch_data_samples is None:
            raise ValueError('The two-stage recogniser needs data samples '
                             'with gt_instances.bboxes (the subjects, in '
                             'input pixels) in tensor mode')
        boxes = [
            get_box_tensor(sample.gt_instances.bboxes)
            for sample in batch_data_samples
        ]
        return self.emotion_head(self.extract_feat(batch_inputs, boxes))
