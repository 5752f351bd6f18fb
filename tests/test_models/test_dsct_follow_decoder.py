"""The DSCT-Follow decoder (ours): its layer, box refinement and spatial
relation."""
import pytest
import torch
from mmdet.models.layers import inverse_sigmoid

from mmdsct.models.layers import (DSCTDecoderLayer, DSCTFollowDecoder,
                                  DSCTFollowDecoderLayer,
                                  follow_context_indices)
from mmdsct.models.layers.dsct_follow_decoder import (refine_references,
                                                      scale_references)

NUM_CONTEXT = 7
NUM_SUBJECT = 3
DIMS = 32
SHAPES = torch.tensor([[8, 8], [4, 4]])
START = torch.tensor([0, 64])


def tiny_decoder_layer_cfg():
    return dict(
        self_attn_cfg=dict(
            embed_dims=DIMS, num_heads=4, dropout=0.0, batch_first=True),
        cross_attn_cfg=dict(
            embed_dims=DIMS, num_heads=4, num_levels=2, batch_first=True),
        ffn_cfg=dict(embed_dims=DIMS, feedforward_channels=64, ffn_drop=0.0))


def layer_inputs(seed=0):
    generator = torch.Generator().manual_seed(seed)
    num_queries = NUM_CONTEXT + NUM_SUBJECT
    return dict(
        query=torch.randn(2, num_queries, DIMS, generator=generator),
        query_pos=torch.randn(2, num_queries, DIMS, generator=generator),
        value=torch.randn(2, 80, DIMS, generator=generator),
        points=torch.rand(2, num_queries, 2, generator=generator))


def test_layer_with_point_references_is_the_dsct_layer():
    torch.manual_seed(0)
    faithful = DSCTDecoderLayer(
        **tiny_decoder_layer_cfg(),
        num_spatial_context=4,
        num_semantic_context=2).eval()
    follow = DSCTFollowDecoderLayer(
        **tiny_decoder_layer_cfg(),
        num_spatial_context=4,
        num_semantic_context=2).eval()
    follow.load_state_dict(faithful.state_dict())
    inputs = layer_inputs()
    valid = torch.ones(2, 2, 2)
    scaled = scale_references(inputs['points'], valid)
    plan = faithful.fusion_plan(scaled, NUM_CONTEXT, torch.float32)
    common = dict(
        query_pos=inputs['query_pos'],
        value=inputs['value'],
        key_padding_mask=None,
        num_context_queries=NUM_CONTEXT,
        fusion_plan=plan,
        spatial_shapes=SHAPES,
        level_start_index=START,
        valid_ratios=valid)
    with torch.no_grad():
        expected = faithful(inputs['query'], reference_points=scaled, **common)
        got = follow(
            inputs['query'],
            context_reference_points=scaled[:, :NUM_CONTEXT],
            subject_reference_points=scaled[:, NUM_CONTEXT:],
            **common)
    torch.testing.assert_close(got[0], expected[0], rtol=1e-5, atol=1e-5)
    assert torch.equal(got[1], expected[1])
    assert torch.equal(got[2], expected[2])


def test_refinement_adds_offsets_in_logit_space():
    points = torch.tensor([[[0.25, 0.5]]])
    offsets = torch.tensor([[[0.5, -1.0, -2.0, 0.0]]])
    boxes = refine_references(points, offsets)
    expected = torch.cat(
        [(inverse_sigmoid(points) + offsets[..., :2]).sigmoid(),
         offsets[..., 2:].sigmoid()], -1)
    torch.testing.assert_close(boxes, expected)
    again = refine_references(boxes, offsets)
    torch.testing.assert_close(again,
                               (inverse_sigmoid(boxes) + offsets).sigmoid())
    assert not again.requires_grad


def test_spatial_relation_reads_the_box_centre_only():
    context = torch.tensor([[[0.1, 0.1], [0.9, 0.9], [0.5, 0.5], [0.12, 0.3]]])
    near_origin = torch.tensor([[[0.1, 0.15, 0.05, 0.9]]])
    near_far_corner = torch.tensor([[[0.85, 0.85, 0.9, 0.05]]])
    assert follow_context_indices(near_origin, context,
                                  2).tolist() == [[[0, 3]]]
    assert follow_context_indices(near_far_corner, context,
                                  2).tolist() == [[[1, 2]]]
    # a point reference gives the same as its box
    assert torch.equal(
        follow_context_indices(near_origin[..., :2], context, 2),
        follow_context_indices(near_origin, context, 2))


def test_decoder_needs_the_box_branches():
    decoder = DSCTFollowDecoder(
        num_layers=1,
        layer_cfg=tiny_decoder_layer_cfg(),
        num_spatial_context=2,
        num_semantic_context=1)
    inputs = layer_inputs()
    with pytest.raises(ValueError, match='reg_branches'):
        decoder(
            inputs['query'],
            inputs['query_pos'],
            inputs['value'],
            None,
            inputs['points'],
            SHAPES,
            START,
            torch.ones(2, 2, 2),
            num_context_queries=NUM_CONTEXT)


@pytest.mark.parametrize('return_intermediate', [True, False])
def test_references_match_the_hidden_states(return_intermediate):
    torch.manual_seed(0)
    decoder = DSCTFollowDecoder(
        num_layers=2,
        layer_cfg=tiny_decoder_layer_cfg(),
        num_spatial_context=2,
        num_semantic_context=1,
        return_intermediate=return_intermediate).eval()
    branches = torch.nn.ModuleList(torch.nn.Linear(DIMS, 4) for _ in range(2))
    inputs = layer_inputs()
    with torch.no_grad():
        out = decoder(
            inputs['query'],
            inputs['query_pos'],
            inputs['value'],
            None,
            inputs['points'],
            SHAPES,
            START,
            torch.ones(2, 2, 2),
            num_context_queries=NUM_CONTEXT,
            reg_branches=branches)
        last_subjects = out.hidden_states[-1][:, NUM_CONTEXT:]
        expected = refine_references(out.subject_references[-2],
                                     branches[1](last_subjects))
    assert len(out.subject_references) == len(out.hidden_states) + 1
    assert out.subject_references[-2].shape[-1] == 4
    torch.testing.assert_close(out.subject_references[-1], expected)
