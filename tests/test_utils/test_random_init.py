"""Models built without a checkpoint: initialised, nothing fetched."""
import copy

import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmdsct  # noqa: F401  (registers DSCT)
from mmdsct.utils import drop_pretrained_init_cfgs, init_random_weights


def test_pretrained_init_cfgs_are_dropped_at_any_depth():
    cfg = dict(
        backbone=dict(
            init_cfg=dict(type='Pretrained', checkpoint='torchvision://x')),
        neck=dict(init_cfg=dict(type='Xavier', layer='Conv2d')),
        init_cfg=dict(type='FirstAvailablePretrained', checkpoints=['a.pth']),
        branches=[
            dict(init_cfg=[
                dict(type='Normal', std=0.01),
                dict(type='Pretrained', checkpoint='http://h/y.pth')
            ])
        ])
    dropped = drop_pretrained_init_cfgs(cfg)
    assert dropped == [
        'model.backbone.init_cfg', 'model.init_cfg',
        'model.branches[0].init_cfg'
    ]
    assert cfg['backbone']['init_cfg'] is None and cfg['init_cfg'] is None
    assert cfg['branches'][0]['init_cfg'] is None
    assert cfg['neck']['init_cfg'] == dict(type='Xavier', layer='Conv2d')


def test_level_embed_is_initialised_and_seeded(tiny_config):
    """DSCT's level_embed is built with torch.Tensor (leftover memory);
    init_weights() draws it from N(0, 1)."""
    model_cfg = Config.fromfile(str(tiny_config)).model
    init_default_scope('mmdet')
    models = []
    for _ in range(2):
        torch.manual_seed(0)
        model = MODELS.build(copy.deepcopy(model_cfg))
        models.append(init_random_weights(model))
    level_embed = models[0].level_embed.detach()
    assert torch.isfinite(level_embed).all()
    assert 0.3 < level_embed.std().item() < 3.0
    for key, value in models[0].state_dict().items():
        torch.testing.assert_close(models[1].state_dict()[key], value)
