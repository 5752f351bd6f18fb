"""Class prevalence from annotation files of the project's format."""
import json

import numpy as np
import pytest

from mmdsct.evaluation.functional import (label_prevalence,
                                          load_label_prevalence)
from mmdsct.structures import EmotionAnnotationError

CLASSES = ('joy', 'fear', 'calm')


def test_prevalence_of_targets():
    targets = np.array([[1, 0, 1], [1, 1, 0]])
    np.testing.assert_allclose(label_prevalence(targets), [1, 0.5, 0.5])
    np.testing.assert_array_equal(
        label_prevalence(np.zeros((0, 3))), np.zeros(3))


def test_multi_label_file_skips_crowd(multi_label_train_file):
    prevalence = load_label_prevalence(str(multi_label_train_file), CLASSES)
    np.testing.assert_allclose(prevalence, [0.75, 0.25, 0.25])


def test_single_label_file(tmp_path, annotation_writer):
    path = annotation_writer(
        tmp_path / 'a.json', CLASSES, [0, 2, 2, 2], multi_label=False)
    np.testing.assert_allclose(
        load_label_prevalence(str(path), CLASSES), [0.25, 0, 0.75])


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.json'):
        load_label_prevalence(str(tmp_path / 'nope.json'), CLASSES)


def test_invalid_json(tmp_path):
    path = tmp_path / 'broken.json'
    path.write_text('{"annotations": [')
    with pytest.raises(ValueError, match='broken.json: cannot read it as'):
        load_label_prevalence(str(path), CLASSES)


def test_other_classes(tmp_path, annotation_writer):
    path = annotation_writer(tmp_path / 'a.json', ('x', 'y', 'z'), [[1, 0, 0]])
    with pytest.raises(ValueError, match='differ from the configured'):
        load_label_prevalence(str(path), CLASSES)


@pytest.mark.parametrize('label_fields, message', [
    (dict(emotions=[1, 0]), 'annotation 1: emotions must be a list of 3'),
    (dict(emotions=[1, 2, 0]), 'annotation 1: emotions must hold only 0'),
    (dict(emotion=3), r'annotation 1: emotion must be an int in \[0, 3\)'),
    (dict(), 'annotation 1 has neither'),
])
def test_malformed_annotation(tmp_path, annotation_writer, label_fields,
                              message):
    path = annotation_writer(tmp_path / 'bad.json', CLASSES, [[1, 0, 0]])
    content = json.loads(path.read_text())
    del content['annotations'][0]['emotions']
    content['annotations'][0].update(label_fields)
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError, match=message) as err:
        load_label_prevalence(str(path), CLASSES)
    assert str(err.value).startswith(str(path))


def test_reads_the_file_as_the_dataset_does(tmp_path, annotation_writer):
    """A file the dataset refuses is refused here too, with its error."""
    path = annotation_writer(tmp_path / 'a.json', CLASSES, [[1, 0, 0]])
    content = json.loads(path.read_text())
    content['annotations'][0]['bbox'] = [0, 0, float('nan'), 1]
    path.write_text(json.dumps(content))
    with pytest.raises(EmotionAnnotationError, match='bbox must be'):
        load_label_prevalence(str(path), CLASSES)
