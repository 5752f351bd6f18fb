"""The DSCT-Follow configs (ours) build, predict, and differ from the DSCT
configs they extend only by the variant's switches."""
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import register_all_modules
from mmengine.config import Config

from mmdsct.models import DSCTFollow, DSCTFollowDecoder

IMG_SIZE = 96
# config -> (the DSCT config it extends, K_sp, K_sm)
FOLLOW_CONFIGS = {
    'dsct-follow_tiny_synth.py': ('dsct_tiny_synth.py', 16, 8),
    'dsct-follow_r50_1xb4-50e_emotic.py':
    ('dsct_r50_1xb4-50e_emotic.py', 100, 50),
    'dsct-follow_r50_1xb4-50e_caers.py':
    ('dsct_r50_1xb4-50e_caers.py', 100, 50),
}
SWITCHES = ('type', 'with_box_refine', 'decoder')


@pytest.fixture(scope='module', autouse=True)
def registered():
    register_all_modules()


@pytest.mark.parametrize('name', sorted(FOLLOW_CONFIGS))
def test_follow_config_builds_and_predicts(repo_root, name):
    base_name, k_sp, k_sm = FOLLOW_CONFIGS[name]
    cfg = Config.fromfile(str(repo_root / 'configs' / 'dsct_follow' / name))
    base = Config.fromfile(str(repo_root / 'configs' / 'dsct' / base_name))
    for key in ('train_dataloader', 'test_evaluator', 'optim_wrapper',
                'train_cfg', 'param_scheduler', 'randomness', 'load_from'):
        assert cfg.get(key) == base.get(key), key
    for key in set(cfg.model) | set(base.model):
        if key not in SWITCHES:
            assert cfg.model.get(key) == base.model.get(key), key
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()  # nothing loaded
    assert isinstance(model, DSCTFollow)
    assert isinstance(model.decoder, DSCTFollowDecoder)
    assert (model.decoder.num_spatial_context,
            model.decoder.num_semantic_context) == (k_sp, k_sm)
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(IMG_SIZE, IMG_SIZE),
            batch_input_shape=(IMG_SIZE, IMG_SIZE),
            ori_shape=(IMG_SIZE, IMG_SIZE),
            scale_factor=(1.0, 1.0)))
    with torch.no_grad():
        pred = model(
            torch.randn(1, 3, IMG_SIZE, IMG_SIZE), [sample],
            mode='predict')[0].pred_instances
    assert pred.spatial_context_points.shape[1] == k_sp
