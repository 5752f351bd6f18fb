"""The losses of every config, on one fixed seeded batch, stay as they were.

The reference numbers were computed with the emotion loss and match cost
of mmdsct 0.x before they were rebuilt on mmdet's ``FocalLoss`` and
``FocalLossCost``; any change to the head, the loss, the matching or a
config's loss and cost settings moves them. Only the heads are built (the
losses and the matching live there), with every parameter filled from a
seeded generator, so the numbers do not depend on the backbone or the
transformer. One image has three subjects with the same box: the emotion
cost alone decides their matching.
"""
import copy
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.structures import InstanceData

import mmdsct  # noqa: F401  (registers the project's modules)

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
IMG_SHAPES = ((96, 128), (80, 80), (128, 96), (112, 112))
NUM_GTS = (2, 0, 5, 3)
SHARED_BOX_IMAGE = 3
POSITIVE_RATE = 0.3
PARAM_STD = 0.05

# DSCT: (loss_cls, loss_bbox, loss_iou) of the last decoder layer and the
# sum of all losses of all layers.
EMOTIC_LOSSES = (40.474403381347656, 2.9581422805786133, 1.8618959188461304,
                 272.13970828056335)
CAERS_LOSSES = (46.833465576171875, 4.414066314697266, 1.9438388347625732,
                316.4944781064987)
TINY_LOSSES = (15.358989715576172, 5.615821838378906, 2.3436121940612793,
               44.10737919807434)
DSCT_REFERENCES = {
    'dsct/dsct_r50_emotic.py': EMOTIC_LOSSES,
    'dsct/dsct_r50_1xb4-50e_emotic.py': EMOTIC_LOSSES,
    'dsct/dsct_r50_1xb4-50e_emotic-dsct.py': EMOTIC_LOSSES,
    'dsct/dsct_swin_emotic.py': EMOTIC_LOSSES,
    'dsct/dsct_swin-t_1xb4-50e_emotic.py': EMOTIC_LOSSES,
    'dsct/dsct_swin-t_1xb4-50e_emotic-dsct.py': EMOTIC_LOSSES,
    'dsct/dsct_r50_caers.py': CAERS_LOSSES,
    'dsct/dsct_r50_1xb4-50e_caers.py': CAERS_LOSSES,
    'dsct/dsct_r50_1xb4-50e_caers-official.py': CAERS_LOSSES,
    'dsct/dsct_swin_caers.py': CAERS_LOSSES,
    'dsct/dsct_swin-t_1xb4-50e_caers.py': CAERS_LOSSES,
    'dsct/dsct_swin-t_1xb4-50e_caers-official.py': CAERS_LOSSES,
    'dsct/dsct_tiny_synth.py': TINY_LOSSES,
}
# Two-stage baselines: loss_emotion of the late-fusion head.
TWO_STAGE_REFERENCES = {
    'two_stage/two-stage_r50_emotic.py': 13.281458854675293,
    'two_stage/two-stage_r50_caers.py': 6.528634548187256,
    'two_stage/two-stage_r18_synth.py': 4.10391902923584,
    'two_stage/two-stage_r18-crop-only_synth.py': 4.10391902923584,
    'two_stage/two-stage_r18-surround_synth.py': 4.10391902923584,
}


@pytest.fixture(scope='module', autouse=True)
def registered():
    register_all_modules()


def fill_parameters(module: torch.nn.Module, seed: int) -> None:
    """Overwrite every parameter, in name order, from a seeded generator."""
    generator = torch.Generator().manual_seed(seed)
    for _, param in sorted(module.named_parameters()):
        param.data.copy_(
            torch.randn(param.shape, generator=generator) * PARAM_STD)


