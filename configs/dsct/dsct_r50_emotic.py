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

# Initialisation: the COCO Deformable DETR start of the model base (the
# authors' checkpoint when converted, else mmdet's).

# Keep the best checkpoint by EMOTIC's headline figure, the GT-matched mAP
# (best_emotion_mAP_epoch_N.pth besides the periodic ones).
default_hooks = dict(checkpoint=dict(save_best='emotion/mAP', rule='greater'))
