# DSCT-Follow (ours, not the paper's; docs/method.md) R50 on EMOTIC, our
# protocol: configs/dsct/dsct_r50_1xb4-50e_emotic.py (the released DSCT
# recipe: same data, start, schedule and sizes) with subject box
# refinement and a spatial relation measured from each subject's current
# box. Not trained here: no figures.
_base_ = ['../dsct/dsct_r50_1xb4-50e_emotic.py']

model = dict(
    type='DSCTFollow',
    with_box_refine=True,
    decoder=dict(type='DSCTFollowDecoder'))
