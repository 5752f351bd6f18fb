"""Class prevalence: the baseline that predicts each class's frequency.

Scoring every subject with the same constant per class ties all subjects,
so the AP of a class is its share of positives in the *evaluated* split,
whatever the constant. The training frequencies matter for the accuracy of
the baseline: it always answers the class most frequent in training.
"""
import os.path as osp
from typing import Sequence

import numpy as np

from ...structures import annotation_emotions, load_annotation_file


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


def load_label_prevalence(ann_file: str,
                          emotion_classes: Sequence[str]) -> np.ndarray:
    """Class prevalence over the subjects of an annotation file.

    The file is read and validated as the datasets read it
    (:func:`~mmdsct.structures.load_annotation_file`). Crowd annotations
    (``iscrowd`` = 1) are not counted.

    Args:
        ann_file (str): Annotation JSON in the project's format
            (docs/annotation_format.md), usually the training split.
        emotion_classes (Sequence[str]): The C class names the evaluated
            dataset uses; the file's ``emotion_classes`` must equal them.

    Returns:
        np.ndarray: [C] float64, the share of subjects of each class.

    Raises:
        FileNotFoundError: If ``ann_file`` does not exist.
        EmotionAnnotationError: A ``ValueError`` naming the file, if it is
            not valid JSON, lists other classes or breaks the format.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(
            f'prevalence_ann_file {ann_file} does not exist')
    parsed = load_annotation_file(
        ann_file, configured=dict(emotion_classes=tuple(emotion_classes)))
    num_classes = parsed.spec.num_classes
    targets = [
        annotation_emotions(annotation, num_classes)
        for annotations in parsed.annotations.values()
        for annotation in annotations if not annotation.get('iscrowd', 0)
    ]
    return label_prevalence(
        np.array(targets) if targets else np.zeros((0, num_classes)))
