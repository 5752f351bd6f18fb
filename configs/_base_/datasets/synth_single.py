# Single-label synthetic data (7 CAER-S classes, one per subject):
#   python tools/misc/make_synthetic_emotion.py --out-dir data/synth_single \
#       --num-train 1000 --num-test 200 --seed 0 --single-label
# A context object next to the subject decides (Fear, Disgust, Sad), else a
# subject cue (Happy, Anger, Surprise), else Neutral; see
# mmdsct/datasets/synthetic/rules.py.
_base_ = './synth.py'

data_root = 'data/synth_single/'

train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
val_evaluator = dict(prevalence_ann_file=data_root +
                     'annotations/synth_train.json')
test_evaluator = dict(prevalence_ann_file=data_root +
                      'annotations/synth_train.json')
