# The two-stage baseline on the synthetic data (body crop + whole image,
# ResNet-18 branches; configs/two_stage/two-stage_r18_synth.py) with the
# optional VAD head: a 2-layer MLP on the concatenated branch features,
# valence/arousal/dominance mapped to vad_range, L1 x5 on the [0, 1] scale
# over the subjects that have VAD (mmdsct/models/dense_heads/
# late_fusion_vad_head.py). Reported as pred_instances.vad; EmotionMetric
# then adds vad_mae_*.
_base_ = '../two_stage/two-stage_r18_synth.py'

model = dict(
    vad_head=dict(
        type='LateFusionVADHead',
        hidden_channels=256,
        vad_range=(1.0, 10.0),
        loss_vad=dict(type='L1Loss', loss_weight=5.0)))
