"""The emotion-label contract and the annotation format of mmdsct."""
from .annotation_format import (PERSON_CATEGORY, PERSON_CATEGORY_ID,
                                EmotionAnnotationError, EmotionAnnotations,
                                all_finite, annotation_emotions, encode_label,
                                image_name, load_annotation_file,
                                parse_annotations, read_annotation_json)
from .emotion_spec import (EMOTIONS_FIELD, GT_EMOTIONS_KEY, GT_INSTANCE_KEYS,
                           GT_VAD_KEY, NUM_VAD_DIMENSIONS, SUBJECT_CLASSES,
                           SUBJECT_LABEL, VAD_DIMENSIONS, VAD_FIELD,
                           EmotionSpec, check_emotion_classes,
                           logits_are_multi_label, num_emotion_logits)

__all__ = [
    'EMOTIONS_FIELD', 'GT_EMOTIONS_KEY', 'GT_INSTANCE_KEYS', 'GT_VAD_KEY',
    'NUM_VAD_DIMENSIONS', 'SUBJECT_CLASSES', 'SUBJECT_LABEL', 'VAD_DIMENSIONS',
    'VAD_FIELD', 'EmotionSpec', 'check_emotion_classes',
    'logits_are_multi_label', 'num_emotion_logits', 'PERSON_CATEGORY',
    'PERSON_CATEGORY_ID', 'EmotionAnnotationError', 'EmotionAnnotations',
    'all_finite', 'annotation_emotions', 'encode_label', 'image_name',
    'load_annotation_file', 'parse_annotations', 'read_annotation_json'
]
