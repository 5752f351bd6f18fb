"""Subjects as plain Python from a hand-built prediction."""
import json

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmdsct.apis import datasample_to_subjects

NAMES = ('Anger', 'Joy', 'Fear')


def prediction(with_vad=False, with_emotions=True):
    pred = InstanceData()
    pred.bboxes = torch.tensor([[0., 0., 10., 10.], [5., 5., 20., 30.],
                                [1., 2., 3., 4.]])
    pred.scores = torch.tensor([0.2, 0.9, 0.5])
    pred.labels = torch.zeros(3, dtype=torch.long)
    if with_emotions:
        pred.emotions = torch.tensor([[0.1, 0.2, 0.3], [0.7, 0.8, 0.9],
                                      [0.4, 0.5, 0.6]])
    if with_vad:
        pred.vad = torch.tensor([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]])
    sample = DetDataSample()
    sample.pred_instances = pred
    return sample


def test_subjects_are_sorted_by_score_and_named():
    subjects = datasample_to_subjects(prediction(), NAMES)
    assert [round(s['score'], 3) for s in subjects] == [0.9, 0.5, 0.2]
    assert subjects[0]['bbox'] == [5., 5., 20., 30.]
    assert list(subjects[0]['emotions']) == list(NAMES)
    assert subjects[0]['emotions']['Fear'] == pytest.approx(0.9)
    assert 'vad' not in subjects[0]
    # Plain Python: JSON-serialisable as it is.
    assert json.loads(json.dumps(subjects)) == subjects


def test_score_threshold_is_inclusive():
    subjects = datasample_to_subjects(prediction(), NAMES, score_thr=0.5)
    assert [round(s['score'], 3) for s in subjects] == [0.9, 0.5]
    assert datasample_to_subjects(prediction(), NAMES, score_thr=0.95) == []


def test_vad_follows_its_subject():
    subjects = datasample_to_subjects(prediction(with_vad=True), NAMES)
    assert subjects[0]['vad'] == [4., 5., 6.]
    assert subjects[2]['vad'] == [1., 2., 3.]


def test_unknown_names_fall_back_to_indices():
    subjects = datasample_to_subjects(prediction(), None)
    assert list(
        subjects[0]['emotions']) == ['emotion 0', 'emotion 1', 'emotion 2']


def test_prediction_without_emotions_is_refused():
    with pytest.raises(KeyError, match='emotions'):
        datasample_to_subjects(prediction(with_emotions=False), NAMES)
