# DSCT R50 on EMOTIC as the DSCT paper evaluates it (36.21 mAP reported by
# the authors): the authors' own EMOTIC files (2017 release, HEAD boxes,
# emotic_{train,val,test}_bi.json) converted with
#   python tools/dataset_converters/dsct_json_to_coco.py \
#       emotic_test_bi.json data/emotic/annotations/dsct_emotic_test.json
# (and the same for train and val), the official test-time resize and the
# official protocol for tools/test.py. Validation during training keeps our
# protocol (mAP_det, prevalence baseline, box AP); for the official one add
#   --cfg-options val_evaluator.protocol=official
# Model and schedule: dsct_r50_emotic.py, unchanged.
_base_ = ['./dsct_r50_emotic.py', '../_base_/datasets/dsct_official_test.py']

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
