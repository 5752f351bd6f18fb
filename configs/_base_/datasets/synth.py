# Built-in synthetic context-emotion data (docs/annotation_format.md),
# multi-label:
#   python tools/misc/make_synthetic_emotion.py --out-dir data/synth \
#       --num-train 1000 --num-test 200 --seed 0
# 8 classes: subject_only (Happiness, Excitement, Confidence, Anger) and
# context_only (Affection, Fear, Peace, Fatigue); see
# mmdsct/datasets/synthetic/rules.py. Images are synth_image_size px squares
# (the generator's --image-size).
dataset_type = 'SynthEmotionDataset'
data_root = 'data/synth/'
train_ann = 'annotations/synth_train.json'
test_ann = 'annotations/synth_test.json'
synth_image_size = 128
backend_args = None

# No crop: a crop could cut away the context that sets a subject's labels.
# Horizontal flips keep every rule (none depends on left or right). The
# resize only matters for data generated at another --image-size.
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadEmotionAnnotations', with_bbox=True),
    dict(
        type='Resize',
        scale=(synth_image_size, synth_image_size),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackEmotionInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(
        type='Resize',
        scale=(synth_image_size, synth_image_size),
        keep_ratio=True),
    dict(type='LoadEmotionAnnotations', with_bbox=True),
    dict(
        type='PackEmotionInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]

# Small images decode in well under a millisecond: loading in the main
# process keeps the 2-core CPU quickstart free for the model.
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=train_ann,
        data_prefix=dict(img=''),
        filter_cfg=dict(filter_empty_gt=False),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=test_ann,
        data_prefix=dict(img=''),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# The prevalence baseline is computed from the training labels.
val_evaluator = dict(
    type='EmotionMetric', prevalence_ann_file=data_root + train_ann)
test_evaluator = val_evaluator
