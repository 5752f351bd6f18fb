"""Train a DSCT model (or any mmdet model) from a config.

The same entry point serves one process, ``tools/dist_train.sh`` (torchrun,
NCCL on GPUs, gloo on CPU-only machines) and ``tools/slurm_train.sh``.

``--resume`` continues from the checkpoint that ``<work_dir>/last_checkpoint``
names (or from the one given) and refuses a checkpoint whose keys or shapes
do not fit the config; ``load_from`` (fine-tuning) loads what fits and logs
the rest.
"""
import argparse
import os

from mmdet.utils import setup_cache_size_limit_of_dynamo
from mmengine.config import DictAction

import mmdsct  # noqa: F401  (registers the project's modules)
from mmdsct.utils import (build_runner, destroy_distributed,
                          enable_safe_checkpoint_io, load_run_config)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a DSCT model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual total batch size')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or, without a path, from the '
        'latest checkpoint in the work directory')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs; a list '
        'is written key="[a,b]" or key=a,b, with no white space')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch >= 2.0 passes --local-rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    # Weights-only loading (on since ``import mmdsct``) and atomic writes
    # of every local file mmengine writes, for this process.
    enable_safe_checkpoint_io()
    run_training(args)
    # Close a distributed run's process group before the interpreter exits
    # (not after an error: another rank may be blocked in a collective).
    destroy_distributed()


def run_training(args: argparse.Namespace) -> None:
    """Build the runner of ``args.config`` and train."""
    setup_cache_size_limit_of_dynamo()
    cfg = load_run_config(args.config, args.launcher, args.cfg_options,
                          args.work_dir)

    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise RuntimeError(
                f'{args.config} has no "auto_scale_lr.base_batch_size"; '
                'cannot scale the learning rate automatically.')
        cfg.auto_scale_lr.enable = True

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    runner = build_runner(cfg)
    runner.train()


if __name__ == '__main__':
    main()
