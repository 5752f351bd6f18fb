"""Detectors of mmdsct."""
from .dsct import DSCT
from .dsct_follow import DSCTFollow

__all__ = ['DSCT', 'DSCTFollow']
from .two_stage_recognizer import TwoStageEmotionRecognizer  # noqa: E402,F401
