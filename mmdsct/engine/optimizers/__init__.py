"""Optimizer wrapper constructors."""
from .separate_clip_optim_wrapper_constructor import (
    PartitionedClipGradNorm, SeparateClipOptimWrapperConstructor)

__all__ = ['PartitionedClipGradNorm', 'SeparateClipOptimWrapperConstructor']
