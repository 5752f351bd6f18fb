"""Hand-built data samples for the evaluation tests.

The multi-label case (classes joy, fear, calm; 4 images, 100 x 100 px):

====== ================ ========= ================================= ========
image  GT box           GT labels prediction box, score, emotions  IoU
====== ================ ========= ================================= ========
1      A [0,0,10,10]    joy calm  p0 [0,0,10,10] .9 [.8,.1,.3]      A-p0 1
1      B [50,50,70,70]  fear      p1 [52,52,70,70] .8 [.2,.6,.4]    B-p1 .81
2      C [0,0,20,20]    fear calm p2 [10,10,30,30] .7 [.1,.7,.2]    C-p2 1/7
3      D [0,0,10,10]    joy       (no prediction)
4      (no GT)                    p3 [0,0,5,5] .6 [.5,.5,.5]
====== ================ ========= ================================= ========

GT VAD: A [5,5,5], B [6,4,2], C [1,2,3], D [9,9,9]; predicted VAD:
p0 [6,5,3], p1 [6,6,2], p2 [2,2,2], p3 [5,5,5].
The worked numbers are in test_emotion_metric.py.
"""
import json

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

MULTI_LABEL_CLASSES = ('joy', 'fear', 'calm')
MULTI_LABEL_GROUPS = {
    'subject_only': ['joy'],
    'context_only': ['fear', 'calm']
}
IMAGE_SHAPE = (100, 100)


def build_sample(img_id,
                 gt_bboxes,
                 gt_emotions,
                 pred_bboxes,
                 pred_scores,
                 pred_emotions,
                 gt_vad=None,
                 pred_vad=None,
                 num_classes=3):
    """A DetDataSample as the model returns it in test mode."""
    sample = DetDataSample(
        metainfo=dict(
            img_id=img_id,
            img_path=f'images/{img_id}.jpg',
            ori_shape=IMAGE_SHAPE,
            img_shape=IMAGE_SHAPE,
            scale_factor=(1.0, 1.0)))
    gt = InstanceData()
    gt.bboxes = torch.tensor(gt_bboxes, dtype=torch.float32).reshape(-1, 4)
    gt.labels = torch.zeros(len(gt.bboxes), dtype=torch.long)
    gt.emotions = torch.tensor(
        gt_emotions, dtype=torch.float32).reshape(-1, num_classes)
    if gt_vad is not None:
        gt.vad = torch.tensor(gt_vad, dtype=torch.float32).reshape(-1, 3)
    pred = InstanceData()
    pred.bboxes = torch.tensor(pred_bboxes, dtype=torch.float32).reshape(-1, 4)
    pred.scores = torch.tensor(pred_scores, dtype=torch.float32)
    pred.labels = torch.zeros(len(pred.bboxes), dtype=torch.long)
    pred.emotions = torch.tensor(
        pred_emotions, dtype=torch.float32).reshape(-1, num_classes)
    if pred_vad is not None:
        pred.vad = torch.tensor(pred_vad, dtype=torch.float32).reshape(-1, 3)
    sample.gt_instances = gt
    sample.pred_instances = pred
    return sample


def build_multi_label_samples(with_vad=True):
    """The four images of the module docstring, as DetDataSamples."""
    vad = (lambda *rows: list(rows)) if with_vad else (lambda *rows: None)
    return [
        build_sample(
            1, [[0, 0, 10, 10], [50, 50, 70, 70]], [[1, 0, 1], [0, 1, 0]],
            [[0, 0, 10, 10], [52, 52, 70, 70]], [0.9, 0.8],
            [[0.8, 0.1, 0.3], [0.2, 0.6, 0.4]],
            gt_vad=vad([5, 5, 5], [6, 4, 2]),
            pred_vad=vad([6, 5, 3], [6, 6, 2])),
        build_sample(
            2, [[0, 0, 20, 20]], [[0, 1, 1]], [[10, 10, 30, 30]], [0.7],
            [[0.1, 0.7, 0.2]],
            gt_vad=vad([1, 2, 3]),
            pred_vad=vad([2, 2, 2])),
        build_sample(
            3, [[0, 0, 10, 10]], [[1, 0, 0]], [], [], [],
            gt_vad=vad([9, 9, 9]),
            pred_vad=None if not with_vad else np.zeros((0, 3))),
        build_sample(
            4, [], [], [[0, 0, 5, 5]], [0.6], [[0.5, 0.5, 0.5]],
            gt_vad=None if not with_vad else np.zeros((0, 3)),
            pred_vad=vad([5, 5, 5])),
    ]


def write_annotation_file(path, classes, targets, multi_label=True):
    """A minimal annotation JSON of the project's format
    (docs/annotation_format.md)."""
    annotations = []
    for i, target in enumerate(targets, start=1):
        ann = dict(
            id=i,
            image_id=1,
            bbox=[0, 0, 10, 10],
            area=100,
            iscrowd=0,
            category_id=1)
        if multi_label:
            ann['emotions'] = list(target)
        else:
            ann['emotion'] = int(target)
        annotations.append(ann)
    content = dict(
        images=[dict(id=1, file_name='images/1.jpg', width=100, height=100)],
        annotations=annotations,
        categories=[dict(id=1, name='person')],
        emotion_classes=list(classes))
    path.write_text(json.dumps(content))
    return path


@pytest.fixture
def multi_label_meta():
    """dataset_meta of the multi-label case."""
    return dict(
        classes=('person', ),
        emotion_classes=MULTI_LABEL_CLASSES,
        multi_label=True,
        emotion_class_groups=MULTI_LABEL_GROUPS)


@pytest.fixture
def multi_label_train_file(tmp_path):
    """Training annotations with class frequencies joy .75, fear .25,
    calm .25 (plus a crowd annotation that must not count)."""
    path = write_annotation_file(tmp_path / 'train.json', MULTI_LABEL_CLASSES,
                                 [[1, 0, 0], [1, 1, 0], [0, 0, 1], [1, 0, 0]])
    content = json.loads(path.read_text())
    content['annotations'].append(
        dict(
            id=99,
            image_id=1,
            bbox=[0, 0, 5, 5],
            area=25,
            iscrowd=1,
            category_id=1,
            emotions=[0, 1, 1]))
    path.write_text(json.dumps(content))
    return path


@pytest.fixture
def make_sample():
    """:func:`build_sample`: one DetDataSample from plain lists."""
    return build_sample


@pytest.fixture
def multi_label_samples():
    """The four images of the module docstring, with VAD."""
    return build_multi_label_samples(with_vad=True)


@pytest.fixture
def multi_label_samples_no_vad():
    """The four images of the module docstring, without VAD."""
    return build_multi_label_samples(with_vad=False)


@pytest.fixture
def annotation_writer():
    """:func:`write_annotation_file`."""
    return write_annotation_file
