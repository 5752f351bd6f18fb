"""The model configs a head-to-head benchmark builds from config files."""
import copy
from typing import Optional

from mmengine.config import Config, ConfigDict

DSCT_TYPE = 'DSCT'
DEFORMABLE_DETR_TYPE = 'DeformableDETR'
TWO_STAGE_TYPE = 'TwoStageEmotionRecognizer'
COCO_CLASSES = 80
# mmdet's Deformable DETR keeps this many detections per image.
DETR_MAX_PER_IMG = 100
DSCT_ONLY_DECODER_KEYS = ('type', 'num_spatial_context',
                          'num_semantic_context', 'compile_fusion')
#: ``FrozenSubjectDetector`` settings of a benchmark's detector path: with
#: random weights neither score nor class means anything, so every
#: detection counts as a subject, the most confident first.
BENCHMARK_DETECTOR_SETTINGS = dict(
    score_thr=0.0, subject_label=None, max_subjects=DETR_MAX_PER_IMG)


def load_model_cfg(config: str,
                   expected_type: str,
                   cfg_options: Optional[dict] = None) -> ConfigDict:
    """The model config of a config file, checked for its type.

    Args:
        config (str): Config path.
        expected_type (str): The ``model.type`` the file must have.
        cfg_options (dict, optional): ``--cfg-options`` style overrides.

    Returns:
        ConfigDict: ``cfg.model``.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model_type = cfg.model.get('type')
    if model_type != expected_type:
        raise ValueError(f'{config}: model.type is {model_type!r}, expected '
                         f'{expected_type!r}.')
    return cfg.model


def deformable_detr_cfg_like(dsct_cfg: ConfigDict) -> ConfigDict:
    """mmdet's plain DeformableDETR with DSCT's transformer settings.

    The plain detector keeps the backbone, neck, encoder, decoder layers and
    positional encoding, uses the context-query count as its number of
    object queries and mmdet's ``DeformableDETRHead`` (80 COCO classes,
    100 detections per image): the COCO model DSCT starts from.

    Args:
        dsct_cfg (ConfigDict): A DSCT model config.

    Returns:
        ConfigDict: A DeformableDETR model config with
        ``num_queries = num_context_queries``.
    """
    cfg = copy.deepcopy(dsct_cfg)
    cfg.type = DEFORMABLE_DETR_TYPE
    cfg.num_queries = cfg.pop('num_context_queries', 300)
    cfg.pop('num_subject_queries', None)
    for key in DSCT_ONLY_DECODER_KEYS:
        cfg.decoder.pop(key, None)
    head = cfg.bbox_head
    cfg.bbox_head = ConfigDict(
        type='DeformableDETRHead',
        num_classes=COCO_CLASSES,
        embed_dims=head.get('embed_dims', 256),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, loss_weight=2.0),
        loss_bbox=head.get('loss_bbox', dict(type='L1Loss')),
        loss_iou=head.get('loss_iou', dict(type='GIoULoss')))
    cfg.train_cfg = None
    cfg.test_cfg = ConfigDict(max_per_img=DETR_MAX_PER_IMG)
    return cfg


def two_stage_cfg_on_gt_boxes(two_stage_cfg: ConfigDict,
                              crop_mode: Optional[str] = None) -> ConfigDict:
    """A two-stage recogniser config that takes its subjects from
    ``gt_instances`` (``box_source='gt'``), so that a benchmark controls how
    many subjects it crops.

    Args:
        two_stage_cfg (ConfigDict): A ``TwoStageEmotionRecognizer`` config.
        crop_mode (str, optional): Replaces ``crop_mode`` when given.

    Returns:
        ConfigDict: The changed copy.
    """
    cfg = copy.deepcopy(two_stage_cfg)
    cfg.box_source = 'gt'
    cfg.pop('detector', None)
    if crop_mode is not None:
        cfg.crop_mode = crop_mode
    return cfg


def two_stage_cfg_on_detector(two_stage_cfg: ConfigDict,
                              detector_files: dict) -> ConfigDict:
    """A two-stage recogniser config that takes its subjects from a
    detector (``box_source='detector'``), as the project ships it.

    Args:
        two_stage_cfg (ConfigDict): A ``TwoStageEmotionRecognizer`` config.
        detector_files (dict): The detector's ``config`` and ``checkpoint``
            files (see
            :func:`~mmdsct.utils.benchmark.write_detector_files`).

    Returns:
        ConfigDict: The changed copy, with the detector settings of
        :data:`BENCHMARK_DETECTOR_SETTINGS`.
    """
    cfg = copy.deepcopy(two_stage_cfg)
    cfg.box_source = 'detector'
    cfg.detector = ConfigDict(**detector_files, **BENCHMARK_DETECTOR_SETTINGS)
    return cfg
