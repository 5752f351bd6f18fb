# The DSCT authors' test-time preprocessing, for the configs that evaluate
# with the official protocol (EmotionMetric(protocol='official')). Not a
# complete dataset config: it only defines `official_test_pipeline`, which
# those configs put into their val/test dataloaders.
# - images read with PIL and not rotated by their EXIF tag, as the official
#   test script opens them;
# - OfficialResize: shorter side 800, longer side <= 1333, PIL bilinear,
#   longer side truncated (500x375 -> 1066x800; mmdet's Resize gives
#   1067x800);
# - GT boxes loaded after the resize, so they stay in original pixels.
official_test_pipeline = [
    dict(
        type='LoadImageFromFile',
        imdecode_backend='pillow',
        color_type='color_ignore_orientation',
        backend_args=None),
    dict(type='OfficialResize', scale=800, max_size=1333),
    dict(type='LoadEmotionAnnotations', with_bbox=True),
    dict(
        type='PackEmotionInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
