"""DSCT end to end on a tiny model: loss, gradients, predict, tensor."""
import pytest
import torch
from mmdet.models.detectors import DetectionTransformer
from mmdet.registry import MODELS

from mmdsct.models import DSCT

BOX_LOSS_NAMES = ('loss_bbox', 'loss_iou')


def build_dsct(cfg, seed=0):
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def random_inputs(make_samples, boxes_per_image, multi_label=True, seed=0):
    generator = torch.Generator().manual_seed(seed)
    samples = make_samples(boxes_per_image, multi_label=multi_label)
    images = torch.randn(len(samples), 3, 64, 64, generator=generator)
    return images, samples


@pytest.mark.parametrize('multi_label', [True, False])
def test_loss_is_finite_with_auxiliary_outputs(dsct_cfg, make_samples,
                                               multi_label):
    model = build_dsct(dsct_cfg(multi_label=multi_label)).train()
    images, samples = random_inputs(make_samples, [2, 1], multi_label)
    losses = model(images, samples, mode='loss')
    assert set(losses) == {
        'loss_cls', 'loss_bbox', 'loss_iou', 'd0.loss_cls', 'd0.loss_bbox',
        'd0.loss_iou'
    }
    for name, value in losses.items():
        assert torch.isfinite(value), name
        assert value > 0, name


def test_gradients_reach_subject_and_context_queries_and_backbone(
        dsct_cfg, make_samples):
    model = build_dsct(dsct_cfg()).train()
    images, samples = random_inputs(make_samples, [2, 1])
    losses = model(images, samples, mode='loss')
    sum(losses.values()).backward()
    for name in ('subject_query_embedding.weight',
                 'context_query_embedding.weight', 'backbone.conv1.weight',
                 'bbox_head.cls_branches.0.weight'):
        grad = model.get_parameter(name).grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_image_without_subjects_gives_emotion_loss_and_no_box_loss(
        dsct_cfg, make_samples):
    model = build_dsct(dsct_cfg()).train()
    images, samples = random_inputs(make_samples, [0])
    losses = model(images, samples, mode='loss')
    for prefix in ('', 'd0.'):
        assert losses[prefix + 'loss_cls'] > 0
        for name in BOX_LOSS_NAMES:
            assert losses[prefix + name] == 0


@pytest.mark.parametrize('multi_label', [True, False])
def test_predict_fills_the_contract(dsct_cfg, make_samples, tiny, multi_label):
    model = build_dsct(dsct_cfg(multi_label=multi_label)).eval()
    samples = make_samples([1, 2], multi_label=multi_label, scale_factor=0.5)
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        results = model(images, samples, mode='predict')
    for sample in results:
        pred = sample.pred_instances
        n = tiny.num_subject
        assert pred.bboxes.shape == (n, 4)
        assert pred.scores.shape == (n, )
        assert torch.all(pred.scores[:-1] >= pred.scores[1:])
        assert pred.labels.dtype == torch.long
        assert torch.all(pred.labels == 0)
        assert pred.emotions.shape == (n, tiny.num_emotions)
        assert torch.all((pred.emotions >= 0) & (pred.emotions <= 1))
        assert pred.spatial_context_points.shape == (n, 6, 2)
        assert pred.semantic_context_points.shape == (n, 4, 2)
        # boxes and points in original-image pixels (128 x 128)
        assert pred.bboxes.max() <= 128 and pred.bboxes.min() >= 0
        points = torch.cat([
            pred.spatial_context_points.flatten(0, 1),
            pred.semantic_context_points.flatten(0, 1)
        ])
        assert points.max() <= 128 and points.min() >= 0


def test_spatial_points_are_the_context_points_nearest_each_subject(
        dsct_cfg, make_samples):
    model = build_dsct(dsct_cfg()).eval()
    images, samples = random_inputs(make_samples, [1])
    with torch.no_grad():
        img_feats = model.extract_feat(images)
        outputs = model.forward_transformer(img_feats, samples)
        query_pos = model.context_query_embedding.weight[:, :32]
        context_points = model.reference_points_fc(query_pos).sigmoid()
        subject_pos = model.subject_query_embedding.weight[:, :32]
        subject_points = model.reference_points_fc(subject_pos).sigmoid()
    distances = torch.cdist(subject_points, context_points)
    nearest = distances.topk(6, largest=False).indices
    torch.testing.assert_close(outputs['spatial_context_points'][0],
                               context_points[nearest])


def test_zero_k_model_runs_and_reports_no_context_points(
        dsct_cfg, make_samples):
    model = build_dsct(
        dsct_cfg(multi_label=False, num_spatial=0, num_semantic=0)).eval()
    images, samples = random_inputs(make_samples, [1], multi_label=False)
    with torch.no_grad():
        pred = model(images, samples, mode='predict')[0].pred_instances
    assert pred.spatial_context_points.shape == (3, 0, 2)
    assert pred.semantic_context_points.shape == (3, 0, 2)


def test_tensor_mode_returns_logits_and_boxes_of_every_layer(
        dsct_cfg, make_samples, tiny):
    model = build_dsct(dsct_cfg()).eval()
    images, samples = random_inputs(make_samples, [1, 1])
    with torch.no_grad():
        cls_scores, bbox_preds = model(images, samples, mode='tensor')
    assert cls_scores.shape == (2, 2, tiny.num_subject, tiny.num_emotions + 1)
    assert bbox_preds.shape == (2, 2, tiny.num_subject, 4)


def test_loss_predict_and_tensor_are_mmdets_flow():
    """DSCT keeps DetectionTransformer's loss/predict/_forward: the context
    points travel to the head as head inputs."""
    for name in ('loss', 'predict', '_forward'):
        assert getattr(DSCT, name) is getattr(DetectionTransformer, name)


def test_head_takes_the_context_points_as_inputs(dsct_cfg, make_samples):
    model = build_dsct(dsct_cfg()).train()
    images, samples = random_inputs(make_samples, [2, 1])
    head_inputs = model.forward_transformer(
        model.extract_feat(images), samples)
    assert head_inputs['spatial_context_points'].shape[-2:] == (6, 2)
    losses = model.bbox_head.loss(**head_inputs, batch_data_samples=samples)
    without_points = model.bbox_head.loss(head_inputs['hidden_states'],
                                          head_inputs['references'], None,
                                          None, samples)
    for name, value in losses.items():
        torch.testing.assert_close(value, without_points[name])
    outs = model.bbox_head.forward(
        **{
            key: value
            for key, value in head_inputs.items()
            if not key.startswith('enc_outputs')
        })
    torch.testing.assert_close(
        outs[0],
        model.bbox_head.forward(head_inputs['hidden_states'],
                                head_inputs['references'])[0])


def test_num_queries_and_box_refinement_are_refused(dsct_cfg):
    with pytest.raises(TypeError, match='num_context_queries'):
        MODELS.build(dict(dsct_cfg(), num_queries=10))
    with pytest.raises(ValueError, match='with_box_refine'):
        MODELS.build(dict(dsct_cfg(), with_box_refine=True))
