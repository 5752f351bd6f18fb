"""tools/model_converters/deformable_detr_to_dsct.py on a checkpoint of
mmdet's own DeformableDETR, both models built from the tiny DSCT config
(the Deformable DETR with its backbone, neck, encoder and decoder settings;
nothing is downloaded)."""
import subprocess
import sys

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

from mmdsct.utils import init_random_weights
from mmdsct.utils.benchmark import deformable_detr_cfg_like

TOOL = ('tools', 'model_converters', 'deformable_detr_to_dsct.py')


@pytest.fixture(scope='module')
def tiny_dsct_cfg(tiny_config):
    """The tiny config's DSCT model config (mmdet's default scope set, as
    the tools set it)."""
    register_all_modules()
    return Config.fromfile(str(tiny_config)).model


@pytest.fixture
def detr_state_dict(tiny_dsct_cfg):
    """Weights of mmdet's DeformableDETR shaped as the tiny DSCT (seeded)."""
    torch.manual_seed(0)
    detector = MODELS.build(deformable_detr_cfg_like(tiny_dsct_cfg))
    return init_random_weights(detector).state_dict()


def run_converter(repo_root, tmp_path, src, dst, tiny_config):
    return subprocess.run([
        sys.executable,
        str(repo_root.joinpath(*TOOL)),
        str(src),
        str(dst), '--config',
        str(tiny_config)
    ],
                          cwd=tmp_path,
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_converter_maps_deformable_detr_with_nothing_left_over(
        tmp_path, repo_root, tiny_config, tiny_dsct_cfg, detr_state_dict):
    src = tmp_path / 'deformable_detr.pth'
    torch.save(dict(state_dict=detr_state_dict, meta=dict(epoch=50)), src)
    dst = tmp_path / 'dsct_init.pth'
    proc = run_converter(repo_root, tmp_path, src, dst, tiny_config)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert 'query_embedding.weight -> context_query_embedding.weight' in \
        proc.stdout
    assert 'left out: bbox_head.cls_branches.0.weight' in proc.stdout
    assert 'newly initialised: bbox_head.' in proc.stdout

    converted = torch.load(dst, map_location='cpu', weights_only=True)
    model = MODELS.build(tiny_dsct_cfg)
    result = model.load_state_dict(converted['state_dict'], strict=False)
    assert result.unexpected_keys == []
    assert result.missing_keys
    assert all(
        key.startswith(('bbox_head.', 'subject_query_embedding'))
        for key in result.missing_keys)
    torch.testing.assert_close(model.context_query_embedding.weight,
                               detr_state_dict['query_embedding.weight'])
    torch.testing.assert_close(model.level_embed,
                               detr_state_dict['level_embed'])


def test_converter_refuses_a_checkpoint_that_does_not_fit(
        tmp_path, repo_root, tiny_config, detr_state_dict):
    levels, dims = detr_state_dict['level_embed'].shape
    detr_state_dict['level_embed'] = torch.zeros(levels + 1, dims)
    src = tmp_path / 'bad.pth'
    torch.save(detr_state_dict, src)
    proc = run_converter(repo_root, tmp_path, src, tmp_path / 'out.pth',
                         tiny_config)
    assert proc.returncode != 0
    assert 'level_embed' in proc.stderr and 'does not fit' in proc.stderr
    assert not (tmp_path / 'out.pth').exists()
