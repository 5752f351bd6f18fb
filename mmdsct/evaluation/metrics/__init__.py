"""Metrics of mmdsct, registered in mmdet's ``METRICS``."""
from .emotion_metric import EmotionMetric
from .image_emotion_record import ImageEmotionRecord, record_from_data_sample
from .official_protocol import OfficialScores, score_official
from .official_record import (OfficialImageRecord,
                              official_record_from_data_sample)
from .subject_scores import SubjectScores, score_subjects

__all__ = [
    'EmotionMetric', 'ImageEmotionRecord', 'record_from_data_sample',
    'SubjectScores', 'score_subjects', 'OfficialScores', 'score_official',
    'OfficialImageRecord', 'official_record_from_data_sample'
]
