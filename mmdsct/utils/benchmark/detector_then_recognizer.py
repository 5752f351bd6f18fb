"""The two-stage recogniser behind a detector, as the project ships it, set
up for timing at a chosen number of subjects."""
import os.path as osp
from typing import Dict

import torch
from mmdet.structures import SampleList
from mmengine.config import Config, ConfigDict
from torch import Tensor, nn

#: File names of the detector written for the recogniser to load.
DETECTOR_CONFIG = 'subject_detector.py'
DETECTOR_CHECKPOINT = 'subject_detector.pth'


def write_detector_files(detector: nn.Module, detector_cfg: ConfigDict,
                         directory: str) -> Dict[str, str]:
    """Write a built detector as the config file and checkpoint that
    ``TwoStageEmotionRecognizer(box_source='detector')`` loads it from.

    Args:
        detector (nn.Module): The detector, with the weights to keep.
        detector_cfg (ConfigDict): Its model config (no ``Pretrained``
            ``init_cfg`` needed: the checkpoint sets every weight).
        directory (str): Where to write the two files.

    Returns:
        dict[str, str]: ``config`` and ``checkpoint`` paths.
    """
    config = osp.join(directory, DETECTOR_CONFIG)
    Config(dict(model=ConfigDict(detector_cfg).to_dict())).dump(config)
    checkpoint = osp.join(directory, DETECTOR_CHECKPOINT)
    torch.save(dict(state_dict=detector.state_dict()), checkpoint)
    return dict(config=config, checkpoint=checkpoint)


class DetectorThenRecognizer(nn.Module):
    """``TwoStageEmotionRecognizer(box_source='detector')`` run at the
    benchmark's subject count.

    Every pass is the recogniser's own ``predict`` with its
    ``FrozenSubjectDetector``: the batch brought to the detector's
    normalisation, detection, the score threshold and subject class of its
    ``detector`` settings, then crops and emotions. The one thing set here
    is how many subjects the detector keeps per image (its
    ``max_subjects``): as many as the benchmark's image holds
    (``len(gt_instances)``; the boxes themselves are not used). With random
    weights, build the recogniser with ``score_thr=0`` and
    ``subject_label=None`` (see
    :func:`~mmdsct.utils.benchmark.two_stage_cfg_on_detector`), so that the
    detector finds that many subjects whatever its scores.

    The detector's model is a submodule here (not of the recogniser): it is
    counted in the parameters and moved with the pipeline.

    Args:
        recognizer (nn.Module): A ``TwoStageEmotionRecognizer`` with
            ``box_source='detector'``.
    """

    def __init__(self, recognizer: nn.Module) -> None:
        super().__init__()
        subject_detector = getattr(recognizer, 'subject_detector', None)
        if subject_detector is None:
            raise ValueError(
                f'{type(recognizer).__name__} has no subject detector: build '
                "it with box_source='detector'")
        self.recognizer = recognizer
        self.detector = subject_detector.model

    def forward(self,
                inputs: Tensor,
                data_samples: SampleList,
                mode: str = 'predict') -> SampleList:
        """Detect the subjects, then recognise their emotions.

        Args:
            inputs (Tensor): Preprocessed images, [B, 3, H, W].
            data_samples (list[DetDataSample]): With ``gt_instances``, whose
                number per image is the number of subjects to keep.
            mode (str): Only ``'predict'``.

        Returns:
            list[DetDataSample]: The recogniser's predictions.
        """
        if mode != 'predict':
            raise ValueError(f'{type(self).__name__} only predicts, got '
                             f'mode={mode!r}')
        self.recognizer.subject_detector.max_subjects = max(
            len(sample.gt_instances) for sample in data_samples)
        return self.recognizer(inputs, data_samples, mode='predict')
