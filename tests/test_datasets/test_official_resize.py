"""OfficialResize and the official test pipeline reproduce the DSCT
authors' test-time preprocessing (tests/data/dsct_official_eval)."""
import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmdet.registry import MODELS, TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.config import Config
from PIL import Image

import mmdsct  # noqa: F401  (registers the project's modules)
from mmdsct.datasets.transforms import official_output_size

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / 'tests' / 'data' / 'dsct_official_eval'
OFFICIAL_CONFIG = (
    REPO_ROOT / 'configs' / 'dsct' / 'dsct_r50_1xb4-50e_emotic-dsct.py')
EXPECTED = dict(np.load(DATA_DIR / 'preprocess_expected.npz'))
# Our data preprocessor normalises with (u8 - 255 mean) / (255 std), the
# official code with (u8 / 255 - mean) / std, both in float32: the two
# differ by float32 rounding only (measured: at most 4.8e-7 per element,
# 2 units in the last place). A channel sum over 800 x 1066 elements may
# then move by at most that many times the per-element bound.
TENSOR_ATOL = 1e-6
CHANNEL_SUM_ATOL = 800 * 1066 * TENSOR_ATOL


def official_test_pipeline():
    """The test pipeline of the official-protocol config, without the
    annotation loading (the test image has no annotation)."""
    cfg = Config.fromfile(str(OFFICIAL_CONFIG))
    steps = [
        step for step in cfg.test_dataloader.dataset.pipeline
        if step['type'] != 'LoadEmotionAnnotations'
    ]
    return cfg, Compose([TRANSFORMS.build(step) for step in steps])


def run_pipeline():
    cfg, pipeline = official_test_pipeline()
    packed = pipeline(
        dict(img_path=str(DATA_DIR / 'preprocess_raw.png'), img_id=0))
    return cfg, packed


@pytest.mark.parametrize('row', EXPECTED['size_cases_w_h_outh_outw'].tolist())
def test_size_rule_matches_every_official_case(row):
    width, height, out_h, out_w = row
    assert official_output_size(width, height) == (out_h, out_w)
    resize = TRANSFORMS.build(dict(type='OfficialResize'))
    results = resize(dict(img=np.zeros((height, width, 3), np.uint8)))
    assert results['img'].shape == (out_h, out_w, 3)
    assert results['img_shape'] == (out_h, out_w)
    assert results['scale_factor'] == (out_w / width, out_h / height)
    assert results['keep_ratio'] is True


def test_pipeline_reproduces_the_official_resized_image():
    _, packed = run_pipeline()
    meta = packed['data_samples'].metainfo
    assert meta['ori_shape'] == tuple(EXPECTED['orig_size_hw'])
    assert meta['img_shape'] == tuple(
        EXPECTED['resized_size_hw']) == (800, 1066)
    assert meta['scale_factor'] == (1066 / 500, 800 / 375)
    bgr = packed['inputs'].permute(1, 2, 0).numpy()  # [800, 1066, 3]
    official = np.asarray(Image.open(DATA_DIR / 'preprocess_resized.png'))
    np.testing.assert_array_equal(bgr[..., ::-1], official)


def test_normalised_tensor_matches_the_official_one():
    cfg, packed = run_pipeline()
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    batch = preprocessor(
        dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]),
        training=False)
    tensor = batch['inputs'][0].numpy()  # [3, 800, 1066] RGB
    assert tensor.shape == (3, 800, 1066) and tensor.dtype == np.float32
    row, col = EXPECTED['tensor_crop_origin_rc']
    crop = tensor[:, row:row + 64, col:col + 64]
    np.testing.assert_allclose(
        crop, EXPECTED['tensor_crop'], rtol=0, atol=TENSOR_ATOL)
    np.testing.assert_allclose(
        tensor.astype(np.float64).sum(axis=(1, 2)),
        EXPECTED['tensor_channel_sum'],
        rtol=0,
        atol=CHANNEL_SUM_ATOL)
    np.testing.assert_allclose(
        np.abs(tensor.astype(np.float64)).sum(axis=(1, 2)),
        EXPECTED['tensor_channel_abs_sum'],
        rtol=0,
        atol=CHANNEL_SUM_ATOL)


def test_official_formula_on_our_resized_image_is_bit_exact():
    """The resize is exact, so the official normalisation of our resized
    image gives the official tensor bit for bit (its SHA-256)."""
    _, packed = run_pipeline()
    rgb = packed['inputs'].permute(1, 2, 0).numpy()[..., ::-1]
    pixels = rgb.astype(np.float32)  # [800, 1066, 3]
    official = ((pixels / np.float32(255) - EXPECTED['mean']) /
                EXPECTED['std']).transpose(2, 0, 1)  # [3, 800, 1066]
    digest = hashlib.sha256(np.ascontiguousarray(official).tobytes())
    assert digest.hexdigest() == str(EXPECTED['tensor_sha256'])
    row, col = EXPECTED['tensor_crop_origin_rc']
    np.testing.assert_array_equal(official[:, row:row + 64, col:col + 64],
                                  EXPECTED['tensor_crop'])


def test_an_image_already_at_the_target_size_is_kept():
    img = np.random.default_rng(0).integers(
        0, 256, (800, 1066, 3), dtype=np.uint8)
    results = TRANSFORMS.build(dict(type='OfficialResize'))(
        dict(img=img.copy()))
    np.testing.assert_array_equal(results['img'], img)
    assert results['scale_factor'] == (1.0, 1.0)


def test_downscaling_averages_over_the_footprint():
    """PIL's bilinear filter widens with the scale when downscaling: 4 px
    stripes shrunk 4 times blend into grey; point sampling (cv2's
    bilinear) would keep pure black and white."""
    img = np.zeros((3200, 3200, 3), np.uint8)
    img[:, (np.arange(3200) // 4) % 2 == 0] = 255
    out = TRANSFORMS.build(dict(type='OfficialResize'))(dict(img=img))['img']
    assert out.shape == (800, 800, 3)
    assert 0 < out.min() and out.max() < 255


def test_gt_boxes_are_rescaled_with_the_image():
    results = TRANSFORMS.build(dict(type='OfficialResize'))(
        dict(
            img=np.zeros((375, 500, 3), np.uint8),
            gt_bboxes=HorizontalBoxes(torch.tensor([[50., 75., 250., 375.]]))))
    torch.testing.assert_close(
        results['gt_bboxes'].tensor,
        torch.tensor(
            [[50 * 1066 / 500, 75 * 800 / 375, 250 * 1066 / 500, 800.]]))
    assert results['homography_matrix'][0, 0] == np.float32(1066 / 500)


def test_a_float_image_is_refused_with_a_clear_error():
    with pytest.raises(TypeError, match='to_float32'):
        TRANSFORMS.build(dict(type='OfficialResize'))(
            dict(img=np.zeros((10, 20, 3), np.float32), img_path='x.png'))


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match='max_size'):
        TRANSFORMS.build(dict(type='OfficialResize', scale=900, max_size=800))
