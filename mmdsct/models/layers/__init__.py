"""Transformer layers of DSCT."""
from .dsct_decoder import DSCTDecoder, DSCTDecoderLayer, DSCTDecoderOutput
from .dsct_follow_decoder import (DSCTFollowDecoder, DSCTFollowDecoderLayer,
                                  DSCTFollowDecoderOutput,
                                  follow_context_indices)
from .subject_context_fusion import (FusionOutput, FusionPlan,
                                     SubjectContextFusion, fuse_subject_tokens,
                                     make_fusion_plan, nearest_context_indices,
                                     subject_context_fusion)

__all__ = [
    'DSCTDecoder', 'DSCTDecoderLayer', 'DSCTDecoderOutput',
    'DSCTFollowDecoder', 'DSCTFollowDecoderLayer', 'DSCTFollowDecoderOutput',
    'follow_context_indices', 'FusionOutput', 'FusionPlan',
    'SubjectContextFusion', 'fuse_subject_tokens', 'make_fusion_plan',
    'nearest_context_indices', 'subject_context_fusion'
]
