"""EmotionMetric on the hand-built cases of conftest.py.

Worked numbers of the multi-label case (classes joy, fear, calm):

GT-matched: every GT takes its image's prediction of highest IoU; D (image
3) has none and scores zero. Rows A, B, C, D:
    scores  [.8,.1,.3] [.2,.6,.4] [.1,.7,.2] [0,0,0]
    targets [1, 0, 1]  [0, 1, 0]  [0, 1, 1]  [1,0,0]
    joy:  .8+ .2- .1- 0+       -> AP = 1/2*1 + 1/2*2/4       = .75
    fear: .7+ .6+ .1- 0-       -> AP = 1
    calm: .4- .3+ .2+ 0-       -> AP = 1/2*1/2 + 1/2*2/3     = 7/12
    mAP = (.75 + 1 + 7/12) / 3 = 7/9 = 77.78 %
    top-1: A joy (hit), B fear (hit), C fear (hit), D no prediction (wrong)
    accuracy = 3/4 = 75 %
Detection-aware (IoU >= .5, one-to-one): A-p0 (1) and B-p1 (.81) seen,
C-p2 (1/7) and D unseen, scoring zero:
    joy:  .8+ .2- {0-, 0+}     -> AP = 1/2*1 + 1/2*2/4       = .75
    fear: .6+ .1- {0+, 0-}     -> AP = 1/2*1 + 1/2*2/4       = .75
    calm: .4- .3+ {0+, 0-}     -> AP = 1/2*1/2 + 1/2*2/4     = .5
    mAP_det = 2/3 = 66.67 %; accuracy_det = 2/4 = 50 %; seen 2/4 = 50 %
Prevalence (train frequencies joy .75, fear .25, calm .25): constant scores
tie everyone, so AP = share of positives here: 2/4 for each class:
    mAP_prevalence = 50 %; always answering joy is right for A and D: 50 %
Groups: subject_only = joy: 75 / 75 / 50; context_only = fear, calm:
    (100 + 58.33) / 2 = 79.17, (75 + 50) / 2 = 62.5, 50.
Subject boxes (pycocotools, 4 GTs, predictions .9 TP, .8 TP at IoU <= .81,
.7 FP, .6 FP): recall 2/4 at precision 1 -> AP = 51/101 at IoU .5 to .8
(7 thresholds); at .85, .9, .95 only p0 counts -> 26/101.
    bbox_mAP_50 = 50.50 %, bbox_mAP = (7*51 + 3*26) / 1010 = 43.07 %
VAD (GT-matched; D has no prediction and is left out): errors
A |[6,5,3]-[5,5,5]| = [1,0,2], B [0,2,0], C [1,0,1]
    MAE valence 2/3, arousal 2/3, dominance 1; mean 7/9
"""
import json
import logging

import numpy as np
import pytest
from mmdet.registry import METRICS
from mmengine.logging import MMLogger

from mmdsct.evaluation import EmotionMetric

PREFIX = 'emotion/'


@pytest.fixture
def log_text(caplog):
    """Returns a function giving the text the current MMLogger logged.

    MMLogger has no parent logger, so caplog's handler is attached to it.
    """
    logger = MMLogger.get_current_instance()
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.INFO)
    yield lambda: caplog.text
    logger.removeHandler(caplog.handler)


def evaluate(metric, samples, meta):
    """Run the metric the way the evaluator does: dicts, then evaluate."""
    metric.dataset_meta = meta
    metric.process({}, [sample.to_dict() for sample in samples])
    results = metric.evaluate(len(samples))
    return {key[len(PREFIX):]: value for key, value in results.items()}


@pytest.fixture
def multi_label_figures(tmp_path, multi_label_samples, multi_label_meta,
                        multi_label_train_file):
    metric = METRICS.build(
        dict(
            type='EmotionMetric',
            prevalence_ann_file=str(multi_label_train_file),
            out_dir=str(tmp_path / 'report')))
    return evaluate(metric, multi_label_samples, multi_label_meta)


def test_gt_matched_protocol(multi_label_figures):
    assert multi_label_figures['mAP'] == pytest.approx(700 / 9)
    assert multi_label_figures['accuracy'] == pytest.approx(75)


