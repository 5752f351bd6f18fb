"""Losses of mmdsct (the emotion loss is mmdet's ``FocalLoss``)."""
from .emotion_focal_loss import EmotionFocalLoss

__all__ = ['EmotionFocalLoss']
