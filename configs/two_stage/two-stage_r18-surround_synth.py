# "Body + surrounding" variant of the two-stage baseline: the context branch
# reads, instead of the whole image, a crop of each subject's box enlarged
# three times about its centre (padded with the mean colour where it leaves
# the image), resampled to 64 x 64 like the body crop; it then runs once per
# subject. This is the usual context input of context-aware two-stage
# methods: on the synthetic data every context-only cue lies next to its
# subject or covers the whole scene, so it is inside the enlarged box.
#   python tools/train.py configs/two_stage/two-stage_r18-surround_synth.py
_base_ = './two-stage_r18_synth.py'

model = dict(context_source='surround', surround_scale=3.0)
