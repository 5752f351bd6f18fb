# DSCT R50 on EMOTIC, the released recipe (DESIGN.md §2): 300 context +
# 4 subject queries, K_sp=100 / K_sm=50, 26 emotions + 1 subject logit,
# emotion loss x5, AdamW lr 2e-4 (x0.1 backbone, reference points,
# sampling offsets), clip 0.1, 50 epochs (x0.1 at 40), batch 4, seed 42.
# Data, DETR multi-scale augmentation and the test scale (shorter side 800,
# longer side <= 1333) come from ../_base_/datasets/emotic.py.
_base_ = [
    '../_base_/datasets/emotic.py', '../_base_/models/dsct_r50.py',
    '../_base_/schedules/dsct_50e.py', '../_base_/default_runtime.py'
]

# The 300 object queries of mmdet's COCO Deformable DETR R50 (single stage,
# no refinement) become the context queries; backbone, neck, encoder and
# decoder start from it too; subject queries and heads start fresh. DSCT
# maps the checkpoint while loading and logs the keys it took, left out and
# initialised (tools/model_converters/deformable_detr_to_dsct.py does the
# same offline).
load_from = 'https://download.openmmlab.com/mmdetection/v3.0/deformable_detr/deformable-detr_r50_16xb2-50e_coco/deformable-detr_r50_16xb2-50e_coco_20221029_210934-6bc7d21b.pth'  # noqa
# load_from supplies the backbone: no separate ImageNet download.
model = dict(backbone=dict(init_cfg=None))

# Keep the best checkpoint by EMOTIC's headline figure, the GT-matched mAP
# (best_emotion_mAP_epoch_N.pth besides the periodic ones).
default_hooks = dict(
    checkpoint=dict(save_best='emotion/mAP', rule='greater'))
