"""Datasets of mmdsct: the project's annotation format and its readers."""
from ..structures import VAD_DIMENSIONS, EmotionAnnotationError, all_finite
from . import transforms  # noqa: F401
from .caers import CAERSDataset
from .emotic import EmoticDataset
from .emotion_classes import CAERS_CLASS_ALIASES, CAERS_CLASSES, EMOTIC_CLASSES
from .emotion_coco import EmotionCocoDataset
from .emotion_coco_writer import (EmotionCocoWriter, clip_box_xyxy,
                                  format_counts, write_annotation_files)
from .image_checks import (DegenerateImageError, UnreadableImageError,
                           check_image_size)
from .synth_emotion import SynthEmotionDataset

__all__ = [
    'CAERSDataset', 'EmoticDataset', 'EmotionCocoDataset',
    'SynthEmotionDataset', 'EmotionAnnotationError', 'EmotionCocoWriter',
    'clip_box_xyxy', 'format_counts', 'all_finite', 'write_annotation_files',
    'DegenerateImageError', 'UnreadableImageError', 'check_image_size',
    'CAERS_CLASSES', 'CAERS_CLASS_ALIASES', 'EMOTIC_CLASSES', 'VAD_DIMENSIONS'
]
