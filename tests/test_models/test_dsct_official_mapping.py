"""Mapping the authors' DSCT / Deformable DETR state dicts onto DSCT, and
refusing them when they are handed to DSCT unconverted."""
import importlib.util
import io
import re
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.runner.checkpoint import load_checkpoint

from mmdsct.models.utils import (DEFORMABLE_DETR_LAYOUT, DSCT_LAYOUT,
                                 OfficialKeyError, OfficialStateDictError,
                                 infer_official_recipe,
                                 map_official_deformable_detr_state_dict,
                                 map_official_dsct_state_dict, official_layout)


def _load_fill_module():
    path = Path(__file__).with_name('dsct_official_fill.py')
    spec = importlib.util.spec_from_file_location('dsct_official_fill', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fill = _load_fill_module()
NUM_DECODER_LAYERS = 6


@pytest.fixture(scope='module')
def official():
    """The filled authors' state dicts of both recipes."""
    return {
        recipe: fill.official_state_dict(recipe)
        for recipe in fill.RECIPES
    }


@pytest.mark.parametrize('recipe', fill.RECIPES)
def test_fill_rule_reproduces_the_stored_checksums(official, recipe):
    checksums = fill.fill_checksums(recipe)
    assert list(official[recipe]) == list(checksums)
    for key, tensor in official[recipe].items():
        assert fill.fill_statistics(tensor) == pytest.approx(
            checksums[key], rel=1e-12, abs=0), key


@pytest.mark.parametrize('recipe,rows', [('emotic', 27), ('caers', 8)])
def test_every_key_is_mapped_and_accounted_for(official, recipe, rows):
    state_dict = official[recipe]
    assert official_layout(state_dict) == DSCT_LAYOUT
    assert infer_official_recipe(state_dict) == recipe
    mapped, report = map_official_dsct_state_dict(state_dict)
    assert report.recipe == recipe
    # every authors' key is either mapped or an equal head copy
    assert set(report.renamed) | set(report.left_out) == set(state_dict)
    copies = [key for key in report.left_out if 'embed_dsct.' in key]
    assert len(copies) == len(report.left_out) == 5 * (2 + 6)
    # 6 branches of each shared head, batch-norm counters added
    for branch in range(NUM_DECODER_LAYERS):
        assert f'bbox_head.cls_branches.{branch}.weight' in mapped
        assert f'bbox_head.reg_branches.{branch}.4.bias' in mapped
    counters = [key for key in mapped if key.endswith('num_batches_tracked')]
    assert counters == report.added and len(counters) == 53
    assert all(key.startswith('backbone.') for key in counters)
    assert not any(
        key.startswith(('transformer.', 'input_proj.')) for key in mapped)
    assert 'norms.0' in report.summary()


def test_queries_keep_their_pos_and_content_halves(official):
    state_dict = official['emotic']
    mapped, _ = map_official_dsct_state_dict(state_dict)
    assert torch.equal(mapped['context_query_embedding.weight'],
                       state_dict['query_embed.weight'])
    assert torch.equal(mapped['subject_query_embedding.weight'],
                       state_dict['query_embed_dsct.weight'])
    assert mapped['subject_query_embedding.weight'].shape == (4, 512)


def test_decoder_norms_are_mapped_by_position_not_by_number(official):
    """The authors' decoder normalises with norm2 after self-attention and
    norm1 after cross-attention; mmdet's norms.0 / norms.1 follow the same
    steps. Mapping by number would swap them."""
    state_dict = dict(official['emotic'])
    mapped, _ = map_official_dsct_state_dict(state_dict)
    for layer in range(NUM_DECODER_LAYERS):
        src = f'transformer.decoder.layers.{layer}.'
        dst = f'decoder.layers.{layer}.norms.'
        for param in ('weight', 'bias'):
            assert not torch.equal(state_dict[src + 'norm1.' + param],
                                   state_dict[src + 'norm2.' + param])
            assert mapped[dst + '0.' + param] is \
                state_dict[src + 'norm2.' + param]
            assert mapped[dst + '1.' + param] is \
                state_dict[src + 'norm1.' + param]
            assert mapped[dst + '2.' + param] is \
                state_dict[src + 'norm3.' + param]
    # the encoder's norms follow their number
    assert mapped['encoder.layers.0.norms.0.weight'] is \
        state_dict['transformer.encoder.layers.0.norm1.weight']


def test_caers_class_head_drops_the_unused_eighth_row(official):
    state_dict = official['caers']
    mapped, report = map_official_dsct_state_dict(state_dict, 'caers')
    weight = state_dict['class_embed_dsct.0.weight']
    bias = state_dict['class_embed_dsct.0.bias']
    assert weight.shape == (8, 256)
    for branch in range(NUM_DECODER_LAYERS):
        assert torch.equal(mapped[f'bbox_head.cls_branches.{branch}.weight'],
                           weight[:7])
        assert torch.equal(mapped[f'bbox_head.cls_branches.{branch}.bias'],
                           bias[:7])
    assert any('8 rows -> 7' in note for note in report.notes)


def test_emotic_class_head_keeps_the_subject_logit_last(official):
    state_dict = official['emotic']
    mapped, report = map_official_dsct_state_dict(state_dict, 'emotic')
    assert torch.equal(mapped['bbox_head.cls_branches.0.weight'],
                       state_dict['class_embed_dsct.0.weight'])
    assert not any('rows ->' in note for note in report.notes)


def test_box_head_layers_map_to_the_linear_layers(official):
    state_dict = official['emotic']
    mapped, _ = map_official_dsct_state_dict(state_dict)
    for layer, index in ((0, 0), (1, 2), (2, 4)):
        assert torch.equal(
            mapped[f'bbox_head.reg_branches.3.{index}.weight'],
            state_dict[f'bbox_embed_dsct.3.layers.{layer}.weight'])


def test_unequal_head_copies_are_refused(official):
    state_dict = dict(official['emotic'])
    state_dict['bbox_embed_dsct.4.layers.1.bias'] = \
        state_dict['bbox_embed_dsct.4.layers.1.bias'] + 1
    with pytest.raises(OfficialKeyError, match=r'bbox_embed_dsct\.4'):
        map_official_dsct_state_dict(state_dict)


def test_unknown_keys_are_refused_and_named(official):
    state_dict = dict(official['emotic'])
    state_dict['transformer.decoder.bbox_embed.0.layers.0.weight'] = \
        torch.zeros(256, 256)
    state_dict['something.new'] = torch.zeros(1)
    with pytest.raises(OfficialKeyError) as err:
        map_official_dsct_state_dict(state_dict)
    message = str(err.value)
    assert 'something.new' in message
    assert 'transformer.decoder.bbox_embed.0.layers.0.weight' in message
    assert 'box refinement' in message


def test_recipe_that_does_not_fit_the_head_is_refused(official):
    with pytest.raises(OfficialKeyError, match='caers'):
        map_official_dsct_state_dict(official['caers'], 'emotic')


def deformable_detr_state_dict(official):
    """The original Deformable DETR layout: the authors' DSCT keys without
    the subject queries and DSCT heads, with six copies of a COCO head."""
    state_dict = {
        key: value
        for key, value in official['emotic'].items() if 'embed_dsct' not in key
    }
    generator = torch.Generator().manual_seed(0)
    class_weight = torch.randn(91, 256, generator=generator)
    for copy in range(NUM_DECODER_LAYERS):
        state_dict[f'class_embed.{copy}.weight'] = class_weight
        state_dict[f'class_embed.{copy}.bias'] = torch.zeros(91)
        for layer, rows in ((0, 256), (1, 256), (2, 4)):
            state_dict[f'bbox_embed.{copy}.layers.{layer}.weight'] = \
                torch.zeros(rows, 256)
            state_dict[f'bbox_embed.{copy}.layers.{layer}.bias'] = \
                torch.zeros(rows)
    return state_dict


def test_deformable_detr_start_takes_the_object_queries(official):
    state_dict = deformable_detr_state_dict(official)
    assert official_layout(state_dict) == DEFORMABLE_DETR_LAYOUT
    mapped, report = map_official_deformable_detr_state_dict(state_dict)
    assert torch.equal(mapped['context_query_embedding.weight'],
                       state_dict['query_embed.weight'])
    assert 'subject_query_embedding.weight' not in mapped
    assert not any(key.startswith('bbox_head.') for key in mapped)
    coco = [
        key for key in state_dict
        if key.startswith(('class_embed.', 'bbox_embed.'))
    ]
    assert sorted(report.left_out) == sorted(coco)
    assert mapped['decoder.layers.2.norms.0.bias'] is \
        state_dict['transformer.decoder.layers.2.norm2.bias']


def test_layout_detection_ignores_mmdet_and_mmdsct_keys():
    assert official_layout(['query_embedding.weight', 'bbox_head.x']) is None
    assert official_layout(['context_query_embedding.weight']) is None
    assert official_layout(['module.transformer.level_embed'],
                           'module.') == DEFORMABLE_DETR_LAYOUT


@pytest.fixture
def tiny_dsct(dsct_cfg):
    torch.manual_seed(0)
    model = MODELS.build(dsct_cfg())
    model.init_weights()
    return model


def tiny_official_state_dict():
    return {
        'transformer.level_embed': torch.zeros(2, 32),
        'query_embed_dsct.weight': torch.zeros(3, 64),
        'class_embed_dsct.0.weight': torch.zeros(6, 32),
    }


@pytest.mark.parametrize('wrap', [False, True])
def test_dsct_refuses_an_unconverted_state_dict(tiny_dsct, wrap):
    state_dict = tiny_official_state_dict()
    before = {k: v.clone() for k, v in tiny_dsct.state_dict().items()}
    with pytest.raises(OfficialStateDictError) as err:
        tiny_dsct.load_state_dict(
            {'model': state_dict} if wrap else state_dict, strict=False)
    message = str(err.value)
    assert 'dsct_official_to_mmdsct.py' in message
    assert '--dataset emotic|caers' in message
    for key, value in tiny_dsct.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_load_from_a_bare_official_state_dict_names_the_converter(
        tiny_dsct, tmp_path):
    """A plain state dict in the authors' layout (no argparse.Namespace, so
    weights-only loading accepts the file) reaches DSCT, which refuses it."""
    path = tmp_path / 'bare.pth'
    state_dict = {
        k: v
        for k, v in tiny_official_state_dict().items() if 'dsct' not in k
    }
    state_dict['class_embed.0.weight'] = torch.zeros(91, 32)
    buffer = io.BytesIO()
    torch.save(state_dict, buffer)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(OfficialStateDictError) as err:
        load_checkpoint(tiny_dsct, str(path), map_location='cpu')
    assert re.search(r'--source\s+deformable-detr', str(err.value))
