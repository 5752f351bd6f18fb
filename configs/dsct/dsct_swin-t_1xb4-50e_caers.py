# DSCT Swin-T on CAER-S, our protocol: the mmdet-style name of
# dsct_swin_caers.py (1 GPU x batch 4, 50 epochs).
_base_ = './dsct_swin_caers.py'
