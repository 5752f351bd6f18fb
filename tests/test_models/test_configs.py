"""The four released-recipe configs and the tiny config build and run."""
import pytest
import torch
from mmdet.registry import METRICS, MODELS, TRANSFORMS
from mmdet.structures import DetDataSample
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmdsct.models.utils import count_parameters

OFFICIAL_R50_EMOTIC_PARAMS = 40_055_265
PARAM_TOLERANCE = 0.005
IMG_SIZE = 96

REAL_CONFIGS = {
    'dsct_r50_emotic.py':
    dict(subjects=4, k=(100, 50), emotions=26, multi_label=True),
    'dsct_r50_caers.py':
    dict(subjects=9, k=(0, 0), emotions=7, multi_label=False),
    'dsct_swin_emotic.py':
    dict(subjects=4, k=(100, 50), emotions=26, multi_label=True),
    'dsct_swin_caers.py':
    dict(subjects=9, k=(0, 0), emotions=7, multi_label=False),
}


@pytest.fixture(scope='module', autouse=True)
def registered():
    register_all_modules()


def load_cfg(repo_root, name):
    return Config.fromfile(str(repo_root / 'configs' / 'dsct' / name))


def build_without_weights(cfg):
    """Build cfg.model; nothing is loaded or downloaded (no init_weights)."""
    torch.manual_seed(0)
    return MODELS.build(cfg.model).eval()


@pytest.mark.parametrize('name', sorted(REAL_CONFIGS))
def test_real_config_builds_and_predicts_on_a_small_image(repo_root, name):
    cfg = load_cfg(repo_root, name)
    expected = REAL_CONFIGS[name]
    assert cfg.default_scope == 'mmdet'
    assert 'mmdsct' in cfg.custom_imports['imports']
    model = build_without_weights(cfg)
    assert model.num_context_queries == 300
    assert model.num_subject_queries == expected['subjects']
    assert (model.decoder.num_spatial_context,
            model.decoder.num_semantic_context) == expected['k']
    assert model.bbox_head.num_emotions == expected['emotions']
    assert model.bbox_head.multi_label == expected['multi_label']
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
    assert pred.emotions.shape == (expected['subjects'], expected['emotions'])
    assert pred.spatial_context_points.shape[1] == expected['k'][0]


def test_r50_emotic_has_the_official_parameter_count(repo_root):
    model = build_without_weights(load_cfg(repo_root, 'dsct_r50_emotic.py'))
    counts = count_parameters(model)
    count = counts['params_official']
    assert abs(count - OFFICIAL_R50_EMOTIC_PARAMS) <= \
        PARAM_TOLERANCE * OFFICIAL_R50_EMOTIC_PARAMS, counts
    # frozen: the ResNet stem, its first stage and every batch norm
    assert counts['params_trainable'] < count < counts['params_total']


def test_r50_configs_start_from_coco_deformable_detr(repo_root):
    # the R50 starts: tests/test_models/test_dsct_official_start.py
    for name in ('dsct_r50_emotic.py', 'dsct_r50_caers.py'):
        cfg = load_cfg(repo_root, name)
        assert 'deformable-detr_r50_16xb2-50e_coco' in \
            cfg.model.init_cfg.checkpoints[-1].checkpoint
    for name in ('dsct_swin_emotic.py', 'dsct_swin_caers.py'):
        cfg = load_cfg(repo_root, name)
        assert cfg.load_from is None
        assert cfg.model.init_cfg is None
        assert 'swin_tiny_patch4_window7_224' in \
            cfg.model.backbone.init_cfg.checkpoint


