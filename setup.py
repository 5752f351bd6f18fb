"""Packaging of mmdsct; the metadata lives in setup.cfg.

As OpenMMLab packages do, mmdsct carries its configs, tools and model index
in ``mmdsct/.mim/``, where OpenMIM looks for them (``mim search mmdsct``,
``mim train mmdsct CONFIG``, ``mim test mmdsct CONFIG --checkpoint CKPT``):

- an editable install (``pip install -e .``) gets symbolic links in the
  source tree (``mmdsct/.mim/configs -> ../../configs`` and so on), so that
  edits to the configs and tools show at once;
- a wheel (also the one pip builds from an sdist) gets copies, made in the
  build directory; the source tree is left alone.

``mmdsct/.mim`` is a build product and is kept out of git.
"""
import os
import os.path as osp
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.develop import develop

PACKAGE = 'mmdsct'
#: What the package carries for OpenMIM, relative to the project root.
MIM_FILES = ('configs', 'tools', 'model-index.yml')
MIM_DIR = '.mim'
PROJECT_ROOT = osp.dirname(osp.abspath(__file__))
IGNORED = shutil.ignore_patterns('__pycache__', '*.pyc')


def _remove(path: str) -> None:
    """Remove a file, a symbolic link or a folder, if there is one."""
    if osp.islink(path) or osp.isfile(path):
        os.remove(path)
    elif osp.isdir(path):
        shutil.rmtree(path)


def _copy(source: str, target: str) -> None:
    """Copy a file or a folder (without byte code) to ``target``."""
    if osp.isdir(source):
        shutil.copytree(source, target, ignore=IGNORED)
    else:
        shutil.copy2(source, target)


def add_mim_files(package_dir: str, link: bool) -> None:
    """Put the configs, tools and model index into ``<package_dir>/.mim``.

    Args:
        package_dir (str): The ``mmdsct`` folder to fill (the source one
            for editable installs, the build one for wheels).
        link (bool): Make relative symbolic links (copies where the file
            system cannot link) instead of copies.
    """
    mim_dir = osp.join(package_dir, MIM_DIR)
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        source = osp.join(PROJECT_ROOT, name)
        target = osp.join(mim_dir, name)
        _remove(target)
        if not osp.exists(source):
            continue
        if link:
            try:
                os.symlink(osp.relpath(source, mim_dir), target)
                continue
            except OSError:  # e.g. Windows without the privilege
                pass
        _copy(source, target)


class BuildPyWithMim(build_py):
    """``build_py`` that also adds the OpenMIM files to the package."""

    def run(self) -> None:
        super().run()
        if getattr(self, 'editable_mode', False):
            add_mim_files(osp.join(PROJECT_ROOT, PACKAGE), link=True)
        else:
            add_mim_files(osp.join(self.build_lib, PACKAGE), link=False)


class DevelopWithMim(develop):
    """``setup.py develop`` (setuptools < 64 editable installs) with the
    OpenMIM links."""

    def run(self) -> None:
        add_mim_files(osp.join(PROJECT_ROOT, PACKAGE), link=True)
        super().run()


setup(cmdclass=dict(build_py=BuildPyWithMim, develop=DevelopWithMim))
