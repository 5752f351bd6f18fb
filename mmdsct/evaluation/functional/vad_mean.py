"""The VAD baseline: predict the mean valence, arousal and dominance."""
import os.path as osp
from typing import Sequence

import numpy as np

from ...structures import NUM_VAD_DIMENSIONS, VAD_FIELD, load_annotation_file


def vad_mean(vad: np.ndarray) -> np.ndarray:
    """Mean of each VAD dimension over the subjects that have it.

    Args:
        vad (np.ndarray): VAD values, NaN where unknown, [N, 3].

    Returns:
        np.ndarray: [3] float64; NaN for a dimension nobody has.
    """
    vad = np.asarray(vad, dtype=np.float64).reshape(-1, NUM_VAD_DIMENSIONS)
    known = ~np.isnan(vad)
    counts = known.sum(axis=0)
    sums = np.where(known, vad, 0.0).sum(axis=0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def load_vad_mean(ann_file: str, emotion_classes: Sequence[str]) -> np.ndarray:
    """Mean VAD over the subjects of an annotation file.

    The file is read and validated as the datasets read it; crowd
    annotations (``iscrowd`` = 1) are not counted.

    Args:
        ann_file (str): Annotation JSON in the project's format, usually
            the training split.
        emotion_classes (Sequence[str]): The class names the evaluated
            dataset uses; the file's must equal them.

    Returns:
        np.ndarray: [3] float64, NaN where the file has no VAD.

    Raises:
        FileNotFoundError: If ``ann_file`` does not exist.
        EmotionAnnotationError: A ``ValueError`` naming the file, if it
            breaks the format or lists other classes.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'VAD baseline file {ann_file} does not exist')
    parsed = load_annotation_file(
        ann_file, configured=dict(emotion_classes=tuple(emotion_classes)))
    rows = [
        annotation[VAD_FIELD] for annotations in parsed.annotations.values()
        for annotation in annotations
        if VAD_FIELD in annotation and not annotation.get('iscrowd', 0)
    ]
    return vad_mean(np.array(rows) if rows else np.zeros((0, 3)))
