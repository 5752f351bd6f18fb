# Tiny DSCT for tests and the CPU quickstart, on the built-in synthetic
# data (128 px images, 8 multi-label emotions, up to 4 subjects):
#   python tools/misc/make_synthetic_emotion.py --out-dir data/synth \
#       --num-train 1000 --num-test 200 --seed 0
#   python tools/train.py configs/dsct/dsct_tiny_synth.py
# The DSCT recipe shrunk: ResNet-18 at a quarter width (random init: nothing
# is downloaded), 2 levels (strides 16 and 32), width 64, 2 + 2 layers,
# 60 context + 6 subject queries, K_sp = 16 / K_sm = 8, no dropout;
# iteration-based schedule.
_base_ = [
    '../_base_/datasets/synth.py', '../_base_/models/dsct_r50.py',
    '../_base_/default_runtime.py'
]

embed_dims = 64
num_levels = 2
num_emotions = 8
model = dict(
    num_context_queries=60,
    num_subject_queries=6,
    num_feature_levels=num_levels,
    init_cfg=None,  # random: no COCO Deformable DETR start at this size
    backbone=dict(
        depth=18,
        base_channels=16,
        out_indices=(2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    neck=dict(
        in_channels=[64, 128],
        out_channels=embed_dims,
        norm_cfg=dict(type='GN', num_groups=8),
        num_outs=num_levels),
    encoder=dict(
        num_layers=2,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=embed_dims,
                num_heads=4,
                num_levels=num_levels,
                dropout=0.0),
            ffn_cfg=dict(
                embed_dims=embed_dims, feedforward_channels=256,
                ffn_drop=0.0))),
    decoder=dict(
        num_layers=2,
        num_spatial_context=16,
        num_semantic_context=8,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=embed_dims, num_heads=4, dropout=0.0),
            cross_attn_cfg=dict(
                embed_dims=embed_dims,
                num_heads=4,
                num_levels=num_levels,
                dropout=0.0),
            ffn_cfg=dict(
                embed_dims=embed_dims, feedforward_channels=256,
                ffn_drop=0.0))),
    positional_encoding=dict(num_feats=embed_dims // 2),
    bbox_head=dict(num_emotions=num_emotions, embed_dims=embed_dims))

# AdamW with DSCT's multipliers (the backbone learns from scratch here, so at
# full rate), gradient clip 0.1. lr 4e-4 rather than the recipe's 2e-4: in
# the quickstart's budget 2e-4 left the per-subject context classes near
# chance (mAP 59.8 vs 83.8 with 4e-4, same 4000-iteration schedule otherwise
# except that the 2e-4 run decayed at iteration 1200).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=4e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(
        custom_keys={
            'sampling_offsets': dict(lr_mult=0.1),
            'reference_points': dict(lr_mult=0.1)
        }))

# 4000 iterations of batch 8 (32 epochs of the default 1000 training images);
# the step is x0.1 at 80 %. Training time and figures: README, "What the demo
# shows" (make demo).
max_iters = 4000
val_interval = 2000
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[int(0.8 * max_iters)],
        gamma=0.1)
]

train_dataloader = dict(sampler=dict(type='InfiniteSampler', shuffle=True))
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(by_epoch=False, interval=val_interval, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
