# Runtime shared by all mmdsct configs (mmdet's default runtime, written out
# so that it does not depend on mmdet's packaged configs).
default_scope = 'mmdet'
custom_imports = dict(imports=['mmdsct'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # mmengine's CheckpointHook, saving in an order that always leaves a
    # resumable work dir (new file, then last_checkpoint, then deletions).
    checkpoint=dict(type='SafeCheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
# To log to TensorBoard as well (pip install tensorboard), use these lines
# instead of the one above (or, in your own config, set
# visualizer = dict(vis_backends=[...]) with the same list), then run
# tensorboard --logdir work_dirs/<run>/<timestamp>/vis_data
# vis_backends = [
#     dict(type='LocalVisBackend'),
#     dict(type='TensorboardVisBackend')
# ]
visualizer = dict(
    type='EmotionVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=42)
