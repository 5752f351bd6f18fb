"""EmotionCocoDataset and its pipeline refuse bad values with a name:
non-finite or wrongly typed boxes and VAD, empty files, degenerate or
unreadable images; JSON/image size mismatches are counted."""
import json
import math

import pytest
from mmdet.registry import DATASETS

from mmdsct.datasets import (DegenerateImageError, EmotionAnnotationError,
                             UnreadableImageError)
from mmdsct.datasets.transforms import load_emotion_annotations

IMAGE_SIZE = (64, 48)  # (width, height) of the fixture files

LOAD_IMAGE = dict(type='LoadImageFromFile')
LOAD_ANNOTATIONS = dict(type='LoadEmotionAnnotations', with_bbox=True)
# The test pipeline of configs/_base_/datasets/synth.py: the resize comes
# before the annotations, so it meets a degenerate image first.
TEST_PIPELINE = [
    LOAD_IMAGE,
    dict(type='Resize', scale=(128, 128), keep_ratio=True), LOAD_ANNOTATIONS
]


def build(ann_file, pipeline=(), **kwargs):
    return DATASETS.build(
        dict(
            type='EmotionCocoDataset',
            ann_file=ann_file,
            pipeline=list(pipeline),
            **kwargs))


def write_raw(data_root, content, name='ann.json'):
    """Write ``content`` with Python's JSON extensions (NaN, Infinity)."""
    path = data_root / name
    path.write_text(json.dumps(content, allow_nan=True))
    return str(path)


@pytest.mark.parametrize('field, value, message', [
    ('bbox', [2, 3, math.nan, 12], r'bbox must be \[x, y, w, h\], four '
     'finite numbers, got \\[2, 3, nan, 12\\]'),
    ('bbox', [2, 3, math.inf, 12], 'bbox must be'),
    ('bbox', [-math.inf, 3, 10, 12], 'bbox must be'),
    ('bbox', '2, 3, 10, 12', 'bbox must be'),
    ('bbox', dict(x=2, y=3, w=10, h=12), 'bbox must be'),
    ('bbox', [2, '3', 10, 12], 'bbox must be'),
    ('bbox', [True, 3, 10, 12], 'bbox must be'),
    ('vad', [math.inf, 2.0, 3.0], r'vad must be \[valence, arousal, '
     r'dominance\], 3 finite numbers, got \[inf'),
    ('vad', [math.nan, 2.0, 3.0], 'vad must be'),
    ('vad', 'high', "vad must be .*got 'high'"),
    ('vad', ['high', 2.0, 3.0], 'vad must be'),
    ('vad', dict(valence=1, arousal=2, dominance=3), 'vad must be'),
    ('iscrowd', 'no', "iscrowd must be 0 or 1, got 'no'"),
])
def test_bad_annotation_values_name_file_annotation_and_image(
        data_root, multi_label_content, field, value, message):
    multi_label_content['annotations'][0][field] = value
    path = write_raw(data_root, multi_label_content)
    with pytest.raises(EmotionAnnotationError, match=message) as error:
        build(path)
    assert str(error.value).startswith(f'{path}: annotation 1 of image 1 '
                                       '(images/a.png): ')


@pytest.mark.parametrize('change, message', [
    (lambda c: c['images'][0].update(width=math.inf), 'has size infx48'),
    (lambda c: c['images'][0].update(height=math.nan), 'has size 64xnan'),
    (lambda c: c['images'][0].update(width='64'), "has size '64'x48"),
    (lambda c: c['images'][0].update(width=True), 'has size Truex48'),
    (lambda c: c['images'][0].update(width=1, height=500),
     r'image 1 \(images/a.png\): the image is 1x500'),
    (lambda c: c['images'][0].update(width=500, height=1), 'is 500x1'),
    (lambda c: c['images'][0].update(file_name=5),
     'file_name must be a non-empty string, got 5'),
    (lambda c: c['images'][0].update(id='a'),
     "image 'a': an id must be an integer"),
    (lambda c: c['annotations'][0].update(id=[1]),
     r'annotation \[1\]: an id must be an integer'),
    (lambda c: c['annotations'][0].update(image_id='1'),
     "annotation 1: image_id: an id must be an integer, got '1'"),
    (lambda c: c['emotion_class_groups'].update(x='Joy'),
     r"emotion_class_groups\['x'\] must be a list"),
])
def test_bad_image_entries_and_ids_are_named(data_root, multi_label_content,
                                             change, message):
    change(multi_label_content)
    path = write_raw(data_root, multi_label_content)
    with pytest.raises(EmotionAnnotationError, match=message) as error:
        build(path)
    assert path in str(error.value)


