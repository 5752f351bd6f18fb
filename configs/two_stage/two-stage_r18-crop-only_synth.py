# Crop-only variant of the two-stage baseline, for the context ablation: the
# context branch is dropped, so each subject is classified from the pixels
# of its own box alone. On the synthetic data the context_only emotions are
# decided by the scene around a subject: this model cannot learn them
# (mAP_context_only stays near the prevalence baseline).
#   python tools/train.py configs/two_stage/two-stage_r18-crop-only_synth.py
_base_ = './two-stage_r18_synth.py'

model = dict(use_context=False, context_backbone=None)
