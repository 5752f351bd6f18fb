"""Helpers of the models: checkpoint mapping, parameter counts."""
from .deformable_detr_mapping import (MappingReport,
                                      is_deformable_detr_state_dict,
                                      map_deformable_detr_state_dict)
from .parameter_count import count_parameters, is_frozen_norm

__all__ = [
    'MappingReport', 'is_deformable_detr_state_dict',
    'map_deformable_detr_state_dict', 'count_parameters', 'is_frozen_norm'
]
