"""Helpers of the models: checkpoint mapping, parameter counts."""
from .deformable_detr_mapping import (MappingReport,
                                      is_deformable_detr_state_dict,
                                      map_deformable_detr_state_dict)
# yapf: disable
from .dsct_official_mapping import (DEFORMABLE_DETR_LAYOUT, DSCT_LAYOUT,
                                    OFFICIAL_RECIPES, OfficialKeyError,
                                    OfficialMappingReport,
                                    OfficialStateDictError, convert_command,
                                    infer_official_recipe,
                                    map_official_deformable_detr_state_dict,
                                    map_official_dsct_state_dict,
                                    official_layout, shape_mismatches)
# yapf: enable
from .first_available_pretrained import FirstAvailablePretrainedInit
from .parameter_count import count_parameters, is_frozen_norm
from .side_init import build_aside, private_generator, reset_linear_aside
from .vad_scale import check_vad_range, vad_from_unit, vad_to_unit

__all__ = [
    'MappingReport', 'is_deformable_detr_state_dict',
    'map_deformable_detr_state_dict', 'count_parameters', 'is_frozen_norm',
    'DEFORMABLE_DETR_LAYOUT', 'DSCT_LAYOUT', 'OFFICIAL_RECIPES',
    'OfficialKeyError', 'OfficialMappingReport', 'OfficialStateDictError',
    'convert_command', 'infer_official_recipe',
    'map_official_deformable_detr_state_dict', 'map_official_dsct_state_dict',
    'official_layout', 'shape_mismatches', 'FirstAvailablePretrainedInit',
    'check_vad_range', 'vad_from_unit', 'vad_to_unit', 'build_aside',
    'private_generator', 'reset_linear_aside'
]
