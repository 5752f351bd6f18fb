"""The optional VAD branch of DSCTHead: off, nothing changes; on, it adds
only its own layers, learns only from subjects with VAD and predicts in the
configured range."""
import hashlib
import math

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

# sha256 (first 16 hex digits) of the sorted "name:shape" lines of the
# state dict, and its length, computed with the head as it was before the
# VAD branch existed (commit ebceed9~1).
PARAMETERS_BEFORE_VAD = {
    'dsct_r50_emotic.py': ('5236a4c665a6ce0e', 615),
    'dsct_swin_emotic.py': ('00ca1f7139840bf8', 484),
    'dsct_tiny_synth.py': ('99b502f140b2bde0', 225),
}
VAD_CONFIGS = {
    'dsct-vad_r50_1xb4-50e_emotic.py': 'dsct_r50_emotic.py',
    'dsct-vad_swin-t_1xb4-50e_emotic.py': 'dsct_swin_emotic.py',
    'dsct-vad_tiny_synth.py': 'dsct_tiny_synth.py',
    'dsct-vad-isolated_tiny_synth.py': 'dsct_tiny_synth.py',
    'dsct-vad-isolated_r50_1xb4-50e_emotic.py': 'dsct_r50_emotic.py',
}
VAD_KEYS = {
    'bbox_head.vad_branch.0.weight', 'bbox_head.vad_branch.0.bias',
    'bbox_head.vad_branch.2.weight', 'bbox_head.vad_branch.2.bias'
}


def load_cfg(repo_root, folder, name):
    return Config.fromfile(str(repo_root / 'configs' / folder / name))


def build(cfg, init=False):
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    if init:
        model.init_weights()
    return model.eval()


def shape_digest(model):
    lines = ''.join(f'{name}:{tuple(value.shape)}\n'
                    for name, value in sorted(model.state_dict().items()))
    return hashlib.sha256(lines.encode()).hexdigest()[:16]


@pytest.mark.parametrize('name', sorted(PARAMETERS_BEFORE_VAD))
def test_faithful_configs_build_the_parameters_of_before(repo_root, name):
    model = build(load_cfg(repo_root, 'dsct', name))
    assert not model.bbox_head.with_vad
    assert not hasattr(model.bbox_head, 'vad_branch')
    assert (shape_digest(model),
            len(model.state_dict())) == PARAMETERS_BEFORE_VAD[name]


@pytest.mark.parametrize('name', sorted(VAD_CONFIGS))
def test_vad_configs_add_only_the_branch(repo_root, name):
    with_vad = build(load_cfg(repo_root, 'dsct_vad', name)).state_dict()
    base = build(load_cfg(repo_root, 'dsct', VAD_CONFIGS[name])).state_dict()
    assert set(with_vad) - set(base) == VAD_KEYS
    assert set(base) <= set(with_vad)
    assert all(with_vad[k].shape == base[k].shape for k in base)


def tiny_pair(repo_root):
    """The tiny config without and with the branch, seeded and
    initialised alike."""
    base = build(load_cfg(repo_root, 'dsct', 'dsct_tiny_synth.py'), True)
    vad = build(
        load_cfg(repo_root, 'dsct_vad', 'dsct-vad_tiny_synth.py'), True)
    return base, vad


