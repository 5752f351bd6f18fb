"""SafeCheckpointHook: a run killed at any step of a save can be resumed.

Each test trains the tiny config in this process on the synthetic data,
saving every iteration with ``max_keep_ckpts=1``, and "kills" the run
(``SystemExit``, which nothing catches) at one step of the second save. The
work directory must then name, in ``last_checkpoint``, a whole checkpoint
that loads, and a resumed run must finish.
"""
import itertools
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.fileio import get_file_backend

import mmdsct  # noqa: F401  (registers the hook)
from mmdsct.engine import SafeCheckpointHook
from mmdsct.engine.hooks import safe_checkpoint_hook
from mmdsct.utils import (AtomicLocalBackend, build_runner,
                          load_from_local_weights_only)

KILL_STEPS = ('before_write', 'after_write', 'after_pointer', 'during_delete')
_run_names = itertools.count()


class Killed(SystemExit):
    """What the simulated kill raises (a BaseException, as SIGTERM's
    default handling is not)."""


def make_cfg(tiny_config, work_dir, max_iters, resume=False, **overrides):
    """The tiny config: save every iteration, keep one, no validation."""
    cfg = Config.fromfile(str(tiny_config))
    cfg.merge_from_dict({
        'train_cfg.max_iters': max_iters,
        'train_dataloader.batch_size': 2,
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.checkpoint.max_keep_ckpts': 1,
        'default_hooks.logger.interval': 1,
        **overrides
    })
    if 'train_cfg.val_interval' not in overrides:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.work_dir = str(work_dir)
    cfg.resume = resume
    cfg.experiment_name = f'safe_checkpoint_{next(_run_names)}'
    return cfg


def kill_on_call(function, call):
    """Wrap ``function`` so that its ``call``-th call raises
    :class:`Killed` (before running)."""
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(None)
        if len(calls) == call:
            raise Killed(f'killed in {function.__name__}')
        return function(*args, **kwargs)

    return wrapper


def arm_kill(step, runner, monkeypatch):
    """Make the second save of ``runner`` die at ``step``."""
    if step == 'before_write':
        runner.save_checkpoint = kill_on_call(runner.save_checkpoint, 2)
    elif step == 'after_write':  # the pointer is the second atomic write
        monkeypatch.setattr(
            safe_checkpoint_hook, 'atomic_write_bytes',
            kill_on_call(safe_checkpoint_hook.atomic_write_bytes, 2))
    elif step == 'after_pointer':  # the first deletion: at the 2nd save
        monkeypatch.setattr(SafeCheckpointHook, '_remove',
                            kill_on_call(SafeCheckpointHook._remove, 1))
    elif step == 'during_delete':
        remove = AtomicLocalBackend.remove

        def remove_then_die(self, path):
            remove(self, path)
            raise Killed('killed while deleting')

        monkeypatch.setattr(AtomicLocalBackend, 'remove', remove_then_die)


def assert_resumable(work_dir, iters):
    """``last_checkpoint`` names a loadable checkpoint of one of ``iters``.

    Returns:
        int: The iteration of that checkpoint.
    """
    pointer = (work_dir / 'last_checkpoint').read_text().strip()
    assert pointer, 'last_checkpoint is empty'
    assert osp.isfile(pointer), f'{pointer} does not exist'
    checkpoint = load_from_local_weights_only(pointer, map_location='cpu')
    assert 'state_dict' in checkpoint and 'optimizer' in checkpoint
    assert checkpoint['meta']['iter'] in iters
    return checkpoint['meta']['iter']


@pytest.fixture
def in_workspace(synth_workspace, monkeypatch):
    """Run in the workspace whose data/synth the tiny config reads."""
    monkeypatch.chdir(synth_workspace)
    return synth_workspace


@pytest.mark.parametrize('kwargs, expected', [
    (dict(), dict(backend='atomic_local')),
    (dict(out_dir='checkpoints'), dict(backend='atomic_local')),
    (dict(out_dir='s3://bucket/run'), None),
    (dict(backend_args=dict(backend='local')), dict(backend='local')),
])
def test_local_checkpoints_are_written_atomically_without_a_switch(
        kwargs, expected):
    """Atomic by the hook's own choice of backend, not by a process-wide
    one (``import mmdsct`` leaves mmengine's ``'local'`` backend alone)."""
    hook = SafeCheckpointHook(interval=1, **kwargs)
    assert hook.backend_args == expected
    if expected is not None and expected['backend'] == 'atomic_local':
        backend = get_file_backend(
            str(kwargs.get('out_dir', '.')), backend_args=hook.backend_args)
        assert type(backend) is AtomicLocalBackend


