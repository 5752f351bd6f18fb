"""Loading mmdet's own DeformableDETR weights into DSCT."""
import logging

import torch
from mmdet.registry import MODELS
from mmengine.logging import MMLogger
from mmengine.runner.checkpoint import load_state_dict

from mmdsct.models.utils import (is_deformable_detr_state_dict,
                                 map_deformable_detr_state_dict)


def deformable_detr_state_dict(deformable_detr_cfg):
    torch.manual_seed(1)
    detector = MODELS.build(deformable_detr_cfg())
    detector.init_weights()
    return detector.state_dict()


def fresh_keys(model):
    return sorted(key for key in model.state_dict()
                  if key.startswith(('subject_query_embedding', 'bbox_head.')))


def test_mapping_renames_queries_and_leaves_out_the_coco_head(
        deformable_detr_cfg, tiny):
    source = deformable_detr_state_dict(deformable_detr_cfg)
    assert is_deformable_detr_state_dict(source)
    mapped, report = map_deformable_detr_state_dict(source)
    assert report.renamed == {
        'query_embedding.weight': 'context_query_embedding.weight'
    }
    assert report.left_out and all(
        key.startswith('bbox_head.') for key in report.left_out)
    assert not any(key.startswith('bbox_head.') for key in mapped)
    assert len(report.taken) + 1 + len(report.left_out) == len(source)
    assert not is_deformable_detr_state_dict(mapped)


def test_fewer_context_queries_take_the_first_rows(deformable_detr_cfg, tiny):
    source = deformable_detr_state_dict(deformable_detr_cfg)
    mapped, _ = map_deformable_detr_state_dict(source, 7)
    torch.testing.assert_close(mapped['context_query_embedding.weight'],
                               source['query_embedding.weight'][:7])


def test_dsct_loads_deformable_detr_weights_without_unexpected_keys(
        dsct_cfg, deformable_detr_cfg):
    source = deformable_detr_state_dict(deformable_detr_cfg)
    model = MODELS.build(dsct_cfg())
    result = model.load_state_dict(source, strict=False)
    assert result.unexpected_keys == []
    assert sorted(result.missing_keys) == fresh_keys(model)
    torch.testing.assert_close(model.context_query_embedding.weight,
                               source['query_embedding.weight'])
    for key in ('encoder.layers.0.self_attn.sampling_offsets.weight',
                'decoder.layers.1.cross_attn.value_proj.weight',
                'backbone.conv1.weight', 'neck.convs.0.conv.weight',
                'level_embed', 'reference_points_fc.weight'):
        torch.testing.assert_close(model.state_dict()[key], source[key])


class ListHandler(logging.Handler):
    """Keeps the messages it receives."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_mmengine_loading_logs_the_report(dsct_cfg, deformable_detr_cfg):
    source = deformable_detr_state_dict(deformable_detr_cfg)
    model = MODELS.build(dsct_cfg())
    # the newest MMLogger instance is the 'current' one DSCT reports to
    logger = MMLogger.get_instance(f'mapping_report_{id(model)}')
    handler = ListHandler()
    logger.addHandler(handler)
    load_state_dict(model, source, strict=False, logger=logger)
    log = '\n'.join(handler.messages)
    assert 'Deformable DETR -> DSCT' in log
    assert 'query_embedding.weight -> context_query_embedding.weight' in log
    assert 'left out: bbox_head.' in log
    assert 'newly initialised: bbox_head.' in log
    assert 'subject_query_embedding.weight' in log


def test_dsct_checkpoint_loads_unchanged(dsct_cfg):
    torch.manual_seed(0)
    saved = MODELS.build(dsct_cfg()).state_dict()
    model = MODELS.build(dsct_cfg())
    result = model.load_state_dict(saved, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    torch.testing.assert_close(model.subject_query_embedding.weight,
                               saved['subject_query_embedding.weight'])
