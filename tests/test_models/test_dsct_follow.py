"""DSCT-Follow (ours): the context a subject gathers follows the person;
the faithful DSCT's does not."""
import pytest
import torch
from mmdet.registry import MODELS

from mmdsct.models import DSCTFollow, DSCTFollowDecoder

IMG_SIZE = 64
PATCH_SIZE = 16
# top-left corners of the same person patch in the two images
PATCH_CORNERS = ((4, 6), (40, 38))
BOX_WEIGHT_STD = 2.0


def follow_cfg(dsct_cfg, **kwargs):
    """The tiny DSCT of conftest.py as DSCT-Follow."""
    cfg = dsct_cfg(**kwargs)
    cfg.update(type='DSCTFollow', with_box_refine=True)
    cfg['decoder']['type'] = 'DSCTFollowDecoder'
    return cfg


def build(cfg, seed=0, random_boxes=False):
    """Build and initialise; ``random_boxes`` gives the box branches random
    last layers (initialised to zero, they would predict the reference
    itself, the same for every image; an untrained model does not track the
    person, so large random weights stand in for a box that depends on the
    image)."""
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    if random_boxes:
        for branch in model.bbox_head.reg_branches:
            torch.nn.init.normal_(branch[-1].weight, std=BOX_WEIGHT_STD)
    return model.eval()


def person_images():
    """Two images: the same textured patch (the person) on the same grey
    background, at two places. [2, 3, IMG_SIZE, IMG_SIZE] in 0..255."""
    generator = torch.Generator().manual_seed(3)
    patch = torch.rand(3, PATCH_SIZE, PATCH_SIZE, generator=generator) * 255
    images = torch.full((2, 3, IMG_SIZE, IMG_SIZE), 120.0)
    for image, (y, x) in zip(images, PATCH_CORNERS):
        image[:, y:y + PATCH_SIZE, x:x + PATCH_SIZE] = patch
    return images


def decode(model, make_samples):
    """Run the model to its decoder on the two person images.

    Returns:
        tuple: The decoder's output and the context reference points
        [bs, num_context, 2].
    """
    samples = make_samples([1, 1], img_size=IMG_SIZE)
    captured = {}

    def keep(module, args, kwargs, output):
        captured['output'] = output
        captured['points'] = kwargs['reference_points']

    handle = model.decoder.register_forward_hook(keep, with_kwargs=True)
    try:
        with torch.no_grad():
            feats = model.extract_feat(
                model.data_preprocessor(
                    dict(inputs=list(person_images()),
                         data_samples=samples))['inputs'])
            model.forward_transformer(feats, samples)
    finally:
        handle.remove()
    num_context = model.num_context_queries
    return captured['output'], captured['points'][:, :num_context]


def test_faithful_dsct_picks_the_same_context_wherever_the_person_stands(
        dsct_cfg, make_samples):
    model = build(dsct_cfg())
    decoded, _ = decode(model, make_samples)
    spatial = decoded.spatial_indices  # [2, num_subject, K_sp]
    assert spatial.shape[-1] == 6
    assert torch.equal(spatial[0], spatial[1])
    # while the subject tokens do see the image
    assert not torch.allclose(decoded.hidden_states[-1, 0],
                              decoded.hidden_states[-1, 1])


def brute_force_nearest(centres, points, k):
    """Sets of the k points nearest to each centre, by sorting all
    distances: [(frozenset of indices), ...] per centre."""
    distances = torch.cdist(centres, points)
    order = distances.argsort(dim=-1)[:, :k]
    return [frozenset(row.tolist()) for row in order]


def test_dsct_follow_picks_the_context_nearest_to_where_the_person_is(
        dsct_cfg, make_samples):
    model = build(follow_cfg(dsct_cfg), random_boxes=True)
    decoded, context_points = decode(model, make_samples)
    spatial = decoded.spatial_indices  # the last layer's
    k = spatial.shape[-1]
    # the box the last layer started from: its subject reference
    boxes = decoded.subject_references[-2]
    assert boxes.shape[-1] == 4
    assert not torch.allclose(boxes[0], boxes[1])
    for image in range(2):
        chosen = [frozenset(row.tolist()) for row in spatial[image]]
        nearest = brute_force_nearest(boxes[image, :, :2],
                                      context_points[image], k)
        assert chosen == nearest
    # the person moved, so did the context of at least one subject query
    assert not torch.equal(spatial[0], spatial[1])
    moved = (spatial[0].sort(-1).values != spatial[1].sort(-1).values).any(-1)
    assert moved.sum() >= 1


def test_dsct_follow_first_layer_starts_from_the_embedding_points(
        dsct_cfg, make_samples):
    model = build(follow_cfg(dsct_cfg), random_boxes=True)
    decoded, _ = decode(model, make_samples)
    first = decoded.subject_references[0]
    assert first.shape[-1] == 2
    assert torch.equal(first[0], first[1])
    assert len(decoded.subject_references) == len(model.decoder.layers) + 1


def test_dsct_follow_trains_and_predicts(dsct_cfg, make_samples, tiny):
    model = build(follow_cfg(dsct_cfg)).train()
    assert isinstance(model, DSCTFollow)
    assert isinstance(model.decoder, DSCTFollowDecoder)
    # one box branch per layer (Deformable DETR's refinement)
    branches = model.bbox_head.reg_branches
    assert branches[0] is not branches[1]
    samples = make_samples([2, 1], img_size=IMG_SIZE)
    losses = model(person_images(), samples, mode='loss')
    assert {'loss_cls', 'd0.loss_bbox'} <= set(losses)
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    for name in ('subject_query_embedding.weight',
                 'bbox_head.reg_branches.1.4.weight',
                 'decoder.layers.1.cross_attn.sampling_offsets.weight'):
        grad = model.get_parameter(name).grad
        assert grad is not None and grad.abs().sum() > 0, name
    model.eval()
    with torch.no_grad():
        results = model(person_images(), samples, mode='predict')
    pred = results[0].pred_instances
    assert pred.bboxes.shape == (tiny.num_subject, 4)
    assert pred.spatial_context_points.shape == (tiny.num_subject, 6, 2)


def test_dsct_follow_runs_with_the_fusion_off(dsct_cfg, make_samples):
    model = build(follow_cfg(dsct_cfg, num_spatial=0, num_semantic=0))
    with torch.no_grad():
        results = model(
            person_images(),
            make_samples([1, 1], img_size=IMG_SIZE),
            mode='predict')
    assert results[0].pred_instances.spatial_context_points.shape[1] == 0


def test_switches_are_checked(dsct_cfg):
    cfg = follow_cfg(dsct_cfg)
    cfg['with_box_refine'] = False
    with pytest.raises(ValueError, match='with_box_refine must be True'):
        MODELS.build(cfg)
    cfg = follow_cfg(dsct_cfg)
    cfg['decoder']['type'] = 'DSCTDecoder'  # turned into the follow decoder
    assert isinstance(MODELS.build(cfg).decoder, DSCTFollowDecoder)
    faithful = dsct_cfg()
    faithful['with_box_refine'] = True  # the faithful DSCT still refuses
    with pytest.raises(ValueError, match='with_box_refine'):
        MODELS.build(faithful)
