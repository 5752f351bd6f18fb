"""Stage one of the two-stage recogniser: a trained detector, frozen."""
import os.path as osp
from typing import List, NamedTuple, Optional

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

#: Colour channels of the images the preprocessors take.
NUM_CHANNELS = 3
#: Value of the lit channel of a probe pixel (white, for precision).
PROBE_VALUE = 255.0


class ChannelMap(NamedTuple):
    """What a data preprocessor does to every pixel: output channel ``k`` is
    ``input[order[k]] * scale[k] + shift[k]`` (channel order, then
    ``(x - mean) / std``).

    Attributes:
        order (Tensor): Input channel of every output channel, [3] long.
        scale (Tensor): [3], ``1 / std`` (1 without normalisation).
        shift (Tensor): [3], ``-mean / std`` (0 without normalisation).
    """
    order: Tensor
    scale: Tensor
    shift: Tensor

    def to(self, device: torch.device) -> 'ChannelMap':
        """The same map with its tensors on ``device``."""
        return ChannelMap(*(t.to(device) for t in self))


@torch.no_grad()
def probe_channel_map(preprocessor: BaseDataPreprocessor) -> ChannelMap:
    """Find a preprocessor's per-pixel map by running it on probe pixels.

    Four one-pixel images go through ``preprocessor(data, training=False)``
    (its public call): black, then one per channel with that channel at
    :data:`PROBE_VALUE`.
    Black gives the shift; each other probe shows which output channel
    reads that input channel, and with what scale.

    Args:
        preprocessor (BaseDataPreprocessor): An image preprocessor such as
            mmdet's ``DetDataPreprocessor``.

    Returns:
        ChannelMap: Its map, on the CPU.

    Raises:
        ValueError: If the preprocessor is not a per-channel affine map with
            a channel permutation (every output channel must read exactly
            one input channel).
    """
    probes = [torch.zeros(NUM_CHANNELS, 1, 1)]
    for channel in range(NUM_CHANNELS):
        probe = torch.zeros(NUM_CHANNELS, 1, 1)
        probe[channel] = PROBE_VALUE
        probes.append(probe)
    outputs = preprocessor(dict(inputs=probes), False)['inputs']
    pixels = outputs[:, :, 0, 0].float().cpu()  # [1 + C, C]
    shift = pixels[0]  # [C]
    response = pixels[1:] - shift  # [C in, C out]
    order = response.abs().argmax(0)  # [C]
    reads = (response != 0).sum(0)  # input channels each output reads
    if (reads != 1).any() or len(set(order.tolist())) != NUM_CHANNELS:
        raise ValueError(
            f'{type(preprocessor).__name__} is not a per-channel '
            '(x - mean) / std map with a channel order: cannot bring '
            'images from one preprocessing to another.')
    scale = response[order, torch.arange(NUM_CHANNELS)] / PROBE_VALUE
    return ChannelMap(order, scale, shift)


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
    detector's, so the two data preprocessors need not agree. What each
    preprocessor does is found through its public call (see
    :func:`probe_channel_map`). The detector therefore sees the image at
    the recogniser's test resolution.

    Args:
        config (str): Path of the detector's config file.
        checkpoint (str): Path of the detector's checkpoint.
        score_thr (float): Detections below this score are dropped.
            Defaults to 0.3.
        subject_label (int, optional): The detector's label of a subject
            (0 is ``person`` for COCO detectors and the single class of
            DSCT); None takes detections of every class (as the benchmark
            does with random weights). Defaults to 0.
        max_subjects (int): At most this many subjects per image, the most
            confident. Defaults to 100.
    """

    def __init__(self,
                 config: str,
                 checkpoint: str,
                 score_thr: float = 0.3,
                 subject_label: Optional[int] = 0,
                 max_subjects: int = 100) -> None:
        for kind, path in (('config', config), ('checkpoint', checkpoint)):
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'Subject detector {kind} not found: {path}')
        self.score_thr = score_thr
        self.subject_label = subject_label
        self.max_subjects = max_subjects
        self.model = self._build_model(config, checkpoint)
        self._target_map = probe_channel_map(self.model.data_preprocessor)
        # (source preprocessor, device, its map, the detector's map there)
        self._maps: Optional[tuple] = None

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
        src, dst = self._channel_maps(source, batch_inputs.device)
        raw = torch.empty_like(batch_inputs)  # input pixels, [B, 3, H, W]
        raw[:, src.order] = ((batch_inputs - src.shift.view(1, -1, 1, 1)) /
                             src.scale.view(1, -1, 1, 1))
        return (raw[:, dst.order] * dst.scale.view(1, -1, 1, 1) +
                dst.shift.view(1, -1, 1, 1))

    def _channel_maps(self, source: BaseDataPreprocessor,
                      device: torch.device) -> tuple:
        """The maps of ``source`` and of the detector's preprocessor on
        ``device``, probed once per source and device."""
        if self._maps is None or self._maps[:2] != (source, device):
            self._maps = (source, device, probe_channel_map(source).to(device),
                          self._target_map.to(device))
        return self._maps[2:]

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
        keep = detections.scores >= self.score_thr
        if self.subject_label is not None:
            keep &= detections.labels == self.subject_label
        scores = detections.scores[keep]
        order = scores.argsort(descending=True)[:self.max_subjects]
        bboxes = get_box_tensor(detections.bboxes)[keep][order]
        return InstanceData(bboxes=bboxes, scores=scores[order])
