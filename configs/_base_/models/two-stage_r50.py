# Two-stage baseline recogniser (Kosti et al. style) with ImageNet ResNet-50
# branches. Stage one: the ground-truth subject boxes (GT-matched protocol);
# for detected subjects:
#   --cfg-options model.box_source=detector \
#       model.detector.config=DET_CONFIG model.detector.checkpoint=DET_PTH
# Stage two: a ResNet-50 on a 128 x 128 crop of each subject (body branch)
# and another ResNet-50 on the whole image (context branch), pooled features
# concatenated -> MLP -> emotion logits, sigmoid focal loss. Leaf configs set
# num_emotions and the loss weight of their dataset's DSCT recipe.
# The ResNet-50 weights come from torchvision's ImageNet checkpoint
# (downloaded by mmengine on the first run, or set init_cfg.checkpoint to a
# local file).
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
    box_source='gt',
    emotion_head=dict(
        type='LateFusionEmotionHead',
        num_emotions=26,
        hidden_channels=256,
        dropout=0.5,
        loss_emotion=dict(
            type='FocalLoss',
            use_sigmoid=True,
            alpha=0.25,
            gamma=2.0,
            loss_weight=5.0)))
