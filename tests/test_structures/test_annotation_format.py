"""The annotation format: one parser for every reader, and the writer's
label fields read back by it."""
import json

import pytest

from mmdsct.datasets import EmotionCocoWriter
from mmdsct.structures import (EmotionAnnotationError, EmotionSpec,
                               annotation_emotions, encode_label,
                               load_annotation_file, parse_annotations)

CLASSES = ('Joy', 'Fear', 'Calm')


def write(tmp_path, writer):
    path = tmp_path / 'ann.json'
    path.write_bytes(writer.to_json_bytes())
    return str(path)


def test_writer_output_parses_to_its_spec(tmp_path):
    writer = EmotionCocoWriter(
        CLASSES, multi_label=True, emotion_class_groups=dict(g=['Joy']))
    image_id = writer.add_image('a.png', 40, 30)
    writer.add_subject(
        image_id, (1, 2, 11, 22), emotions=[1, 0, 1], vad=[1, 2, 3])
    writer.add_image('b.png', 40, 30)
    parsed = load_annotation_file(write(tmp_path, writer))
    assert parsed.spec == EmotionSpec(CLASSES, True, dict(g=['Joy']))
    assert parsed.has_vad
    assert list(parsed.images) == [1, 2]
    assert [len(parsed.annotations[i]) for i in (1, 2)] == [1, 0]
    assert annotation_emotions(parsed.annotations[1][0], 3) == [1.0, 0.0, 1.0]


def test_single_label_fields_round_trip():
    spec = EmotionSpec(CLASSES, multi_label=False)
    fields = encode_label(spec, emotion=2)
    assert fields == dict(emotion=2)
    assert annotation_emotions(fields, spec.num_classes) == [0.0, 0.0, 1.0]


@pytest.mark.parametrize('multi_label, label, message', [
    (True, dict(emotions=[1, 0]), 'needs 3 emotions'),
    (True, dict(emotion=1), 'needs 3 emotions'),
    (False, dict(emotion=3), r'needs an emotion in \[0, 3\)'),
    (False, dict(emotions=[1, 0, 0]), 'needs an emotion'),
])
def test_labels_of_the_wrong_kind_are_not_encoded(multi_label, label, message):
    with pytest.raises(ValueError, match=message):
        encode_label(EmotionSpec(CLASSES, multi_label), **label)


def content_with(**annotation_fields):
    annotation = dict(id=1, image_id=1, bbox=[0, 0, 5, 5], category_id=1)
    annotation.update(annotation_fields)
    return dict(
        images=[dict(id=1, file_name='a.png', width=10, height=10)],
        annotations=[annotation],
        emotion_classes=list(CLASSES))


def test_configured_values_are_checked_against_the_file():
    content = content_with(emotion=1)
    parsed = parse_annotations(content, 'x.json')
    assert parsed.spec.multi_label is False
    with pytest.raises(
            EmotionAnnotationError,
            match=r"^x\.json: this dataset expects 'emotions'"):
        parse_annotations(content, 'x.json', dict(multi_label=True))
    with pytest.raises(
            EmotionAnnotationError, match='differ from the '
            'configured'):
        parse_annotations(content, 'x.json',
                          dict(emotion_classes=('Joy', 'Fear')))


def test_configured_groups_replace_the_files():
    content = dict(
        content_with(emotions=[0, 1, 0]),
        emotion_class_groups=dict(old=['Joy']))
    parsed = parse_annotations(content, 'x.json',
                               dict(emotion_class_groups=dict(new=['Calm'])))
    assert parsed.spec.emotion_class_groups == dict(new=('Calm', ))


def test_a_file_without_annotations_takes_the_configured_kind():
    content = dict(content_with(emotion=0), annotations=[])
    assert parse_annotations(content, 'x.json').spec.multi_label is True
    assert parse_annotations(content, 'x.json',
                             dict(multi_label=False)).spec.multi_label is False


def test_unreadable_file_is_named(tmp_path):
    path = tmp_path / 'broken.json'
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(
            EmotionAnnotationError,
            match='broken.json: the top level must be a JSON '
            'object, got list'):
        load_annotation_file(str(path))
