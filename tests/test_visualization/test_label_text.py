"""The wording of label blocks."""
import numpy as np

from mmdsct.visualization import (emotion_class_names, ground_truth_label,
                                  positive_emotions, subject_label,
                                  top_emotions)

NAMES = ('Anger', 'Joy', 'Fear', 'Calm')


def test_emotion_class_names_uses_metainfo_when_it_fits():
    assert emotion_class_names(NAMES, 4) == list(NAMES)


def test_emotion_class_names_falls_back_to_indices():
    assert emotion_class_names(None, 2) == ['emotion 0', 'emotion 1']
    assert emotion_class_names((), 2) == ['emotion 0', 'emotion 1']
    assert emotion_class_names(NAMES,
                               3) == ['emotion 0', 'emotion 1', 'emotion 2']


def test_top_emotions_orders_limits_and_thresholds():
    probabilities = np.array([0.1, 0.9, 0.5, 0.3], dtype=np.float32)
    assert [name for name, _ in top_emotions(probabilities, NAMES, 3, 0.0)
            ] == ['Joy', 'Fear', 'Calm']
    assert [name for name, _ in top_emotions(probabilities, NAMES, 3, 0.4)
            ] == ['Joy', 'Fear']
    pairs = top_emotions(probabilities, NAMES, 1, 0.0)
    assert pairs[0][0] == 'Joy'
    assert abs(pairs[0][1] - 0.9) < 1e-6
    assert top_emotions(probabilities, NAMES, 0, 0.0) == []


def test_positive_emotions_of_multi_hot_and_one_hot_targets():
    assert positive_emotions(np.array([1., 0., 1., 0.]),
                             NAMES) == ['Anger', 'Fear']
    assert positive_emotions(np.array([0., 0., 0., 1.]), NAMES) == ['Calm']
    assert positive_emotions(np.zeros(4), NAMES) == []


def test_subject_label_lines():
    text = subject_label('person', 0.934, [('Joy', 0.812), ('Fear', 0.4)])
    assert text.splitlines() == ['person 0.93', 'Joy 0.81', 'Fear 0.40']
    with_vad = subject_label('person', 0.5, [], vad=[6.04, 4.5, 7.0])
    assert with_vad.splitlines() == ['person 0.50', 'VAD 6.0/4.5/7.0']
    assert subject_label('person', None, []) == 'person'


def test_ground_truth_label_lines():
    assert ground_truth_label('person', ['Anger', 'Fear']).splitlines() == [
        'person', 'Anger', 'Fear'
    ]
    assert ground_truth_label(
        'person', [], vad=[1, 2,
                           3]).splitlines() == ['person', 'VAD 1.0/2.0/3.0']
