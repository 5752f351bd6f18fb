"""The two-stage baseline recogniser, built from its configs, tiny inputs."""
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmdsct.models.detectors.frozen_subject_detector import \
    FrozenSubjectDetector
from mmdsct.models.layers.subject_crop import CROP_MODES, SubjectCrop

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs' / 'two_stage'
SYNTH_CONFIG = 'two-stage_r18_synth.py'
CROP_ONLY_CONFIG = 'two-stage_r18-crop-only_synth.py'
SURROUND_CONFIG = 'two-stage_r18-surround_synth.py'
REAL_CONFIGS = {
    'two-stage_r50_emotic.py': 26,
    'two-stage_r50_caers.py': 7,
}
IMG_SIZE = 64
TINY_BASE_CHANNELS = 8
TINY_CROP = (48, 48)  # last ResNet stage 2 x 2: batch norm can train
TINY_HIDDEN = 16
# Bilinear resampling at a box border reads the neighbouring pixel row.
BORDER_PX = 2


def load_model_cfg(name: str, tiny: bool = True) -> Config:
    """The ``model`` of a two-stage config; ``tiny`` narrows it for CPU."""
    model_cfg = Config.fromfile(str(CONFIG_DIR / name)).model
    if tiny:
        for branch in ('body_backbone', 'context_backbone'):
            if model_cfg.get(branch):
                model_cfg[branch].update(base_channels=TINY_BASE_CHANNELS)
        model_cfg.crop_size = TINY_CROP
        model_cfg.emotion_head.hidden_channels = TINY_HIDDEN
    return model_cfg


def build(name: str = SYNTH_CONFIG, seed: int = 0, **overrides):
    """Build a tiny model from a two-stage config, weights initialised."""
    model_cfg = load_model_cfg(name)
    model_cfg.update(overrides)
    torch.manual_seed(seed)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model


def make_sample(boxes,
                num_emotions: int,
                scale: float = 1.0,
                seed: int = 0) -> DetDataSample:
    """A data sample of an IMG_SIZE input resized by ``scale`` from its
    original image; ``boxes`` [n, 4] xyxy in original pixels."""
    generator = torch.Generator().manual_seed(seed)
    boxes = torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    ori_size = round(IMG_SIZE / scale)
    sample = DetDataSample(
        metainfo=dict(
            img_id=seed,
            img_path=f'img_{seed}.jpg',
            img_shape=(IMG_SIZE, IMG_SIZE),
            ori_shape=(ori_size, ori_size),
            scale_factor=(scale, scale)))
    emotions = (torch.rand(len(boxes), num_emotions, generator=generator) >
                0.5).float()
    emotions[:, 0] = 1.0  # every subject has at least one emotion
    sample.gt_instances = InstanceData(
        bboxes=boxes,
        labels=torch.zeros(len(boxes), dtype=torch.long),
        emotions=emotions)
    return sample


def preprocess(model, images, samples, training: bool):
    """Run the model's data preprocessor on uint8 images [3, H, W]."""
    return model.data_preprocessor(
        dict(inputs=list(images), data_samples=samples), training)


