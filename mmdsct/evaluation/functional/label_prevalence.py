"""Class prevalence: the baseline that predicts each class's frequency.

Scoring every subject with the same constant per class ties all subjects,
so the AP of a class is its share of positives in the *evaluated* split,
whatever the constant. The training frequencies matter for the accuracy of
the baseline: it always answers the class most frequent in training.
"""
import json
import os.path as osp
from typing import Sequence

import numpy as np


def label_prevalence(targets: np.ndarray) -> np.ndarray:
    """Share of subjects labelled with each class.

    Args:
        targets (np.ndarray): Multi-hot or one-hot labels of 0/1, [N, C].

    Returns:
        np.ndarray: [C] float64 in [0, 1]; zeros when N is 0.
    """
    targets = np.asarray(targets, dtype=np.float64)
    if len(targets) == 0:
        return np.zeros(targets.shape[1])
    return targets.mean(axis=0)


def _annotation_targets(annotation: dict, num_classes: int,
                        ann_file: str) -> np.ndarray:
    """The 0/1 label vector [C] of one annotation of the project's format."""
    ann_id = annotation.get('id', '?')
    if 'emotions' in annotation:
        target = np.asarray(annotation['emotions'], dtype=np.float64)
        if target.shape != (num_classes, ) or not np.isin(target,
                                                          (0, 1)).all():
            raise ValueError(
                f'{ann_file}: annotation {ann_id} has "emotions" '
                f'{annotation["emotions"]}; expected {num_classes} values '
                'of 0 or 1')
        return target
    if 'emotion' in annotation:
        label = annotation['emotion']
        if not isinstance(label, int) or not 0 <= label < num_classes:
            raise ValueError(
                f'{ann_file}: annotation {ann_id} has "emotion" {label!r}; '
                f'expected an int in [0, {num_classes})')
        return np.eye(num_classes)[label]
    raise ValueError(f'{ann_file}: annotation {ann_id} has neither '
                     '"emotions" nor "emotion"')


def load_label_prevalence(ann_file: str,
                          emotion_classes: Sequence[str]) -> np.ndarray:
    """Class prevalence over the subjects of an annotation file.

    Crowd annotations (``iscrowd`` = 1) are not counted.

    Args:
        ann_file (str): Annotation JSON in the project's format
            (docs/annotation_format.md), usually the training split.
        emotion_classes (Sequence[str]): The C class names the evaluated
            dataset uses; the file's ``emotion_classes`` must equal them.

    Returns:
        np.ndarray: [C] float64, the share of subjects of each class.

    Raises:
        FileNotFoundError: If ``ann_file`` does not exist.
        ValueError: If the file is not valid JSON, lists other classes or
            holds a malformed annotation.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(
            f'prevalence_ann_file {ann_file} does not exist')
    try:
        with open(ann_file, encoding='utf-8') as f:
            content = json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f'{ann_file} is not valid JSON: {err}') from err
    if not isinstance(content, dict) or not isinstance(
            content.get('annotations'), list):
        raise ValueError(f'{ann_file} has no "annotations" list')
    file_classes = content.get('emotion_classes')
    if file_classes is not None and list(file_classes) != list(
            emotion_classes):
        raise ValueError(
            f'{ann_file} lists emotion_classes {list(file_classes)}, but '
            f'the evaluated dataset has {list(emotion_classes)}')
    num_classes = len(emotion_classes)
    targets = [
        _annotation_targets(ann, num_classes, ann_file)
        for ann in content['annotations'] if not ann.get('iscrowd', 0)
    ]
    return label_prevalence(
        np.stack(targets) if targets else np.zeros((0, num_classes)))
