"""Test (and evaluate) a trained model.

Prints every figure of the config's evaluator; ``--out`` also dumps the raw
predictions, ``--show-dir`` draws them with the config's visualiser.

The checkpoint must fit the config: missing, unexpected or differently
shaped parameters are an error that lists them (``--partial-load`` loads
what fits instead), and so are emotion classes in the checkpoint's meta data
that differ from the test dataset's.
"""
import argparse
import os
import warnings

from mmdet.engine.hooks.utils import trigger_visualization_hook
from mmdet.evaluation import DumpDetResults
from mmdet.utils import setup_cache_size_limit_of_dynamo
from mmengine.config import DictAction

import mmdsct  # noqa: F401  (registers the project's modules)
from mmdsct.engine import CheckedLoadRunner, EmotionClassesCheckHook
from mmdsct.utils import (build_runner, destroy_distributed,
                          enable_safe_checkpoint_io, load_run_config)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a DSCT model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the dir to save the evaluation results and logs')
    parser.add_argument(
        '--out', help='dump the predictions to this pickle file')
    parser.add_argument(
        '--show', action='store_true', help='show the predictions')
    parser.add_argument(
        '--show-dir',
        help='draw the predictions into this directory (relative to '
        'work_dir/timestamp)')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='interval of --show (s)')
    parser.add_argument(
        '--partial-load',
        action='store_true',
        help='load the parameters of the checkpoint that fit the config and '
        'keep the others as built (logged), instead of refusing a '
        'checkpoint that does not fit')
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
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error(f'--out must be a .pkl file, got {args.out}')
    return args


def main() -> None:
    args = parse_args()
    # Weights-only loading (on since ``import mmdsct``) and atomic writes
    # of every local file mmengine writes, for this process.
    enable_safe_checkpoint_io()
    run_test(args)
    # Close a distributed run's process group before the interpreter exits
    # (not after an error: another rank may be blocked in a collective).
    destroy_distributed()


def run_test(args: argparse.Namespace) -> None:
    """Build the runner of ``args.config``, load the checkpoint, test."""
    setup_cache_size_limit_of_dynamo()
    cfg = load_run_config(args.config, args.launcher, args.cfg_options,
                          args.work_dir)
    cfg.load_from = args.checkpoint
    cfg.strict_load_from = not args.partial_load
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)

    runner = build_runner(cfg)
    if not isinstance(runner, CheckedLoadRunner):
        warnings.warn(f'runner_type {cfg.runner_type} does not check that '
                      'the checkpoint fits the model.')
    runner.register_hook(EmotionClassesCheckHook(args.checkpoint))
    if args.out is not None:
        runner.test_evaluator.metrics.append(
            DumpDetResults(out_file_path=args.out))
    runner.test()


if __name__ == '__main__':
    main()
