# Tiny DSCT with an isolated VAD branch on the synthetic data, whose
# multi-label subjects carry valence, arousal and dominance (1-10) set by
# documented rules from the subject's cues and from its context
# (mmdsct/datasets/synthetic/vad_rules.py):
#   python tools/misc/make_synthetic_emotion.py --out-dir data/synth \
#       --num-train 1000 --num-test 200 --seed 0
#   python tools/train.py configs/dsct_vad/dsct-vad-isolated_tiny_synth.py
# The branch reads the subject tokens through a stop-gradient and its
# gradients are clipped on their own, so every other parameter follows
# exactly the trajectory of configs/dsct/dsct_tiny_synth.py (same seed): the
# categorical results are those of the model without the branch.
# dsct-vad_tiny_synth.py trains the branch jointly instead.
_base_ = './dsct-vad_tiny_synth.py'

model = dict(bbox_head=dict(vad_detach_input=True))
optim_wrapper = dict(
    constructor='SeparateClipOptimWrapperConstructor',
    separate_clip=['bbox_head.vad_branch'])
