"""The synthetic context-emotion data (docs/annotation_format.md).

:mod:`.rules` says which cue gives which class, :mod:`.scene` samples a
scene so that subject crops carry no context information, :mod:`.draw`
renders it and :mod:`.generator` writes a dataset.
"""
from .draw import render_scene
from .generator import generate_dataset, generate_split, scene_rng
from .rules import MultiLabelRules, SingleLabelRules, rules_for
from .scene import (Geometry, Layout, Scene, sample_context, sample_layout,
                    sample_scene)

__all__ = [
    'render_scene', 'generate_dataset', 'generate_split', 'scene_rng',
    'MultiLabelRules', 'SingleLabelRules', 'rules_for', 'Geometry', 'Layout',
    'Scene', 'sample_context', 'sample_layout', 'sample_scene'
]
