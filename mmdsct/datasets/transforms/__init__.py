"""Data transforms for subjects with emotion labels."""
from .emotion_filter_annotations import EmotionFilterAnnotations
from .emotion_random_crop import EmotionRandomCrop
from .instances_in_step import (InstancesInStepMixin, KeepEmotionsInStep,
                                apply_in_step)
from .load_emotion_annotations import LoadEmotionAnnotations
from .official_resize import OfficialResize, official_output_size
from .pack_emotion_inputs import PackEmotionInputs

__all__ = [
    'EmotionFilterAnnotations', 'EmotionRandomCrop', 'InstancesInStepMixin',
    'KeepEmotionsInStep', 'LoadEmotionAnnotations', 'PackEmotionInputs',
    'apply_in_step', 'OfficialResize', 'official_output_size'
]
