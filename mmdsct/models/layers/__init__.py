"""Transformer layers of DSCT."""
from .dsct_decoder import DSCTDecoder, DSCTDecoderLayer, DSCTDecoderOutput
from .subject_context_fusion import (FusionOutput, nearest_context_indices,
                                     subject_context_fusion)

__all__ = [
    'DSCTDecoder', 'DSCTDecoderLayer', 'DSCTDecoderOutput', 'FusionOutput',
    'nearest_context_indices', 'subject_context_fusion'
]
