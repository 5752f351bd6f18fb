"""Training and testing machinery: hooks, optimizer constructors and
runners."""
from .hooks import EmotionClassesCheckHook, SafeCheckpointHook
from .optimizers import (PartitionedClipGradNorm,
                         SeparateClipOptimWrapperConstructor)
from .runner import CheckedLoadRunner

__all__ = [
    'EmotionClassesCheckHook', 'SafeCheckpointHook', 'PartitionedClipGradNorm',
    'SeparateClipOptimWrapperConstructor', 'CheckedLoadRunner'
]
