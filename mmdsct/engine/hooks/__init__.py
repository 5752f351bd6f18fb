"""Hooks: safe checkpoint saving, test-time checks."""
from .emotion_classes_check_hook import EmotionClassesCheckHook
from .safe_checkpoint_hook import SafeCheckpointHook

__all__ = ['EmotionClassesCheckHook', 'SafeCheckpointHook']
