"""The main job on built-in data: what ``make demo`` runs.

1. generates the synthetic context-emotion dataset (multi-label) into
   ``data/synth`` unless it is already there (then says it reuses it);
2. trains the tiny DSCT config with ``tools/train.py``;
3. evaluates the last checkpoint on the synthetic test split with
   ``tools/test.py`` (``EmotionMetric``);
4. draws the predictions for a few test images with ``tools/infer.py`` and
   the per-class AP with ``tools/analysis_tools/plot_emotion_ap.py``;
5. prints a summary table against the demo's targets and writes
   ``<work-dir>/summary.json``.

Every step runs the project's own command-line tools, as a user would.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from glob import glob
from typing import Dict, List, Optional, Sequence

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(REPO_ROOT, 'tools')
DEFAULT_CONFIG = osp.join(REPO_ROOT, 'configs', 'dsct', 'dsct_tiny_synth.py')
TRAIN_ANN = osp.join('annotations', 'synth_train.json')
TEST_ANN = osp.join('annotations', 'synth_test.json')

# Summary entries: (key in summary.json, key in EmotionMetric's output).
SUMMARY_KEYS = (
    ('mAP', 'mAP'),
    ('mAP_prevalence', 'mAP_prevalence'),
    ('mAP_subject_only', 'mAP_subject_only'),
    ('mAP_prevalence_subject_only', 'mAP_prevalence_subject_only'),
    ('mAP_context_only', 'mAP_context_only'),
    ('mAP_prevalence_context_only', 'mAP_prevalence_context_only'),
    ('mAP_det', 'mAP_det'),
    ('seen_ratio', 'seen_ratio'),
    ('bbox_mAP', 'bbox_mAP'),
    ('bbox_mAP_50', 'bbox_mAP_50'),
)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate synthetic data, train, evaluate and draw the '
        'tiny DSCT (the quickstart).')
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument(
        '--data-root',
        default='data/synth',
        help='must match the config\'s data_root (default data/synth)')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--num-train', type=int, default=1000)
    parser.add_argument('--num-test', type=int, default=200)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--num-vis', type=int, default=6, help='test images to draw')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='passed on to tools/train.py and tools/test.py')
    return parser.parse_args(argv)


def run_tool(args: List[str]) -> None:
    """Run a tool with this interpreter; its output streams to the user."""
    command = [sys.executable, *args]
    print('$ ' + ' '.join(command), flush=True)
    subprocess.run(command, check=True)


def ensure_data(data_root: str, num_train: int, num_test: int,
                seed: int) -> None:
    """Generate the synthetic dataset unless both splits exist."""
    train_ann = osp.join(data_root, TRAIN_ANN)
    test_ann = osp.join(data_root, TEST_ANN)
    if osp.isfile(train_ann) and osp.isfile(test_ann):
        counts = [
            len(json.load(open(path))['images'])
            for path in (train_ann, test_ann)
        ]
        print(
            f'Reusing the synthetic data in {data_root} ({counts[0]} '
            f'train / {counts[1]} test images); delete that folder to '
            'generate it anew.',
            flush=True)
        return
    run_tool([
        osp.join(TOOLS, 'misc', 'make_synthetic_emotion.py'), '--out-dir',
        data_root, '--num-train',
        str(num_train), '--num-test',
        str(num_test), '--seed',
        str(seed)
    ])


def train(config: str, work_dir: str, cfg_options: List[str]) -> float:
    """Train with ``tools/train.py``; returns the wall time in seconds."""
    start = time.perf_counter()
    options = ['--cfg-options', *cfg_options] if cfg_options else []
    run_tool([
        osp.join(TOOLS, 'train.py'), config, '--work-dir', work_dir, *options
    ])
    return time.perf_counter() - start


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint ``last_checkpoint`` names."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def evaluate(config: str, checkpoint: str, work_dir: str,
             cfg_options: List[str]) -> str:
    """Run ``tools/test.py``; returns the path of the metric's JSON report."""
    test_dir = osp.join(work_dir, 'test')
    before = set(glob(osp.join(test_dir, '*', 'emotion_metrics.json')))
    options = ['--cfg-options', *cfg_options] if cfg_options else []
    run_tool([
        osp.join(TOOLS, 'test.py'), config, checkpoint, '--work-dir', test_dir,
        *options
    ])
    written = sorted(
        set(glob(osp.join(test_dir, '*', 'emotion_metrics.json'))) - before)
    if not written:
        raise RuntimeError(f'tools/test.py wrote no emotion_metrics.json '
                           f'under {test_dir}')
    return written[-1]


