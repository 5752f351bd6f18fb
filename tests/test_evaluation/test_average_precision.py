"""average_precision against scikit-learn, and its edge cases."""
import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from mmdsct.evaluation.functional import (average_precision,
                                          binary_average_precision,
                                          mean_average_precision)

TOLERANCE = 1e-6


def random_case(rng, num_samples, num_classes, score_levels=None):
    """Scores and 0/1 targets with at least one positive per class."""
    targets = (rng.random((num_samples, num_classes)) < 0.3).astype(float)
    targets[rng.integers(num_samples, size=num_classes),
            np.arange(num_classes)] = 1
    scores = rng.random((num_samples, num_classes))
    if score_levels is not None:
        scores = np.floor(scores * score_levels) / score_levels
    return scores, targets


@pytest.mark.parametrize('seed', range(5))
def test_matches_sklearn_on_random_scores(seed):
    rng = np.random.default_rng(seed)
    scores, targets = random_case(rng, 200, 26)
    expected = average_precision_score(targets, scores, average='macro')
    per_class = average_precision(scores, targets)
    assert per_class.shape == (26, )
    assert abs(per_class.mean() - expected) < TOLERANCE


@pytest.mark.parametrize('levels', [2, 3, 5])
def test_matches_sklearn_with_many_ties(levels):
    rng = np.random.default_rng(levels)
    scores, targets = random_case(rng, 150, 7, score_levels=levels)
    assert len(np.unique(scores)) <= levels  # heavy ties
    expected = average_precision_score(targets, scores, average=None)
    np.testing.assert_allclose(
        average_precision(scores, targets), expected, atol=TOLERANCE)


def test_matches_sklearn_with_single_positives():
    rng = np.random.default_rng(7)
    targets = np.zeros((40, 5))
    targets[rng.choice(40, 5, replace=False), np.arange(5)] = 1
    scores = rng.random((40, 5))
    expected = average_precision_score(targets, scores, average=None)
    np.testing.assert_allclose(
        average_precision(scores, targets), expected, atol=TOLERANCE)


def test_worked_example_with_a_tie():
    # sorted: .9 (+), then .5 tied (+, -), then .1 (+); 3 positives
    # thresholds: .9 -> P 1, R 1/3; .5 -> P 2/3, R 2/3; .1 -> P 3/4, R 1
    scores = np.array([0.5, 0.9, 0.1, 0.5])
    targets = np.array([1, 1, 1, 0])
    expected = 1 / 3 * 1 + 1 / 3 * 2 / 3 + 1 / 3 * 3 / 4
    assert binary_average_precision(scores, targets) == pytest.approx(expected)


def test_perfect_and_constant_scores():
    targets = np.array([[1, 1], [1, 0], [0, 1], [0, 0]])
    scores = np.array([[0.9, 0.3], [0.8, 0.3], [0.1, 0.3], [0.0, 0.3]])
    per_class = average_precision(scores, targets)
    assert per_class[0] == pytest.approx(1.0)  # positives ranked first
    assert per_class[1] == pytest.approx(0.5)  # constant: positive rate


def test_class_without_positive_is_nan_warned_and_left_out():
    scores = np.array([[0.9, 0.2], [0.1, 0.8], [0.4, 0.6]])
    targets = np.array([[1, 0], [0, 0], [1, 0]])
    with pytest.warns(UserWarning, match='No positive sample of fear'):
        per_class = average_precision(scores, targets, ['joy', 'fear'])
    assert per_class[0] == pytest.approx(1.0)
    assert np.isnan(per_class[1])
    assert mean_average_precision(per_class) == pytest.approx(1.0)
    # the mean equals scikit-learn's over the classes that have positives
    assert mean_average_precision(per_class) == pytest.approx(
        average_precision_score(targets[:, :1], scores[:, :1]))


def test_mean_of_nothing_is_nan():
    assert np.isnan(mean_average_precision(np.array([np.nan, np.nan])))
    with pytest.warns(UserWarning):
        per_class = average_precision(np.zeros((0, 2)), np.zeros((0, 2)))
    assert np.isnan(per_class).all()


@pytest.mark.parametrize('scores, targets, message', [
    (np.zeros((3, 2)), np.zeros((3, 3)), r'\[N, C\]'),
    (np.zeros(3), np.zeros(3), r'\[N, C\]'),
    (np.zeros((2, 2)), np.full((2, 2), 0.5), '0 and 1'),
    (np.full((2, 2), np.nan), np.ones((2, 2)), 'finite'),
])
def test_rejects_bad_input(scores, targets, message):
    with pytest.raises(ValueError, match=message):
        average_precision(scores, targets)
