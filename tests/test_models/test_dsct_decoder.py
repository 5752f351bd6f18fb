"""DSCTDecoderLayer / DSCTDecoder against mmdet's Deformable DETR layers."""
import pytest
import torch
from mmdet.models.layers import DeformableDetrTransformerDecoderLayer

from mmdsct.models.layers import DSCTDecoder, DSCTDecoderLayer


def layer_inputs(tiny, batch_size=2, num_queries=None, seed=0):
    """Random inputs of one decoder layer over a 2-level memory."""
    generator = torch.Generator().manual_seed(seed)
    num_queries = num_queries or tiny.num_context + tiny.num_subject
    spatial_shapes = torch.tensor([[4, 4], [2, 2]])
    num_value = int(spatial_shapes.prod(1).sum())
    dims = tiny.embed_dims
    return dict(
        query=torch.randn(batch_size, num_queries, dims, generator=generator),
        query_pos=torch.randn(
            batch_size, num_queries, dims, generator=generator),
        value=torch.randn(batch_size, num_value, dims, generator=generator),
        key_padding_mask=None,
        reference_points=torch.rand(
            batch_size, num_queries, tiny.num_levels, 2, generator=generator),
        spatial_shapes=spatial_shapes,
        level_start_index=torch.tensor([0, 16]),
        valid_ratios=torch.ones(batch_size, tiny.num_levels, 2))


def test_zero_k_layer_is_a_plain_deformable_detr_layer(tiny):
    """K_sp = K_sm = 0: subject tokens are not changed by any fusion, so
    the layer computes exactly what mmdet's layer computes."""
    ours = DSCTDecoderLayer(
        **tiny.decoder_layer_cfg(),
        num_spatial_context=0,
        num_semantic_context=0).eval()
    plain = DeformableDetrTransformerDecoderLayer(
        **tiny.decoder_layer_cfg()).eval()
    plain.load_state_dict(ours.state_dict())
    inputs = layer_inputs(tiny)
    out, spatial, semantic = ours(
        **inputs, num_context_queries=tiny.num_context)
    torch.testing.assert_close(out, plain(**inputs))
    assert spatial.shape == (2, tiny.num_subject, 0)
    assert semantic.shape == (2, tiny.num_subject, 0)


def test_fusion_changes_subject_tokens_only(tiny):
    fused = DSCTDecoderLayer(
        **tiny.decoder_layer_cfg(),
        num_spatial_context=5,
        num_semantic_context=3).eval()
    plain = DeformableDetrTransformerDecoderLayer(
        **tiny.decoder_layer_cfg()).eval()
    plain.load_state_dict(fused.state_dict())
    inputs = layer_inputs(tiny)
    out, spatial, semantic = fused(
        **inputs, num_context_queries=tiny.num_context)
    reference = plain(**inputs)
    context = slice(0, tiny.num_context)
    subject = slice(tiny.num_context, None)
    torch.testing.assert_close(out[:, context], reference[:, context])
    assert not torch.allclose(out[:, subject], reference[:, subject])
    assert spatial.shape == (2, tiny.num_subject, 5)
    assert semantic.shape == (2, tiny.num_subject, 3)
    assert int(spatial.max()) < tiny.num_context


def test_decoder_returns_every_layer_and_last_layer_indices(tiny):
    decoder = DSCTDecoder(
        num_layers=2,
        layer_cfg=tiny.decoder_layer_cfg(),
        num_spatial_context=4,
        num_semantic_context=2,
        return_intermediate=True).eval()
    inputs = layer_inputs(tiny)
    inputs['reference_points'] = inputs['reference_points'][:, :, 0]
    out = decoder(**inputs, num_context_queries=tiny.num_context)
    num_queries = tiny.num_context + tiny.num_subject
    assert out.hidden_states.shape == (2, 2, num_queries, tiny.embed_dims)
    assert out.references.shape == (2, 2, num_queries, 2)
    assert out.spatial_indices.shape == (2, tiny.num_subject, 4)
    assert out.semantic_indices.shape == (2, tiny.num_subject, 2)


