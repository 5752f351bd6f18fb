"""Config handling shared by ``tools/train.py`` and ``tools/test.py``."""
import os.path as osp
from typing import Optional

from mmdet.registry import RUNNERS
from mmengine.config import Config
from mmengine.runner import Runner

from .dist import setup_cpu_distributed


def load_run_config(config: str,
                    launcher: str = 'none',
                    cfg_options: Optional[dict] = None,
                    work_dir: Optional[str] = None) -> Config:
    """Load a config the way mmdet's tools do, and prepare distribution.

    ``work_dir`` is taken, in this order, from the command line, from the
    config, or from the config's file name (``work_dirs/<name>``). Without
    CUDA, a ``pytorch`` launcher gets a gloo process group
    (:func:`~mmdsct.utils.setup_cpu_distributed`).

    Args:
        config (str): Path of the config file.
        launcher (str): Job launcher. Defaults to ``'none'``.
        cfg_options (dict, optional): ``--cfg-options`` overrides.
        work_dir (str, optional): ``--work-dir``.

    Returns:
        Config: The merged config.
    """
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    setup_cpu_distributed(cfg, launcher)
    return cfg


def build_runner(cfg: Config) -> Runner:
    """Build the runner: ``cfg.runner_type`` from the registry, or
    :class:`~mmdsct.engine.CheckedLoadRunner` (mmengine's runner, checking
    checkpoints against the model)."""
    if 'runner_type' not in cfg:
        from mmdsct.engine import CheckedLoadRunner
        return CheckedLoadRunner.from_cfg(cfg)
    return RUNNERS.build(cfg)
