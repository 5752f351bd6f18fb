# DSCT R50 on CAER-S, our protocol: the mmdet-style name of
# dsct_r50_caers.py (1 GPU x batch 4, 50 epochs).
_base_ = './dsct_r50_caers.py'