def test_decoder_refuses_box_refinement(tiny):
    decoder = DSCTDecoder(num_layers=1, layer_cfg=tiny.decoder_layer_cfg())
    inputs = layer_inputs(tiny)
    inputs['reference_points'] = inputs['reference_points'][:, :, 0]
    with pytest.raises(ValueError, match='box refinement'):
        decoder(
            **inputs,
            num_context_queries=tiny.num_context,
            reg_branches=torch.nn.ModuleList())


def test_negative_k_is_refused(tiny):
    with pytest.raises(ValueError, match='num_spatial_context'):
        DSCTDecoderLayer(**tiny.decoder_layer_cfg(), num_spatial_context=-1)


def test_spatial_relation_computed_once_equals_per_layer():
    """The decoder computes the spatial relation once (reference points do
    not change between layers); a layer given those indices must produce
    what it produces when it computes them itself."""
    from mmdsct.models.layers import nearest_context_indices
    torch.manual_seed(0)
    dims, num_context, num_subject = 16, 12, 3
    layer = DSCTDecoderLayer(
        self_attn_cfg=dict(embed_dims=dims, num_heads=2, dropout=0.0),
        cross_attn_cfg=dict(
            embed_dims=dims, num_heads=2, num_levels=1, dropout=0.0),
        ffn_cfg=dict(embed_dims=dims, feedforward_channels=32, ffn_drop=0.0),
        num_spatial_context=4,
        num_semantic_context=2).eval()
    num_queries = num_context + num_subject
    query = torch.randn(1, num_queries, dims)
    query_pos = torch.randn(1, num_queries, dims)
    value = torch.randn(1, 16, dims)
    reference_points = torch.rand(1, num_queries, 1, 2)
    kwargs = dict(
        query_pos=query_pos,
        value=value,
        key_padding_mask=None,
        reference_points=reference_points,
        num_context_queries=num_context,
        spatial_shapes=torch.tensor([[4, 4]]),
        level_start_index=torch.tensor([0]),
        valid_ratios=torch.ones(1, 1, 2))
    own = layer(query, **kwargs)
    points = reference_points[:, :, 0]
    given = nearest_context_indices(points[:, num_context:],
                                    points[:, :num_context], 4)
    shared = layer(query, spatial_indices=given, **kwargs)
    assert torch.equal(own[1], given)
    assert torch.allclose(own[0], shared[0])
    assert torch.equal(own[2], shared[2])


def test_compile_fusion_reaches_every_layer(tiny):
    decoder = DSCTDecoder(
        num_layers=2,
        layer_cfg=tiny.decoder_layer_cfg(),
        num_spatial_context=4,
        num_semantic_context=2,
        compile_fusion=True)
    assert [layer.fusion.compile for layer in decoder.layers] == [True, True]
    default = DSCTDecoder(num_layers=1, layer_cfg=tiny.decoder_layer_cfg())
    assert not default.layers[0].fusion.compile


def test_decoder_shares_one_plan_and_equals_layers_run_alone(tiny):
    """The decoder builds the fusion plan once; running each layer with its
    own plan gives the same tokens and indices."""
    torch.manual_seed(0)
    decoder = DSCTDecoder(
        num_layers=2,
        layer_cfg=tiny.decoder_layer_cfg(),
        num_spatial_context=4,
        num_semantic_context=2,
        return_intermediate=True).eval()
    inputs = layer_inputs(tiny)
    inputs['reference_points'] = inputs['reference_points'][:, :, 0]
    out = decoder(**inputs, num_context_queries=tiny.num_context)
    layer_kwargs = dict(inputs)
    query = layer_kwargs.pop('query')
    layer_kwargs['reference_points'] = (
        inputs['reference_points'][:, :, None] *
        inputs['valid_ratios'][:, None])
    for index, layer in enumerate(decoder.layers):
        query, spatial, semantic = layer(
            query, num_context_queries=tiny.num_context, **layer_kwargs)
        torch.testing.assert_close(out.hidden_states[index], query)
    assert torch.equal(out.spatial_indices, spatial)
    assert torch.equal(out.semantic_indices, semantic)