def test_tiny_config_trains_one_step(repo_root, tiny_config):
    cfg = Config.fromfile(str(tiny_config))
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    model = build_without_weights(cfg).train()
    model.init_weights()
    subjects = cfg.model.num_subject_queries
    num_emotions = cfg.model.bbox_head.num_emotions
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(128, 128),
            batch_input_shape=(128, 128),
            scale_factor=(1.0, 1.0)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[10.0, 20.0, 60.0, 100.0]]),
        labels=torch.zeros(1, dtype=torch.long),
        emotions=torch.eye(num_emotions)[:1])
    losses = model(torch.randn(1, 3, 128, 128), [sample], mode='loss')
    total = sum(losses.values())
    assert torch.isfinite(total) and total > 0
    total.backward()
    assert model.subject_query_embedding.weight.grad.abs().sum() > 0
    assert subjects <= 10


# The mmdet-style names: config -> (the config it extends, whether its test
# pipeline and tools/test.py protocol are the DSCT authors', its data).
MMDET_STYLE_CONFIGS = {
    'dsct_r50_1xb4-50e_emotic.py': ('dsct_r50_emotic.py', False, 'emotic'),
    'dsct_r50_1xb4-50e_caers.py': ('dsct_r50_caers.py', False, 'caers'),
    'dsct_r50_1xb4-50e_emotic-dsct.py':
    ('dsct_r50_emotic.py', True, 'dsct_emotic'),
    'dsct_r50_1xb4-50e_caers-official.py':
    ('dsct_r50_caers.py', True, 'caers'),
    'dsct_swin-t_1xb4-50e_emotic.py': ('dsct_swin_emotic.py', False, 'emotic'),
    'dsct_swin-t_1xb4-50e_caers.py': ('dsct_swin_caers.py', False, 'caers'),
    'dsct_swin-t_1xb4-50e_emotic-dsct.py':
    ('dsct_swin_emotic.py', True, 'dsct_emotic'),
    'dsct_swin-t_1xb4-50e_caers-official.py':
    ('dsct_swin_caers.py', True, 'caers'),
}


@pytest.mark.parametrize('name', sorted(MMDET_STYLE_CONFIGS))
def test_mmdet_style_config_builds_and_carries_its_protocol(repo_root, name):
    base_name, official, data = MMDET_STYLE_CONFIGS[name]
    cfg, base = load_cfg(repo_root, name), load_cfg(repo_root, base_name)
    # the same model, initialisation and schedule as the config it extends
    for key in ('model', 'load_from', 'optim_wrapper', 'train_cfg',
                'param_scheduler', 'train_pipeline'):
        assert cfg.get(key) == base.get(key), key
    model = build_without_weights(cfg)
    assert model.bbox_head.test_cfg['max_per_img'] >= \
        model.num_subject_queries  # the official protocol needs them all
    # data: the annotation files of its split
    for split in ('train', 'val', 'test'):
        ann_file = cfg[f'{split}_dataloader'].dataset.ann_file
        assert ann_file == f'annotations/{data}_{split}.json', ann_file
    # test pipeline and evaluators
    pipeline = cfg.test_dataloader.dataset.pipeline
    for step in pipeline:
        TRANSFORMS.build(step)
    resizes = [step['type'] for step in pipeline if 'Resize' in step['type']]
    test_metric = METRICS.build(cfg.test_evaluator)
    val_metric = METRICS.build(cfg.val_evaluator)
    assert val_metric.protocol == 'mmdsct'
    if official:
        assert resizes == ['OfficialResize']
        assert pipeline[0]['imdecode_backend'] == 'pillow'
        assert pipeline[0]['color_type'] == 'color_ignore_orientation'
        assert test_metric.protocol == 'official'
    else:
        assert pipeline == base.test_dataloader.dataset.pipeline
        assert resizes == ['Resize']
        assert test_metric.protocol == 'mmdsct'
        assert cfg.test_evaluator == base.test_evaluator


def test_one_cfg_option_switches_the_test_metric_to_official(repo_root):
    cfg = load_cfg(repo_root, 'dsct_r50_emotic.py')
    cfg.merge_from_dict({'test_evaluator.protocol': 'official'})
    assert METRICS.build(cfg.test_evaluator).protocol == 'official'
    assert METRICS.build(cfg.val_evaluator).protocol == 'mmdsct'
