"""Task modules (match costs) of mmdsct."""
from .emotion_focal_cost import EmotionFocalCost

__all__ = ['EmotionFocalCost']