def random_images(num: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(
        0,
        256, (num, 3, IMG_SIZE, IMG_SIZE),
        generator=generator,
        dtype=torch.uint8)


def num_emotions_of(model) -> int:
    return model.emotion_head.num_emotions


@pytest.mark.parametrize('name',
                         [SYNTH_CONFIG, CROP_ONLY_CONFIG, SURROUND_CONFIG])
def test_synth_configs_share_the_tiny_dsct_budget(tiny_config, name):
    cfg = Config.fromfile(str(CONFIG_DIR / name))
    dsct = Config.fromfile(str(tiny_config))
    assert cfg.default_scope == 'mmdet'
    assert 'mmdsct' in cfg.custom_imports['imports']
    assert cfg.model.type == 'TwoStageEmotionRecognizer'
    for key in ('train_cfg', 'optim_wrapper', 'param_scheduler',
                'train_dataloader', 'test_dataloader', 'val_evaluator'):
        assert cfg[key] == dsct[key], key
    assert cfg.model.emotion_head.num_emotions == \
        dsct.model.bbox_head.num_emotions
    for key in ('depth', 'base_channels', 'init_cfg'):
        assert cfg.model.body_backbone[key] == dsct.model.backbone[key], key


@pytest.mark.parametrize('name', sorted(REAL_CONFIGS))
def test_real_configs_build_with_r50_branches(name):
    cfg = Config.fromfile(str(CONFIG_DIR / name))
    assert cfg.custom_imports['imports'] == ['mmdsct']
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()  # no init_weights: no download
    assert model.body_backbone.depth == 50
    assert model.context_backbone.depth == 50
    assert model.body_backbone is not model.context_backbone
    assert num_emotions_of(model) == REAL_CONFIGS[name]
    sample = make_sample([[4, 4, 40, 60]], REAL_CONFIGS[name])
    data = preprocess(model, random_images(1), [sample], False)
    with torch.no_grad():
        pred = model(**data, mode='predict')[0].pred_instances
    assert pred.emotions.shape == (1, REAL_CONFIGS[name])


def test_crop_only_variant_has_fewer_parameters():
    full = MODELS.build(load_model_cfg(SYNTH_CONFIG, tiny=False))
    crop_only = MODELS.build(load_model_cfg(CROP_ONLY_CONFIG, tiny=False))
    assert not hasattr(crop_only, 'context_backbone')

    def count(model):
        return sum(p.numel() for p in model.parameters())

    context_params = count(full.context_backbone)
    assert count(crop_only) < count(full) - context_params + 1


def test_loss_is_finite_positive_and_reaches_both_branches():
    model = build().train()
    samples = [
        make_sample([[4, 4, 30, 40], [30, 10, 60, 60]], 8, seed=0),
        make_sample([[10, 12, 50, 62]], 8, seed=1)
    ]
    data = preprocess(model, random_images(2), samples, True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_emotion'}
    loss = losses['loss_emotion']
    assert torch.isfinite(loss) and loss > 0
    loss.backward()
    for branch in (model.body_backbone, model.context_backbone,
                   model.emotion_head):
        grad = sum(p.grad.abs().sum() for p in branch.parameters()
                   if p.grad is not None)
        assert grad > 0, type(branch).__name__


def test_loss_is_normalised_by_the_number_of_subjects():
    model = build().eval()  # no dropout: the same logits twice
    one = make_sample([[4, 4, 30, 40]], 8)
    twice = make_sample([[4, 4, 30, 40], [4, 4, 30, 40]], 8)
    twice.gt_instances.emotions = one.gt_instances.emotions.repeat(2, 1)
    images = random_images(1)
    with torch.no_grad():
        loss_one = model(
            **preprocess(model, images, [one], False),
            mode='loss')['loss_emotion']
        loss_twice = model(
            **preprocess(model, images, [twice], False),
            mode='loss')['loss_emotion']
    torch.testing.assert_close(loss_one, loss_twice)


def test_loss_with_an_image_without_subjects():
    model = build().train()
    samples = [
        make_sample(torch.zeros(0, 4), 8, seed=0),
        make_sample([[8, 8, 40, 56]], 8, seed=1)
    ]
    data = preprocess(model, random_images(2), samples, True)
    loss = model(**data, mode='loss')['loss_emotion']
    assert torch.isfinite(loss) and loss > 0
    empty = preprocess(model, random_images(1), samples[:1], True)
    loss = model(**empty, mode='loss')['loss_emotion']
    assert loss == 0
    loss.backward()  # still part of the graph


def test_loss_names_the_image_without_emotions():
    model = build().train()
    sample = make_sample([[4, 4, 30, 40]], 8)
    del sample.gt_instances.emotions
    data = preprocess(model, random_images(1), [sample], True)
    with pytest.raises(KeyError, match='img_0.jpg.*LoadEmotionAnnotations'):
        model(**data, mode='loss')


def test_predict_gives_one_prediction_per_gt_box_in_original_pixels():
    model = build().eval()
    scale = 0.5  # the 128 px original was resized to the 64 px input
    gt_boxes = torch.tensor([[8., 8., 60., 80.], [60., 20., 120., 126.],
                             [0., 0., 128., 128.]])
    samples = [
        make_sample(gt_boxes, 8, scale=scale, seed=0),
        make_sample(gt_boxes[:1], 8, scale=scale, seed=1)
    ]
    data = preprocess(model, random_images(2), samples, False)
    with torch.no_grad():
        results = model(**data, mode='predict')
    for result, expected in zip(results, (gt_boxes, gt_boxes[:1])):
        pred = result.pred_instances
        n = len(expected)
        torch.testing.assert_close(pred.bboxes, expected)
        torch.testing.assert_close(pred.scores, torch.ones(n))
        assert pred.labels.dtype == torch.long
        assert pred.labels.tolist() == [0] * n
        assert pred.emotions.shape == (n, 8)
        assert ((pred.emotions >= 0) & (pred.emotions <= 1)).all()


def test_predict_crops_gt_boxes_scaled_to_the_input():
    model = build().eval()
    scale = 0.5
    original = torch.tensor([[8., 8., 60., 80.], [60., 20., 120., 126.]])
    test_sample = make_sample(original, 8, scale=scale)
    train_sample = make_sample(original * scale, 8)  # input pixels
    images = random_images(1)
    with torch.no_grad():
        pred = model(
            **preprocess(model, images, [test_sample], False),
            mode='predict')[0].pred_instances
        logits = model(
            **preprocess(model, images, [train_sample], False), mode='tensor')
    torch.testing.assert_close(pred.emotions, logits.sigmoid())
    unscaled_sample = make_sample(original, 8)  # crops the wrong pixels
    with torch.no_grad():
        unscaled = model(
            **preprocess(model, images, [unscaled_sample], False),
            mode='predict')
    assert not torch.allclose(unscaled[0].pred_instances.emotions,
                              pred.emotions)


def test_predict_on_an_image_without_gt_gives_no_predictions():
    model = build().eval()
    samples = [
        make_sample(torch.zeros(0, 4), 8, seed=0),
        make_sample([[8, 8, 40, 56]], 8, seed=1)
    ]
    data = preprocess(model, random_images(2), samples, False)
    with torch.no_grad():
        results = model(**data, mode='predict')
    empty = results[0].pred_instances
    assert empty.bboxes.shape == (0, 4)
    assert empty.scores.shape == (0, )
    assert empty.labels.shape == (0, )
    assert empty.emotions.shape == (0, 8)
    assert len(results[1].pred_instances) == 1
    alone = preprocess(model, random_images(1), samples[:1], False)
    with torch.no_grad():
        pred = model(**alone, mode='predict')[0].pred_instances
    assert pred.emotions.shape == (0, 8)


@pytest.mark.parametrize('mode', CROP_MODES)
def test_subject_crop_of_box_sized_output_is_the_box_pixels(mode):
    images = torch.rand(2, 3, IMG_SIZE, IMG_SIZE)
    rois = torch.tensor([[1., 8., 4., 40., 36.], [0., 0., 0., 32., 32.]])
    crops = SubjectCrop((32, 32), mode=mode)(images, rois)
    assert crops.shape == (2, 3, 32, 32)
    torch.testing.assert_close(crops[0], images[1, :, 4:36, 8:40])
    torch.testing.assert_close(crops[1], images[0, :, 0:32, 0:32])
    empty = SubjectCrop((32, 32), mode=mode)(images, rois[:0])
    assert empty.shape == (0, 3, 32, 32)


@pytest.mark.parametrize('mode', CROP_MODES)
def test_crop_modes_resample_a_large_box_alike(mode):
    generator = torch.Generator().manual_seed(0)
    smooth = torch.rand(1, 3, IMG_SIZE, IMG_SIZE, generator=generator)
    images = smooth.cumsum(-1) / IMG_SIZE  # ramps along x
    rois = torch.tensor([[0., 2., 6., 62., 58.]])
    crop = SubjectCrop((16, 16), mode=mode)(images, rois)
    reference = SubjectCrop((16, 16), mode='roi_align')(images, rois)
    assert (crop - reference).abs().mean() < 0.01  # a 2 px shift: 0.016


@pytest.mark.parametrize('crop_mode', CROP_MODES)
def test_crop_only_ignores_pixels_outside_the_subject_box(crop_mode):
    box = [16, 12, 44, 52]
    outside = torch.ones(IMG_SIZE, IMG_SIZE, dtype=torch.bool)
    x1, y1, x2, y2 = box
    outside[y1 - BORDER_PX:y2 + BORDER_PX, x1 - BORDER_PX:x2 + BORDER_PX] = 0
    images = random_images(1, seed=0)
    changed = images.clone()
    changed[:, :, outside] = random_images(1, seed=1)[:, :, outside]
    assert (changed != images).any()

    def emotions(model, imgs):
        data = preprocess(model, imgs, [make_sample([box], 8)], False)
        with torch.no_grad():
            return model(**data, mode='predict')[0].pred_instances.emotions

    crop_only = build(CROP_ONLY_CONFIG, crop_mode=crop_mode).eval()
    torch.testing.assert_close(
        emotions(crop_only, images), emotions(crop_only, changed))
    full = build(SYNTH_CONFIG, crop_mode=crop_mode).eval()
    assert not torch.allclose(emotions(full, images), emotions(full, changed))


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match='box_source'):
        build(box_source='yolo')
    with pytest.raises(ValueError, match='detector=dict'):
        build(box_source='detector')
    with pytest.raises(ValueError, match='crop mode'):
        build(crop_mode='nearest')
    with pytest.raises(ValueError, match='context_backbone'):
        build(context_backbone=None)
    cfg = load_model_cfg(SYNTH_CONFIG)
    cfg.body_backbone.out_indices = (2, )
    with pytest.raises(ValueError, match='last stage'):
        MODELS.build(cfg)
    with pytest.raises(FileNotFoundError, match='missing.py'):
        build(
            box_source='detector',
            detector=dict(config='missing.py', checkpoint='missing.pth'))


TINY_DETECTOR_CONFIG = """
custom_imports = dict(imports=['mmdsct'], allow_failed_imports=False)
model = dict(
    type='RetinaNet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[103.53, 116.28, 123.675],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False),
    backbone=dict(
        type='ResNet', depth=18, base_channels=8, out_indices=(2, 3),
        norm_eval=False, init_cfg=None),
    neck=dict(
        type='FPN', in_channels=[32, 64], out_channels=16, num_outs=2),
    bbox_head=dict(
        type='RetinaHead',
        num_classes=2,
        in_channels=16,
        stacked_convs=1,
        feat_channels=16,
        anchor_generator=dict(
            type='AnchorGenerator',
            octave_base_scale=4,
            scales_per_octave=1,
            ratios=[1.0],
            strides=[16, 32]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    test_cfg=dict(
        nms_pre=100,
        min_bbox_size=0,
        score_thr=0.0,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=20))
"""
MAX_SUBJECTS = 3


@pytest.fixture
def tiny_detector(tmp_path):
    """A tiny RetinaNet config + checkpoint (random weights) on disk."""
    config = tmp_path / 'tiny_retinanet.py'
    config.write_text(TINY_DETECTOR_CONFIG)
    torch.manual_seed(0)
    detector = MODELS.build(Config.fromfile(str(config)).model)
    detector.init_weights()
    checkpoint = tmp_path / 'tiny_retinanet.pth'
    torch.save({'state_dict': detector.state_dict()}, checkpoint)
    return dict(
        config=str(config),
        checkpoint=str(checkpoint),
        score_thr=0.0,
        subject_label=1,
        max_subjects=MAX_SUBJECTS)


def test_detector_box_source_uses_detected_subjects(tiny_detector):
    model = build(box_source='detector', detector=tiny_detector).eval()
    assert not any(
        key.startswith('subject_detector') for key in model.state_dict())
    scale = 0.5
    samples = [
        make_sample(torch.zeros(0, 4), 8, scale=scale, seed=i)
        for i in range(2)
    ]
    data = preprocess(model, random_images(2), samples, False)
    with torch.no_grad():
        results = model(**data, mode='predict')
    for result in results:
        pred = result.pred_instances
        n = len(pred)
        assert 0 < n <= MAX_SUBJECTS
        assert pred.emotions.shape == (n, 8)
        assert (pred.scores[:-1] >= pred.scores[1:]).all()
        assert (pred.scores < 1).all()  # the detector's, not GT's 1.0
        assert pred.labels.tolist() == [0] * n
        assert pred.bboxes.max() <= IMG_SIZE / scale + 1


def test_detector_sees_its_own_normalisation(tiny_detector):
    detector = FrozenSubjectDetector(**tiny_detector)
    recogniser = build()
    images = random_images(2)
    samples = [make_sample(torch.zeros(0, 4), 8, seed=i) for i in range(2)]
    ours = preprocess(recogniser, images, samples, False)['inputs']
    theirs = detector.model.data_preprocessor(
        dict(inputs=list(images), data_samples=samples), False)['inputs']
    converted = detector._to_detector_inputs(ours,
                                             recogniser.data_preprocessor)
    torch.testing.assert_close(converted, theirs, atol=1e-3, rtol=1e-4)
    assert not torch.allclose(ours, theirs, atol=1e-1)


def test_surround_config_differs_only_in_what_the_context_reads():
    image = MODELS.build(load_model_cfg(SYNTH_CONFIG, tiny=False))
    surround = MODELS.build(load_model_cfg(SURROUND_CONFIG, tiny=False))
    assert image.context_source == 'image'
    assert not hasattr(image, 'surround_crop')
    assert surround.context_source == 'surround'
    assert surround.surround_scale == 3.0
    assert surround.surround_crop.output_size == surround.crop.output_size
    shapes = {k: v.shape for k, v in image.state_dict().items()}
    assert shapes == {k: v.shape for k, v in surround.state_dict().items()}


@pytest.mark.parametrize('mode', CROP_MODES)
def test_surround_crop_covers_the_enlarged_box(mode):
    model = build(
        SURROUND_CONFIG, crop_mode=mode, surround_size=(24, 24)).eval()
    images = torch.rand(2, 3, IMG_SIZE, IMG_SIZE)
    rois = torch.tensor([
        [1., 24., 20., 32., 28.],  # 8 x 8 -> 24 x 24, inside the image
        [0., 2., 52., 10., 60.],  # enlarged box leaves left and bottom
    ])
    crops = model.surround_crops(images, rois)
    assert crops.shape == (2, 3, 24, 24)
    torch.testing.assert_close(crops[0], images[1, :, 12:36, 16:40])
    # enlarged: x -6..18, y 44..68 -> 6 columns left and 4 rows below pad
    torch.testing.assert_close(crops[1, :, :20, 6:], images[0, :, 44:, :18])
    assert (crops[1, :, :, :6] == 0).all()
    assert (crops[1, :, 20:, :] == 0).all()
    assert model.surround_crops(images, rois[:0]).shape == (0, 3, 24, 24)


@pytest.mark.parametrize('crop_mode', CROP_MODES)
def test_surround_context_reads_the_enlarged_box_only(crop_mode):
    box = [24, 24, 36, 40]  # 12 x 16 about (30, 32)
    x1, y1, x2, y2 = 12, 8, 48, 56  # enlarged 3 x: 36 x 48
    outside = torch.ones(IMG_SIZE, IMG_SIZE, dtype=torch.bool)
    outside[y1 - BORDER_PX:y2 + BORDER_PX, x1 - BORDER_PX:x2 + BORDER_PX] = 0
    around = torch.zeros(IMG_SIZE, IMG_SIZE, dtype=torch.bool)
    around[y1:y2, x1:x2] = 1
    around[box[1] - BORDER_PX:box[3] + BORDER_PX,
           box[0] - BORDER_PX:box[2] + BORDER_PX] = 0
    images = random_images(1, seed=0)
    other = random_images(1, seed=1)
    far, near = images.clone(), images.clone()
    far[:, :, outside] = other[:, :, outside]
    near[:, :, around] = other[:, :, around]

    def emotions(model, imgs):
        data = preprocess(model, imgs, [make_sample([box], 8)], False)
        with torch.no_grad():
            return model(**data, mode='predict')[0].pred_instances.emotions

    model = build(SURROUND_CONFIG, crop_mode=crop_mode).eval()
    reference = emotions(model, images)
    torch.testing.assert_close(emotions(model, far), reference)
    assert not torch.allclose(emotions(model, near), reference)


def test_surround_loss_reaches_both_branches_and_handles_no_subjects():
    model = build(SURROUND_CONFIG).train()
    samples = [
        make_sample([[4, 4, 30, 40], [30, 10, 60, 60]], 8, seed=0),
        make_sample(torch.zeros(0, 4), 8, seed=1)
    ]
    data = preprocess(model, random_images(2), samples, True)
    loss = model(**data, mode='loss')['loss_emotion']
    assert torch.isfinite(loss) and loss > 0
    loss.backward()
    for branch in (model.body_backbone, model.context_backbone):
        grad = sum(p.grad.abs().sum() for p in branch.parameters()
                   if p.grad is not None)
        assert grad > 0, type(branch).__name__
    empty = preprocess(model, random_images(1), samples[1:], False)
    with torch.no_grad():
        pred = model(**empty, mode='predict')[0].pred_instances
    assert pred.emotions.shape == (0, 8)


def test_bad_surround_settings_are_refused():
    with pytest.raises(ValueError, match='context_source'):
        build(context_source='scene')
    with pytest.raises(ValueError, match='surround_scale'):
        build(SURROUND_CONFIG, surround_scale=0.5)
