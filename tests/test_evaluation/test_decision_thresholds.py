"""Per-class decision thresholds: F1, label sets, fitting, loading."""
import json

import numpy as np
import pytest

from mmdsct.evaluation import EmotionMetric
from mmdsct.evaluation.functional.decision_thresholds import (
    DEFAULT_THRESHOLD, decision_thresholds_array, f1_per_class,
    fit_class_threshold, fit_decision_thresholds, load_decision_thresholds,
    macro_f1, predict_label_sets, thresholds_to_dict)

CLASSES = ('joy', 'fear', 'calm')


def brute_force_best_f1(scores, targets):
    """Best F1 over every threshold at a score (and above them all)."""
    positive = np.asarray(targets) >= 0.5
    best = 0.0
    for threshold in list(scores) + [np.inf]:
        predicted = np.asarray(scores) >= threshold
        true_pos = (predicted & positive).sum()
        denominator = predicted.sum() + positive.sum()
        best = max(best, 2 * true_pos / denominator if denominator else 0.)
    return best


def test_f1_per_class_by_hand():
    predicted = np.array([[1, 0, 1], [1, 1, 0], [0, 0, 0]], dtype=bool)
    targets = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0]])
    f1 = f1_per_class(predicted, targets)
    # joy: TP 1, FP 1, FN 1 -> 2/4; fear: TP 1 -> 1; calm: no positive.
    np.testing.assert_allclose(f1[:2], [0.5, 1.0])
    assert np.isnan(f1[2])
    assert macro_f1(f1) == pytest.approx(0.75)
    assert np.isnan(macro_f1(np.array([np.nan])))


def test_fit_picks_the_best_cut_between_scores():
    scores = np.array([0.9, 0.8, 0.3, 0.2])
    targets = np.array([1, 0, 1, 0])
    # Cuts after 0.9: F1 2/3; after 0.8: 1/2; after 0.3: 4/5; all: 2/3.
    threshold, f1 = fit_class_threshold(scores, targets)
    assert threshold == pytest.approx((0.3 + 0.2) / 2)
    assert f1 == pytest.approx(0.8)
    assert f1 == pytest.approx(brute_force_best_f1(scores, targets))


def test_tied_f1_takes_the_highest_threshold():
    scores = np.array([0.9, 0.7, 0.6, 0.2])
    targets = np.array([1, 0, 0, 1])
    # Keeping only 0.9 and keeping everything both give F1 2/3.
    threshold, f1 = fit_class_threshold(scores, targets)
    assert f1 == pytest.approx(2 / 3)
    assert threshold == pytest.approx((0.9 + 0.7) / 2)


def test_tied_scores_fall_on_the_same_side():
    scores = np.array([0.5, 0.5, 0.2])
    targets = np.array([1, 0, 0])
    threshold, f1 = fit_class_threshold(scores, targets)
    assert threshold == pytest.approx(0.35)
    assert f1 == pytest.approx(2 / 3)
    labels = predict_label_sets(scores[:, None], np.array([threshold]))
    assert labels[:, 0].tolist() == [True, True, False]


def test_every_subject_kept_when_that_is_best():
    threshold, f1 = fit_class_threshold(np.array([0.4, 0.2]), np.array([1, 1]))
    assert f1 == 1.0
    assert threshold == pytest.approx(0.1)  # half the lowest score


def test_class_without_positives_keeps_the_default():
    threshold, f1 = fit_class_threshold(np.array([0.9, 0.1]), np.array([0, 0]))
    assert threshold == DEFAULT_THRESHOLD
    assert np.isnan(f1)


def test_positives_without_a_prediction_count_as_misses():
    scores = np.array([[0.9], [0.6], [0.0]])
    targets = np.array([[1], [1], [1]])
    found = np.array([True, True, False])
    thresholds, f1 = fit_decision_thresholds(scores, targets, found)
    # Both found positives labelled: TP 2, FN 1 -> F1 4/5.
    assert f1[0] == pytest.approx(0.8)
    assert 0 < thresholds[0] <= 0.6
    labels = predict_label_sets(scores, thresholds, True, found)
    assert f1_per_class(labels, targets)[0] == pytest.approx(0.8)


