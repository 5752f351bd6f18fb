# DSCT R50 on EMOTIC, PAMI 2019 release (body boxes), our protocol: the
# mmdet-style name of dsct_r50_emotic.py (1 GPU x batch 4, 50 epochs).
_base_ = './dsct_r50_emotic.py'
