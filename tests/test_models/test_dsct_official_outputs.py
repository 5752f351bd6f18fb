"""DSCT with the authors' weights computes the authors' outputs.

The authors' state dicts of both released recipes are rebuilt with the fill
rule (``dsct_official_fill.py``), converted, and loaded into the model of
the real R50 configs. On the padded batch of ``inputs.npz`` the emotion
logits and boxes of every decoder layer, the probabilities of the authors'
test script and its pixel boxes must match the outputs stored with the
authors' code, within the tolerances stated with the data.
"""
import copy
import importlib.util
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy
from mmengine.config import Config

from mmdsct.models.utils import map_official_dsct_state_dict


def _load_fill_module():
    path = Path(__file__).with_name('dsct_official_fill.py')
    spec = importlib.util.spec_from_file_location('dsct_official_fill', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fill = _load_fill_module()
REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIGS = {
    'emotic': REPO_ROOT / 'configs' / 'dsct' / 'dsct_r50_emotic.py',
    'caers': REPO_ROOT / 'configs' / 'dsct' / 'dsct_r50_caers.py',
}
# emotion logits DSCT has: EMOTIC 26 + subject, CAER-S 7 (of the 8)
KEPT_LOGITS = {'emotic': 27, 'caers': 7}
NUM_EMOTIONS = {'emotic': 26, 'caers': 7}
TOL_LOGITS = 1e-4
TOL_BOXES = 1e-5
TOL_PROBS = 1e-5
TOL_PIXELS = 1e-3
TOL_FP64 = 1e-6


def build_model(recipe: str, fusion: bool = True) -> torch.nn.Module:
    """The model of a real R50 config (nothing downloaded), with the
    converted authors' weights, in eval mode."""
    model_cfg = Config.fromfile(str(CONFIGS[recipe])).model
    model_cfg.backbone.init_cfg = None
    model_cfg.init_cfg = None
    if not fusion:
        model_cfg.decoder.num_spatial_context = 0
        model_cfg.decoder.num_semantic_context = 0
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    mapped, _ = map_official_dsct_state_dict(
        fill.official_state_dict(recipe), recipe)
    model.load_state_dict(mapped, strict=True)
    return model.eval()


def batch_samples(inputs) -> list:
    """Meta information that gives DSCT the authors' padding mask."""
    batch_hw = tuple(inputs['tensors'].shape[-2:])
    samples = []
    for height, width in inputs['image_sizes_hw'].tolist():
        samples.append(
            DetDataSample(
                metainfo=dict(
                    img_shape=(height, width),
                    ori_shape=(height, width),
                    pad_shape=batch_hw,
                    batch_input_shape=batch_hw,
                    scale_factor=(1.0, 1.0))))
    return samples


def run(model, inputs, dtype=torch.float32):
    """Raw outputs: logits and boxes of every layer (the tensors are
    already normalised and padded, so the data preprocessor is skipped)."""
    with torch.no_grad():
        logits, boxes = model(
            inputs['tensors'].to(dtype), batch_samples(inputs), mode='tensor')
    return logits, boxes


def max_diff(ours, theirs) -> float:
    return (ours.double() - theirs.double()).abs().max().item()


def test_sample_metainfo_describes_the_official_mask(inputs):
    mask = inputs['mask']
    for index, (height, width) in enumerate(inputs['image_sizes_hw'].tolist()):
        expected = torch.ones_like(mask[index])
        expected[:height, :width] = False
        assert torch.equal(mask[index], expected)
    assert mask[1].sum() == 17408


@pytest.fixture(scope='module')
def inputs():
    return fill.load_inputs()


@pytest.fixture(scope='module')
def models():
    """Built once per module: {(recipe, fusion): model}."""
    cache = {}

    def get(recipe, fusion=True):
        if (recipe, fusion) not in cache:
            cache[recipe, fusion] = build_model(recipe, fusion)
        return cache[recipe, fusion]

    return get


@pytest.mark.parametrize('recipe', fill.RECIPES)
def test_layers_logits_and_boxes_match_the_authors(models, inputs, recipe):
    expected = fill.load_expected(recipe)
    logits, boxes = run(models(recipe), inputs)
    kept = KEPT_LOGITS[recipe]
    assert logits.shape == expected['pred_logits'][..., :kept].shape
    assert max_diff(logits, expected['pred_logits'][..., :kept]) <= TOL_LOGITS
    assert max_diff(boxes, expected['pred_boxes']) <= TOL_BOXES


@pytest.mark.parametrize('recipe', fill.RECIPES)
def test_test_script_probabilities_and_pixel_boxes(models, inputs, recipe):
    expected = fill.load_expected(recipe)
    logits, boxes = run(models(recipe), inputs)
    emotion_logits = logits[-1][..., :NUM_EMOTIONS[recipe]]
    if recipe == 'emotic':  # sigmoid; the subject logit is dropped
        probs = emotion_logits.sigmoid()
    else:  # softmax over the 7 emotions
        probs = emotion_logits.softmax(-1)
    assert max_diff(probs, expected['final_probs']) <= TOL_PROBS
    # (cx, cy, w, h) -> xyxy times (W, H, W, H) of the unpadded image,
    # not clamped
    sizes = inputs['image_sizes_hw'].flip(-1).repeat(1, 2).float()
    pixels = bbox_cxcywh_to_xyxy(boxes[-1]) * sizes[:, None]
    assert max_diff(pixels, expected['final_boxes_xyxy_px']) <= TOL_PIXELS
    assert (expected['final_boxes_xyxy_px'] < 0).any() or \
        (expected['final_boxes_xyxy_px'][..., 2:] > sizes[:, None, :2]).any()


def test_emotic_weights_without_fusion(models, inputs):
    expected = fill.load_expected('emotic')
    logits, boxes = run(models('emotic', fusion=False), inputs)
    assert max_diff(logits, expected['nofusion_pred_logits']) <= TOL_LOGITS
    assert max_diff(boxes, expected['nofusion_pred_boxes']) <= TOL_BOXES
    # fusion matters for these weights: the two runs differ clearly
    assert max_diff(logits, expected['pred_logits']) > 0.1


@pytest.mark.parametrize('recipe', fill.RECIPES)
def test_float64_matches_the_authors_float64_run(models, inputs, recipe):
    expected = fill.load_expected(recipe)
    model = copy.deepcopy(models(recipe)).double()
    logits, boxes = run(model, inputs, torch.float64)
    kept = KEPT_LOGITS[recipe]
    assert logits.dtype == torch.float64
    assert max_diff(logits,
                    expected['pred_logits_f64'][..., :kept]) <= TOL_FP64
    assert max_diff(boxes, expected['pred_boxes_f64']) <= TOL_FP64
    emotion_logits = logits[-1][..., :NUM_EMOTIONS[recipe]]
    probs = emotion_logits.sigmoid() if recipe == 'emotic' else \
        emotion_logits.softmax(-1)
    assert max_diff(probs, expected['final_probs_f64']) <= TOL_FP64
