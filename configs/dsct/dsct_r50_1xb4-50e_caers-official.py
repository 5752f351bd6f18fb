# DSCT R50 on CAER-S, tested with the DSCT authors' test-time resize and
# protocol (softmax over the 7 emotion logits, "+1" IoU matching over all
# 9 subject queries, boxes unclamped; the paper reports accuracy). Training
# and validation as dsct_r50_caers.py (our protocol).
_base_ = ['./dsct_r50_caers.py', '../_base_/datasets/dsct_official_test.py']

test_dataloader = dict(
    dataset=dict(pipeline={{_base_.official_test_pipeline}}))
test_evaluator = dict(_delete_=True, type='EmotionMetric', protocol='official')
