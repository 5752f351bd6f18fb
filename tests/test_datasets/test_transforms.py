"""Loading, packing and box-dropping transforms keep emotions with boxes."""
import numpy as np
import pytest
import torch
from mmdet.registry import DATASETS, TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.config import Config

import mmdsct  # noqa: F401  (registers the project's modules)

BOXES = [[2, 3, 12, 15], [20, 5, 30, 25], [40, 10, 52, 40]]
EMOTIONS = [[1, 0, 0], [0, 1, 1], [1, 1, 0]]
VAD = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]


def make_results(labels=(0, 0, 0)):
    """A pipeline dict as after LoadEmotionAnnotations: 64x48 image, three
    subjects with distinct emotion and VAD rows."""
    return dict(
        img=np.zeros((48, 64, 3), dtype=np.uint8),
        img_shape=(48, 64),
        ori_shape=(48, 64),
        img_path='fixture.png',
        gt_bboxes=HorizontalBoxes(torch.tensor(BOXES, dtype=torch.float32)),
        gt_bboxes_labels=np.array(labels, dtype=np.int64),
        gt_ignore_flags=np.zeros(3, dtype=bool),
        gt_emotions=np.array(EMOTIONS, dtype=np.float32),
        gt_vad=np.array(VAD, dtype=np.float32))


def fixed_crop(type_name, offset_hw, crop_wh, **kwargs):
    """A crop transform whose random offset is pinned."""
    crop = TRANSFORMS.build(
        dict(
            type=type_name, crop_size=crop_wh, crop_type='absolute', **kwargs))
    crop._rand_offset = lambda margin: offset_hw
    return crop


def pack(results):
    return TRANSFORMS.build(dict(type='PackEmotionInputs'))(results)


def test_load_emotion_annotations_from_dataset(write_annotations, data_root,
                                               multi_label_content):
    dataset = DATASETS.build(
        dict(
            type='EmotionCocoDataset',
            ann_file=write_annotations(multi_label_content),
            data_prefix=dict(img=str(data_root)),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadEmotionAnnotations')
            ]))
    first, empty = dataset[0], dataset[1]
    assert first['gt_emotions'].dtype == np.float32
    np.testing.assert_array_equal(first['gt_emotions'], EMOTIONS)
    np.testing.assert_array_equal(first['gt_vad'], VAD)
    assert first['gt_bboxes'].tensor.tolist() == BOXES
    assert empty['gt_emotions'].shape == (0, 3)
    assert empty['gt_vad'].shape == (0, 3)


def test_single_label_loads_one_hot_without_vad(write_annotations,
                                                single_label_content):
    dataset = DATASETS.build(
        dict(
            type='EmotionCocoDataset',
            ann_file=write_annotations(single_label_content),
            pipeline=[dict(type='LoadEmotionAnnotations')]))
    results = dataset[0]
    np.testing.assert_array_equal(results['gt_emotions'],
                                  [[0, 0, 1], [1, 0, 0]])
    assert 'gt_vad' not in results


def test_load_without_emotions_names_the_image():
    load = TRANSFORMS.build(dict(type='LoadEmotionAnnotations'))
    with pytest.raises(KeyError, match="x.png: an instance has no 'emotions'"):
        load(
            dict(
                img_path='x.png',
                instances=[
                    dict(bbox=[0, 0, 1, 1], bbox_label=0, ignore_flag=0)
                ]))


def test_pack_emotion_inputs_packs_float_tensors():
    packed = pack(make_results())['data_samples']
    gt = packed.gt_instances
    assert gt.emotions.dtype == torch.float32
    assert gt.emotions.tolist() == EMOTIONS
    assert gt.vad.tolist() == VAD
    assert gt.bboxes.tensor.tolist() == BOXES


def test_pack_splits_ignored_subjects_like_boxes():
    results = make_results()
    results['gt_ignore_flags'] = np.array([False, True, False])
    packed = pack(results)['data_samples']
    assert packed.gt_instances.emotions.tolist() == [EMOTIONS[0], EMOTIONS[2]]
    assert packed.ignored_instances.emotions.tolist() == [EMOTIONS[1]]
    assert packed.ignored_instances.vad.tolist() == [VAD[1]]


