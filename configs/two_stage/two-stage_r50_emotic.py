# Two-stage baseline (Kosti et al. style) on EMOTIC, 26 multi-label
# emotions: ../_base_/models/two-stage_r50.py with DSCT's EMOTIC recipe
# (data, augmentation, test scale, sigmoid focal loss x5, AdamW 2e-4 with
# x0.1 on the backbones, 50 epochs, batch 4), so that both are trained alike.
#   python tools/train.py configs/two_stage/two-stage_r50_emotic.py
_base_ = [
    '../_base_/models/two-stage_r50.py', '../_base_/datasets/emotic.py',
    '../_base_/schedules/dsct_50e.py', '../_base_/default_runtime.py'
]

model = dict(
    emotion_head=dict(num_emotions=26, loss_emotion=dict(loss_weight=5.0)))

# Keep the best checkpoint by EMOTIC's headline figure, the GT-matched mAP
# (best_emotion_mAP_epoch_N.pth besides the periodic ones).
default_hooks = dict(checkpoint=dict(save_best='emotion/mAP', rule='greater'))
