"""Detectors of mmdsct."""
from .dsct import DSCT

__all__ = ['DSCT']
from .two_stage_recognizer import TwoStageEmotionRecognizer  # noqa: E402,F401
