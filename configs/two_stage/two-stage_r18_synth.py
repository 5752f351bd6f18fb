# Two-stage baseline (Kosti et al. style) on the built-in synthetic data.
# Stage one: the ground-truth subject boxes (GT-matched protocol). Stage two:
# a ResNet-18 on a 64 x 64 crop of each subject (body branch) and another
# ResNet-18, with its own weights, on the whole 128 px image (context
# branch); pooled features concatenated -> MLP -> 8 emotion logits, trained
# with DSCT's emotion loss (sigmoid focal, alpha 0.25, gamma 2, weight 5).
#   python tools/misc/make_synthetic_emotion.py --out-dir data/synth \
#       --num-train 1000 --num-test 200 --seed 0
#   python tools/train.py configs/two_stage/two-stage_r18_synth.py
# Data, image size, batch, optimiser and schedule are inherited from the
# tiny DSCT config, so that both train under the same budget; only the
# model differs. Both branches are the tiny DSCT's backbone (ResNet-18 at
# its width, random init: nothing is downloaded).
_base_ = '../dsct/dsct_tiny_synth.py'

num_emotions = 8
branch_backbone = dict(
    type='ResNet',
    depth=18,
    base_channels={{_base_.model.backbone.base_channels}},
    num_stages=4,
    out_indices=(3, ),
    frozen_stages=-1,
    norm_cfg=dict(type='BN', requires_grad=True),
    norm_eval=False,
    style='pytorch',
    init_cfg=None)
model = dict(
    _delete_=True,
    type='TwoStageEmotionRecognizer',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=1),
    body_backbone=branch_backbone,
    context_backbone=branch_backbone,
    use_context=True,
    crop_size=(64, 64),
    # 'gt' at test time too (GT-matched protocol); for detected subjects:
    #   --cfg-options model.box_source=detector \
    #       model.detector.config=DET_CONFIG model.detector.checkpoint=DET_PTH
    box_source='gt',
    emotion_head=dict(
        type='LateFusionEmotionHead',
        num_emotions=num_emotions,
        hidden_channels=256,
        dropout=0.5,
        loss_emotion=dict(
            type='FocalLoss',
            use_sigmoid=True,
            alpha=0.25,
            gamma=2.0,
            loss_weight=5.0)))
