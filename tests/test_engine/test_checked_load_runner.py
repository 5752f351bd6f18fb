"""CheckedLoadRunner: resuming (and, when asked, loading) a checkpoint that
does not fit the model is a named error; fine-tuning loads what fits."""
import itertools

import pytest
import torch
from mmengine.config import Config

import mmdsct  # noqa: F401  (registers the runner)
from mmdsct.engine import CheckedLoadRunner
from mmdsct.utils import CheckpointMismatchError, build_runner

_run_names = itertools.count()
#: A parameter of the tiny DSCT, [num_levels, embed_dims].
SHAPED_KEY = 'level_embed'


def make_cfg(tiny_config, work_dir, max_iters, **fields):
    """The tiny config for ``max_iters`` iterations, no validation."""
    cfg = Config.fromfile(str(tiny_config))
    cfg.merge_from_dict({
        'train_cfg.max_iters': max_iters,
        'train_dataloader.batch_size': 2,
        'default_hooks.checkpoint.interval': 1,
    })
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'checked_load_{next(_run_names)}'
    cfg.update(fields)
    return cfg


@pytest.fixture
def misfit_run(synth_workspace, tiny_config, tmp_path, monkeypatch):
    """A work dir whose one checkpoint has a parameter of another shape,
    a parameter too few and one too many."""
    monkeypatch.chdir(synth_workspace)
    build_runner(make_cfg(tiny_config, tmp_path, max_iters=1)).train()
    path = tmp_path / 'iter_1.pth'
    checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    state_dict = checkpoint['state_dict']
    state_dict[SHAPED_KEY] = torch.zeros(3, state_dict[SHAPED_KEY].shape[1])
    del state_dict['reference_points_fc.bias']
    state_dict['old_head.weight'] = torch.zeros(2)
    torch.save(checkpoint, path)
    return tmp_path


def test_tools_build_the_checking_runner(tiny_config, tmp_path):
    cfg = make_cfg(tiny_config, tmp_path, max_iters=1)
    assert isinstance(build_runner(cfg), CheckedLoadRunner)


def test_resume_refuses_a_checkpoint_that_does_not_fit(misfit_run,
                                                       tiny_config):
    runner = build_runner(
        make_cfg(tiny_config, misfit_run, max_iters=2, resume=True))
    with pytest.raises(CheckpointMismatchError) as err:
        runner.train()
    message = str(err.value)
    for part in ('iter_1.pth', SHAPED_KEY, 'reference_points_fc.bias',
                 'old_head.weight', 'load_from'):
        assert part in message, part


def test_load_from_is_lenient_unless_strict(misfit_run, tiny_config):
    checkpoint = str(misfit_run / 'iter_1.pth')
    lenient = build_runner(
        make_cfg(
            tiny_config,
            misfit_run / 'lenient',
            max_iters=1,
            load_from=checkpoint))
    lenient.train()  # fine-tuning: loads what fits
    assert lenient.iter == 1

    strict = build_runner(
        make_cfg(
            tiny_config,
            misfit_run / 'strict',
            max_iters=1,
            load_from=checkpoint,
            strict_load_from=True))
    with pytest.raises(CheckpointMismatchError, match=SHAPED_KEY):
        strict.train()
