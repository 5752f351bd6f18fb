"""Run ``tools/dist_train.sh CONFIG NPROC`` many times in a row and count
the runs that fail or abort.

A distributed run on CPU (gloo) used to end, now and then, with
``terminate called without an active exception`` (SIGABRT) after training
had finished, and torchrun then reported a failure. This script repeats a
short run (2 iterations, a checkpoint at the end) and counts, over all runs,
the non-zero exits and the SIGABRT messages; it exits with 1 if there was
any. It is a stress check, not a timed test: a run of the tiny config with 2
processes takes tens of seconds on a laptop CPU.

Example::

    python tools/misc/dist_train_stress.py --runs 20
    # the test suite's settings
    python tools/misc/dist_train_stress.py --runs 10 \
        --cfg-options default_hooks.logger.interval=1 log_level=DEBUG

The tiny config reads ``data/synth`` relative to the working directory;
without ``--workspace``, a temporary one with 12 training and 6 test images
from ``tools/misc/make_synthetic_emotion.py`` is made (and deleted).
"""
import argparse
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile
import time
from typing import List, NamedTuple

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_CONFIG = osp.join(REPO_ROOT, 'configs', 'dsct', 'dsct_tiny_synth.py')
DIST_TRAIN = osp.join(REPO_ROOT, 'tools', 'dist_train.sh')
MAKE_SYNTH = osp.join(REPO_ROOT, 'tools', 'misc', 'make_synthetic_emotion.py')
#: What the C++ runtime prints before it aborts a process.
ABORT_MESSAGE = 'terminate called'
#: Lines of a failed run's output shown.
TAIL_LINES = 15


class RunResult(NamedTuple):
    """One run: its exit code, whether it printed :data:`ABORT_MESSAGE`,
    and its wall time in seconds."""
    returncode: int
    aborted: bool
    seconds: float


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'config', nargs='?', default=DEFAULT_CONFIG, help='train config')
    parser.add_argument(
        '--runs', type=int, default=20, help='number of runs (20)')
    parser.add_argument(
        '--nproc', type=int, default=2, help='processes per run (2)')
    parser.add_argument(
        '--iters', type=int, default=2, help='iterations per run (2)')
    parser.add_argument(
        '--port',
        type=int,
        default=29600,
        help='master port of the first run; run i uses PORT + i')
    parser.add_argument(
        '--workspace',
        help='directory holding data/synth (default: a temporary one)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='further key=value overrides for tools/train.py')
    args = parser.parse_args()
    if args.runs < 1 or args.nproc < 1 or args.iters < 1:
        parser.error('--runs, --nproc and --iters must be >= 1')
    return args


def make_workspace(directory: str) -> None:
    """Generate the small synthetic data set into ``directory``."""
    subprocess.run([
        sys.executable, MAKE_SYNTH, '--out-dir',
        osp.join(directory, 'data', 'synth'), '--num-train', '12',
        '--num-test', '6', '--seed', '0'
    ],
                   check=True,
                   capture_output=True)


def run_once(args: argparse.Namespace, index: int, workspace: str,
             work_dir: str) -> RunResult:
    """One ``dist_train.sh`` run; prints a line (and the output's tail if
    it failed)."""
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        PORT=str(args.port + index),
        OMP_NUM_THREADS='1')
    command = [
        'bash', DIST_TRAIN, args.config,
        str(args.nproc), '--work-dir', work_dir, '--cfg-options',
        f'train_cfg.max_iters={args.iters}',
        f'train_cfg.val_interval={args.iters + 1}',
        f'default_hooks.checkpoint.interval={args.iters}', *args.cfg_options
    ]
    start = time.perf_counter()
    proc = subprocess.run(
        command, cwd=workspace, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    output = proc.stdout + proc.stderr
    result = RunResult(proc.returncode, ABORT_MESSAGE in output, seconds)
    print(
        f'run {index + 1}/{args.runs}: exit {proc.returncode}, '
        f'SIGABRT message {"yes" if result.aborted else "no"}, '
        f'{seconds:.1f} s',
        flush=True)
    if result.returncode != 0 or result.aborted:
        print('\n'.join(output.splitlines()[-TAIL_LINES:]), flush=True)
    return result


def summarise(results: List[RunResult], wall: float) -> bool:
    """Print the counts; return True if every run was clean."""
    failed = sum(result.returncode != 0 for result in results)
    aborted = sum(result.aborted for result in results)
    print(f'{len(results)} runs in {wall:.0f} s: {failed} non-zero exits, '
          f'{aborted} with "{ABORT_MESSAGE}" (SIGABRT)')
    return failed == 0 and aborted == 0


def main() -> None:
    args = parse_args()
    temporary = None
    workspace = args.workspace
    if workspace is None:
        temporary = tempfile.mkdtemp(prefix='dist_train_stress_')
        workspace = temporary
        make_workspace(workspace)
    start = time.perf_counter()
    try:
        results = [
            run_once(args, index, workspace,
                     osp.join(workspace, 'work_dirs', f'stress_{index}'))
            for index in range(args.runs)
        ]
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    clean = summarise(results, time.perf_counter() - start)
    sys.exit(0 if clean else 1)


if __name__ == '__main__':
    main()
