"""The built-in synthetic context-emotion data."""
from mmdet.registry import DATASETS

from .emotion_coco import EmotionCocoDataset


@DATASETS.register_module()
class SynthEmotionDataset(EmotionCocoDataset):
    """Data of ``tools/misc/make_synthetic_emotion.py``
    (docs/annotation_format.md).

    Emotion classes, label kind (multi-label by default, single-label with
    ``--single-label``) and ``emotion_class_groups`` (``subject_only``,
    ``context_only``) are read from the file; see
    :mod:`mmdsct.datasets.synthetic` for the rules behind the labels. Its
    metainfo defaults are :class:`EmotionCocoDataset`'s.
    """