def test_fitted_thresholds_never_lose_to_the_default():
    rng = np.random.default_rng(0)
    targets = rng.random((200, 4)) < [0.5, 0.2, 0.05, 0.0]
    scores = np.clip(0.3 * targets + rng.random((200, 4)) * 0.7, 0, 1)
    thresholds, f1 = fit_decision_thresholds(scores, targets)
    assert ((thresholds > 0) & (thresholds < 1)).all()
    fitted = f1_per_class(predict_label_sets(scores, thresholds), targets)
    default = f1_per_class(predict_label_sets(scores), targets)
    np.testing.assert_allclose(fitted[:3], f1[:3])
    assert (fitted[:3] >= default[:3]).all()
    assert np.isnan(fitted[3]) and thresholds[3] == DEFAULT_THRESHOLD
    assert macro_f1(fitted) >= macro_f1(default)
    for c in range(3):
        assert f1[c] == pytest.approx(
            brute_force_best_f1(scores[:, c], targets[:, c]))


def test_single_label_sets_are_the_argmax():
    probabilities = np.array([[0.2, 0.5, 0.3], [0.1, 0.1, 0.05]])
    labels = predict_label_sets(probabilities, np.full(3, 0.9), False)
    assert labels.tolist() == [[False, True, False], [True, False, False]]
    multi = predict_label_sets(probabilities, np.array([0.2, 0.6, 0.3]))
    assert multi.tolist() == [[True, False, True], [False, False, False]]


def test_thresholds_in_every_accepted_form(tmp_path):
    expected = [0.2, 0.5, 0.7]
    mapping = thresholds_to_dict(expected, CLASSES)
    assert mapping == {'joy': 0.2, 'fear': 0.5, 'calm': 0.7}
    path = tmp_path / 'thr.json'
    path.write_text(json.dumps(mapping))
    for form in (expected, mapping, str(path)):
        np.testing.assert_allclose(
            decision_thresholds_array(form, CLASSES), expected)
    np.testing.assert_allclose(
        decision_thresholds_array(None, CLASSES), [DEFAULT_THRESHOLD] * 3)


@pytest.mark.parametrize('thresholds, message', [
    ([0.5, 0.5], '2 thresholds for 3'),
    ({
        'joy': 0.5,
        'fear': 0.5,
        'anger': 0.5
    }, "unknown: ['anger']"),
    ([0.5, 1.5, 0.5], 'fear must be a number in'),
    ([0.5, float('nan'), 0.5], 'fear must be a number in'),
    ([0.5, 'high', 0.5], 'fear must be a number in'),
])
def test_bad_thresholds_are_named(thresholds, message):
    with pytest.raises(ValueError, match=message.replace('[', r'\[')):
        decision_thresholds_array(thresholds, CLASSES)


def test_bad_thresholds_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='absent.json'):
        load_decision_thresholds(str(tmp_path / 'absent.json'), CLASSES)
    broken = tmp_path / 'broken.json'
    broken.write_text('{not json')
    with pytest.raises(ValueError, match='broken.json is not valid JSON'):
        load_decision_thresholds(str(broken), CLASSES)


def evaluate_metric(metric, samples, meta):
    """Run EmotionMetric as the evaluator does; figures without prefix."""
    metric.dataset_meta = meta
    metric.process({}, [sample.to_dict() for sample in samples])
    figures = metric.evaluate(len(samples))
    return {key.split('/', 1)[1]: value for key, value in figures.items()}


def test_metric_macro_f1_at_thresholds(tmp_path, multi_label_samples,
                                       multi_label_meta):
    """GT-matched rows (see test_emotion_metric.py): A [.8,.1,.3] joy calm,
    B [.2,.6,.4] fear, C [.1,.7,.2] fear calm, D no prediction, joy.

    At 0.5 everywhere: joy A (TP), D missed -> 2/3; fear B, C -> 1; calm
    nothing -> 0; macro 5/9. With calm at 0.25: A (TP), B (FP) -> 1/2;
    macro 13/18.
    """
    without = evaluate_metric(
        EmotionMetric(out_dir=str(tmp_path)), multi_label_samples,
        multi_label_meta)
    assert 'macro_F1' not in without
    at_half = evaluate_metric(
        EmotionMetric(out_dir=str(tmp_path), thresholds=[0.5] * 3),
        multi_label_samples, multi_label_meta)
    assert at_half['macro_F1'] == pytest.approx(5 / 9 * 100)
    path = tmp_path / 'thresholds.json'
    path.write_text(json.dumps({'joy': 0.5, 'fear': 0.5, 'calm': 0.25}))
    fitted = evaluate_metric(
        EmotionMetric(out_dir=str(tmp_path), thresholds=str(path)),
        multi_label_samples, multi_label_meta)
    assert fitted['macro_F1'] == pytest.approx(13 / 18 * 100)
    assert fitted['mAP'] == pytest.approx(without['mAP'])
