"""LateFusionVADHead: VAD of the two-stage recogniser's subjects."""
import math

import pytest
import torch
from mmdet.registry import MODELS


def build_head(**kwargs):
    torch.manual_seed(0)
    head = MODELS.build(
        dict(type='LateFusionVADHead', in_channels=[6, 4], **kwargs))
    head.init_weights()
    return head


def features(num_subjects, scale=1.0):
    generator = torch.Generator().manual_seed(1)
    return [
        torch.randn(num_subjects, 6, generator=generator) * scale,
        torch.randn(num_subjects, 4, generator=generator) * scale
    ]


def test_subjects_without_vad_give_no_gradient():
    head = build_head()
    feats = [f.requires_grad_() for f in features(3)]
    nan = math.nan
    gt_vad = torch.tensor([[2.0, 5.0, 9.0], [nan] * 3, [nan, 4.0, nan]])
    loss = head.loss(feats, gt_vad)['loss_vad']
    assert torch.isfinite(loss) and loss > 0
    loss.backward()
    for feat in feats:
        assert (feat.grad[1] == 0).all()
        assert (feat.grad[0] != 0).any() and (feat.grad[2] != 0).any()


def test_no_vad_at_all_gives_zero_loss():
    head = build_head()
    loss = head.loss(features(2), torch.full((2, 3), math.nan))['loss_vad']
    assert float(loss) == 0


def test_loss_is_the_mean_error_on_the_unit_scale():
    head = build_head(vad_range=(0.0, 2.0))
    feats = features(2)
    pred = head(feats)  # [0, 1] scale
    gt_vad = torch.tensor([[0.0, 2.0, 1.0], [2.0, 0.0, math.nan]])
    expected = (pred - gt_vad / 2).abs()[~gt_vad.isnan()].mean()
    torch.testing.assert_close(head.loss(feats, gt_vad)['loss_vad'], expected)


@pytest.mark.parametrize('vad_range', [(1.0, 10.0), (-3.0, 3.0)])
def test_predictions_lie_in_the_range(vad_range):
    head = build_head(vad_range=vad_range)
    with torch.no_grad():
        vad = head.predict(features(50, scale=100.0))
    assert vad.shape == (50, 3)
    assert ((vad >= vad_range[0]) & (vad <= vad_range[1])).all()
    assert vad.max() - vad.min() > 0.5 * (vad_range[1] - vad_range[0])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='vad_range'):
        build_head(vad_range=(5.0, 5.0))
    with pytest.raises(ValueError, match='branches'):
        build_head()(features(2)[:1])
