"""tools/train.py, tools/test.py and tools/dist_train.sh on the tiny config,
run as a user runs them (subprocesses, data in a working directory)."""
import os
import shutil
import subprocess
import sys

import pytest
import torch

from mmdsct.utils import load_from_local_weights_only

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
    ],
                  cwd=synth_workspace)
    return work_dir


def test_train_writes_checkpoint(trained_run):
    checkpoint = trained_run / 'iter_2.pth'
    assert checkpoint.is_file()
    latest = (trained_run / 'last_checkpoint').read_text().strip()
    assert latest.endswith('iter_2.pth')
    state = load_from_local_weights_only(str(checkpoint), map_location='cpu')
    assert state['meta']['iter'] == 2
    assert 'optimizer' in state and 'message_hub' in state


def test_resume_continues_from_checkpoint(trained_run, synth_workspace,
                                          repo_root, tiny_config,
                                          python_runner):
    work_dir = synth_workspace / 'work_dirs' / 'resumed'
    shutil.copytree(trained_run, work_dir)
    proc = python_runner([
        repo_root / 'tools' / 'train.py', tiny_config, '--work-dir', work_dir,
        '--resume', '--cfg-options', 'train_cfg.max_iters=3', *SHORT_RUN[2:]
    ],
                         cwd=synth_workspace)
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 0, iter: 2' in log.lower()
    assert 'Iter(train) [3/3]' in log
    assert 'Iter(train) [1/3]' not in log
    # The copied last_checkpoint named iter_2.pth; the resumed run saved
    # iteration 3 and points there now.
    pointer = (work_dir / 'last_checkpoint').read_text().strip()
    assert pointer == str(work_dir / 'iter_3.pth')
    resumed = load_from_local_weights_only(pointer, map_location='cpu')
    assert resumed['meta']['iter'] == 3
    # AdamW took 2 steps before the resume and 1 after: its state was
    # restored, not started afresh (which would count 1).
    steps = {
        float(state['step'])
        for state in resumed['optimizer']['state'].values()
    }
    assert steps == {3.0}


def test_test_tool_loads_checkpoint_weights_only(trained_run, synth_workspace,
                                                 repo_root, tiny_config,
                                                 python_runner):
    major, minor = (int(part) for part in torch.__version__.split('.')[:2])
    assert (major, minor) >= (2, 6), 'weights-only loading is the default'
    out_dir = synth_workspace / 'work_dirs' / 'test2'
    proc = python_runner([
        repo_root / 'tools' / 'test.py', tiny_config, trained_run /
        'iter_2.pth', '--work-dir', out_dir, '--out', out_dir / 'preds.pkl'
    ],
                         cwd=synth_workspace)
    log = proc.stdout + proc.stderr
    assert 'Load checkpoint from' in log
    for figure in ('mAP', 'accuracy', 'mAP_det', 'accuracy_det', 'seen_ratio',
                   'mAP_prevalence', 'mAP_context_only', 'mAP_subject_only',
                   'bbox_mAP', 'bbox_mAP_50'):
        assert f'emotion/{figure}: ' in log, figure
    assert 'Emotion AP per class' in log
    assert list(out_dir.glob('*/emotion_metrics.json'))
    assert (out_dir / 'preds.pkl').is_file()


