"""DSCTHead divides its losses by the number of ground-truth subjects, as
the authors' ``SetCriterion`` does, also when an image has more subjects
than subject queries."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from mmengine.structures import InstanceData

NUM_QUERIES = 5
LOSS_WEIGHTS = dict(loss_cls=5.0, loss_bbox=5.0, loss_iou=2.0)


def build(dsct_cfg, normalizer=None, seed=0):
    cfg = dsct_cfg()
    cfg['num_subject_queries'] = NUM_QUERIES
    if normalizer is not None:
        cfg['bbox_head']['loss_normalizer'] = normalizer
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def head_inputs(samples, num_outputs, seed=0):
    """Random emotion logits and boxes of one decoder layer."""
    generator = torch.Generator().manual_seed(seed)
    batch = len(samples)
    logits = torch.randn(batch, NUM_QUERIES, num_outputs, generator=generator)
    boxes = torch.rand(batch, NUM_QUERIES, 4, generator=generator) * 0.5
    boxes[..., :2] += 0.25
    boxes[..., 2:] += 0.05
    return logits, boxes


def authors_sigmoid_focal_loss(logits,
                               targets,
                               num_boxes,
                               alpha=0.25,
                               gamma=2.0):
    """The authors' focal loss on [bs, Q, C] as their loss_labels uses it:
    mean over queries, sum, / num_boxes, times Q."""
    prob = logits.sigmoid()
    ce_loss = F.binary_cross_entropy_with_logits(
        logits, targets, reduction='none')
    p_t = prob * targets + (1 - prob) * (1 - targets)
    loss = ce_loss * ((1 - p_t)**gamma)
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    loss = alpha_t * loss
    return loss.mean(1).sum() / num_boxes * logits.shape[1]


def generalized_iou(boxes1, boxes2):
    """GIoU of matching rows of two xyxy box sets."""
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    low = torch.max(boxes1[:, :2], boxes2[:, :2])
    high = torch.min(boxes1[:, 2:], boxes2[:, 2:])
    inter = (high - low).clamp(min=0).prod(-1)
    union = area1 + area2 - inter
    hull = (torch.max(boxes1[:, 2:], boxes2[:, 2:]) -
            torch.min(boxes1[:, :2], boxes2[:, :2])).prod(-1)
    return inter / union - (hull - union) / hull


def authors_losses(head, logits, boxes, samples):
    """The losses as the authors' SetCriterion computes them, with the
    matching taken from the head's assigner (not under test here)."""
    targets = torch.zeros_like(logits)
    matched_pred, matched_gt = [], []
    for index, sample in enumerate(samples):
        gt = sample.gt_instances
        height, width = sample.metainfo['img_shape']
        factor = boxes.new_tensor([width, height, width, height])
        assign = head.assigner.assign(
            InstanceData(
                scores=logits[index],
                bboxes=bbox_cxcywh_to_xyxy(boxes[index]) * factor),
            gt,
            img_meta=sample.metainfo)
        queries = torch.nonzero(assign.gt_inds > 0).squeeze(-1)
        gts = assign.gt_inds[queries] - 1
        targets[index, queries, :head.num_emotions] = gt.emotions[gts]
        targets[index, queries, head.num_emotions] = 1.0
        matched_pred.append(boxes[index, queries])
        matched_gt.append(bbox_xyxy_to_cxcywh(gt.bboxes[gts] / factor))
    num_boxes = max(sum(len(s.gt_instances) for s in samples), 1)
    src, tgt = torch.cat(matched_pred), torch.cat(matched_gt)
    giou = generalized_iou(bbox_cxcywh_to_xyxy(src), bbox_cxcywh_to_xyxy(tgt))
    losses = dict(
        loss_cls=authors_sigmoid_focal_loss(logits, targets, num_boxes),
        loss_bbox=F.l1_loss(src, tgt, reduction='none').sum() / num_boxes,
        loss_iou=(1 - giou).sum() / num_boxes)
    return losses, len(src)


def head_losses(head, logits, boxes, samples):
    losses = head.loss_by_feat_single(
        logits, boxes, [sample.gt_instances for sample in samples],
        [sample.metainfo for sample in samples])
    return dict(zip(('loss_cls', 'loss_bbox', 'loss_iou'), losses))


@pytest.mark.parametrize('subjects', [[7], [7, 2]])
def test_losses_are_divided_by_the_number_of_subjects(dsct_cfg, make_samples,
                                                      subjects):
    model = build(dsct_cfg)
    head = model.bbox_head
    assert head.loss_normalizer == 'num_gt'
    samples = make_samples(subjects)
    logits, boxes = head_inputs(samples, head.cls_out_channels)
    ours = head_losses(head, logits, boxes, samples)
    expected, num_matched = authors_losses(head, logits, boxes, samples)
    num_gts = sum(subjects)
    assert num_matched == sum(min(n, NUM_QUERIES) for n in subjects) < \
        num_gts
    for name, weight in LOSS_WEIGHTS.items():
        assert ours[name].item() == pytest.approx(
            weight * expected[name].item(), rel=1e-5), name

    matched_head = build(dsct_cfg, 'num_matched').bbox_head
    theirs = head_losses(matched_head, logits, boxes, samples)
    for name in LOSS_WEIGHTS:
        assert theirs[name].item() == pytest.approx(
            ours[name].item() * num_gts / num_matched, rel=1e-5), name


def test_image_without_subjects_divides_by_one(dsct_cfg, make_samples):
    head = build(dsct_cfg).bbox_head
    samples = make_samples([0])
    logits, boxes = head_inputs(samples, head.cls_out_channels)
    ours = head_losses(head, logits, boxes, samples)
    expected = authors_sigmoid_focal_loss(logits, torch.zeros_like(logits), 1)
    assert ours['loss_cls'].item() == pytest.approx(
        LOSS_WEIGHTS['loss_cls'] * expected.item(), rel=1e-5)
    assert ours['loss_bbox'] == 0 and ours['loss_iou'] == 0


def test_normalisation_leaves_inference_alone(dsct_cfg, make_samples):
    samples = make_samples([2, 1])
    images = torch.randn(
        2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    outputs = []
    for normalizer in ('num_gt', 'num_matched'):
        model = build(dsct_cfg, normalizer).eval()
        with torch.no_grad():
            outputs.append(model(images, samples, mode='tensor'))
    for ours, theirs in zip(*outputs):
        assert torch.equal(ours, theirs)


def test_unknown_normalizer_is_refused(dsct_cfg):
    with pytest.raises(ValueError, match='loss_normalizer'):
        build(dsct_cfg, 'num_queries')
