# Two-stage baseline (Kosti et al. style) on EMOTIC, 26 multi-label
# emotions. Stage one: the ground-truth subject boxes (GT-matched protocol;
# for detected subjects see box_source below). Stage two: an ImageNet
# ResNet-50 on a 128 x 128 crop of each subject (body branch) and another
# ImageNet ResNet-50 on the whole image (context branch), pooled features
# concatenated -> MLP -> 26 logits. Loss, data, augmentation, test scale and
# schedule are DSCT's EMOTIC recipe (sigmoid focal loss x5, AdamW 2e-4 with
# x0.1 on the backbones, 50 epochs, batch 4), so that both are trained alike.
#   python tools/train.py configs/two_stage/two-stage_r50_emotic.py
# The ResNet-50 weights come from torchvision's ImageNet checkpoint
# (downloaded by mmengine on the first run, or set init_cfg.checkpoint to a
# local file).
_base_ = [
    '../_base_/datasets/emotic.py', '../_base_/schedules/dsct_50e.py',
    '../_base_/default_runtime.py'
]

num_emotions = 26
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
            loss_weight=5.0)))
