# dsct-vad_r50_1xb4-50e_emotic.py with the VAD branch isolated from the rest
# of the model: the branch reads the subject tokens through a stop-gradient
# and its gradients are clipped on their own, so every other parameter
# follows exactly the trajectory of configs/dsct/dsct_r50_1xb4-50e_emotic.py
# (same seed and data): the categorical results are those of the model
# without the branch, and VAD is read from what it learned. The same three
# lines isolate the branch of the Swin-T config.
_base_ = './dsct-vad_r50_1xb4-50e_emotic.py'

model = dict(bbox_head=dict(vad_detach_input=True))
optim_wrapper = dict(
    constructor='SeparateClipOptimWrapperConstructor',
    separate_clip=['bbox_head.vad_branch'])
