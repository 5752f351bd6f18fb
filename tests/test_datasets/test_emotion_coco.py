"""EmotionCocoDataset and its subclasses: parsing, metainfo, validation."""
import pytest
from mmdet.registry import DATASETS

from mmdsct.datasets import (CAERS_CLASSES, EMOTIC_CLASSES, CAERSDataset,
                             EmoticDataset, EmotionAnnotationError,
                             EmotionCocoDataset, SynthEmotionDataset)


def build(ann_file, dataset_type='EmotionCocoDataset', **kwargs):
    return DATASETS.build(
        dict(type=dataset_type, ann_file=ann_file, pipeline=[], **kwargs))


def test_multi_label_file_parses_boxes_emotions_vad(write_annotations,
                                                    data_root,
                                                    multi_label_content):
    dataset = build(
        write_annotations(multi_label_content),
        data_prefix=dict(img=str(data_root)))
    assert len(dataset) == 2
    info = dataset.get_data_info(0)
    assert info['img_path'] == str(data_root / 'images' / 'a.png')
    assert info['num_emotion_classes'] == 3 and info['has_vad'] is True
    boxes = [instance['bbox'] for instance in info['instances']]
    assert boxes == [[2, 3, 12, 15], [20, 5, 30, 25], [40, 10, 52, 40]]
    assert [i['emotions'] for i in info['instances']] == [[1.0, 0.0, 0.0],
                                                          [0.0, 1.0, 1.0],
                                                          [1.0, 1.0, 0.0]]
    assert info['instances'][2]['vad'] == [7.0, 8.0, 9.0]
    assert all(i['bbox_label'] == 0 for i in info['instances'])
    assert dataset.get_data_info(1)['instances'] == []


def test_metainfo_comes_from_the_file(write_annotations, multi_label_content,
                                      emotion_classes):
    meta = build(write_annotations(multi_label_content)).metainfo
    assert meta['classes'] == ('person', )
    assert meta['emotion_classes'] == tuple(emotion_classes)
    assert meta['multi_label'] is True
    assert meta['emotion_class_groups'] == dict(
        subject_only=['Joy'], context_only=['Fear', 'Calm'])


def test_single_label_becomes_one_hot(write_annotations, single_label_content):
    dataset = build(write_annotations(single_label_content))
    assert dataset.metainfo['multi_label'] is False
    assert dataset.metainfo['emotion_class_groups'] == {}
    info = dataset.get_data_info(0)
    assert info['img_id'] == 7 and info['has_vad'] is False
    assert [i['emotions'] for i in info['instances']] == [[0.0, 0.0, 1.0],
                                                          [1.0, 0.0, 0.0]]
    assert 'vad' not in info['instances'][0]


def test_boxes_outside_or_empty_are_skipped_and_counted(
        write_annotations, multi_label_content):
    boxes = [[100, 100, 5, 5], [2, 3, 0, 12], [-5, -5, 10, 10]]
    for entry, box in zip(multi_label_content['annotations'], boxes):
        entry['bbox'] = box
    dataset = build(write_annotations(multi_label_content))
    instances = dataset.get_data_info(0)['instances']
    assert [i['bbox'] for i in instances] == [[0.0, 0.0, 5.0, 5.0]]
    assert instances[0]['emotions'] == [1.0, 1.0, 0.0]
    assert dataset.box_counts == {
        'box outside the image': 1,
        'box of zero area': 1,
        'box clipped to the image': 1
    }


def test_subclasses_fix_classes_and_label_kind(write_annotations,
                                               multi_label_content,
                                               single_label_content):
    multi_label_content['emotion_classes'] = list(EMOTIC_CLASSES)
    multi_label_content.pop('emotion_class_groups')
    for entry in multi_label_content['annotations']:
        entry['emotions'] = [1] + [0] * (len(EMOTIC_CLASSES) - 1)
    emotic = build(write_annotations(multi_label_content), 'EmoticDataset')
    assert isinstance(emotic, EmoticDataset)
    assert emotic.metainfo['emotion_classes'] == EMOTIC_CLASSES

    single_label_content['emotion_classes'] = list(CAERS_CLASSES)
    caers = build(
        write_annotations(single_label_content, 'caers.json'), 'CAERSDataset')
    assert isinstance(caers, CAERSDataset)
    assert caers.metainfo['multi_label'] is False
    assert caers.get_data_info(0)['instances'][0]['emotions'][2] == 1.0
    assert issubclass(SynthEmotionDataset, EmotionCocoDataset)


