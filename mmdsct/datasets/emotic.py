"""EMOTIC in the project's annotation format."""
from mmdet.registry import DATASETS

from ..structures import EmotionSpec
from .emotion_classes import EMOTIC_CLASSES
from .emotion_coco import EmotionCocoDataset


@DATASETS.register_module()
class EmoticDataset(EmotionCocoDataset):
    """EMOTIC: 26 multi-label emotion classes, optional VAD
    (docs/annotation_format.md).

    Reads the files written by ``tools/dataset_converters/emotic_to_coco.py``
    (PAMI 2019 release, body boxes, VAD) or ``dsct_json_to_coco.py`` (DSCT's
    release, head boxes, no VAD). ``file_name`` is relative to the EMOTIC
    image root (``mscoco/images/...``, ``framesdb/images/...``, ...).
    """

    METAINFO = dict(
        EmotionCocoDataset.METAINFO,
        **EmotionSpec(EMOTIC_CLASSES, multi_label=True).to_metainfo())
