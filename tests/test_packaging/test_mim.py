"""An installed mmdsct carries its configs, tools and model index for
OpenMIM (``mmdsct/.mim``), and ``mim`` trains and tests with them from a
directory outside the source tree.

The wheel is built from a copy of the source tree (no network, no build
isolation: a pure-Python build takes seconds) and installed into a
temporary target that ``PYTHONPATH`` puts before the editable install of
the development environment.
"""
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytest.importorskip('mim', reason='openmim (requirements/tests.txt)')

PYTHON = sys.executable
MIM = str(Path(sys.executable).with_name('mim'))
#: What a wheel build needs none of (and the editable install's links).
NOT_COPIED = shutil.ignore_patterns('.git', '.venv', '.mim', 'work_dirs',
                                    'data', 'build', 'dist', '*.egg-info',
                                    '__pycache__', '.pytest_cache', 'tests',
                                    'resources', '*.pth', 'checkpoints',
                                    '.benchmarks', '.whl')
MIM_FILES = ('configs', 'tools', 'model-index.yml')
ITERS = 2


def run(cmd, cwd, env=None, timeout=600):
    """Run a command; fail with its output if it fails."""
    proc = subprocess.run([str(c) for c in cmd],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    assert proc.returncode == 0, (
        f'{cmd} exited with {proc.returncode}\n--- stdout ---\n'
        f'{proc.stdout[-5000:]}\n--- stderr ---\n{proc.stderr[-5000:]}')
    return proc


def copy_source(repo_root, destination):
    shutil.copytree(repo_root, destination, ignore=NOT_COPIED)
    return destination


@pytest.fixture(scope='module')
def wheel(repo_root, tmp_path_factory):
    """A wheel of mmdsct, built as ``pip wheel`` builds it."""
    work = tmp_path_factory.mktemp('wheel')
    source = copy_source(repo_root, work / 'src')
    run([
        PYTHON, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation',
        '--no-index', '-w', work / 'dist', source
    ],
        cwd=work)
    assert not (source / 'mmdsct' / '.mim').exists(), \
        'a wheel build must not write into the source tree'
    wheels = list((work / 'dist').glob('mmdsct-*.whl'))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope='module')
def installed_env(wheel, tmp_path_factory):
    """Environment variables under which ``import mmdsct`` and ``mim`` find
    the wheel's files, installed into a temporary target."""
    target = tmp_path_factory.mktemp('site')
    run([
        PYTHON, '-m', 'pip', 'install', '--no-deps', '--no-index', '--target',
        target, wheel
    ],
        cwd=target)
    env = dict(os.environ)
    env['PYTHONPATH'] = str(target)
    env['PATH'] = os.pathsep.join([str(Path(PYTHON).parent), env['PATH']])
    env['OMP_NUM_THREADS'] = '1'
    return target, env


def test_wheel_carries_configs_tools_and_model_index(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())

    for expected in ('mmdsct/.mim/model-index.yml',
                     'mmdsct/.mim/configs/dsct/metafile.yml',
                     'mmdsct/.mim/configs/two_stage/metafile.yml',
                     'mmdsct/.mim/configs/dsct/dsct_tiny_synth.py',
                     'mmdsct/.mim/configs/_base_/default_runtime.py',
                     'mmdsct/.mim/tools/train.py', 'mmdsct/.mim/tools/test.py',
                     'mmdsct/__init__.py'):
        assert expected in names, expected
    assert not any('__pycache__' in name for name in names)


def test_mim_search_train_test_from_installed_copy(installed_env,
                                                   synth_workspace, tmp_path):
    target, env = installed_env
    mim_dir = target / 'mmdsct' / '.mim'
    imported = run([PYTHON, '-c', 'import mmdsct; print(mmdsct.__file__)'],
                   cwd=synth_workspace,
                   env=env)
    assert Path(imported.stdout.strip()).parent == target / 'mmdsct'

    search = run([MIM, 'search', 'mmdsct'], cwd=synth_workspace, env=env)
    for name in ('dsct_tiny_synth', 'two-stage_r18_synth',
                 'dsct_r50_1xb4-50e_emotic-dsct_converted'):
        assert name in search.stdout

    work_dir = tmp_path / 'tiny'
    train = run([
        MIM, 'train', 'mmdsct', 'dsct_tiny_synth.py', '--gpus', '0',
        '--work-dir', work_dir, '--cfg-options',
        f'train_cfg.max_iters={ITERS}', f'train_cfg.val_interval={ITERS}',
        f'default_hooks.checkpoint.interval={ITERS}',
        'train_dataloader.batch_size=2'
    ],
                cwd=synth_workspace,
                env=env)
    # the config and the training script of the installed copy ran
    assert str(mim_dir / 'configs' / 'dsct' / 'dsct_tiny_synth.py') in \
        train.stdout
    assert str(mim_dir / 'tools' / 'train.py') in train.stdout
    assert (work_dir / f'iter_{ITERS}.pth').is_file()

    test = run([
        MIM, 'test', 'mmdsct', 'dsct_tiny_synth.py', '--gpus', '0',
        '--checkpoint', work_dir / f'iter_{ITERS}.pth', '--work-dir',
        tmp_path / 'tested'
    ],
               cwd=synth_workspace,
               env=env)
    assert str(mim_dir / 'tools' / 'test.py') in test.stdout
    assert 'emotion/mAP' in test.stdout + test.stderr


def test_editable_build_links_the_source_tree(repo_root, tmp_path):
    """``pip install -e .`` builds an editable wheel; its build_py step links
    the configs, tools and model index into mmdsct/.mim."""
    source = copy_source(repo_root, tmp_path / 'src')
    run([
        PYTHON, '-c', 'from setuptools import build_meta; '
        f'build_meta.build_editable({str(tmp_path / "out")!r})'
    ],
        cwd=source)

    for name in MIM_FILES:
        link = source / 'mmdsct' / '.mim' / name
        assert link.is_symlink(), name
        assert link.resolve() == (source / name).resolve()
