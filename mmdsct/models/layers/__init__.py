"""Transformer layers of DSCT."""
from .dsct_decoder import DSCTDecoder, DSCTDecoderLayer, DSCTDecoderOutput
from .subject_context_fusion import (FusionOutput, FusionPlan,
                                     SubjectContextFusion, fuse_subject_tokens,
                                     make_fusion_plan, nearest_context_indices,
                                     subject_context_fusion)

__all__ = [
    'DSCTDecoder', 'DSCTDecoderLayer', 'DSCTDecoderOutput', 'FusionOutput',
    'FusionPlan', 'SubjectContextFusion', 'fuse_subject_tokens',
    'make_fusion_plan', 'nearest_context_indices', 'subject_context_fusion'
]
