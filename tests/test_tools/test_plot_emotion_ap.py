"""tools/analysis_tools/plot_emotion_ap.py draws the metric's JSON."""
import importlib.util
import json
from pathlib import Path

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmdsct.evaluation import EmotionMetric

TOOL = (
    Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools' /
    'plot_emotion_ap.py')
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


@pytest.fixture(scope='module')
def plot_tool():
    spec = importlib.util.spec_from_file_location('plot_emotion_ap', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def is_png(path):
    return path.is_file() and path.read_bytes()[:len(PNG_MAGIC)] == PNG_MAGIC


def single_label_report():
    return dict(
        metrics=dict(mAP=61.0, mAP_det=40.5, mAP_prevalence=33.3),
        emotion_classes=['angry', 'happy', 'sad'],
        multi_label=False,
        per_class=dict(
            AP=[70.0, None, 52.0],
            AP_det=[50.0, None, 31.0],
            AP_prevalence=[33.3, None, 33.3]),
        confusion_matrix=[[2, 0, 1, 0], [0, 0, 0, 0], [1, 0, 3, 1]],
        confusion_matrix_det=[[1, 0, 1, 1], [0, 0, 0, 0], [1, 0, 2, 2]])


def test_single_label_draws_ap_and_confusion(plot_tool, tmp_path):
    report_path = tmp_path / 'emotion_metrics.json'
    report_path.write_text(json.dumps(single_label_report()))
    out = tmp_path / 'plots' / 'ap.png'
    out.parent.mkdir()
    plot_tool.main([str(report_path), '--out', str(out), '--normalize'])
    assert is_png(out)
    assert is_png(tmp_path / 'plots' / 'ap_confusion.png')


def test_metric_json_end_to_end_multi_label(plot_tool, tmp_path):
    sample = DetDataSample(
        metainfo=dict(img_id=1, img_path='1.jpg', ori_shape=(50, 50)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[0., 0., 10., 10.], [20., 20., 40., 40.]]),
        emotions=torch.tensor([[1., 0.], [1., 1.]]))
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor([[0., 0., 10., 10.]]),
        scores=torch.tensor([0.9]),
        emotions=torch.tensor([[0.7, 0.2]]))
    metric = EmotionMetric(out_dir=str(tmp_path))
    metric.dataset_meta = dict(
        emotion_classes=('joy', 'fear'), multi_label=True)
    metric.process({}, [sample.to_dict()])
    metric.evaluate(1)
    out = tmp_path / 'ap.png'
    plot_tool.main([str(tmp_path / 'emotion_metrics.json'), '--out', str(out)])
    assert is_png(out)
    assert not (tmp_path / 'ap_confusion.png').exists()  # multi-label


def test_not_a_metrics_file(plot_tool, tmp_path):
    path = tmp_path / 'other.json'
    path.write_text(json.dumps(dict(metrics={})))
    with pytest.raises(ValueError, match='other.json.*emotion_classes'):
        plot_tool.main([str(path), '--out', str(tmp_path / 'x.png')])
    with pytest.raises(FileNotFoundError, match='missing.json'):
        plot_tool.main(
            [str(tmp_path / 'missing.json'), '--out',
             str(tmp_path / 'x.png')])
