# DSCT Swin-T on CAER-S, tested with the DSCT authors' test-time resize and
# protocol; the model of dsct_swin_caers.py, the test settings of
# dsct_r50_1xb4-50e_caers-official.py.
_base_ = ['./dsct_swin_caers.py', '../_base_/datasets/dsct_official_test.py']

test_dataloader = dict(
    dataset=dict(pipeline={{_base_.official_test_pipeline}}))
test_evaluator = dict(_delete_=True, type='EmotionMetric', protocol='official')
