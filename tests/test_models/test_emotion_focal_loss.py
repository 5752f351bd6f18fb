"""EmotionFocalLoss: the sigmoid focal loss on float emotion targets."""
import pytest
import torch
from mmdet.registry import MODELS


def reference_focal(pred, target, alpha=0.25, gamma=2.0):
    """Element-wise focal loss written term by term from Lin et al."""
    prob = pred.sigmoid()
    pos = -alpha * (1 - prob)**gamma * torch.log(prob)
    neg = -(1 - alpha) * prob**gamma * torch.log(1 - prob)
    return target * pos + (1 - target) * neg


def test_matches_focal_formula_for_multi_hot_targets():
    loss = MODELS.build(dict(type='EmotionFocalLoss', reduction='none'))
    pred = torch.tensor([[2.0, -1.0, 0.5], [-3.0, 0.0, 1.5]])
    target = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    torch.testing.assert_close(
        loss(pred, target), reference_focal(pred, target))


def test_mean_with_avg_factor_sums_and_divides():
    loss = MODELS.build(dict(type='EmotionFocalLoss', loss_weight=5.0))
    pred = torch.randn(4, 3)
    target = (torch.rand(4, 3) > 0.5).float()
    expected = 5.0 * reference_focal(pred, target).sum() / 2
    torch.testing.assert_close(loss(pred, target, avg_factor=2), expected)


def test_sample_weight_broadcasts_over_classes():
    loss = MODELS.build(dict(type='EmotionFocalLoss', reduction='sum'))
    pred = torch.randn(3, 4)
    target = torch.zeros(3, 4)
    weight = torch.tensor([1.0, 0.0, 2.0])
    expected = (reference_focal(pred, target) * weight[:, None]).sum()
    torch.testing.assert_close(loss(pred, target, weight), expected)


def test_all_zero_target_still_gives_positive_loss():
    loss = MODELS.build(dict(type='EmotionFocalLoss'))
    assert loss(torch.zeros(2, 3), torch.zeros(2, 3)) > 0


def test_shape_mismatch_is_refused():
    loss = MODELS.build(dict(type='EmotionFocalLoss'))
    with pytest.raises(ValueError, match='same shape'):
        loss(torch.zeros(2, 3), torch.zeros(2, 4))
