"""EmotionFocalCost: mmdet's FocalLossCost, with the multi-hot form of
docs/method.md; the label kind follows the width of the logits."""
import pytest
import torch
from mmdet.registry import TASK_UTILS
from mmengine.structures import InstanceData


def pos_minus_neg(prob, alpha=0.25, gamma=2.0, eps=1e-8):
    pos = -alpha * (1 - prob)**gamma * torch.log(prob + eps)
    neg = -(1 - alpha) * prob**gamma * torch.log(1 - prob + eps)
    return pos - neg


def test_multi_label_cost_is_mean_over_classes_weighted_by_targets():
    cost_fn = TASK_UTILS.build(dict(type='EmotionFocalCost', weight=2.0))
    # 3 emotions + a trailing subject logit that must be ignored
    logits = torch.tensor([[1.0, -2.0, 0.5, 9.0], [-1.0, 3.0, 0.0, -9.0]])
    targets = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    cost = cost_fn(InstanceData(scores=logits), InstanceData(emotions=targets))
    terms = pos_minus_neg(logits[:, :3].sigmoid())
    expected = torch.stack([(terms * t).mean(-1) for t in targets], dim=1)
    assert cost.shape == (2, 3)
    torch.testing.assert_close(cost, 2.0 * expected)
    assert torch.all(cost[:, 2] == 0)  # no positive class, no cost
    changed = logits.clone()
    changed[:, 3] = -changed[:, 3]
    torch.testing.assert_close(
        cost_fn(InstanceData(scores=changed), InstanceData(emotions=targets)),
        cost)


def test_single_label_cost_is_taken_at_the_target_class():
    cost_fn = TASK_UTILS.build(dict(type='EmotionFocalCost'))
    logits = torch.randn(4, 5)
    classes = torch.tensor([3, 0])
    targets = torch.nn.functional.one_hot(classes, 5).float()
    cost = cost_fn(InstanceData(scores=logits), InstanceData(emotions=targets))
    expected = pos_minus_neg(logits.sigmoid())[:, classes]
    torch.testing.assert_close(cost, expected)


def test_single_label_cost_is_mmdets_focal_cost_with_the_official_eps():
    logits = torch.randn(6, 7)
    labels = torch.tensor([1, 6, 2])
    ours = TASK_UTILS.build(dict(type='EmotionFocalCost', weight=3.0))
    mmdet_cost = TASK_UTILS.build(
        dict(type='FocalLossCost', eps=1e-8, weight=3.0))
    pred = InstanceData(scores=logits)
    torch.testing.assert_close(
        ours(
            pred,
            InstanceData(
                emotions=torch.nn.functional.one_hot(labels, 7).float())),
        mmdet_cost(pred, InstanceData(labels=labels)))


def test_a_confident_right_query_costs_less():
    cost_fn = TASK_UTILS.build(dict(type='EmotionFocalCost'))
    targets = torch.tensor([[1.0, 0.0, 1.0]])
    logits = torch.tensor([[5.0, -5.0, 5.0, 0.0], [-5.0, 5.0, -5.0, 0.0]])
    cost = cost_fn(InstanceData(scores=logits), InstanceData(emotions=targets))
    assert cost[0, 0] < cost[1, 0]


def test_logits_of_neither_label_kind_are_refused():
    cost_fn = TASK_UTILS.build(dict(type='EmotionFocalCost'))
    with pytest.raises(ValueError, match='EmotionFocalCost: 5 logits'):
        cost_fn(
            InstanceData(scores=torch.zeros(2, 5)),
            InstanceData(emotions=torch.zeros(1, 3)))


def test_missing_emotions_name_the_pipeline():
    cost_fn = TASK_UTILS.build(dict(type='EmotionFocalCost'))
    with pytest.raises(KeyError, match='LoadEmotionAnnotations'):
        cost_fn(
            InstanceData(scores=torch.zeros(2, 4)),
            InstanceData(labels=torch.zeros(1, dtype=torch.long)))


def test_deprecated_multi_label_argument_is_ignored():
    logits = torch.randn(3, 4)
    targets = torch.tensor([[1.0, 0.0, 1.0]])
    costs = [
        TASK_UTILS.build(dict(type='EmotionFocalCost',
                              **kwargs))(InstanceData(scores=logits),
                                         InstanceData(emotions=targets))
        for kwargs in (dict(), dict(multi_label=True), dict(multi_label=False))
    ]
    torch.testing.assert_close(costs[1], costs[0])
    torch.testing.assert_close(costs[2], costs[0])
