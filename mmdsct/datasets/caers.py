"""CAER-S in the project's annotation format."""
from mmdet.registry import DATASETS

from ..structures import EmotionSpec
from .emotion_classes import CAERS_CLASSES
from .emotion_coco import EmotionCocoDataset


@DATASETS.register_module()
class CAERSDataset(EmotionCocoDataset):
    """CAER-S: 7 single-label emotion classes, face boxes
    (docs/annotation_format.md).

    Reads the files written by ``tools/dataset_converters/caers_to_coco.py``;
    ``file_name`` is relative to the CAER-S root (``train/Happy/0001.png``).
    Each label is packed as a one-hot ``emotions`` vector.
    """

    METAINFO = dict(
        EmotionCocoDataset.METAINFO,
        **EmotionSpec(CAERS_CLASSES, multi_label=False).to_metainfo())
