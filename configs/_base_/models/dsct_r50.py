# DSCT, ResNet-50, released EMOTIC recipe (docs/method.md): single-stage
# Deformable DETR R50 (4 levels, 6+6 layers, width 256, FFN 1024, dropout
# 0.1), 300 context + 4 subject queries, fusion K_sp=100 / K_sm=50, head of
# 26 emotions + 1 subject logit shared across the decoder layers.

# Start from a COCO Deformable DETR R50 (single stage, no refinement): its
# 300 object queries become the context queries; backbone, neck, encoder and
# decoder start from it too; subject queries and heads start fresh.
# The authors' start, the original Deformable DETR checkpoint, is used when
# its converted file exists (docs/official_compatibility.md):
#   python tools/model_converters/dsct_official_to_mmdsct.py \
#       --source deformable-detr r50_deformable_detr-checkpoint.pth \
#       checkpoints/r50_deformable_detr_dsct-init.pth
# else mmdet's re-trained one, downloaded and mapped while loading. The log
# says which one was used. load_from / --resume still override it.
authors_start = 'checkpoints/r50_deformable_detr_dsct-init.pth'
mmdet_start = 'https://download.openmmlab.com/mmdetection/v3.0/deformable_detr/deformable-detr_r50_16xb2-50e_coco/deformable-detr_r50_16xb2-50e_coco_20221029_210934-6bc7d21b.pth'  # noqa
model = dict(
    type='DSCT',
    num_context_queries=300,
    num_subject_queries=4,
    num_feature_levels=4,
    with_box_refine=False,
    as_two_stage=False,
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=1),
    # Swapping the backbone: change `backbone` and `neck.in_channels`
    # together (see configs/dsct/dsct_swin_emotic.py).
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        # The COCO start below supplies the backbone too. Without a start
        # (model.init_cfg=None) use ImageNet weights instead:
        # init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')
        init_cfg=None),
    neck=dict(
        type='ChannelMapper',
        in_channels=[512, 1024, 2048],
        kernel_size=1,
        out_channels=256,
        bias=True,  # as the official input projections (mmdet: none)
        act_cfg=None,
        norm_cfg=dict(type='GN', num_groups=32),
        num_outs=4),
    encoder=dict(  # DeformableDetrTransformerEncoder
        num_layers=6,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=256, batch_first=True),
            ffn_cfg=dict(
                embed_dims=256, feedforward_channels=1024, ffn_drop=0.1))),
    decoder=dict(  # DSCTDecoder
        type='DSCTDecoder',
        num_layers=6,
        num_spatial_context=100,
        num_semantic_context=50,
        return_intermediate=True,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=256, num_heads=8, dropout=0.1, batch_first=True),
            cross_attn_cfg=dict(embed_dims=256, batch_first=True),
            ffn_cfg=dict(
                embed_dims=256, feedforward_channels=1024, ffn_drop=0.1)),
        post_norm_cfg=None),
    positional_encoding=dict(num_feats=128, normalize=True, offset=-0.5),
    bbox_head=dict(
        type='DSCTHead',
        num_emotions=26,
        multi_label=True,
        embed_dims=256,
        sync_cls_avg_factor=True,
        loss_cls=dict(
            type='FocalLoss',
            use_sigmoid=True,
            alpha=0.25,
            gamma=2.0,
            loss_weight=5.0),
        loss_bbox=dict(type='L1Loss', loss_weight=5.0),
        loss_iou=dict(type='GIoULoss', loss_weight=2.0)),
    # matching cost 5 L1 + 2 C_emo + 2 (-GIoU); EmotionFocalCost follows the
    # head's multi_label
    train_cfg=dict(
        assigner=dict(
            type='HungarianAssigner',
            match_costs=[
                dict(type='EmotionFocalCost', weight=2.0),
                dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                dict(type='IoUCost', iou_mode='giou', weight=2.0)
            ])),
    test_cfg=dict(max_per_img=100),
    init_cfg=dict(
        type='FirstAvailablePretrained',
        checkpoints=[
            dict(
                checkpoint=authors_start,
                name="the authors' start (original Deformable DETR R50, "
                'COCO)'),
            dict(
                checkpoint=mmdet_start,
                name="mmdet's re-trained Deformable DETR R50 (COCO)")
        ]))