def test_configs_use_the_safe_hook(tiny_config, tmp_path, in_workspace):
    cfg = make_cfg(tiny_config, tmp_path, max_iters=1)
    assert cfg.default_hooks.checkpoint.type == 'SafeCheckpointHook'
    runner = build_runner(cfg)
    assert any(isinstance(hook, SafeCheckpointHook) for hook in runner.hooks)


@pytest.mark.parametrize('step', KILL_STEPS)
def test_kill_at_any_step_of_a_save_leaves_a_resumable_run(
        step, tiny_config, tmp_path, in_workspace, monkeypatch):
    runner = build_runner(make_cfg(tiny_config, tmp_path, max_iters=2))
    arm_kill(step, runner, monkeypatch)
    with pytest.raises(Killed):
        runner.train()
    monkeypatch.undo()
    monkeypatch.chdir(in_workspace)
    saved_iter = assert_resumable(tmp_path, iters=(1, 2))
    expected = 1 if step in ('before_write', 'after_write') else 2
    assert saved_iter == expected

    # A kill during an atomic write leaves its temporary file behind.
    leftover = tmp_path / '.iter_3.pth.0a1b2c3d.tmp'
    leftover.write_bytes(b'partial')
    resumed = build_runner(
        make_cfg(tiny_config, tmp_path, max_iters=3, resume=True))
    resumed.train()
    assert resumed.iter == 3
    assert assert_resumable(tmp_path, iters=(3, )) == 3
    assert not leftover.exists()
    assert not (tmp_path / 'iter_2.pth').exists()  # max_keep_ckpts=1


def test_leftover_temporary_files_are_counted_in_the_log(
        tiny_config, tmp_path, in_workspace):
    for name in ('.iter_1.pth.0a1b2c3d.tmp', '.last_checkpoint.x1y2z3w4.tmp'):
        (tmp_path / name).write_bytes(b'partial')
    runner = build_runner(make_cfg(tiny_config, tmp_path, max_iters=1))
    runner.train()
    log_file = osp.join(runner.log_dir, f'{runner.timestamp}.log')
    with open(log_file) as f:
        log = f.read()
    assert 'Removed 2 temporary file(s)' in log
    assert sorted(p.name for p in tmp_path.glob('.*.tmp')) == []


def test_previous_best_is_deleted_only_after_the_new_one_is_saved(
        tiny_config, tmp_path, in_workspace, monkeypatch):
    """With ``save_best``, every validation here is a new best; a kill
    while deleting the previous best leaves the new best, and
    ``last_checkpoint`` resumable; an uninterrupted run keeps one best."""
    best_overrides = {
        'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.save_best': 'emotion/mAP',
        'default_hooks.checkpoint.rule': 'greater'
    }

    def build(work_dir, max_iters):
        runner = build_runner(
            make_cfg(tiny_config, work_dir, max_iters, **best_overrides))
        hook = next(
            h for h in runner.hooks if isinstance(h, SafeCheckpointHook))
        hook.is_better_than['emotion/mAP'] = lambda new, old: True
        return runner

    whole = tmp_path / 'whole'
    build(whole, max_iters=2).train()
    assert sorted(p.name for p in whole.glob('best_*.pth')) == \
        ['best_emotion_mAP_iter_2.pth']

    killed = tmp_path / 'killed'
    runner = build(killed, max_iters=2)
    remove = SafeCheckpointHook._remove

    def die_on_best(self, path):
        if osp.basename(path).startswith('best_'):
            raise Killed('killed while deleting the previous best')
        return remove(self, path)

    monkeypatch.setattr(SafeCheckpointHook, '_remove', die_on_best)
    with pytest.raises(Killed):
        runner.train()
    assert (killed / 'best_emotion_mAP_iter_2.pth').is_file()
    assert assert_resumable(killed, iters=(2, )) == 2
    checkpoint = load_from_local_weights_only(
        str(killed / 'iter_2.pth'), map_location='cpu')
    best = checkpoint['message_hub']['runtime_info']['best_ckpt']
    assert best.endswith('best_emotion_mAP_iter_2.pth')
