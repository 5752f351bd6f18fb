"""Drawing of subjects, their emotions and the context DSCT chose."""
from .emotion_visualizer import EmotionVisualizer
from .label_text import (emotion_class_names, ground_truth_label,
                         positive_emotions, subject_label, top_emotions)
from .layout import place_label_block, upscale_to_min_size

__all__ = [
    'EmotionVisualizer', 'emotion_class_names', 'ground_truth_label',
    'positive_emotions', 'subject_label', 'top_emotions', 'place_label_block',
    'upscale_to_min_size'
]
