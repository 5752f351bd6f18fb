# DSCT-Follow (ours, not the paper's; docs/method.md) R50 on CAER-S, our
# protocol: configs/dsct/dsct_r50_1xb4-50e_caers.py (the released DSCT
# CAER-S recipe) with subject box refinement and a spatial relation
# measured from each subject's current box. The released CAER-S recipe
# switches the fusion off (K_sp = K_sm = 0), which would leave nothing to
# follow; here it is on with the EMOTIC recipe's K_sp = 100, K_sm = 50.
# Not trained here: no figures.
_base_ = ['../dsct/dsct_r50_1xb4-50e_caers.py']

model = dict(
    type='DSCTFollow',
    with_box_refine=True,
    decoder=dict(
        type='DSCTFollowDecoder',
        num_spatial_context=100,
        num_semantic_context=50))
