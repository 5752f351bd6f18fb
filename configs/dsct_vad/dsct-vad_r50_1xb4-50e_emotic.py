# DSCT R50 on EMOTIC (PAMI 2019 release, whose subjects carry valence,
# arousal and dominance on a 1-10 scale) with the VAD branch of DSCTHead:
# a 2-layer MLP on the subject tokens, trained with an L1 loss on the
# matched subjects (weight 5, on the [0, 1] scale), predictions mapped to
# vad_range and reported as pred_instances.vad; EmotionMetric then adds
# vad_mae_*. Everything else is configs/dsct/dsct_r50_1xb4-50e_emotic.py;
# the matching cost is unchanged (no VAD term). Not the released model:
# the faithful configs keep the branch off.
_base_ = '../dsct/dsct_r50_1xb4-50e_emotic.py'

model = dict(
    bbox_head=dict(
        with_vad=True,
        vad_range=(1.0, 10.0),
        loss_vad=dict(type='L1Loss', loss_weight=5.0)))
