# DSCT Swin-T on EMOTIC (PAMI 2019 release, whose subjects carry valence,
# arousal and dominance on a 1-10 scale) with the VAD branch of DSCTHead;
# see dsct-vad_r50_1xb4-50e_emotic.py. Everything else is
# configs/dsct/dsct_swin-t_1xb4-50e_emotic.py.
_base_ = '../dsct/dsct_swin-t_1xb4-50e_emotic.py'

model = dict(
    bbox_head=dict(
        with_vad=True,
        vad_range=(1.0, 10.0),
        loss_vad=dict(type='L1Loss', loss_weight=5.0)))
