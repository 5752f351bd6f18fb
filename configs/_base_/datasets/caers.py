# CAER-S (docs/annotation_format.md): 7 single-label emotions, one face
# box per image.
# data_root is the CAER-S folder (train/<Class>/..., test/<Class>/...) with
# annotations/ holding the converted files:
#   tools/dataset_converters/caers_to_coco.py --root data/caers \
#       --boxes BOXES.csv --out-dir data/caers/annotations
# (validation is carved from train, --val-ratio 0.1 by default).
dataset_type = 'CAERSDataset'
data_root = 'data/caers/'
train_ann = 'annotations/caers_train.json'
val_ann = 'annotations/caers_val.json'
test_ann = 'annotations/caers_test.json'
backend_args = None

# DETR multi-scale augmentation (docs/method.md): flip; shorter side 480-800
# step 32, longer side at most 1333; half of the time resize-crop-resize.
# EmotionRandomCrop drops a subject's emotion with its box.
detr_scales = [(480, 1333), (512, 1333), (544, 1333), (576, 1333), (608, 1333),
               (640, 1333), (672, 1333), (704, 1333), (736, 1333), (768, 1333),
               (800, 1333)]
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadEmotionAnnotations', with_bbox=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomChoice',
        transforms=[[
            dict(
                type='RandomChoiceResize', scales=detr_scales, keep_ratio=True)
        ],
                    [
                        dict(
                            type='RandomChoiceResize',
                            scales=[(400, 4200), (500, 4200), (600, 4200)],
                            keep_ratio=True),
                        dict(
                            type='EmotionRandomCrop',
                            crop_type='absolute_range',
                            crop_size=(384, 600),
                            allow_negative_crop=True),
                        dict(
                            type='RandomChoiceResize',
                            scales=detr_scales,
                            keep_ratio=True)
                    ]]),
    dict(type='PackEmotionInputs')
]
# Test: shorter side 800, longer side at most 1333; ground-truth boxes are
# loaded after the resize, so they stay in original-image pixels.
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadEmotionAnnotations', with_bbox=True),
    dict(
        type='PackEmotionInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]

train_dataloader = dict(
    # The released recipe trains with 4 images in total. On N GPUs this is
    # per GPU (4N in total); pass --auto-scale-lr to scale the learning rate.
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=train_ann,
        data_prefix=dict(img=''),
        filter_cfg=dict(filter_empty_gt=False),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=val_ann,
        data_prefix=dict(img=''),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
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

# The prevalence baseline is computed from the training labels.
val_evaluator = dict(
    type='EmotionMetric', prevalence_ann_file=data_root + train_ann)
test_evaluator = val_evaluator
