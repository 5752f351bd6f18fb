"""Stage one of the two-stage recogniser: a trained detector, frozen."""
import os.path as osp
from typing import List

import torch
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import get_box_tensor
from mmengine.config import Config
from mmengine.model import BaseDataPreprocessor
from mmengine.runner import load_checkpoint
from mmengine.structures import InstanceData
from mmengine.utils import import_modules_from_strings
from torch import Tensor, nn


class FrozenSubjectDetector:
    """Finds subject boxes with a trained mmdet detector, for inference only.

    The detector (any mmdet model whose ``predict`` fills
    ``pred_instances``: a COCO person detector, or a trained DSCT) is built
    from its config, loaded from its checkpoint and never trained. It is
    deliberately not an ``nn.Module`` attribute of the recogniser: its weights
    stay out of the recogniser's state dict, optimiser and parameter count,
    and it follows the recogniser's device on every call.

    It runs on the recogniser's preprocessed batch: the batch is brought from
    the recogniser's normalisation (mean, std, channel order) to the
    detector's, so the two data preprocessors need not agree. The detector
    therefore sees the image at the recogniser's test resolution.

    Args:
        config (str): Path of the detector's config file.
        checkpoint (str): Path of the detector's checkpoint.
        score_thr (float): Detections below this score are dropped.
            Defaults to 0.3.
        subject_label (int): The detector's label of a subject (0 is
            ``person`` for COCO detectors and the single class of DSCT).
            Defaults to 0.
        max_subjects (int): At most this many subjects per image, the most
            confident. Defaults to 100.
    """

    def __init__(self,
                 config: str,
                 checkpoint: str,
                 score_thr: float = 0.3,
                 subject_label: int = 0,
                 max_subjects: int = 100) -> None:
        for kind, path in (('config', config), ('checkpoint', checkpoint)):
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'Subject detector {kind} not found: {path}')
        self.score_thr = score_thr
        self.subject_label = subject_label
        self.max_subjects = max_subjects
        self.model = self._build_model(config, checkpoint)

    @staticmethod
    def _build_model(config: str, checkpoint: str) -> nn.Module:
        """Build the detector of ``config`` with the weights of
        ``checkpoint``, in eval mode and without gradients."""
        cfg = Config.fromfile(config)
        if cfg.get('custom_imports'):
            import_modules_from_strings(**cfg.custom_imports)
        model = MODELS.build(cfg.model)
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
        model.eval()
        model.requires_grad_(False)
        return model

    def _to_detector_inputs(self, batch_inputs: Tensor,
                            source: BaseDataPreprocessor) -> Tensor:
        """Re-normalise a batch from ``source``'s preprocessing to the
        detector's.

        Args:
            batch_inputs (Tensor): Batch normalised by ``source``,
                [B, 3, H, W].
            source (BaseDataPreprocessor): The recogniser's preprocessor.

        Returns:
            Tensor: The same images as the detector's preprocessor would
            have produced them, [B, 3, H, W].
        """
        target = self.model.data_preprocessor
        pixels = batch_inputs
        if getattr(source, '_enable_normalize', False):
            pixels = pixels * source.std + source.mean
        if (getattr(source, '_channel_conversion', False) != getattr(
                target, '_channel_conversion', False)):
            pixels = pixels.flip(1)  # swap RGB <-> BGR, [B, 3, H, W]
        if getattr(target, '_enable_normalize', False):
            pixels = (pixels - target.mean) / target.std
        return pixels

    @torch.no_grad()
    def __call__(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                 source: BaseDataPreprocessor) -> List[InstanceData]:
        """Detect the subjects of a batch.

        Args:
            batch_inputs (Tensor): The recogniser's preprocessed batch,
                [B, 3, H, W].
            batch_data_samples (list[DetDataSample]): Their data samples
                (metainfo with ``scale_factor``, ``img_shape``,
                ``batch_input_shape``); their ``pred_instances`` are
                overwritten.
            source (BaseDataPreprocessor): The recogniser's preprocessor.

        Returns:
            list[InstanceData]: Per image, ``bboxes`` [n, 4] xyxy in
            original-image pixels and ``scores`` [n], most confident first.
        """
        self.model.to(batch_inputs.device)
        inputs = self._to_detector_inputs(batch_inputs, source)
        results = self.model.predict(inputs, batch_data_samples, rescale=True)
        return [self._select_subjects(r.pred_instances) for r in results]

    def _select_subjects(self, detections: InstanceData) -> InstanceData:
        """Keep the confident detections of the subject class."""
        keep = ((detections.labels == self.subject_label)
                & (detections.scores >= self.score_thr))
        scores = detections.scores[keep]
        order = scores.argsort(descending=True)[:self.max_subjects]
        bboxes = get_box_tensor(detections.bboxes)[keep][order]
        return InstanceData(bboxes=bboxes, scores=scores[order])
