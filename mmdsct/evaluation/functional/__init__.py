"""The maths of the emotion protocols, as small numpy functions (the
official protocol's probabilities use torch, as the official code does)."""
from .average_precision import (average_precision, binary_average_precision,
                                mean_average_precision)
from .decision_thresholds import (DEFAULT_THRESHOLD, decision_thresholds_array,
                                  f1_per_class, fit_decision_thresholds,
                                  macro_f1, predict_label_sets)
from .label_prevalence import label_prevalence, load_label_prevalence
from .official_scores import (first_positive_class, official_accuracy,
                              official_average_precision,
                              official_mean_average_precision,
                              official_probabilities,
                              sklearn_average_precision)
from .plus_one_matching import box_iou_plus_one, match_last_highest_iou
from .subject_box_ap import COCO_STAT_NAMES, ImageBoxes, subject_box_ap
from .subject_matching import (UNMATCHED, box_iou, gather_matched_rows,
                               match_highest_iou, match_one_to_one)
from .top1_accuracy import MISSED, confusion_matrix, top1_accuracy, top1_hits
from .vad_mean import load_vad_mean, vad_mean

__all__ = [
    'average_precision', 'binary_average_precision', 'mean_average_precision',
    'label_prevalence', 'load_label_prevalence', 'COCO_STAT_NAMES',
    'ImageBoxes', 'subject_box_ap', 'UNMATCHED', 'box_iou',
    'gather_matched_rows', 'match_highest_iou', 'match_one_to_one', 'MISSED',
    'confusion_matrix', 'top1_accuracy', 'top1_hits', 'first_positive_class',
    'official_accuracy', 'official_average_precision',
    'official_mean_average_precision', 'official_probabilities',
    'sklearn_average_precision', 'box_iou_plus_one', 'match_last_highest_iou',
    'DEFAULT_THRESHOLD', 'decision_thresholds_array', 'f1_per_class',
    'fit_decision_thresholds', 'macro_f1', 'predict_label_sets',
    'load_vad_mean', 'vad_mean'
]
