"""The two models a head-to-head measurement compares, built with random
weights (nothing loaded or downloaded)."""
import copy
from typing import Dict, Optional

import torch
from mmdet.registry import MODELS
from mmengine.config import ConfigDict
from mmengine.registry import DefaultScope
from torch import nn

from ..random_init import drop_pretrained_init_cfgs, init_random_weights
from .model_configs import (DEFORMABLE_DETR_TYPE, DSCT_TYPE,
                            deformable_detr_cfg_like, load_model_cfg)


def build_random_model(model_cfg: ConfigDict,
                       device: str,
                       seed: Optional[int] = 0) -> nn.Module:
    """Build a model and initialise it as for training (``init_weights()``)
    without fetching any pretrained weights.

    Args:
        model_cfg (ConfigDict): A model config (copied, not changed).
        device (str): Where the model goes.
        seed (int, optional): ``torch.manual_seed`` before building, so that
            the weights are the same every run; None leaves the generator.

    Returns:
        nn.Module: The model, in training mode.
    """
    model_cfg = copy.deepcopy(ConfigDict(model_cfg))
    drop_pretrained_init_cfgs(model_cfg)
    if seed is not None:
        torch.manual_seed(seed)
    # the config's types are mmdet's, whatever the caller's default scope
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(model_cfg)
    return init_random_weights(model).to(device)


# mmdet's Deformable DETR R50 recipe: its Hungarian matching costs
DEFORMABLE_DETR_TRAIN_CFG = dict(
    assigner=dict(
        type='HungarianAssigner',
        match_costs=[
            dict(type='FocalLossCost', weight=2.0),
            dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
            dict(type='IoUCost', iou_mode='giou', weight=2.0)
        ]))


def dsct_and_deformable_detr(
        config: str,
        device: str,
        cfg_options: Optional[dict] = None) -> Dict[str, nn.Module]:
    """DSCT from a config and mmdet's plain Deformable DETR built from the
    same settings (:func:`deformable_detr_cfg_like`).

    Args:
        config (str): A DSCT config file.
        device (str): Where the models go.
        cfg_options (dict, optional): ``--cfg-options`` style overrides of
            the DSCT config.

    Returns:
        dict[str, nn.Module]: ``{'DSCT': ..., 'DeformableDETR': ...}``, in
        training mode; Deformable DETR with mmdet's Hungarian matching costs
        (:data:`DEFORMABLE_DETR_TRAIN_CFG`) so that it can train.
    """
    dsct_cfg = load_model_cfg(config, DSCT_TYPE, cfg_options)
    detr_cfg = deformable_detr_cfg_like(dsct_cfg)
    # trainable too: mmdet's matching costs of Deformable DETR
    detr_cfg.train_cfg = ConfigDict(DEFORMABLE_DETR_TRAIN_CFG)
    return {
        DSCT_TYPE: build_random_model(dsct_cfg, device),
        DEFORMABLE_DETR_TYPE: build_random_model(detr_cfg, device)
    }