def test_branch_leaves_the_other_parameters_and_outputs_alone(
        repo_root, make_samples):
    base, vad = tiny_pair(repo_root)
    vad_state = vad.state_dict()
    for key, value in base.state_dict().items():
        torch.testing.assert_close(vad_state[key], value, rtol=0, atol=0)
    inputs = torch.randn(
        2, 3, 96, 96, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():  # predict fills the samples: one list each
        plain = base(inputs, make_samples([2, 1], img_size=96), 'predict')
        extra = vad(inputs, make_samples([2, 1], img_size=96), 'predict')
    for a, b in zip(plain, extra):
        for field in ('bboxes', 'scores', 'emotions'):
            torch.testing.assert_close(
                getattr(b.pred_instances, field),
                getattr(a.pred_instances, field),
                rtol=0,
                atol=0)
        assert 'vad' not in a.pred_instances
        assert b.pred_instances.vad.shape == (len(b.pred_instances), 3)


def test_other_losses_are_unchanged(repo_root, make_samples):
    base, vad = tiny_pair(repo_root)
    samples = make_samples([2, 3], img_size=96, seed=1)
    generator = torch.Generator().manual_seed(2)
    for sample in samples:  # the tiny synthetic config has 8 emotions
        gt = sample.gt_instances
        gt.emotions = (torch.rand(len(gt), 8, generator=generator) >
                       0.5).float()
        gt.vad = 1 + 9 * torch.rand(len(gt), 3, generator=generator)
    inputs = torch.randn(
        2, 3, 96, 96, generator=torch.Generator().manual_seed(4))
    base.train()
    vad.train()
    plain = base(inputs, samples, mode='loss')
    extra = vad(inputs, samples, mode='loss')
    assert set(extra) - set(plain) == {'loss_vad', 'd0.loss_vad'}
    for key, value in plain.items():
        torch.testing.assert_close(extra[key], value, rtol=0, atol=0)
    assert float(extra['loss_vad']) > 0


def build_head(dsct_cfg, **overrides):
    cfg = dsct_cfg()
    head_cfg = dict(
        cfg['bbox_head'],
        train_cfg=cfg['train_cfg'],
        test_cfg=cfg['test_cfg'],
        share_pred_layer=True,
        num_pred_layer=2,
        with_vad=True,
        loss_vad=dict(type='L1Loss', loss_weight=1.0))
    head_cfg.update(overrides)
    torch.manual_seed(0)
    head = MODELS.build(head_cfg)
    head.init_weights()
    return head


def three_subjects(tiny, vad):
    """Three subjects on the boxes of queries 0, 1, 2 (see query_outputs)."""
    gt = InstanceData(
        bboxes=torch.tensor([[0.0, 0.0, 16.0, 16.0], [32.0, 32.0, 48.0, 48.0],
                             [0.0, 40.0, 16.0, 56.0]]),
        labels=torch.zeros(3, dtype=torch.long),
        emotions=torch.zeros(3, tiny.num_emotions))
    if vad is not None:
        gt.vad = torch.tensor(vad, dtype=torch.float32)
    return gt


def query_outputs(head, tiny):
    """Logits and boxes of 3 queries sitting exactly on the 3 GT boxes
    (64 x 64 image), so that query i matches subject i."""
    cls_score = torch.zeros(1, tiny.num_subject, head.cls_out_channels)
    boxes = torch.tensor([[8.0, 8.0, 16.0, 16.0], [40.0, 40.0, 16.0, 16.0],
                          [8.0, 48.0, 16.0, 16.0]]) / 64
    return cls_score, boxes[None]


def vad_gradient(head, tiny, gt):
    cls_score, boxes = query_outputs(head, tiny)
    vad_preds = torch.full((1, tiny.num_subject, 3), 0.5, requires_grad=True)
    loss = head.loss_vad_single(cls_score, boxes, vad_preds, [gt],
                                [dict(img_shape=(64, 64))])
    loss.backward()
    return loss, vad_preds.grad[0]


def test_subjects_without_vad_give_no_gradient(dsct_cfg, tiny):
    assert tiny.num_subject == 3
    head = build_head(dsct_cfg)
    nan = math.nan
    # subject 0 has all of its VAD, subject 1 none, subject 2 only arousal
    loss, grad = vad_gradient(
        head, tiny,
        three_subjects(tiny, [[10.0, 1.0, 7.75], [nan] * 3, [nan, 10.0, nan]]))
    assert torch.isfinite(loss)
    assert (grad[0] != 0).all()
    assert (grad[1] == 0).all()
    assert grad[2, 1] != 0 and grad[2, 0] == 0 and grad[2, 2] == 0
    # targets on the [0, 1] scale: |0.5 - 1| + |0.5 - 0| + |0.5 - 0.75| +
    # |0.5 - 1|, averaged over the 4 known values
    assert float(loss) == pytest.approx(1.75 / 4)


def test_data_without_vad_gives_zero_loss_and_gradient(dsct_cfg, tiny):
    head = build_head(dsct_cfg)
    loss, grad = vad_gradient(head, tiny, three_subjects(tiny, None))
    assert float(loss) == 0
    assert (grad == 0).all()


@pytest.mark.parametrize('vad_range', [(1.0, 10.0), (-1.0, 1.0)])
def test_predictions_lie_in_the_configured_range(dsct_cfg, tiny, vad_range):
    head = build_head(dsct_cfg, vad_range=vad_range)
    generator = torch.Generator().manual_seed(0)
    hidden = torch.randn(
        2, 1, tiny.num_subject, tiny.embed_dims, generator=generator) * 1e3
    references = [torch.rand(1, tiny.num_subject, 2, generator=generator)] * 3
    meta = dict(img_shape=(64, 64), ori_shape=(64, 64), scale_factor=(1, 1))
    sample = InstanceData(metainfo=meta)
    with torch.no_grad():
        pred = head.predict(hidden, references, [sample])[0]
    assert pred.vad.shape == (tiny.num_subject, 3)
    low, high = vad_range
    assert ((pred.vad >= low) & (pred.vad <= high)).all()
    # the mapping: sigmoid +inf -> high, -inf -> low, 0 -> the middle
    torch.nn.init.zeros_(head.vad_branch[-1].weight)
    head.vad_branch[-1].bias.data = torch.tensor([100.0, -100.0, 0.0])
    with torch.no_grad():
        pred = head.predict(hidden, references, [sample])[0]
    torch.testing.assert_close(
        pred.vad,
        torch.tensor([[high, low, (low + high) / 2]] * tiny.num_subject))


def test_bad_vad_range_is_refused(dsct_cfg):
    with pytest.raises(ValueError, match='vad_range'):
        build_head(dsct_cfg, vad_range=(10.0, 1.0))


def samples_with_targets(make_samples, seed):
    """Two images (2 and 3 subjects) with emotions and VAD, and inputs."""
    samples = make_samples([2, 3], img_size=96, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    for sample in samples:  # the tiny synthetic config has 8 emotions
        gt = sample.gt_instances
        gt.emotions = (torch.rand(len(gt), 8, generator=generator) >
                       0.5).float()
        gt.vad = 1 + 9 * torch.rand(len(gt), 3, generator=generator)
    return torch.randn(2, 3, 96, 96, generator=generator), samples


def train_three_steps(cfg, make_samples, default_constructor=False):
    """Build, initialise and train a config's model for 3 steps with the
    optimizer wrapper its config builds (with ``default_constructor``,
    mmengine's default constructor instead of the config's); return the
    model and the logged grad norms."""
    model = build(cfg, init=True).train()
    optim_cfg = cfg.optim_wrapper.to_dict()
    if default_constructor:
        optim_cfg.pop('constructor', None)
        optim_cfg.pop('separate_clip', None)
    with DefaultScope.overwrite_default_scope('mmdet'):
        wrapper = build_optim_wrapper(model, optim_cfg)
    torch.manual_seed(5)  # the decoder's dropout draws the same in each arm
    norms = []
    for step in range(3):
        inputs, samples = samples_with_targets(make_samples, seed=10 + step)
        loss, _ = model.parse_losses(model(inputs, samples, mode='loss'))
        wrapper.update_params(loss)
        norms.append(MessageHub.get_current_instance().get_scalar(
            'train/grad_norm').current())
    return model, norms


def differing_parameters(model, reference):
    other = dict(model.named_parameters())
    return [
        name for name, value in reference.named_parameters()
        if not torch.equal(other[name], value)
    ]


@pytest.mark.parametrize(
    'config,default_constructor,same',
    [
        ('dsct-vad-isolated_tiny_synth.py', False, True),
        # each half of the isolation alone is not enough
        ('dsct-vad-isolated_tiny_synth.py', True, False),  # one clip
        ('dsct-vad_tiny_synth.py', False, False),  # joint: VAD gradient
    ])
def test_isolated_branch_leaves_the_training_of_the_rest_alone(
        repo_root, make_samples, config, default_constructor, same):
    base, base_norms = train_three_steps(
        load_cfg(repo_root, 'dsct', 'dsct_tiny_synth.py'), make_samples)
    assert min(base_norms) > 0.1  # the clip (max_norm 0.1) acts
    vad, _ = train_three_steps(
        load_cfg(repo_root, 'dsct_vad', config), make_samples,
        default_constructor)
    differing = differing_parameters(vad, base)
    if same:
        assert differing == []
        assert vad.bbox_head.vad_detach_input
    else:
        assert len(differing) > 0.5 * len(list(base.parameters()))


def test_detached_branch_still_learns(repo_root, make_samples):

    def config():
        return load_cfg(repo_root, 'dsct_vad',
                        'dsct-vad-isolated_tiny_synth.py')

    start = dict(
        build(config(), init=True).bbox_head.vad_branch.named_parameters())
    model, _ = train_three_steps(config(), make_samples)
    for name, value in model.bbox_head.vad_branch.named_parameters():
        assert not torch.equal(value, start[name]), name


def test_detach_needs_the_branch(dsct_cfg):
    with pytest.raises(ValueError, match='vad_detach_input'):
        build_head(dsct_cfg, with_vad=False, vad_detach_input=True)
