"""Losses of mmdsct."""
from .emotion_focal_loss import EmotionFocalLoss, emotion_focal_loss

__all__ = ['EmotionFocalLoss', 'emotion_focal_loss']
