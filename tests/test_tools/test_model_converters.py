"""tools/model_converters/deformable_detr_to_dsct.py on a checkpoint of
mmdet's own DeformableDETR (tiny, built here: nothing is downloaded)."""
import copy

import torch
from mmdet.registry import MODELS

import mmdsct  # noqa: F401

DIMS = 32
LEVELS = 2
QUERIES = 12

TRANSFORMER = dict(
    num_feature_levels=LEVELS,
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=8,
        out_indices=(2, 3),
        init_cfg=None),
    neck=dict(
        type='ChannelMapper',
        in_channels=[32, 64],
        kernel_size=1,
        out_channels=DIMS,
        act_cfg=None,
        norm_cfg=dict(type='GN', num_groups=8),
        num_outs=LEVELS),
    encoder=dict(
        num_layers=1,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=DIMS, num_heads=4, num_levels=LEVELS),
            ffn_cfg=dict(embed_dims=DIMS, feedforward_channels=64))),
    positional_encoding=dict(num_feats=DIMS // 2, normalize=True))
DECODER = dict(
    num_layers=1,
    return_intermediate=True,
    layer_cfg=dict(
        self_attn_cfg=dict(embed_dims=DIMS, num_heads=4),
        cross_attn_cfg=dict(embed_dims=DIMS, num_heads=4, num_levels=LEVELS),
        ffn_cfg=dict(embed_dims=DIMS, feedforward_channels=64)),
    post_norm_cfg=None)
DEFORMABLE_DETR = dict(
    TRANSFORMER,
    type='DeformableDETR',
    num_queries=QUERIES,
    decoder=DECODER,
    bbox_head=dict(
        type='DeformableDETRHead',
        num_classes=80,
        embed_dims=DIMS,
        loss_cls=dict(type='FocalLoss', use_sigmoid=True)))
DSCT = dict(
    TRANSFORMER,
    type='DSCT',
    num_context_queries=QUERIES,
    num_subject_queries=2,
    decoder=dict(DECODER, num_spatial_context=4, num_semantic_context=2),
    bbox_head=dict(
        type='DSCTHead',
        num_emotions=3,
        embed_dims=DIMS,
        loss_cls=dict(type='EmotionFocalLoss')))


def write_config(path):
    lines = ["custom_imports = dict(imports=['mmdsct'], "
             'allow_failed_imports=False)',
             f'model = {DSCT!r}']
    path.write_text('\n'.join(lines) + '\n')
    return path


def test_converter_maps_deformable_detr_with_nothing_left_over(
        tmp_path, repo_root, python_runner):
    torch.manual_seed(0)
    source = MODELS.build(copy.deepcopy(DEFORMABLE_DETR)).state_dict()
    src = tmp_path / 'deformable_detr.pth'
    torch.save(dict(state_dict=source, meta=dict(epoch=50)), src)
    dst = tmp_path / 'dsct_init.pth'
    config = write_config(tmp_path / 'dsct_tiny.py')
    proc = python_runner([
        repo_root / 'tools' / 'model_converters' /
        'deformable_detr_to_dsct.py', src, dst, '--config', config
    ], cwd=tmp_path)
    assert 'query_embedding.weight -> context_query_embedding.weight' in \
        proc.stdout
    assert 'left out: bbox_head.cls_branches.0.weight' in proc.stdout
    assert 'newly initialised: bbox_head.' in proc.stdout

    converted = torch.load(dst, map_location='cpu', weights_only=True)
    model = MODELS.build(copy.deepcopy(DSCT))
    result = model.load_state_dict(converted['state_dict'], strict=False)
    assert result.unexpected_keys == []
    assert all(
        key.startswith(('bbox_head.', 'subject_query_embedding'))
        for key in result.missing_keys)
    torch.testing.assert_close(model.context_query_embedding.weight,
                               source['query_embedding.weight'])


def test_converter_refuses_a_checkpoint_that_does_not_fit(
        tmp_path, repo_root):
    import subprocess
    import sys
    torch.manual_seed(0)
    source = MODELS.build(copy.deepcopy(DEFORMABLE_DETR)).state_dict()
    source['level_embed'] = torch.zeros(LEVELS + 1, DIMS)
    src = tmp_path / 'bad.pth'
    torch.save(source, src)
    proc = subprocess.run([
        sys.executable,
        str(repo_root / 'tools' / 'model_converters' /
            'deformable_detr_to_dsct.py'), str(src),
        str(tmp_path / 'out.pth'), '--config',
        str(write_config(tmp_path / 'dsct_tiny.py'))
    ], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert 'level_embed' in proc.stderr and 'does not fit' in proc.stderr
    assert not (tmp_path / 'out.pth').exists()