def test_nan_box_is_refused_not_counted_as_clipped(data_root,
                                                   multi_label_content):
    multi_label_content['annotations'][2]['bbox'] = [math.nan] * 4
    path = write_raw(data_root, multi_label_content)
    with pytest.raises(
            EmotionAnnotationError,
            match=r'annotation 3 of image 1 \(images/a.png\)'):
        build(path)


def test_file_without_images_is_a_named_error(write_annotations,
                                              multi_label_content):
    multi_label_content.update(images=[], annotations=[])
    path = write_annotations(multi_label_content)
    with pytest.raises(
            EmotionAnnotationError, match='ann.json: the file has no images'):
        build(path)


def test_nothing_left_after_filtering_is_a_named_error(write_annotations,
                                                       multi_label_content):
    for entry in multi_label_content['annotations']:
        entry['bbox'] = [500, 500, 5, 5]  # outside the 64x48 image
    path = write_annotations(multi_label_content)
    with pytest.raises(
            EmotionAnnotationError, match='no image is left after filtering'):
        build(path, filter_cfg=dict(filter_empty_gt=True))
    assert len(build(path, filter_cfg=dict(filter_empty_gt=False))) == 2


@pytest.mark.parametrize('size', [(1, 500), (500, 1)])
@pytest.mark.parametrize(
    'pipeline', [TEST_PIPELINE, [LOAD_IMAGE, LOAD_ANNOTATIONS]],
    ids=['resize-first', 'annotations-first'])
def test_degenerate_image_file_is_named_in_the_pipeline(
        write_annotations, write_png, data_root, multi_label_content, size,
        pipeline):
    write_png(data_root / 'images' / 'a.png', size=size)
    dataset = build(
        write_annotations(multi_label_content),
        pipeline,
        data_prefix=dict(img=str(data_root)))
    with pytest.raises(
            DegenerateImageError,
            match=r'images/a\.png: the image is '
            f'{size[0]}x{size[1]}'):
        dataset[0]


@pytest.mark.parametrize('content, message',
                         [(b'', 'is an empty file'),
                          (b'not an image', 'cannot be decoded|not a valid')])
def test_unreadable_image_file_is_named_in_the_pipeline(
        write_annotations, data_root, multi_label_content, content, message):
    (data_root / 'images' / 'a.png').write_bytes(content)
    dataset = build(
        write_annotations(multi_label_content),
        TEST_PIPELINE,
        data_prefix=dict(img=str(data_root)))
    with pytest.raises(UnreadableImageError, match=message) as error:
        dataset[0]
    assert str(data_root / 'images' / 'a.png') in str(error.value)


def test_other_pipeline_errors_get_a_note_naming_the_image(
        write_annotations, data_root, multi_label_content):

    def broken(results):
        raise RuntimeError('some transform failed')

    dataset = build(
        write_annotations(multi_label_content), [LOAD_IMAGE, broken],
        data_prefix=dict(img=str(data_root)))
    with pytest.raises(RuntimeError, match='some transform failed') as error:
        dataset[0]
    assert any(
        str(data_root / 'images' / 'a.png') in note
        for note in error.value.__notes__)


def test_image_size_mismatch_is_counted_once_per_file_and_warned(
        write_annotations, write_png, data_root, multi_label_content,
        monkeypatch):
    width, height = IMAGE_SIZE
    write_png(data_root / 'images' / 'a.png', size=(height, width))
    warnings = []
    monkeypatch.setattr(load_emotion_annotations, 'print_log',
                        lambda message, **kwargs: warnings.append(message))
    dataset = build(
        write_annotations(multi_label_content),
        TEST_PIPELINE,
        data_prefix=dict(img=str(data_root)))
    load = dataset.pipeline.transforms[-1]
    for _ in range(3):
        results = dataset[0]
        dataset[1]  # b.png has the size the file gives
    assert load.size_mismatches == 1
    assert len(warnings) == 1
    assert 'images/a.png: the image is 48x64' in warnings[0]
    assert 'the annotation file says 64x48' in warnings[0]
    assert '1 image(s) with a size mismatch so far' in warnings[0]
    # The boxes are kept as the file gives them (documented).
    assert results['gt_bboxes'].tensor.tolist()[0] == [2, 3, 12, 15]


def test_matching_sizes_are_not_counted(write_annotations, data_root,
                                        multi_label_content):
    dataset = build(
        write_annotations(multi_label_content),
        TEST_PIPELINE,
        data_prefix=dict(img=str(data_root)))
    dataset[0]
    dataset[1]
    assert dataset.pipeline.transforms[-1].size_mismatches == 0
