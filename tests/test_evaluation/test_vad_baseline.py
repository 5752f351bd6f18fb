"""The mean-VAD baseline of EmotionMetric: the error of predicting one
mean VAD for every GT subject the model's VAD error counts."""
import json

import numpy as np
import pytest
from mmdet.registry import METRICS
from mmdet.utils import register_all_modules

from mmdsct.evaluation.functional import load_vad_mean, vad_mean

PREFIX = 'emotion/'
CLASSES = ('joy', 'fear', 'calm')  # those of multi_label_meta


@pytest.fixture(scope='module', autouse=True)
def registered():
    register_all_modules()


def evaluate(metric, samples, meta):
    metric.dataset_meta = meta
    metric.process({}, [sample.to_dict() for sample in samples])
    results = metric.evaluate(len(samples))
    return {key[len(PREFIX):]: value for key, value in results.items()}


def train_file_with_vad(tmp_path, write, rows):
    """A training file whose subjects carry ``rows`` as VAD (a crowd
    subject with an extreme VAD must not count)."""
    path = write(tmp_path / 'train_vad.json', CLASSES,
                 [[1, 0, 0]] * (len(rows) + 1))
    content = json.loads(path.read_text())
    for annotation, row in zip(content['annotations'], rows + [[10] * 3]):
        annotation['vad'] = row
    content['annotations'][-1]['iscrowd'] = 1
    path.write_text(json.dumps(content))
    return path


def test_vad_mean_skips_unknown_values():
    mean = vad_mean(np.array([[1, np.nan, 3], [3, np.nan, 5]]))
    np.testing.assert_allclose(mean[[0, 2]], [2, 4])
    assert np.isnan(mean[1])


def test_load_vad_mean_ignores_crowd(tmp_path, annotation_writer):
    path = train_file_with_vad(tmp_path, annotation_writer,
                               [[2, 4, 6], [4, 4, 4]])
    np.testing.assert_allclose(load_vad_mean(str(path), CLASSES), [3, 4, 5])


def test_baseline_uses_the_training_mean_on_the_matched_subjects(
        tmp_path, multi_label_samples, multi_label_meta, annotation_writer):
    # the model's VAD error counts GT 1-3 of the module's samples:
    # (5, 5, 5), (6, 4, 2), (1, 2, 3); GT (9, 9, 9) has no prediction
    path = train_file_with_vad(tmp_path, annotation_writer, [[5, 4, 3]])
    figures = evaluate(
        METRICS.build(
            dict(
                type='EmotionMetric',
                prevalence_ann_file=str(path),
                out_dir=str(tmp_path / 'report'))), multi_label_samples,
        multi_label_meta)
    assert figures['vad_mae_mean_baseline_valence'] == pytest.approx(5 / 3)
    assert figures['vad_mae_mean_baseline_arousal'] == pytest.approx(1)
    assert figures['vad_mae_mean_baseline_dominance'] == pytest.approx(1)
    assert figures['vad_mae_mean_baseline'] == pytest.approx(11 / 9)
    assert figures['vad_mae'] == pytest.approx(7 / 9)


def test_baseline_falls_back_to_the_evaluated_split(tmp_path,
                                                    multi_label_samples,
                                                    multi_label_meta,
                                                    multi_label_train_file):
    # the training file has no VAD: the mean of the 4 GT subjects,
    # (5.25, 5, 4.75)
    figures = evaluate(
        METRICS.build(
            dict(
                type='EmotionMetric',
                prevalence_ann_file=str(multi_label_train_file),
                out_dir=str(tmp_path / 'report'))), multi_label_samples,
        multi_label_meta)
    assert figures['vad_mae_mean_baseline_valence'] == pytest.approx(1.75)
    assert figures['vad_mae_mean_baseline_arousal'] == pytest.approx(4 / 3)
    assert figures['vad_mae_mean_baseline_dominance'] == pytest.approx(4.75 /
                                                                       3)


def test_no_baseline_without_predicted_vad(tmp_path, multi_label_meta,
                                           multi_label_samples_no_vad):
    figures = evaluate(
        METRICS.build(
            dict(type='EmotionMetric', out_dir=str(tmp_path / 'report'))),
        multi_label_samples_no_vad, multi_label_meta)
    assert not any(name.startswith('vad_') for name in figures)
