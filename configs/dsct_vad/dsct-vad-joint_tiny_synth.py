# Tiny DSCT with the VAD branch trained jointly with the rest (the VAD loss's
# gradient reaches the shared layers; one gradient-norm clip over all
# parameters) on the synthetic data, whose multi-label
# subjects carry valence, arousal and dominance (1-10) set by documented
# rules from the subject's cues and from its context
# (mmdsct/datasets/synthetic/vad_rules.py):
#   python tools/misc/make_synthetic_emotion.py --out-dir data/synth \
#       --num-train 1000 --num-test 200 --seed 0
#   python tools/train.py configs/dsct_vad/dsct-vad-joint_tiny_synth.py
# Everything else is configs/dsct/dsct_tiny_synth.py (same schedule).
# dsct-vad_tiny_synth.py keeps the branch from changing anything else.
_base_ = '../dsct/dsct_tiny_synth.py'

model = dict(
    bbox_head=dict(
        with_vad=True,
        vad_range=(1.0, 10.0),
        loss_vad=dict(type='L1Loss', loss_weight=5.0)))
