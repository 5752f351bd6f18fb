"""Inference API: build an emotion model and run it on images."""
from .emotion_inferencer import EmotionInferencer
from .image_io import (IMAGE_EXTENSIONS, DegenerateImageError,
                       UnreadableImageError, as_bgr_image, list_images,
                       load_image)
from .inference import (build_inference_pipeline, inference_emotion,
                        init_emotion_model)
from .model_index import ModelEntry, find_model, list_model_names
from .results import Subject, datasample_to_subjects

__all__ = [
    'IMAGE_EXTENSIONS', 'DegenerateImageError', 'UnreadableImageError',
    'as_bgr_image', 'list_images', 'load_image', 'build_inference_pipeline',
    'inference_emotion', 'init_emotion_model', 'Subject',
    'datasample_to_subjects', 'EmotionInferencer', 'ModelEntry', 'find_model',
    'list_model_names'
]