def test_crop_that_removes_a_subject_keeps_emotions_with_their_boxes():
    # Crop x in [18, 64): the first subject (x2 = 12) falls outside.
    crop = fixed_crop('EmotionRandomCrop', (0, 18), (46, 48))
    results = crop(make_results())
    assert results['gt_bboxes'].tensor.tolist() == [[2, 5, 12, 25],
                                                    [22, 10, 34, 40]]
    gt = pack(results)['data_samples'].gt_instances
    assert gt.emotions.tolist() == [EMOTIONS[1], EMOTIONS[2]]
    assert gt.vad.tolist() == [VAD[1], VAD[2]]
    assert gt.labels.tolist() == [0, 0]


def test_plain_mmdet_crop_is_caught_when_packing():
    crop = fixed_crop('RandomCrop', (0, 18), (46, 48))
    with pytest.raises(
            ValueError,
            match='fixture.png: gt_emotions has 3 rows but '
            'gt_bboxes has 2.*EmotionRandomCrop'):
        pack(crop(make_results()))


def test_wrapper_keeps_any_transform_in_step_and_restores_labels():
    wrapper = TRANSFORMS.build(
        dict(
            type='KeepEmotionsInStep',
            transform=dict(
                type='RandomCrop', crop_size=(46, 48), crop_type='absolute')))
    wrapper.transform_fn._rand_offset = lambda margin: (0, 18)
    results = wrapper(make_results(labels=(5, 6, 7)))
    assert results['gt_bboxes_labels'].tolist() == [6, 7]
    assert results['gt_emotions'].tolist() == [EMOTIONS[1], EMOTIONS[2]]
    assert results['gt_vad'].tolist() == [VAD[1], VAD[2]]


def test_filter_drops_emotions_with_their_boxes():
    results = make_results()
    results['gt_bboxes'] = HorizontalBoxes(
        torch.tensor([[0, 0, 20, 20], [0, 0, 2, 2], [5, 5, 30, 40]],
                     dtype=torch.float32))
    filtered = TRANSFORMS.build(
        dict(type='EmotionFilterAnnotations', min_gt_bbox_wh=(4, 4)))(
            results)
    assert filtered['gt_emotions'].tolist() == [EMOTIONS[0], EMOTIONS[2]]
    assert filtered['gt_vad'].tolist() == [VAD[0], VAD[2]]
    assert filtered['gt_ignore_flags'].tolist() == [False, False]


def test_crop_dropping_everything_returns_none():
    crop = fixed_crop('EmotionRandomCrop', (0, 0), (1, 1))
    results = make_results()
    results['gt_bboxes'] = HorizontalBoxes(
        torch.tensor([[30, 30, 40, 40]] * 3, dtype=torch.float32))
    assert crop(results) is None


@pytest.mark.parametrize('config', ['emotic.py', 'caers.py'])
def test_detr_training_pipeline_keeps_every_row_with_its_box(
        config, repo_root, write_annotations, data_root, multi_label_content):
    cfg = Config.fromfile(
        str(repo_root / 'configs' / '_base_' / 'datasets' / config))
    dataset = DATASETS.build(
        dict(
            type='EmotionCocoDataset',
            ann_file=write_annotations(multi_label_content),
            data_prefix=dict(img=str(data_root)),
            pipeline=cfg.train_pipeline))
    pairs = {tuple(v): e for v, e in zip(VAD, EMOTIONS)}
    np.random.seed(0)
    seen_crops_with_drops = 0
    for _ in range(12):
        gt = dataset[0]['data_samples'].gt_instances
        assert len(gt.emotions) == len(gt.bboxes) == len(gt.vad)
        for vad, emotions in zip(gt.vad.tolist(), gt.emotions.tolist()):
            assert pairs[tuple(vad)] == emotions
        seen_crops_with_drops += len(gt.bboxes) < len(BOXES)
    assert seen_crops_with_drops > 0
