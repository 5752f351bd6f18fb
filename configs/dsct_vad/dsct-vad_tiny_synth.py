# Tiny DSCT with the VAD branch, trained jointly with the rest (its gradient
# reaches the shared layers), on the synthetic data, whose multi-label
# subjects carry valence, arousal and dominance (1-10) set by documented
# rules from the subject's cues and from its context
# (mmdsct/datasets/synthetic/vad_rules.py):
#   python tools/misc/make_synthetic_emotion.py --out-dir data/synth \
#       --num-train 1000 --num-test 200 --seed 0
#   python tools/train.py configs/dsct_vad/dsct-vad_tiny_synth.py
# Everything else is configs/dsct/dsct_tiny_synth.py (same schedule).
# dsct-vad-isolated_tiny_synth.py keeps the branch from changing the rest.
_base_ = '../dsct/dsct_tiny_synth.py'

model = dict(
    bbox_head=dict(
        with_vad=True,
        vad_range=(1.0, 10.0),
        loss_vad=dict(type='L1Loss', loss_weight=5.0)))
