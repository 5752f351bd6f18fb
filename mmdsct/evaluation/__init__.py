"""Evaluation of mmdsct: the emotion protocols and :class:`EmotionMetric`."""
from . import functional, metrics  # noqa: F401
from .metrics import EmotionMetric

__all__ = ['EmotionMetric']
