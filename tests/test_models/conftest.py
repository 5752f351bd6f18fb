"""Tiny DSCT models and data samples for the model tests."""
import copy
from types import SimpleNamespace
from typing import List, Sequence

import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.utils import register_all_modules
from mmengine.structures import InstanceData

import mmdsct  # noqa: F401  (registers the project's modules)

EMBED_DIMS = 32
NUM_LEVELS = 2
NUM_CONTEXT = 20
NUM_SUBJECT = 3
NUM_EMOTIONS = 5
IMG_SIZE = 64


def tiny_transformer_cfg() -> dict:
    """Backbone, neck, encoder and positional encoding of a tiny DETR."""
    return dict(
        num_feature_levels=NUM_LEVELS,
        data_preprocessor=dict(
            type='DetDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True),
        backbone=dict(
            type='ResNet',
            depth=18,
            base_channels=8,
            num_stages=4,
            out_indices=(2, 3),
            norm_cfg=dict(type='BN', requires_grad=True),
            init_cfg=None),
        neck=dict(
            type='ChannelMapper',
            in_channels=[32, 64],
            kernel_size=1,
            out_channels=EMBED_DIMS,
            act_cfg=None,
            norm_cfg=dict(type='GN', num_groups=8),
            num_outs=NUM_LEVELS),
        encoder=dict(
            num_layers=1,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=EMBED_DIMS,
                    num_heads=4,
                    num_levels=NUM_LEVELS,
                    batch_first=True),
                ffn_cfg=dict(embed_dims=EMBED_DIMS, feedforward_channels=64))),
        positional_encoding=dict(
            num_feats=EMBED_DIMS // 2, normalize=True, offset=-0.5))


def tiny_decoder_layer_cfg() -> dict:
    """Layer config shared by the DSCT and Deformable DETR decoders."""
    return dict(
        self_attn_cfg=dict(
            embed_dims=EMBED_DIMS, num_heads=4, dropout=0.0, batch_first=True),
        cross_attn_cfg=dict(
            embed_dims=EMBED_DIMS,
            num_heads=4,
            num_levels=NUM_LEVELS,
            batch_first=True),
        ffn_cfg=dict(
            embed_dims=EMBED_DIMS, feedforward_channels=64, ffn_drop=0.0))


def tiny_dsct_cfg(multi_label: bool = True,
                  num_spatial: int = 6,
                  num_semantic: int = 4) -> dict:
    """A DSCT config small enough for CPU unit tests."""
    cfg = tiny_transformer_cfg()
    cfg.update(
        type='DSCT',
        num_context_queries=NUM_CONTEXT,
        num_subject_queries=NUM_SUBJECT,
        decoder=dict(
            num_layers=2,
            num_spatial_context=num_spatial,
            num_semantic_context=num_semantic,
            return_intermediate=True,
            layer_cfg=tiny_decoder_layer_cfg(),
            post_norm_cfg=None),
        bbox_head=dict(
            type='DSCTHead',
            num_emotions=NUM_EMOTIONS,
            multi_label=multi_label,
            embed_dims=EMBED_DIMS,
            loss_cls=dict(type='FocalLoss', use_sigmoid=True, loss_weight=5.0),
            loss_bbox=dict(type='L1Loss', loss_weight=5.0),
            loss_iou=dict(type='GIoULoss', loss_weight=2.0)),
        train_cfg=dict(
            assigner=dict(
                type='HungarianAssigner',
                match_costs=[
                    dict(type='EmotionFocalCost', weight=2.0),
                    dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                    dict(type='IoUCost', iou_mode='giou', weight=2.0)
                ])),
        test_cfg=dict(max_per_img=100))
    return cfg


def tiny_deformable_detr_cfg() -> dict:
    """mmdet's DeformableDETR with the same transformer as tiny DSCT."""
    cfg = tiny_transformer_cfg()
    cfg.update(
        type='DeformableDETR',
        num_queries=NUM_CONTEXT,
        decoder=dict(
            num_layers=2,
            return_intermediate=True,
            layer_cfg=tiny_decoder_layer_cfg(),
            post_norm_cfg=None),
        bbox_head=dict(
            type='DeformableDETRHead',
            num_classes=80,
            embed_dims=EMBED_DIMS,
            loss_cls=dict(type='FocalLoss', use_sigmoid=True,
                          loss_weight=2.0)),
        train_cfg=dict(
            assigner=dict(
                type='HungarianAssigner',
                match_costs=[
                    dict(type='FocalLossCost', weight=2.0),
                    dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                    dict(type='IoUCost', iou_mode='giou', weight=2.0)
                ])),
        test_cfg=dict(max_per_img=100))
    return cfg


def make_data_samples(boxes_per_image: Sequence[int],
                      multi_label: bool = True,
                      img_size: int = IMG_SIZE,
                      scale_factor: float = 1.0,
                      seed: int = 0) -> List[DetDataSample]:
    """Data samples with random subjects, boxes in network-input pixels.

    Args:
        boxes_per_image (Sequence[int]): Number of subjects per image.
        multi_label (bool): Multi-hot or one-hot emotions.
        img_size (int): Side of the (square) network input.
        scale_factor (float): Network input / original image size.
        seed (int): Random seed.

    Returns:
        list[DetDataSample]: One per image.
    """
    generator = torch.Generator().manual_seed(seed)
    samples = []
    for num_boxes in boxes_per_image:
        xy = torch.rand(num_boxes, 2, generator=generator) * img_size / 2
        wh = torch.rand(num_boxes, 2, generator=generator) * img_size / 3 + 4
        if multi_label:
            emotions = (torch.rand(
                num_boxes, NUM_EMOTIONS, generator=generator) > 0.5).float()
        else:
            classes = torch.randint(
                NUM_EMOTIONS, (num_boxes, ), generator=generator)
            emotions = torch.nn.functional.one_hot(classes,
                                                   NUM_EMOTIONS).float()
        ori_size = round(img_size / scale_factor)
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(img_size, img_size),
                batch_input_shape=(img_size, img_size),
                pad_shape=(img_size, img_size),
                ori_shape=(ori_size, ori_size),
                scale_factor=(scale_factor, scale_factor)))
        sample.gt_instances = InstanceData(
            bboxes=torch.cat([xy, xy + wh], dim=1),
            labels=torch.zeros(num_boxes, dtype=torch.long),
            emotions=emotions)
        samples.append(sample)
    return samples


@pytest.fixture(scope='session', autouse=True)
def mmdet_default_scope():
    """Build with mmdet's registries as the default scope, as configs do."""
    register_all_modules()


@pytest.fixture
def dsct_cfg():
    """Factory of tiny DSCT configs (a fresh dict per call)."""
    return lambda **kwargs: copy.deepcopy(tiny_dsct_cfg(**kwargs))


@pytest.fixture
def deformable_detr_cfg():
    """Factory of tiny mmdet DeformableDETR configs."""
    return lambda: copy.deepcopy(tiny_deformable_detr_cfg())


@pytest.fixture
def make_samples():
    """:func:`make_data_samples`."""
    return make_data_samples


@pytest.fixture
def tiny():
    """The sizes of the tiny models."""
    return SimpleNamespace(
        embed_dims=EMBED_DIMS,
        num_levels=NUM_LEVELS,
        num_context=NUM_CONTEXT,
        num_subject=NUM_SUBJECT,
        num_emotions=NUM_EMOTIONS,
        img_size=IMG_SIZE,
        decoder_layer_cfg=tiny_decoder_layer_cfg)
