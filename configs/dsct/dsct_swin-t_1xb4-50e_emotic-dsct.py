# DSCT Swin-T on EMOTIC with the DSCT paper's data and protocol: the model
# of dsct_swin_emotic.py with the data and evaluation of
# dsct_r50_1xb4-50e_emotic-dsct.py (the authors' EMOTIC files with head
# boxes, the official test-time resize, the official protocol for
# tools/test.py, our protocol for validation during training).
_base_ = ['./dsct_swin_emotic.py', '../_base_/datasets/dsct_official_test.py']

train_dataloader = dict(
    dataset=dict(ann_file='annotations/dsct_emotic_train.json'))
val_dataloader = dict(
    dataset=dict(
        ann_file='annotations/dsct_emotic_val.json',
        pipeline={{_base_.official_test_pipeline}}))
test_dataloader = dict(
    dataset=dict(
        ann_file='annotations/dsct_emotic_test.json',
        pipeline={{_base_.official_test_pipeline}}))
val_evaluator = dict(
    prevalence_ann_file='data/emotic/annotations/dsct_emotic_train.json')
test_evaluator = dict(_delete_=True, type='EmotionMetric', protocol='official')
