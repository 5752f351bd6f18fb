"""The emotion loss is mmdet's sigmoid FocalLoss on float targets; the
former name EmotionFocalLoss builds the same loss."""
import pytest
import torch
from mmdet.models.losses import FocalLoss
from mmdet.registry import MODELS

FOCAL_LOSS = dict(type='FocalLoss', use_sigmoid=True)


def reference_focal(pred, target, alpha=0.25, gamma=2.0):
    """Element-wise focal loss written term by term from Lin et al."""
    prob = pred.sigmoid()
    pos = -alpha * (1 - prob)**gamma * torch.log(prob)
    neg = -(1 - alpha) * prob**gamma * torch.log(1 - prob)
    return target * pos + (1 - target) * neg


def test_matches_focal_formula_for_multi_hot_targets():
    loss = MODELS.build(dict(FOCAL_LOSS, reduction='none'))
    pred = torch.tensor([[2.0, -1.0, 0.5], [-3.0, 0.0, 1.5]])
    target = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    torch.testing.assert_close(
        loss(pred, target), reference_focal(pred, target))


def test_mean_with_avg_factor_sums_and_divides():
    loss = MODELS.build(dict(FOCAL_LOSS, loss_weight=5.0))
    pred = torch.randn(4, 3)
    target = (torch.rand(4, 3) > 0.5).float()
    expected = 5.0 * reference_focal(pred, target).sum() / 2
    torch.testing.assert_close(loss(pred, target, avg_factor=2), expected)


def test_sample_weight_broadcasts_over_classes():
    loss = MODELS.build(dict(FOCAL_LOSS, reduction='sum'))
    pred = torch.randn(3, 4)
    target = torch.zeros(3, 4)
    weight = torch.tensor([1.0, 0.0, 2.0])
    expected = (reference_focal(pred, target) * weight[:, None]).sum()
    torch.testing.assert_close(loss(pred, target, weight), expected)


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(alpha=0.4, gamma=1.0, loss_weight=3.0),
    dict(reduction='none'),
])
def test_former_name_builds_the_same_loss(kwargs):
    former = MODELS.build(dict(type='EmotionFocalLoss', **kwargs))
    current = MODELS.build(dict(FOCAL_LOSS, **kwargs))
    assert isinstance(former, FocalLoss)
    pred = torch.randn(5, 6)
    target = (torch.rand(5, 6) > 0.7).float()
    torch.testing.assert_close(former(pred, target), current(pred, target))
