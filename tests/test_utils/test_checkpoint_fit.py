"""Loading that names the keys of a checkpoint that do not fit the model."""
import copy
import logging

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from torch import nn

import mmdsct  # noqa: F401  (registers DSCT)
from mmdsct.utils import (CheckpointMismatchError, EmotionClassesMismatchError,
                          find_state_dict_mismatch, load_state_dict_checked)
from mmdsct.utils.benchmark import deformable_detr_cfg_like
from mmdsct.utils.checkpoint_fit import emotion_classes_of, state_dict_of


def small_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def test_fitting_state_dict_has_no_mismatch():
    source, target = small_net(), small_net()
    with torch.no_grad():
        source[0].weight.fill_(0.5)
    assert not find_state_dict_mismatch(target, source.state_dict())
    assert torch.equal(target[0].weight, source[0].weight)


def test_every_kind_of_mismatch_is_named():
    state_dict = small_net().state_dict()
    state_dict['0.weight'] = torch.zeros(5, 3)  # wrong shape
    del state_dict['2.bias']  # missing
    del state_dict['1.num_batches_tracked']  # harmless, not reported
    state_dict['extra.weight'] = torch.zeros(1)  # unexpected
    state_dict['2.weight'] = torch.full((2, 4), 7.0)  # fits
    target = small_net()
    mismatch = find_state_dict_mismatch(target, state_dict)
    assert mismatch.missing == ['2.bias']
    assert mismatch.unexpected == ['extra.weight']
    assert mismatch.shape == [('0.weight', (5, 3), (4, 3))]
    assert mismatch.other_errors == []
    assert torch.all(target[2].weight == 7.0)  # what fits is loaded

    with pytest.raises(CheckpointMismatchError) as err:
        load_state_dict_checked(small_net(), state_dict, True, 'bad.pth')
    message = str(err.value)
    for part in ('bad.pth', '2.bias', 'extra.weight', '0.weight',
                 'checkpoint [5, 3], model [4, 3]', 'partial load'):
        assert part in message, part
    assert 'num_batches_tracked' not in message


def test_partial_load_logs_the_differences():
    state_dict = small_net().state_dict()
    state_dict['extra.weight'] = torch.zeros(1)
    logger = MMLogger.get_instance('checkpoint_fit_partial')
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        mismatch = load_state_dict_checked(small_net(), state_dict, False,
                                           'partial.pth')
    finally:
        logger.removeHandler(handler)
    assert mismatch.unexpected == ['extra.weight']
    log = '\n'.join(record.getMessage() for record in records)
    assert 'Partial load of partial.pth' in log
    assert 'extra.weight' in log


def test_wrapper_prefix_is_stripped():
    state_dict = small_net().state_dict()
    checkpoint = dict(
        state_dict={f'module.{k}': v
                    for k, v in state_dict.items()})
    assert not find_state_dict_mismatch(small_net(), state_dict_of(checkpoint))


def test_deformable_detr_mapping_still_applies(tiny_config):
    """DSCT maps a Deformable DETR state dict while loading: nothing is
    unexpected, the object queries become the context queries, and only
    DSCT's own subject queries and head are reported missing."""
    cfg = Config.fromfile(str(tiny_config))
    init_default_scope('mmdet')
    torch.manual_seed(0)
    detector = MODELS.build(deformable_detr_cfg_like(copy.deepcopy(cfg.model)))
    detector.init_weights()
    torch.manual_seed(1)
    model = MODELS.build(cfg.model)
    mismatch = load_state_dict_checked(model, detector.state_dict(), False,
                                       'deformable_detr.pth')
    assert mismatch.unexpected == [] and mismatch.shape == []
    assert mismatch.missing
    assert all(
        key.startswith(('bbox_head.', 'subject_query_embedding.'))
        for key in mismatch.missing), mismatch.missing
    torch.testing.assert_close(model.context_query_embedding.weight,
                               detector.query_embedding.weight)
    torch.testing.assert_close(model.level_embed, detector.level_embed)


def test_emotion_classes_of_a_checkpoint():
    meta = dict(dataset_meta=dict(emotion_classes=('Joy', 'Fear')))
    assert emotion_classes_of(dict(meta=meta)) == ['Joy', 'Fear']
    assert emotion_classes_of(dict(state_dict={})) is None
    error = EmotionClassesMismatchError('ckpt.pth', ['Joy', 'Fear'],
                                        'test.json', ['Joy', 'Anger'])
    assert "['Joy', 'Fear']" in str(error)
    assert "['Joy', 'Anger']" in str(error)
    assert 'ckpt.pth' in str(error) and 'test.json' in str(error)
