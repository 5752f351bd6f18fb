# DSCT R50 on EMOTIC, the released recipe (docs/method.md): 300 context +
# 4 subject queries, K_sp=100 / K_sm=50, 26 emotions + 1 subject logit,
# emotion loss x5, AdamW lr 2e-4 (x0.1 backbone, reference points,
# sampling offsets), clip 0.1, 50 epochs (x0.1 at 40), batch 4, seed 42.
# Data, DETR multi-scale augmentation and the test scale (shorter side 800,
# longer side <= 1333) come from ../_base_/datasets/emotic.py.
_base_ = [
    '../_base_/datasets/emotic.py', '../_base_/models/dsct_r50.py',
    '../_base_/schedules/dsct_50e.py', '../_base_/default_runtime.py'
]

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
deformable_detr_starts = [
    dict(
        checkpoint='checkpoints/r50_deformable_detr_dsct-init.pth',
        name="the authors' start (original Deformable DETR R50, COCO)"),
    dict(
        checkpoint='https://download.openmmlab.com/mmdetection/v3.0/deformable_detr/deformable-detr_r50_16xb2-50e_coco/deformable-detr_r50_16xb2-50e_coco_20221029_210934-6bc7d21b.pth',  # noqa
        name="mmdet's re-trained Deformable DETR R50 (COCO)")
]
model = dict(
    # the start supplies the backbone: no separate ImageNet download
    backbone=dict(init_cfg=None),
    init_cfg=dict(
        type='FirstAvailablePretrained', checkpoints=deformable_detr_starts))
load_from = None

# Keep the best checkpoint by EMOTIC's headline figure, the GT-matched mAP
# (best_emotion_mAP_epoch_N.pth besides the periodic ones).
default_hooks = dict(
    checkpoint=dict(save_best='emotion/mAP', rule='greater'))