def test_dist_train_two_cpu_processes(synth_workspace, repo_root, tiny_config):
    work_dir = synth_workspace / 'work_dirs' / 'dist'
    env = dict(
        os.environ, PYTHON=sys.executable, PORT='29517', OMP_NUM_THREADS='1')
    proc = subprocess.run([
        'bash',
        str(repo_root / 'tools' / 'dist_train.sh'),
        str(tiny_config), '2', '--work-dir',
        str(work_dir), *SHORT_RUN, 'log_level=DEBUG'
    ],
                          cwd=synth_workspace,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert 'terminate called' not in proc.stderr  # the SIGABRT at exit
    assert (work_dir / 'iter_2.pth').is_file()
    rank0_log = next(work_dir.glob('*/*rank0*.log')).read_text()
    assert 'Distributed training: True' in rank0_log
    assert 'GPU number: 2' in rank0_log  # mmengine's name for world size
    assert "dist_cfg: {'backend': 'gloo'}" in rank0_log
    rank1_logs = list(work_dir.glob('*/*rank1*.log'))
    assert rank1_logs, 'rank 1 wrote no log: it did not take part'
    assert 'Iter(train) [2/2]' in rank1_logs[0].read_text()


def run_tool(args, cwd):
    """Run ``python *args``; return the finished process (any exit code)."""
    return subprocess.run([sys.executable, *map(str, args)],
                          cwd=cwd,
                          capture_output=True,
                          text=True,
                          timeout=600)


def test_load_from_url_refuses_a_hostile_pickle(synth_workspace, repo_root,
                                                tiny_config, http_url,
                                                hostile_checkpoint, torch_home,
                                                tmp_path):
    name, marker = hostile_checkpoint
    proc = run_tool([
        repo_root / 'tools' / 'train.py', tiny_config, '--work-dir',
        tmp_path / 'work', *SHORT_RUN, f'load_from={http_url}/{name}'
    ],
                    cwd=synth_workspace)
    assert proc.returncode != 0
    assert 'UnsafeCheckpointError' in proc.stderr
    assert 'deleted from the cache' in proc.stderr
    assert not marker.exists(), 'the pickle ran code'
    assert not (torch_home / name).exists()


def test_test_tool_refuses_a_hostile_pickle_by_url(synth_workspace, repo_root,
                                                   tiny_config, http_url,
                                                   hostile_checkpoint,
                                                   torch_home, tmp_path):
    name, marker = hostile_checkpoint
    proc = run_tool([
        repo_root / 'tools' / 'test.py', tiny_config, f'{http_url}/{name}',
        '--work-dir', tmp_path / 'work'
    ],
                    cwd=synth_workspace)
    assert proc.returncode != 0
    assert 'UnsafeCheckpointError' in proc.stderr
    assert not marker.exists(), 'the pickle ran code'
    assert not (torch_home / name).exists()


def _altered_checkpoint(trained_run, tmp_path, alter):
    """A copy of iter_2.pth changed by ``alter(checkpoint)``."""
    checkpoint = torch.load(
        trained_run / 'iter_2.pth', map_location='cpu', weights_only=False)
    alter(checkpoint)
    path = tmp_path / 'altered.pth'
    torch.save(checkpoint, path)
    return path


def test_test_tool_refuses_a_checkpoint_that_does_not_fit(
        trained_run, synth_workspace, repo_root, tiny_config, tmp_path):

    def misshape(checkpoint):
        state_dict = checkpoint['state_dict']
        state_dict['level_embed'] = torch.zeros(5, 64)
        del state_dict['subject_query_embedding.weight']
        state_dict['coco_head.weight'] = torch.zeros(1)

    path = _altered_checkpoint(trained_run, tmp_path, misshape)
    args = [
        repo_root / 'tools' / 'test.py', tiny_config, path, '--work-dir',
        tmp_path / 'work'
    ]
    proc = run_tool(args, cwd=synth_workspace)
    assert proc.returncode != 0
    assert 'CheckpointMismatchError' in proc.stderr
    for key in ('level_embed', 'subject_query_embedding.weight',
                'coco_head.weight', '--partial-load'):
        assert key in proc.stderr, key
    assert 'emotion/mAP: ' not in proc.stdout + proc.stderr

    partial = run_tool(args + ['--partial-load'], cwd=synth_workspace)
    log = partial.stdout + partial.stderr
    assert partial.returncode == 0, log[-4000:]
    assert f'Partial load of {path}' in log
    assert 'emotion/mAP: ' in log


def test_test_tool_refuses_other_emotion_classes(trained_run, synth_workspace,
                                                 repo_root, tiny_config,
                                                 tmp_path):
    trained_classes = []

    def rename(checkpoint):
        dataset_meta = checkpoint['meta']['dataset_meta']
        trained_classes.extend(dataset_meta['emotion_classes'])
        dataset_meta['emotion_classes'] = tuple(
            reversed(dataset_meta['emotion_classes']))

    path = _altered_checkpoint(trained_run, tmp_path, rename)
    proc = run_tool([
        repo_root / 'tools' / 'test.py', tiny_config, path, '--work-dir',
        tmp_path / 'work'
    ],
                    cwd=synth_workspace)
    assert proc.returncode != 0
    assert 'EmotionClassesMismatchError' in proc.stderr
    assert str(trained_classes) in proc.stderr  # the dataset's list
    assert str(trained_classes[::-1]) in proc.stderr  # the checkpoint's
