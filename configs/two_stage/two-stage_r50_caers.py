# Two-stage baseline (Kosti et al. style) on CAER-S, 7 single-label emotions
# (one-hot targets, top-1 accuracy). The model of two-stage_r50_emotic.py
# (ImageNet ResNet-50 body branch on 128 x 128 subject crops + ResNet-50
# context branch on the whole image, late fusion) with DSCT's CAER-S
# recipe: data and test scale of ../_base_/datasets/caers.py, emotion loss
# x9, AdamW lr 2e-5, 50 epochs, batch 4.
#   python tools/train.py configs/two_stage/two-stage_r50_caers.py
_base_ = [
    '../_base_/datasets/caers.py', '../_base_/schedules/dsct_50e.py',
    '../_base_/default_runtime.py'
]

num_emotions = 7
branch_backbone = dict(
    type='ResNet',
    depth=50,
    num_stages=4,
    out_indices=(3, ),
    frozen_stages=1,
    norm_cfg=dict(type='BN', requires_grad=False),
    norm_eval=True,
    style='pytorch',
    init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'))
model = dict(
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
    crop_size=(128, 128),
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
            type='EmotionFocalLoss', alpha=0.25, gamma=2.0,
            loss_weight=9.0)))

optim_wrapper = dict(optimizer=dict(lr=2e-5))