def plot_ap(report_path: str, work_dir: str) -> str:
    """Draw the per-class AP of the report; returns the PNG's path."""
    out = osp.join(work_dir, 'emotion_ap.png')
    run_tool([
        osp.join(TOOLS, 'analysis_tools', 'plot_emotion_ap.py'), report_path,
        '--out', out, '--title', 'DSCT demo: emotion AP per class'
    ])
    return out


def draw(config: str, checkpoint: str, data_root: str, work_dir: str,
         num_vis: int) -> List[str]:
    """Draw the first ``num_vis`` test images with ``tools/infer.py``."""
    with open(osp.join(data_root, TEST_ANN)) as f:
        names = [image['file_name'] for image in json.load(f)['images']]
    inputs = osp.join(work_dir, 'vis_inputs')
    os.makedirs(inputs, exist_ok=True)
    for name in names[:num_vis]:
        link = osp.join(inputs, osp.basename(name))
        if not osp.lexists(link):
            os.symlink(osp.abspath(osp.join(data_root, name)), link)
    vis_dir = osp.join(work_dir, 'vis')
    run_tool([
        osp.join(TOOLS, 'infer.py'), inputs, config, checkpoint, '--out-dir',
        vis_dir, '--draw-context'
    ])
    return sorted(glob(osp.join(vis_dir, '*.png')))


def summarise(report: Dict, train_seconds: float, checkpoint: str,
              drawings: List[str]) -> Dict:
    """Collect the figures of ``summary.json`` from the metric's report."""
    metrics = report['metrics']
    summary = {key: metrics.get(source) for key, source in SUMMARY_KEYS}
    summary.update(
        train_seconds=round(train_seconds, 1),
        checkpoint=checkpoint,
        units='percent (train_seconds in seconds)',
        drawings=drawings)
    summary['targets'] = check_targets(summary)
    return summary


def check_targets(summary: Dict) -> Dict[str, bool]:
    """The demo's targets: what it must show to prove DSCT learned."""

    def at_least(value, bound):
        return value is not None and bound is not None and value >= bound

    prev = summary['mAP_prevalence']
    prev_ctx = summary['mAP_prevalence_context_only']
    return {
        'mAP >= 2 x mAP_prevalence':
        at_least(summary['mAP'], 2 * prev if prev else None),
        'mAP_context_only >= 1.5 x its prevalence':
        at_least(summary['mAP_context_only'],
                 1.5 * prev_ctx if prev_ctx else None),
        'bbox_mAP_50 >= 50':
        at_least(summary['bbox_mAP_50'], 50.0),
    }


def print_summary(summary: Dict) -> None:
    """Print the figures and the targets as a small table."""
    rows = [(key, summary[key]) for key, _ in SUMMARY_KEYS]
    rows.append(('train_seconds', summary['train_seconds']))
    width = max(len(key) for key, _ in rows)
    print('\nDSCT demo on synthetic data (figures in percent)')
    print('-' * (width + 12))
    for key, value in rows:
        shown = 'n/a' if value is None else f'{value:8.2f}'
        print(f'{key:<{width}}  {shown}')
    print('-' * (width + 12))
    for target, met in summary['targets'].items():
        print(f'[{"met" if met else "MISSED"}] {target}')


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    ensure_data(args.data_root, args.num_train, args.num_test, args.seed)
    train_seconds = train(args.config, args.work_dir, args.cfg_options)
    checkpoint = last_checkpoint(args.work_dir)
    report_path = evaluate(args.config, checkpoint, args.work_dir,
                           args.cfg_options)
    with open(report_path) as f:
        report = json.load(f)
    drawings = draw(args.config, checkpoint, args.data_root, args.work_dir,
                    args.num_vis)
    drawings.append(plot_ap(report_path, args.work_dir))
    summary = summarise(report, train_seconds, checkpoint, drawings)
    summary['total_seconds'] = round(time.perf_counter() - start, 1)
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print_summary(summary)
    print(f'\nWrote {osp.join(args.work_dir, "summary.json")}, drawings in '
          f'{osp.join(args.work_dir, "vis")} '
          f'(total {summary["total_seconds"]:.0f} s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
