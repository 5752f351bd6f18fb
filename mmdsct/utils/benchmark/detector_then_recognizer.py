"""A two-stage pipeline for timing: a detector's boxes feed a recogniser."""
import copy

from mmdet.structures import SampleList
from mmengine.structures import InstanceData
from torch import Tensor, nn


class DetectorThenRecognizer(nn.Module):
    """Stage one (a detector) then stage two (a two-stage recogniser that
    reads its subjects from ``gt_instances``), run back to back.

    For a controlled benchmark the number of subjects is fixed by the data
    sample: each image keeps the ``len(gt_instances)`` most confident
    detections, whatever their class (with random weights the class means
    nothing), and the recogniser crops those. Its cost is the detector's
    plus the recogniser's at that subject count, as in a deployed
    two-stage system whose detector found that many people.

    Args:
        detector (nn.Module): Any mmdet detector whose ``predict`` fills
            ``pred_instances`` (boxes in original-image pixels).
        recognizer (nn.Module): A ``TwoStageEmotionRecognizer`` with
            ``box_source='gt'``.
    """

    def __init__(self, detector: nn.Module, recognizer: nn.Module) -> None:
        super().__init__()
        self.detector = detector
        self.recognizer = recognizer

    def forward(self,
                inputs: Tensor,
                data_samples: SampleList,
                mode: str = 'predict') -> SampleList:
        """Detect, keep the top subjects, recognise their emotions.

        Args:
            inputs (Tensor): Preprocessed images, [B, 3, H, W].
            data_samples (list[DetDataSample]): With ``gt_instances`` (only
                their number is used).
            mode (str): Only ``'predict'``.

        Returns:
            list[DetDataSample]: The recogniser's predictions.
        """
        if mode != 'predict':
            raise ValueError(f'{type(self).__name__} only predicts, got '
                             f'mode={mode!r}')
        detections = self.detector(inputs, copy.deepcopy(data_samples),
                                   mode='predict')
        for sample, detected in zip(data_samples, detections):
            found = detected.pred_instances
            num_subjects = len(sample.gt_instances)
            top = found.scores.argsort(descending=True)[:num_subjects]
            sample.gt_instances = InstanceData(bboxes=found.bboxes[top])
        return self.recognizer(inputs, data_samples, mode='predict')
