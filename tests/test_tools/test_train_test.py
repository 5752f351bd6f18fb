"""tools/train.py, tools/test.py and tools/dist_train.sh on the tiny config,
run as a user runs them (subprocesses, data in a working directory)."""
import os
import shutil
import subprocess
import sys

import pytest
import torch

SHORT_RUN = [
    '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1'
]


@pytest.fixture(scope='module')
def trained_run(synth_workspace, repo_root, tiny_config, python_runner):
    """Two training iterations of the tiny config; returns its work dir."""
    work_dir = synth_workspace / 'work_dirs' / 'train2'
    python_runner([
        repo_root / 'tools' / 'train.py', tiny_config, '--work-dir', work_dir,
        *SHORT_RUN
    ], cwd=synth_workspace)
    return work_dir


def test_train_writes_checkpoint(trained_run):
    checkpoint = trained_run / 'iter_2.pth'
    assert checkpoint.is_file()
    latest = (trained_run / 'last_checkpoint').read_text().strip()
    assert latest.endswith('iter_2.pth')
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)
    assert state['meta']['iter'] == 2
    assert 'optimizer' in state and 'message_hub' in state


def test_resume_continues_from_checkpoint(trained_run, synth_workspace,
                                          repo_root, tiny_config,
                                          python_runner):
    work_dir = synth_workspace / 'work_dirs' / 'resumed'
    shutil.copytree(trained_run, work_dir)
    proc = python_runner([
        repo_root / 'tools' / 'train.py', tiny_config, '--work-dir',
        work_dir, '--resume', '--cfg-options', 'train_cfg.max_iters=3',
        *SHORT_RUN[2:]
    ], cwd=synth_workspace)
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 0, iter: 2' in log.lower()
    assert 'Iter(train) [3/3]' in log
    assert 'Iter(train) [1/3]' not in log
    assert (work_dir / 'iter_3.pth').is_file() or \
        (work_dir / 'last_checkpoint').read_text().strip().endswith(
            'iter_2.pth')


def test_test_tool_loads_checkpoint_weights_only(trained_run,
                                                 synth_workspace, repo_root,
                                                 tiny_config, python_runner):
    major, minor = (int(part) for part in torch.__version__.split('.')[:2])
    assert (major, minor) >= (2, 6), 'weights-only loading is the default'
    out_dir = synth_workspace / 'work_dirs' / 'test2'
    proc = python_runner([
        repo_root / 'tools' / 'test.py', tiny_config,
        trained_run / 'iter_2.pth', '--work-dir', out_dir, '--out',
        out_dir / 'preds.pkl'
    ], cwd=synth_workspace)
    log = proc.stdout + proc.stderr
    assert 'Load checkpoint from' in log
    for figure in ('mAP', 'accuracy', 'mAP_det', 'accuracy_det', 'seen_ratio',
                   'mAP_prevalence', 'mAP_context_only',
                   'mAP_subject_only', 'bbox_mAP', 'bbox_mAP_50'):
        assert f'emotion/{figure}: ' in log, figure
    assert 'Emotion AP per class' in log
    assert list(out_dir.glob('*/emotion_metrics.json'))
    assert (out_dir / 'preds.pkl').is_file()


def test_dist_train_two_cpu_processes(synth_workspace, repo_root,
                                      tiny_config):
    work_dir = synth_workspace / 'work_dirs' / 'dist'
    env = dict(os.environ, PYTHON=sys.executable, PORT='29517',
               OMP_NUM_THREADS='1')
    proc = subprocess.run([
        'bash', str(repo_root / 'tools' / 'dist_train.sh'),
        str(tiny_config), '2', '--work-dir', str(work_dir), *SHORT_RUN,
        'log_level=DEBUG'
    ],
                          cwd=synth_workspace,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert (work_dir / 'iter_2.pth').is_file()
    rank0_log = next(work_dir.glob('*/*rank0*.log')).read_text()
    assert 'Distributed training: True' in rank0_log
    assert 'GPU number: 2' in rank0_log  # mmengine's name for world size
    assert "dist_cfg: {'backend': 'gloo'}" in rank0_log
    rank1_logs = list(work_dir.glob('*/*rank1*.log'))
    assert rank1_logs, 'rank 1 wrote no log: it did not take part'
    assert 'Iter(train) [2/2]' in rank1_logs[0].read_text()
