"""DSCTHead: targets, scores and predictions per the contract."""
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.structures import InstanceData


def build_head(dsct_cfg, multi_label=True, **overrides):
    cfg = dsct_cfg(multi_label=multi_label)
    head_cfg = dict(
        cfg['bbox_head'],
        train_cfg=cfg['train_cfg'],
        test_cfg=cfg['test_cfg'],
        share_pred_layer=True,
        num_pred_layer=2)
    head_cfg.update(overrides)
    head = MODELS.build(head_cfg)
    head.init_weights()
    return head


def one_gt(tiny, multi_label):
    emotions = torch.zeros(1, tiny.num_emotions)
    emotions[0, 1] = 1.0
    if multi_label:
        emotions[0, 3] = 1.0
    return InstanceData(
        bboxes=torch.tensor([[8.0, 8.0, 40.0, 56.0]]),
        labels=torch.zeros(1, dtype=torch.long),
        emotions=emotions)


@pytest.mark.parametrize('multi_label', [True, False])
def test_matched_query_gets_emotions_unmatched_get_zeros(
        dsct_cfg, tiny, multi_label):
    head = build_head(dsct_cfg, multi_label)
    num_out = tiny.num_emotions + int(multi_label)
    assert head.cls_out_channels == num_out
    cls_score = torch.zeros(tiny.num_subject, num_out)
    # query 1 sits on the ground-truth box: it must be the match
    bbox_pred = torch.tensor([[0.2, 0.2, 0.1, 0.1], [0.375, 0.5, 0.5, 0.75],
                              [0.8, 0.8, 0.1, 0.1]])
    gt = one_gt(tiny, multi_label)
    targets, weights, bbox_targets, bbox_weights, pos, neg = \
        head._get_targets_single(cls_score, bbox_pred, gt,
                                 dict(img_shape=(64, 64)))
    assert pos.tolist() == [1]
    assert neg.tolist() == [0, 2]
    expected = torch.zeros(num_out)
    expected[:tiny.num_emotions] = gt.emotions[0]
    if multi_label:
        expected[-1] = 1.0  # "is a subject"
    torch.testing.assert_close(targets[1], expected)
    assert torch.all(targets[[0, 2]] == 0)
    torch.testing.assert_close(bbox_targets[1],
                               torch.tensor([0.375, 0.5, 0.5, 0.75]))
    assert torch.all(bbox_weights[[0, 2]] == 0)
    assert torch.all(weights == 1)


def test_missing_emotions_give_a_clear_error(dsct_cfg, tiny):
    head = build_head(dsct_cfg)
    gt = InstanceData(
        bboxes=torch.tensor([[0.0, 0.0, 8.0, 8.0]]),
        labels=torch.zeros(1, dtype=torch.long))
    with pytest.raises(KeyError, match='LoadEmotionAnnotations'):
        head._get_targets_single(
            torch.zeros(tiny.num_subject, tiny.num_emotions + 1),
            torch.rand(tiny.num_subject, 4), gt, dict(img_shape=(64, 64)))


@pytest.mark.parametrize('multi_label', [True, False])
def test_match_cost_follows_the_heads_label_kind(dsct_cfg, tiny, multi_label):
    """One cost config serves both heads: the emotion cost reads the label
    kind off the width of the head's logits."""
    head = build_head(dsct_cfg, multi_label)
    cost_fn = head.assigner.match_costs[0]
    torch.manual_seed(0)
    logits = torch.randn(tiny.num_subject, head.cls_out_channels)
    gt = one_gt(tiny, multi_label)
    cost = cost_fn(InstanceData(scores=logits), gt)
    prob = logits[:, :tiny.num_emotions].sigmoid()
    # focal cost of each class: positive minus negative term, x weight 2
    terms = 2.0 * (-0.25 * (1 - prob)**2 * torch.log(prob + 1e-8) +
                   0.75 * prob**2 * torch.log(1 - prob + 1e-8))
    if multi_label:
        expected = terms @ gt.emotions.t() / tiny.num_emotions
    else:
        expected = terms[:, [1]]
    torch.testing.assert_close(cost, expected)


def test_num_classes_other_than_one_is_refused(dsct_cfg):
    cfg = dsct_cfg()
    with pytest.raises(ValueError, match='num_emotions'):
        MODELS.build(dict(cfg['bbox_head'], num_classes=26))


def test_multi_label_prediction_scores_and_rescaling(dsct_cfg, tiny):
    head = build_head(dsct_cfg, multi_label=True)
    logits = torch.tensor([[0.0, 1.0, 2.0, -1.0, 0.5, -3.0],
                           [1.0, 0.0, 0.0, 0.0, 0.0, 3.0],
                           [2.0, 2.0, 2.0, 2.0, 2.0, 0.0]])
    boxes = torch.tensor([[0.5, 0.5, 0.2, 0.4], [0.25, 0.25, 0.5, 0.5],
                          [0.5, 0.5, 2.0, 2.0]])
    points = torch.tensor([[[0.5, 0.25]], [[1.0, 1.0]], [[0.0, 0.5]]])
    # network input 64 x 32 (h x w) from an original of 128 x 64
    meta = dict(img_shape=(64, 32), scale_factor=(0.5, 0.5))
    out = head._predict_by_feat_single(logits, boxes, meta, True, points,
                                       points[:, :0])
    # sorted by the sigmoid of the subject logit: queries 1, 2, 0
    torch.testing.assert_close(out.scores,
                               torch.tensor([3.0, 0.0, -3.0]).sigmoid())
    torch.testing.assert_close(out.emotions, logits[[1, 2, 0], :5].sigmoid())
    assert out.labels.tolist() == [0, 0, 0]
    assert out.labels.dtype == torch.long
    torch.testing.assert_close(out.bboxes[0],
                               torch.tensor([0.0, 0.0, 32.0, 64.0]))
    # the oversized box is clipped to the image
    torch.testing.assert_close(out.bboxes[1],
                               torch.tensor([0.0, 0.0, 64.0, 128.0]))
    torch.testing.assert_close(
        out.spatial_context_points[:, 0],
        torch.tensor([[64.0, 128.0], [0.0, 64.0], [32.0, 32.0]]))
    assert out.semantic_context_points.shape == (3, 0, 2)


def test_single_label_score_is_the_largest_emotion_probability(dsct_cfg, tiny):
    head = build_head(
        dsct_cfg, multi_label=False, test_cfg=dict(max_per_img=2))
    logits = torch.tensor([[0.0, 1.0, 2.0, -1.0, 0.5],
                           [4.0, 0.0, 0.0, 0.0, 0.0],
                           [-2.0, -2.0, -2.0, -2.0, -2.0]])
    out = head._predict_by_feat_single(logits, torch.rand(3, 4),
                                       dict(img_shape=(64, 64)), False)
    torch.testing.assert_close(out.scores, torch.tensor([4.0, 2.0]).sigmoid())
    assert len(out) == 2
    assert out.emotions.shape == (2, tiny.num_emotions)
    assert out.spatial_context_points.shape == (2, 0, 2)
