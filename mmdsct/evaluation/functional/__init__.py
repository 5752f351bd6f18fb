"""The maths of the emotion protocols, as small pure numpy functions."""
from .average_precision import (average_precision, binary_average_precision,
                                mean_average_precision)
from .label_prevalence import label_prevalence, load_label_prevalence
from .subject_box_ap import COCO_STAT_NAMES, ImageBoxes, subject_box_ap
from .subject_matching import (UNMATCHED, box_iou, gather_matched_rows,
                               match_highest_iou, match_one_to_one)
from .top1_accuracy import MISSED, confusion_matrix, top1_accuracy, top1_hits

__all__ = [
    'average_precision', 'binary_average_precision', 'mean_average_precision',
    'label_prevalence', 'load_label_prevalence', 'COCO_STAT_NAMES',
    'ImageBoxes', 'subject_box_ap', 'UNMATCHED', 'box_iou',
    'gather_matched_rows', 'match_highest_iou', 'match_one_to_one', 'MISSED',
    'confusion_matrix', 'top1_accuracy', 'top1_hits'
]