def seeded_batch(num_emotions: int, multi_label: bool, seed: int) -> list:
    """Four images: 2 subjects, none, 5 (more than EMOTIC's 4 queries) and
    3 sharing one box."""
    generator = torch.Generator().manual_seed(seed)
    batch = []
    for index, ((height, width),
                num_gts) in enumerate(zip(IMG_SHAPES, NUM_GTS)):
        size = torch.tensor([width, height])
        corner = torch.rand(num_gts, 2, generator=generator) * size * 0.6
        extent = (torch.rand(num_gts, 2, generator=generator) * 0.35 +
                  0.05) * size
        boxes = torch.cat([corner, corner + extent], dim=1)
        if index == SHARED_BOX_IMAGE:
            boxes = boxes[:1].expand(num_gts, 4).clone()
        if multi_label:
            emotions = (torch.rand(num_gts, num_emotions, generator=generator)
                        < POSITIVE_RATE).float()
        else:
            classes = torch.randint(
                num_emotions, (num_gts, ), generator=generator)
            emotions = torch.nn.functional.one_hot(classes,
                                                   num_emotions).float()
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(height, width),
                batch_input_shape=(128, 128),
                ori_shape=(height, width),
                scale_factor=(1.0, 1.0)))
        sample.gt_instances = InstanceData(
            bboxes=boxes,
            labels=torch.zeros(num_gts, dtype=torch.long),
            emotions=emotions)
        batch.append(sample)
    return batch


def dsct_head_losses(cfg: Config) -> dict:
    """Losses of the config's DSCTHead, built as DSCT builds it."""
    model = cfg.model
    head_cfg = copy.deepcopy(model.bbox_head)
    head_cfg.update(
        train_cfg=model.train_cfg,
        test_cfg=model.test_cfg,
        share_pred_layer=True,
        num_pred_layer=model.decoder.num_layers,
        as_two_stage=False)
    head = MODELS.build(head_cfg)
    fill_parameters(head, seed=1)
    num_layers, num_queries = (model.decoder.num_layers,
                               model.num_subject_queries)
    generator = torch.Generator().manual_seed(2)
    # [num_layers, bs, num_subject, dim]
    hidden_states = torch.randn(
        num_layers,
        len(IMG_SHAPES),
        num_queries,
        head_cfg.embed_dims,
        generator=generator)
    references = [
        torch.rand(len(IMG_SHAPES), num_queries, 2, generator=generator) * 0.8
        + 0.1 for _ in range(num_layers + 1)
    ]
    batch = seeded_batch(
        head_cfg.num_emotions, head_cfg.get('multi_label', True), seed=3)
    return head.loss(hidden_states, references, None, None, batch)


@pytest.mark.parametrize('name', sorted(DSCT_REFERENCES))
def test_dsct_config_losses_are_unchanged(name):
    cfg = Config.fromfile(str(CONFIG_ROOT / name))
    with torch.no_grad():
        losses = dsct_head_losses(cfg)
    loss_cls, loss_bbox, loss_iou, total = DSCT_REFERENCES[name]
    assert float(losses['loss_cls']) == pytest.approx(loss_cls, rel=1e-5)
    assert float(losses['loss_bbox']) == pytest.approx(loss_bbox, rel=1e-5)
    assert float(losses['loss_iou']) == pytest.approx(loss_iou, rel=1e-5)
    assert sum(float(v) for v in losses.values()) == pytest.approx(
        total, rel=1e-5)


@pytest.mark.parametrize('name', sorted(TWO_STAGE_REFERENCES))
def test_two_stage_config_losses_are_unchanged(name):
    cfg = Config.fromfile(str(CONFIG_ROOT / name))
    head_cfg = copy.deepcopy(cfg.model.emotion_head)
    head_cfg.in_channels = [24, 16]
    head = MODELS.build(head_cfg).eval()  # no dropout
    fill_parameters(head, seed=1)
    generator = torch.Generator().manual_seed(2)
    feats = [
        torch.randn(6, 24, generator=generator),
        torch.randn(6, 16, generator=generator)
    ]
    targets = (torch.rand(6, head_cfg.num_emotions, generator=generator) <
               POSITIVE_RATE).float()
    with torch.no_grad():
        loss = head.loss(feats, targets)['loss_emotion']
    assert float(loss) == pytest.approx(TWO_STAGE_REFERENCES[name], rel=1e-5)


def test_every_config_has_reference_losses():
    names = {
        str(path.relative_to(CONFIG_ROOT))
        for folder in ('dsct', 'two_stage')
        for path in (CONFIG_ROOT / folder).glob('*.py')
    }
    assert names == set(DSCT_REFERENCES) | set(TWO_STAGE_REFERENCES)