def test_emotion_classes_must_match_the_configured_ones(
        write_annotations, multi_label_content):
    path = write_annotations(multi_label_content)
    with pytest.raises(
            EmotionAnnotationError,
            match=r'ann\.json.*differ from the '
            'configured'):
        build(path, 'EmoticDataset')
    with pytest.raises(EmotionAnnotationError, match='differ'):
        build(path, metainfo=dict(emotion_classes=('Joy', 'Calm', 'Fear')))


def test_label_kind_must_match_the_dataset(write_annotations,
                                           single_label_content):
    single_label_content['emotion_classes'] = list(EMOTIC_CLASSES)
    with pytest.raises(EmotionAnnotationError, match="expects 'emotions'"):
        build(write_annotations(single_label_content), 'EmoticDataset')


@pytest.mark.parametrize('change, message', [
    (lambda c: c.pop('emotion_classes'),
     r"lacks the key\(s\) \['emotion_classes'\]"),
    (lambda c: c['annotations'][0].pop('bbox'), r"\['bbox'\]"),
    (lambda c: c['annotations'][1].update(emotions=[1, 0]),
     'annotation 2: emotions must be a list of 3'),
    (lambda c: c['annotations'][1].update(emotions=[1, 2, 0]), 'only 0 and 1'),
    (lambda c: c['annotations'][0].pop('emotions'),
     "annotation 1 has neither 'emotions' nor 'emotion'"),
    (lambda c: c['annotations'][0].update(image_id=99),
     'image_id 99 is not among the images'),
    (lambda c: c['annotations'][0].update(category_id=3),
     'category_id 3 is not 1'),
    (lambda c: c['annotations'][2].update(id=1), 'id appears twice'),
    (lambda c: c['annotations'][1].pop('vad'), 'annotation 2 has none'),
    (lambda c: c['annotations'][1].update(vad=[1.0]), 'vad must be'),
    (lambda c: c['annotations'][0].update(bbox=[1, 2, 3]),
     r'bbox must be \[x, y, w, h\]'),
    (lambda c: c['images'][0].update(width=0), 'has size 0x48'),
    (lambda c: c['emotion_class_groups'].update(x=['Nope']),
     r"emotion_class_groups\['x'\] names unknown classes \['Nope'\]"),
    (lambda c: c.update(annotations={}), 'annotations must be a list'),
])
def test_malformed_files_raise_naming_file_and_entry(write_annotations,
                                                     multi_label_content,
                                                     change, message):
    change(multi_label_content)
    path = write_annotations(multi_label_content)
    with pytest.raises(EmotionAnnotationError, match=message) as error:
        build(path)
    assert path in str(error.value)


def test_single_label_index_out_of_range(write_annotations,
                                         single_label_content):
    single_label_content['annotations'][1]['emotion'] = 3
    with pytest.raises(
            EmotionAnnotationError,
            match=r'annotation 2: emotion must be an int in \[0, 3\), got 3'):
        build(write_annotations(single_label_content))


def test_mixed_label_kinds_raise(write_annotations, multi_label_content,
                                 single_label_content):
    single = single_label_content['annotations'][0]
    single.update(id=10, image_id=2)
    multi_label_content['annotations'].append(single)
    with pytest.raises(EmotionAnnotationError, match='mix'):
        build(write_annotations(multi_label_content))


def test_not_json_raises_naming_the_file(write_annotations):
    path = write_annotations('{"images": [')
    with pytest.raises(
            EmotionAnnotationError, match='ann.json: cannot read it as JSON'):
        build(path)


def test_config_groups_override_file_groups(write_annotations,
                                            multi_label_content):
    groups = dict(mine=['Calm'])
    dataset = build(
        write_annotations(multi_label_content),
        metainfo=dict(emotion_class_groups=groups))
    assert dataset.metainfo['emotion_class_groups'] == groups


def test_filter_empty_gt_drops_images_without_subjects(write_annotations,
                                                       multi_label_content):
    path = write_annotations(multi_label_content)
    kept = build(path, filter_cfg=dict(filter_empty_gt=True))
    assert [kept.get_data_info(i)['img_id'] for i in range(len(kept))] == [1]
    assert len(build(path, filter_cfg=dict(filter_empty_gt=False))) == 2