def test_detection_aware_protocol(multi_label_figures):
    assert multi_label_figures['mAP_det'] == pytest.approx(200 / 3)
    assert multi_label_figures['accuracy_det'] == pytest.approx(50)
    assert multi_label_figures['seen_ratio'] == pytest.approx(50)


def test_prevalence_baseline(multi_label_figures):
    assert multi_label_figures['mAP_prevalence'] == pytest.approx(50)
    assert multi_label_figures['accuracy_prevalence'] == pytest.approx(50)


def test_group_figures(multi_label_figures):
    assert multi_label_figures['mAP_subject_only'] == pytest.approx(75)
    assert multi_label_figures['mAP_det_subject_only'] == pytest.approx(75)
    assert multi_label_figures['mAP_prevalence_subject_only'] == \
        pytest.approx(50)
    assert multi_label_figures['mAP_context_only'] == pytest.approx(
        (100 + 700 / 12) / 2)
    assert multi_label_figures['mAP_det_context_only'] == pytest.approx(62.5)


def test_subject_box_ap(multi_label_figures):
    assert multi_label_figures['bbox_mAP_50'] == pytest.approx(5100 / 101)
    assert multi_label_figures['bbox_mAP'] == pytest.approx(
        100 * (7 * 51 + 3 * 26) / 1010)


def test_vad_mae(multi_label_figures):
    assert multi_label_figures['vad_mae_valence'] == pytest.approx(2 / 3)
    assert multi_label_figures['vad_mae_arousal'] == pytest.approx(2 / 3)
    assert multi_label_figures['vad_mae_dominance'] == pytest.approx(1)
    assert multi_label_figures['vad_mae'] == pytest.approx(7 / 9)


def test_returns_plain_floats_only(multi_label_figures):
    assert all(type(v) is float for v in multi_label_figures.values())


def test_no_vad_figures_without_vad(multi_label_samples_no_vad,
                                    multi_label_meta, tmp_path):
    figures = evaluate(
        EmotionMetric(out_dir=str(tmp_path)), multi_label_samples_no_vad,
        multi_label_meta)
    assert not any(key.startswith('vad') for key in figures)
    assert figures['mAP'] == pytest.approx(700 / 9)


def test_json_report(tmp_path, multi_label_figures):
    report = json.loads(
        (tmp_path / 'report' / 'emotion_metrics.json').read_text())
    assert report['metrics']['mAP'] == pytest.approx(700 / 9)
    assert report['emotion_classes'] == ['joy', 'fear', 'calm']
    assert report['multi_label'] is True
    np.testing.assert_allclose(report['per_class']['AP'], [75, 100, 700 / 12])
    np.testing.assert_allclose(report['per_class']['AP_det'], [75, 75, 50])
    np.testing.assert_allclose(report['per_class']['AP_prevalence'],
                               [50, 50, 50])
    np.testing.assert_allclose(report['per_class']['prevalence'], [75, 25, 25])
    assert report['per_class']['num_positives'] == [2, 2, 2]
    assert report['prevalence_source'].endswith('train.json')
    assert report['counts'] == dict(images=4, gt_subjects=4, predictions=4)
    assert report['subject_box']['mAP_50'] == pytest.approx(5100 / 101)
    assert 'confusion_matrix' not in report  # multi-label data


def test_class_table_and_coco_summary_logged(tmp_path, multi_label_samples,
                                             multi_label_meta, log_text):
    evaluate(
        EmotionMetric(out_dir=str(tmp_path)), multi_label_samples,
        multi_label_meta)
    log = log_text()
    assert 'Emotion AP per class' in log and '| calm' in log
    assert '58.33' in log  # calm's AP
    assert 'Average Precision  (AP) @[ IoU=0.50 ' in log
    assert 'frequencies of the evaluated split' in log  # no train file


def test_fallback_prevalence_is_the_evaluated_split(multi_label_samples,
                                                    multi_label_meta,
                                                    tmp_path):
    figures = evaluate(
        EmotionMetric(out_dir=str(tmp_path)), multi_label_samples,
        multi_label_meta)
    report = json.loads((tmp_path / 'emotion_metrics.json').read_text())
    assert report['prevalence_source'] == 'evaluated split'
    np.testing.assert_allclose(report['per_class']['prevalence'], [50, 50, 50])
    assert figures['mAP_prevalence'] == pytest.approx(50)


