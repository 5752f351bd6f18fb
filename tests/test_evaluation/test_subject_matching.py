"""IoU and the two ways of assigning predictions to GT subjects."""
import numpy as np
import pytest

from mmdsct.evaluation.functional import (UNMATCHED, box_iou,
                                          gather_matched_rows,
                                          match_highest_iou, match_one_to_one)


def test_box_iou_values():
    gts = np.array([[0, 0, 10, 10], [50, 50, 70, 70]])
    preds = np.array([[0, 0, 10, 10], [52, 52, 70, 70], [5, 5, 15, 15],
                      [0, 0, 0, 0]])
    ious = box_iou(gts, preds)
    assert ious.shape == (2, 4)
    np.testing.assert_allclose(ious,
                               [[1, 0, 25 / 175, 0], [0, 324 / 400, 0, 0]])


def test_box_iou_empty():
    assert box_iou(np.zeros((0, 4)), np.ones((3, 4))).shape == (0, 3)
    assert box_iou(np.ones((2, 4)), np.zeros((0, 4))).shape == (2, 0)


def test_highest_iou_lets_one_prediction_serve_several_gts():
    ious = np.array([[0.9, 0.2], [0.6, 0.1], [0.0, 0.3]])
    matched = match_highest_iou(ious, np.array([0.5, 0.9]))
    np.testing.assert_array_equal(matched, [0, 0, 1])


def test_highest_iou_breaks_ties_by_score():
    ious = np.array([[0.0, 0.0, 0.0], [0.4, 0.4, 0.1]])
    matched = match_highest_iou(ious, np.array([0.2, 0.7, 0.9]))
    # no overlap: the most confident prediction; equal IoU: the surer one
    np.testing.assert_array_equal(matched, [2, 1])


def test_highest_iou_without_predictions():
    matched = match_highest_iou(np.zeros((2, 0)), np.zeros(0))
    np.testing.assert_array_equal(matched, [UNMATCHED, UNMATCHED])


def test_one_to_one_is_greedy_by_score_with_threshold():
    # GT0 is best for both predictions; the surer one (pred 1) takes it,
    # pred 0 falls back to GT1 (IoU .55); GT2 overlaps only at .4: unseen
    ious = np.array([[0.9, 0.8, 0.0], [0.55, 0.1, 0.0], [0.0, 0.0, 0.4]])
    matched = match_one_to_one(ious, np.array([0.6, 0.9, 0.99]), 0.5)
    np.testing.assert_array_equal(matched, [1, 0, UNMATCHED])


def test_one_to_one_threshold_is_inclusive():
    matched = match_one_to_one(np.array([[0.5]]), np.array([0.3]), 0.5)
    np.testing.assert_array_equal(matched, [0])


def test_one_to_one_without_gts_or_predictions():
    assert match_one_to_one(np.zeros((0, 3)), np.ones(3)).shape == (0, )
    np.testing.assert_array_equal(
        match_one_to_one(np.zeros((2, 0)), np.zeros(0)),
        [UNMATCHED, UNMATCHED])


def test_gather_matched_rows_fills_unmatched():
    values = np.array([[0.1, 0.2], [0.3, 0.4]])
    rows = gather_matched_rows(values, np.array([1, UNMATCHED, 0]), 0.0)
    np.testing.assert_allclose(rows, [[0.3, 0.4], [0, 0], [0.1, 0.2]])
    assert gather_matched_rows(
        np.zeros((0, 2)), np.array([UNMATCHED]), np.nan).shape == (1, 2)


@pytest.mark.parametrize('iou_thr, expected', [(0.3, [0]), (0.6, [-1])])
def test_one_to_one_threshold(iou_thr, expected):
    matched = match_one_to_one(np.array([[0.45]]), np.array([1.0]), iou_thr)
    np.testing.assert_array_equal(matched, expected)
