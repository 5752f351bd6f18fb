# DSCT-Follow (ours, not the paper's; docs/method.md), tiny, on the built-in
# synthetic data: the tiny DSCT of configs/dsct/dsct_tiny_synth.py (same
# sizes, schedule and seed) with subject box refinement and a spatial
# relation measured from each subject's current box. Figures:
# configs/dsct_follow/README.md.
#   python tools/train.py configs/dsct_follow/dsct-follow_tiny_synth.py
_base_ = ['../dsct/dsct_tiny_synth.py']

model = dict(
    type='DSCTFollow',
    with_box_refine=True,
    decoder=dict(type='DSCTFollowDecoder'))
