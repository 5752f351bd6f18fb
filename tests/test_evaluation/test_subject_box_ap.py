"""COCO box AP of subjects, in memory and without prints."""
import math

import numpy as np
import pytest

from mmdsct.evaluation.functional import ImageBoxes, subject_box_ap


def image(gts, preds, scores):
    return ImageBoxes(100, 100,
                      np.array(gts, dtype=float).reshape(-1, 4),
                      np.array(preds, dtype=float).reshape(-1, 4),
                      np.array(scores, dtype=float))


def test_perfect_predictions(capsys):
    boxes = [[0, 0, 40, 40], [50, 50, 90, 95]]
    stats, summary = subject_box_ap([image(boxes, boxes, [0.9, 0.8])])
    assert stats['mAP'] == pytest.approx(1.0)
    assert stats['mAP_50'] == pytest.approx(1.0)
    assert 'Average Precision' in summary
    assert capsys.readouterr().out == ''  # pycocotools' prints captured


def test_half_found_with_a_false_positive():
    # GT 1 found exactly (score .9); GT 2 missed; a false positive (.5)
    stats, _ = subject_box_ap([
        image([[0, 0, 40, 40]], [[0, 0, 40, 40]], [0.9]),
        image([[0, 0, 40, 40]], [[60, 60, 90, 90]], [0.5]),
    ])
    # recall reaches 1/2 at precision 1: 51 of the 101 recall points
    assert stats['mAP_50'] == pytest.approx(51 / 101)


def test_no_predictions_and_no_gts():
    stats, _ = subject_box_ap([image([[0, 0, 40, 40]], [], [])])
    assert stats['mAP'] == 0.0
    stats, _ = subject_box_ap([image([], [[0, 0, 10, 10]], [0.3])])
    assert math.isnan(stats['mAP'])