def test_default_out_dir_is_the_log_directory(tmp_path, multi_label_samples,
                                              multi_label_meta):
    log_dir = tmp_path / 'work_dir' / '20260101_000000'
    log_dir.mkdir(parents=True)
    MMLogger.get_instance(
        'test_emotion_metric_log_dir',
        log_file=str(log_dir / '20260101_000000.log'))
    try:
        evaluate(EmotionMetric(), multi_label_samples, multi_label_meta)
    finally:
        MMLogger.get_instance('test_emotion_metric_no_file')
    assert (log_dir / 'emotion_metrics.json').is_file()


def test_single_label_accuracy_and_confusion_matrix(make_sample, tmp_path):
    # angry/happy/sad; A (happy) -> p0 says happy: right; B (sad) -> p1
    # says angry: wrong; C (angry) has no prediction: wrong. 1/3 right.
    samples = [
        make_sample(1, [[0, 0, 10, 10], [20, 20, 40, 40]],
                    [[0, 1, 0], [0, 0, 1]], [[0, 0, 10, 10], [20, 20, 40, 40]],
                    [0.9, 0.8], [[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]]),
        make_sample(2, [[0, 0, 10, 10]], [[1, 0, 0]], [], [], []),
    ]
    meta = dict(
        emotion_classes=('angry', 'happy', 'sad'),
        multi_label=False,
        emotion_class_groups={})
    figures = evaluate(EmotionMetric(out_dir=str(tmp_path)), samples, meta)
    assert figures['accuracy'] == pytest.approx(100 / 3)
    assert figures['accuracy_det'] == pytest.approx(100 / 3)
    assert figures['seen_ratio'] == pytest.approx(200 / 3)
    report = json.loads((tmp_path / 'emotion_metrics.json').read_text())
    # rows: true angry, happy, sad; columns: angry, happy, sad, missed
    expected = [[0, 0, 0, 1], [0, 1, 0, 0], [1, 0, 0, 0]]
    assert report['confusion_matrix'] == expected
    assert report['confusion_matrix_det'] == expected
    assert report['multi_label'] is False


def test_class_without_gt_is_left_out_with_warning(make_sample, tmp_path,
                                                   log_text):
    samples = [
        make_sample(
            1, [[0, 0, 10, 10]], [[1, 0]], [[0, 0, 10, 10]], [0.9],
            [[0.8, 0.3]],
            num_classes=2)
    ]
    meta = dict(emotion_classes=('joy', 'fear'), multi_label=True)
    figures = evaluate(EmotionMetric(out_dir=str(tmp_path)), samples, meta)
    assert figures['mAP'] == pytest.approx(100)
    assert 'No GT subject of class fear' in log_text()


def test_unknown_group_class_is_an_error(multi_label_samples, multi_label_meta,
                                         tmp_path):
    meta = dict(multi_label_meta, emotion_class_groups={'odd': ['rage']})
    with pytest.raises(ValueError, match=r"\['rage'\]"):
        evaluate(
            EmotionMetric(out_dir=str(tmp_path)), multi_label_samples, meta)


def test_missing_gt_emotions_names_the_image(make_sample, multi_label_meta):
    sample = make_sample(7, [[0, 0, 5, 5]], [[1, 0, 0]], [], [], [])
    del sample.gt_instances.emotions
    metric = EmotionMetric()
    metric.dataset_meta = multi_label_meta
    with pytest.raises(KeyError, match='images/7.jpg.*LoadEmotion'):
        metric.process({}, [sample.to_dict()])


def test_wrong_number_of_classes_is_an_error(make_sample, multi_label_meta):
    sample = make_sample(
        8, [[0, 0, 5, 5]], [[1, 0]], [], [], [], num_classes=2)
    metric = EmotionMetric()
    metric.dataset_meta = multi_label_meta
    with pytest.raises(ValueError, match=r'images/8.jpg.*\[n, 3\]'):
        metric.process({}, [sample])
