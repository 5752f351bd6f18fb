"""Top-1 accuracy (single- and multi-label) and the confusion matrix."""
import numpy as np
import pytest

from mmdsct.evaluation.functional import (MISSED, confusion_matrix,
                                          top1_accuracy, top1_hits)


def test_single_label_accuracy():
    scores = np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    targets = np.eye(3)[[1, 2, 2]]
    assert top1_accuracy(scores, targets) == pytest.approx(2 / 3)


def test_multi_label_accuracy_is_precision_at_one():
    scores = np.array([[0.8, 0.1, 0.3], [0.1, 0.7, 0.2], [0.5, 0.1, 0.4]])
    targets = np.array([[1, 0, 1], [0, 0, 1], [0, 0, 1]])
    np.testing.assert_array_equal(
        top1_hits(scores, targets), [True, False, False])
    assert top1_accuracy(scores, targets) == pytest.approx(1 / 3)


def test_unseen_subjects_count_wrong_and_unlabelled_are_left_out():
    scores = np.array([[0.9, 0.1], [0.9, 0.1], [0.9, 0.1]])
    targets = np.array([[1, 0], [1, 0], [0, 0]])
    seen = np.array([True, False, True])
    # subject 1 would be right but is unseen; subject 2 has no label
    assert top1_accuracy(scores, targets, seen) == pytest.approx(1 / 2)


def test_accuracy_of_nothing_is_nan():
    assert np.isnan(top1_accuracy(np.zeros((0, 3)), np.zeros((0, 3))))


def test_confusion_matrix_counts_and_missed_column():
    gt = np.array([0, 1, 1, 2, 2])
    pred = np.array([0, 2, 1, MISSED, 2])
    expected = [[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]
    np.testing.assert_array_equal(confusion_matrix(gt, pred, 3), expected)
    assert confusion_matrix(np.zeros(0), np.zeros(0), 2).shape == (2, 3)
