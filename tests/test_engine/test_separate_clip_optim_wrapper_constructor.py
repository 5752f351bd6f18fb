"""SeparateClipOptimWrapperConstructor: named parameters are clipped on
their own, the others exactly as without them."""
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from torch import nn

import mmdsct  # noqa: F401  (registers the constructor)
from mmdsct.engine import (PartitionedClipGradNorm,
                           SeparateClipOptimWrapperConstructor)

MAX_NORM = 0.5


class TwoParts(nn.Module):
    """A trunk and a branch of two linear layers each."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.trunk = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
        self.branch = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 3))


class Wrapped(nn.Module):
    """What DistributedDataParallel looks like to the constructor."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module


def set_gradients(model, trunk_scale, branch_scale):
    generator = torch.Generator().manual_seed(1)
    for name, param in model.named_parameters():
        scale = trunk_scale if name.startswith('trunk') else branch_scale
        param.grad = scale * torch.randn(param.shape, generator=generator)


def norm(params):
    return float(
        torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in params])))


def optim_cfg(**overrides):
    cfg = dict(
        optimizer=dict(type='SGD', lr=0.1),
        clip_grad=dict(max_norm=MAX_NORM, norm_type=2),
        separate_clip=['branch'])
    cfg.update(overrides)
    return cfg


def build(model, **overrides):
    cfg = optim_cfg(**overrides)
    paramwise_cfg = cfg.pop('paramwise_cfg', None)
    return SeparateClipOptimWrapperConstructor(cfg, paramwise_cfg)(model)


@pytest.mark.parametrize(
    'paramwise_cfg',
    [None, dict(custom_keys={'branch': dict(lr_mult=2)})])
def test_branch_and_rest_are_clipped_apart(paramwise_cfg):
    model = TwoParts()
    wrapper = build(model, paramwise_cfg=paramwise_cfg)
    reference = TwoParts()
    set_gradients(model, trunk_scale=1.0, branch_scale=100.0)
    set_gradients(reference, trunk_scale=1.0, branch_scale=100.0)
    trunk_norm = norm(model.trunk.parameters())
    assert trunk_norm > MAX_NORM  # both parts get clipped
    wrapper._clip_grad()
    # the trunk as a clip of the trunk alone gives it
    torch.nn.utils.clip_grad_norm_(reference.trunk.parameters(), MAX_NORM)
    for param, expected in zip(model.trunk.parameters(),
                               reference.trunk.parameters()):
        assert torch.equal(param.grad, expected.grad)
    assert norm(model.branch.parameters()) == pytest.approx(MAX_NORM)
    hub = MessageHub.get_current_instance()
    assert hub.get_scalar('train/grad_norm').current() == pytest.approx(
        trunk_norm)
    assert hub.get_scalar('train/grad_norm.branch').current() == \
        pytest.approx(norm(reference.branch.parameters()))


def test_one_clip_over_all_would_have_shrunk_the_trunk():
    """The coupling the constructor removes (so the test above could
    fail)."""
    model = TwoParts()
    set_gradients(model, trunk_scale=1.0, branch_scale=100.0)
    before = norm(model.trunk.parameters())
    torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_NORM)
    assert norm(model.trunk.parameters()) < 0.1 * min(before, MAX_NORM)


def test_names_of_a_ddp_wrapped_model_are_those_of_the_module():
    model = TwoParts()
    wrapper = build(Wrapped(model))
    assert isinstance(wrapper.clip_func, PartitionedClipGradNorm)
    assert wrapper.clip_func.parts['branch'] == {
        id(p)
        for p in model.branch.parameters()
    }


def test_a_parameter_name_selects_only_that_parameter():
    model = TwoParts()
    wrapper = build(model, separate_clip=['branch.1.weight'])
    assert wrapper.clip_func.parts == {
        'branch.1.weight': {id(model.branch[1].weight)}
    }


@pytest.mark.parametrize('name', ['brunch', 'branch.1.weig', 'bran'])
def test_a_name_that_matches_nothing_is_refused(name):
    with pytest.raises(ValueError, match=repr(name)):
        build(TwoParts(), separate_clip=[name])


@pytest.mark.parametrize('names', [None, [], 'branch', [''], [3]])
def test_separate_clip_must_be_a_list_of_names(names):
    with pytest.raises(ValueError, match='separate_clip'):
        SeparateClipOptimWrapperConstructor(optim_cfg(separate_clip=names))


def test_without_a_norm_clip_the_wrapper_is_the_default_one():
    model = TwoParts()
    no_clip = optim_cfg()
    del no_clip['clip_grad']
    wrapper = SeparateClipOptimWrapperConstructor(no_clip)(model)
    assert not hasattr(wrapper, 'clip_func')
    value_clip = build(model, clip_grad=dict(type='value', clip_value=0.1))
    assert value_clip.clip_func is torch.nn.utils.clip_grad_value_


def test_configs_find_it_in_mmdets_scope():
    cfg = optim_cfg(constructor='SeparateClipOptimWrapperConstructor')
    with DefaultScope.overwrite_default_scope('mmdet'):
        wrapper = build_optim_wrapper(TwoParts(), cfg)
    assert isinstance(wrapper.clip_func, PartitionedClipGradNorm)
