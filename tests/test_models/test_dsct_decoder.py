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
