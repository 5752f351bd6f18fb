"""Datasets of mmdsct: the project's annotation format and its readers."""
from . import transforms  # noqa: F401
from .caers import CAERSDataset
from .emotic import EmoticDataset
from .emotion_classes import (CAERS_CLASS_ALIASES, CAERS_CLASSES,
                              EMOTIC_CLASSES, VAD_DIMENSIONS)
from .emotion_coco import EmotionAnnotationError, EmotionCocoDataset
from .emotion_coco_writer import (EmotionCocoWriter, clip_box_xyxy,
                                  format_counts)
from .synth_emotion import SynthEmotionDataset

__all__ = [
    'CAERSDataset', 'EmoticDataset', 'EmotionCocoDataset',
    'SynthEmotionDataset', 'EmotionAnnotationError', 'EmotionCocoWriter',
    'clip_box_xyxy', 'format_counts', 'CAERS_CLASSES', 'CAERS_CLASS_ALIASES',
    'EMOTIC_CLASSES', 'VAD_DIMENSIONS'
]
