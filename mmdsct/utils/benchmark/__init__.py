"""Building blocks of ``tools/analysis_tools/benchmark.py``: inputs with a
chosen number of subjects, FLOP counting, alternating latency timing,
device and kernel choice, and the CSV / plot report."""
from .detector_then_recognizer import (DetectorThenRecognizer,
                                       write_detector_files)
from .devices import (device_name, msda_pytorch_path, resolve_crop_mode,
                      resolve_device, resolve_msda_impl)
from .flop_count import UNCOUNTED_COMPUTE_OPS, FlopCount, count_predict_flops
from .latency import latency_stats, predict_once, time_alternating
from .model_configs import (deformable_detr_cfg_like, load_model_cfg,
                            two_stage_cfg_on_detector,
                            two_stage_cfg_on_gt_boxes)
from .report import plot_latency_vs_subjects, print_rows, write_csv
from .subject_boxes import (grid_side_for, make_subject_batch,
                            subject_grid_boxes)

__all__ = [
    'DetectorThenRecognizer', 'write_detector_files', 'device_name',
    'msda_pytorch_path', 'resolve_crop_mode', 'resolve_device',
    'resolve_msda_impl', 'UNCOUNTED_COMPUTE_OPS', 'FlopCount',
    'count_predict_flops', 'latency_stats', 'predict_once', 'time_alternating',
    'deformable_detr_cfg_like', 'load_model_cfg', 'two_stage_cfg_on_gt_boxes',
    'two_stage_cfg_on_detector', 'plot_latency_vs_subjects', 'print_rows',
    'write_csv', 'grid_side_for', 'make_subject_batch', 'subject_grid_boxes'
]
