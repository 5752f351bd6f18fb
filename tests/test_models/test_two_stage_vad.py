"""The optional VAD head of the two-stage recogniser: it adds only its own
layers, leaves the emotion outputs and loss alone, learns from the subjects
that have VAD and predicts in the configured range."""
import math
from pathlib import Path

import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

ROOT = Path(__file__).resolve().parents[2] / 'configs'
IMG_SIZE = 64


def model_cfg(with_vad):
    """The synthetic two-stage config, narrowed for the CPU."""
    name = ('dsct_vad/two-stage-vad_r18_synth.py'
            if with_vad else 'two_stage/two-stage_r18_synth.py')
    cfg = Config.fromfile(str(ROOT / name)).model
    for branch in ('body_backbone', 'context_backbone'):
        cfg[branch].update(base_channels=8)
    cfg.crop_size = (48, 48)
    cfg.emotion_head.hidden_channels = 16
    if with_vad:
        cfg.vad_head.hidden_channels = 16
    return cfg


def build(with_vad):
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(with_vad))
    model.init_weights()
    return model


def samples(vad_rows):
    """Two images of 2 and 1 subjects; ``vad_rows`` per image (None: the
    image's subjects have no ``vad`` field)."""
    result = []
    boxes = ([[4.0, 4.0, 30.0, 40.0], [34.0, 10.0, 60.0,
                                       60.0]], [[10.0, 10.0, 50.0, 50.0]])
    for index, (image_boxes, vad) in enumerate(zip(boxes, vad_rows)):
        sample = DetDataSample(
            metainfo=dict(
                img_id=index,
                img_shape=(IMG_SIZE, IMG_SIZE),
                ori_shape=(IMG_SIZE, IMG_SIZE),
                scale_factor=(1.0, 1.0)))
        num = len(image_boxes)
        gt = InstanceData(
            bboxes=torch.tensor(image_boxes),
            labels=torch.zeros(num, dtype=torch.long),
            emotions=torch.eye(8)[:num])
        if vad is not None:
            gt.vad = torch.tensor(vad, dtype=torch.float32)
        sample.gt_instances = gt
        result.append(sample)
    return result


def images():
    generator = torch.Generator().manual_seed(1)
    return torch.randn(2, 3, IMG_SIZE, IMG_SIZE, generator=generator)


def test_head_adds_only_its_layers_and_keeps_the_init():
    plain, vad = build(False).state_dict(), build(True).state_dict()
    assert {k.split('.')[0] for k in set(vad) - set(plain)} == {'vad_head'}
    for key, value in plain.items():
        torch.testing.assert_close(vad[key], value, rtol=0, atol=0)


def test_loss_counts_only_subjects_with_vad():
    plain, vad = build(False), build(True)
    nan = math.nan
    batch = samples([[[2.0, 5.0, 9.0], [nan, nan, nan]], None])
    plain.eval()  # no dropout: the emotion losses must agree exactly
    vad.eval()
    expected = plain.loss(images(), batch)
    losses = vad.loss(images(), batch)
    assert set(losses) == {'loss_emotion', 'loss_vad'}
    torch.testing.assert_close(losses['loss_emotion'],
                               expected['loss_emotion'])
    assert torch.isfinite(losses['loss_vad']) and losses['loss_vad'] > 0
    # no subject with VAD: no loss
    unknown = vad.loss(images(), samples([None, None]))['loss_vad']
    assert float(unknown) == 0


def test_predictions_carry_vad_in_range():
    plain, vad = build(False).eval(), build(True).eval()
    with torch.no_grad():
        expected = plain.predict(images(), samples([None, None]))
        results = vad.predict(images(), samples([None, None]))
    for plain_result, result in zip(expected, results):
        pred = result.pred_instances
        torch.testing.assert_close(pred.emotions,
                                   plain_result.pred_instances.emotions)
        assert pred.vad.shape == (len(pred), 3)
        assert ((pred.vad >= 1) & (pred.vad <= 10)).all()
        assert 'vad' not in plain_result.pred_instances
