"""tools/analysis_tools/context_benchmark.py on fake work dirs (no
training): scalars.json parsing, reuse / train / test decisions, table,
JSON and learning-curve picture."""
import importlib.util
import json
from pathlib import Path

import pytest

from mmdsct.utils.benchmark.context_report import (figures_of_report,
                                                   markdown_table)
from mmdsct.utils.benchmark.learning_curves import (RunError, final_checkpoint,
                                                    last_validation_report,
                                                    learning_curve,
                                                    read_scalars,
                                                    validation_points)

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'analysis_tools' / 'context_benchmark.py'
TWO_STAGE = REPO / 'configs' / 'two_stage' / 'two-stage_r18_synth.py'
DSCT = REPO / 'configs' / 'dsct' / 'dsct_tiny_synth.py'
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
CLASSES = ['Happiness', 'Anger', 'Affection', 'Fear', 'Peace', 'Fatigue']
GROUPS = dict(
    subject_only=['Happiness', 'Anger'],
    context_only=['Affection', 'Fear', 'Peace', 'Fatigue'])
MAX_ITERS = 100


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('context_benchmark', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def val_record(context_map: float, m_ap: float) -> dict:
    return {
        'emotion/mAP': m_ap,
        'emotion/mAP_context_only': context_map,
        'emotion/mAP_prevalence_context_only': 34.6,
        'step': 0
    }


def report(m_ap: float, context_ap=(50.0, 60.0, 70.0, 100.0)) -> dict:
    return dict(
        metrics=dict(
            mAP=m_ap,
            mAP_det=m_ap - 1,
            mAP_subject_only=99.0,
            mAP_context_only=sum(context_ap) / 4,
            mAP_prevalence_context_only=34.6,
            bbox_mAP_50=98.5),
        emotion_classes=CLASSES,
        emotion_class_groups=GROUPS,
        per_class=dict(AP=[99.0, 99.0, *context_ap]))


def write_run(work_dir: Path,
              timestamp: str,
              val_iters=(50, 100),
              first_iter: int = 10,
              last_iter: int = MAX_ITERS,
              final_map: float = 80.0) -> None:
    """A fake training run: train records every 10 iterations, a
    validation after each of ``val_iters``, the metrics file of the last
    one, and the checkpoints."""
    run = work_dir / timestamp
    (run / 'vis_data').mkdir(parents=True)
    lines = []
    for step in range(first_iter, last_iter + 1, 10):
        lines.append(json.dumps(dict(loss=1.0 / step, lr=1e-4, step=step)))
        if step in val_iters:
            lines.append(json.dumps(val_record(step / 2, final_map)))
    (run / 'vis_data' / 'scalars.json').write_text('\n'.join(lines) + '\n')
    (run / 'emotion_metrics.json').write_text(json.dumps(report(final_map)))
    for step in val_iters:
        (work_dir / f'iter_{step}.pth').write_bytes(b'')
    (work_dir / 'last_checkpoint').write_text(
        str(work_dir / f'iter_{val_iters[-1]}.pth'))


def write_config(tmp_path: Path, base: Path = TWO_STAGE) -> Path:
    config = tmp_path / f'{base.stem}_fake.py'
    config.write_text(f"_base_ = '{base}'\n"
                      f'train_cfg = dict(max_iters={MAX_ITERS})\n')
    return config


def test_validation_records_get_the_iteration_they_ran_after(tmp_path):
    write_run(tmp_path, '20260101_000000')
    records = read_scalars(
        str(tmp_path / '20260101_000000' / 'vis_data' / 'scalars.json'))
    points = validation_points(records)
    assert [p['iter'] for p in points] == [50, 100]
    assert points[0]['emotion/mAP_context_only'] == 25.0
    assert 'loss' not in points[0]


def test_bad_scalars_line_names_file_and_line(tmp_path):
    path = tmp_path / 'scalars.json'
    path.write_text('{"loss": 1, "step": 1}\n{not json\n')
    with pytest.raises(ValueError, match=r'scalars.json, line 2'):
        read_scalars(str(path))
    with pytest.raises(FileNotFoundError, match='missing.json'):
        read_scalars(str(tmp_path / 'missing.json'))


def test_curve_joins_resumed_runs_and_skips_test_runs(tmp_path):
    write_run(tmp_path, '20260101_000000', val_iters=(50, ), last_iter=60)
    write_run(tmp_path, '20260101_010000', val_iters=(50, 100), first_iter=60)
    test_run = tmp_path / '20260101_020000' / 'vis_data'
    test_run.mkdir(parents=True)
    (test_run /
     'scalars.json').write_text(json.dumps(val_record(1.0, 1.0)) + '\n')
    curve = learning_curve(str(tmp_path))
    assert [p['iter'] for p in curve] == [50, 100]
    assert curve[-1]['emotion/mAP_context_only'] == 50.0


def test_unfinished_and_missing_runs_are_clear_errors(tmp_path):
    with pytest.raises(RunError, match='does not exist'):
        final_checkpoint(str(tmp_path / 'missing'), MAX_ITERS)
    write_run(tmp_path, '20260101_000000', val_iters=(50, ), last_iter=60)
    with pytest.raises(RunError, match=r'unfinished.*iter_50.pth'):
        final_checkpoint(str(tmp_path), MAX_ITERS)
    assert last_validation_report(str(tmp_path), MAX_ITERS) is None


def test_last_validation_is_reused_only_when_it_is_the_final_one(tmp_path):
    write_run(tmp_path, '20260101_000000', final_map=80.0)
    assert last_validation_report(str(tmp_path),
                                  MAX_ITERS)['metrics']['mAP'] == 80.0
    # a metrics file from another evaluation than the last validation
    (tmp_path / '20260101_000000' / 'emotion_metrics.json').write_text(
        json.dumps(report(12.0)))
    assert last_validation_report(str(tmp_path), MAX_ITERS) is None


def test_figures_and_table_per_context_class():
    two_stage = figures_of_report(report(80.0), with_boxes=False)
    assert two_stage['context_ap'] == dict(
        Affection=50.0, Fear=60.0, Peace=70.0, Fatigue=100.0)
    assert two_stage['bbox_mAP_50'] is None
    dsct = figures_of_report(report(80.0), with_boxes=True)
    assert dsct['bbox_mAP_50'] == 98.5
    table = markdown_table([
        dict(model='a', params=1234567, latency_ms=12.34, **two_stage),
        dict(model='b', params=None, latency_ms=None, **dsct)
    ]).splitlines()
    assert table[0].startswith('| model | AP Affection | AP Fear | AP Peace '
                               '| AP Fatigue | mAP subject-only |')
    assert table[2] == ('| a | 50.0 | 60.0 | 70.0 | 100.0 | 99.0 | 70.0 | '
                        '79.0 | — | 1,234,567 | 12.3 |')
    assert table[3].endswith('| 98.5 | — | — |')


def test_long_budget_trains_with_the_long_overrides(tool):
    cfg = tool.budget_config(str(DSCT), 'long')
    assert cfg.train_cfg.max_iters == 8000
    assert cfg.train_cfg.val_interval == 1000
    assert cfg.param_scheduler[0].end == 8000
    assert cfg.param_scheduler[0].milestones == [6400]
    assert cfg.default_hooks.checkpoint.interval == 1000
    command = tool.train_command(str(DSCT), 'w', 'long', resume=False)
    assert command[-6:] == [
        '--cfg-options', 'train_cfg.max_iters=8000',
        'train_cfg.val_interval=1000', 'param_scheduler.0.end=8000',
        'param_scheduler.0.milestones=[6400]',
        'default_hooks.checkpoint.interval=1000'
    ]
    assert tool.train_command(str(DSCT), 'w', 'demo',
                              True)[-3:] == ['--work-dir', 'w', '--resume']
    assert tool.split_model_arg(str(DSCT), 'long')[1] == \
        'work_dirs/bench_long/dsct_tiny_synth'


def test_reuses_finished_runs_and_writes_table_json_and_curves(tool, tmp_path):
    config = write_config(tmp_path)
    work = tmp_path / 'work'
    write_run(work, '20260101_000000')
    out = tmp_path / 'out'
    content = tool.main([
        f'{config}={work}', '--no-train', '--out-dir',
        str(out), '--shape', '64', '64', '--subjects', '1', '--warmup', '0',
        '--repeat', '1'
    ])
    row, = content['models']
    assert row['figures_from'] == f'last validation (iteration {MAX_ITERS})'
    assert row['params'] == 1472552  # two-stage_r18_synth's count
    assert row['latency_ms'] > 0
    assert row['bbox_mAP_50'] is None
    assert content['prevalence_context_only'] == 34.6
    saved = json.loads((out / 'context_benchmark.json').read_text())
    assert [p['iter'] for p in saved['models'][0]['curve']] == [50, 100]
    table = (out / 'context_benchmark.md').read_text()
    assert f'| {config.stem} | 50.0 | 60.0 | 70.0 | 100.0 |' in table
    assert (out / 'context_map_curves.png').read_bytes()[:8] == PNG_MAGIC


def test_unfinished_run_is_refused_and_a_missing_one_trained(
        tool, tmp_path, monkeypatch):
    config = write_config(tmp_path)
    work = tmp_path / 'work'
    write_run(work, '20260101_000000', val_iters=(50, ), last_iter=60)
    args = ['--out-dir', str(tmp_path / 'out'), '--skip-latency']
    with pytest.raises(RunError, match='unfinished'):
        tool.main([f'{config}={work}', *args])
    commands = []

    def fake_run(command, what):
        """Stand-in for tools/train.py and tools/test.py."""
        commands.append(command)
        work_dir = Path(command[command.index('--work-dir') + 1])
        if what == 'training':
            write_run(work_dir, '20260101_090000', val_iters=(50, ))
            (work_dir / f'iter_{MAX_ITERS}.pth').write_bytes(b'')
        else:
            (work_dir / '20260101_100000').mkdir(parents=True, exist_ok=True)
            (work_dir / '20260101_100000' / 'emotion_metrics.json').write_text(
                json.dumps(report(70.0, (1., 2., 3., 4.))))

    monkeypatch.setattr(tool, 'run_command', fake_run)
    fresh = tmp_path / 'fresh'
    content = tool.main([f'{config}={fresh}', *args])
    train, test = commands
    assert train[1].endswith('train.py') and '--resume' not in train
    assert test[1].endswith('test.py')
    row, = content['models']
    # the last validation ran at 50, not 100: the final checkpoint is tested
    assert row['figures_from'].startswith('tools/test.py')
    assert row['context_ap']['Fatigue'] == 4.0
    assert row['latency_ms'] is None
    commands.clear()
    tool.main([f'{config}={work}', '--resume', *args])
    assert '--resume' in commands[0]
