"""FrozenSubjectDetector's public-API view of the data preprocessors and
its choice of subjects."""
import pytest
import torch
from mmdet.models.data_preprocessors import DetDataPreprocessor
from mmengine.model import BaseDataPreprocessor
from mmengine.structures import InstanceData

from mmdsct.models.detectors.frozen_subject_detector import (
    FrozenSubjectDetector, probe_channel_map)

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]


def test_probe_finds_order_mean_and_std():
    found = probe_channel_map(
        DetDataPreprocessor(
            mean=MEAN, std=STD, bgr_to_rgb=True, pad_size_divisor=32))
    assert found.order.tolist() == [2, 1, 0]
    torch.testing.assert_close(found.scale, 1 / torch.tensor(STD))
    torch.testing.assert_close(found.shift,
                               -torch.tensor(MEAN) / torch.tensor(STD))


def test_probe_of_a_preprocessor_that_only_pads_is_the_identity():
    found = probe_channel_map(DetDataPreprocessor())
    assert found.order.tolist() == [0, 1, 2]
    assert found.scale.tolist() == [1.0] * 3
    assert found.shift.tolist() == [0.0] * 3


class MixesChannels(BaseDataPreprocessor):
    """Not a per-channel map: every output channel is the grey level."""

    def forward(self, data, training=False):
        images = torch.stack(data['inputs']).float()
        return dict(
            inputs=images.mean(1, keepdim=True).expand_as(images),
            data_samples=None)


def test_probe_refuses_what_it_cannot_invert():
    with pytest.raises(ValueError, match='MixesChannels'):
        probe_channel_map(MixesChannels())


def test_renormalisation_between_two_preprocessors():
    source = DetDataPreprocessor(mean=MEAN, std=STD, bgr_to_rgb=True)
    target = DetDataPreprocessor(mean=[0, 10, 20], std=[2, 4, 8])
    images = [torch.randint(0, 256, (3, 8, 8)).float() for _ in range(2)]
    detector = FrozenSubjectDetector.__new__(FrozenSubjectDetector)
    detector.model = torch.nn.Module()
    detector.model.data_preprocessor = target
    detector._target_map = probe_channel_map(target)
    detector._maps = None
    ours = source(dict(inputs=images), False)['inputs']
    theirs = target(dict(inputs=images), False)['inputs']
    converted = detector._to_detector_inputs(ours, source)
    torch.testing.assert_close(converted, theirs, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize('subject_label, kept', [(0, [3, 1]),
                                                 (None, [3, 2, 1])])
def test_subject_class_and_threshold(subject_label, kept):
    detector = FrozenSubjectDetector.__new__(FrozenSubjectDetector)
    detector.score_thr = 0.2
    detector.subject_label = subject_label
    detector.max_subjects = 10
    detections = InstanceData(
        bboxes=torch.arange(16.).view(4, 4),
        scores=torch.tensor([0.1, 0.5, 0.6, 0.9]),
        labels=torch.tensor([0, 0, 5, 0]))
    chosen = detector._select_subjects(detections)
    assert chosen.bboxes[:, 0].div(4).long().tolist() == kept
