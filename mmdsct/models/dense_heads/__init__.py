"""Heads of mmdsct."""
from .dsct_head import DSCTHead
from .late_fusion_vad_head import LateFusionVADHead

__all__ = ['DSCTHead', 'LateFusionVADHead']
