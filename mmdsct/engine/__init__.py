"""Training and testing machinery: hooks and runners."""
from .hooks import EmotionClassesCheckHook, SafeCheckpointHook
from .runner import CheckedLoadRunner

__all__ = [
    'EmotionClassesCheckHook', 'SafeCheckpointHook', 'CheckedLoadRunner'
]
