"""print_config.py, browse_dataset.py and analyze_logs.py, as a user runs
them (their ``main`` with command-line arguments)."""
import importlib.util
import json
from pathlib import Path

import mmcv
import numpy as np
import pytest
from mmengine.config import Config

from mmdsct.visualization.emotion_visualizer import SUBJECT_PALETTE

TOOLS = Path(__file__).resolve().parents[2] / 'tools'
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def load_tool(relative):
    path = TOOLS / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def print_config():
    return load_tool('misc/print_config.py')


@pytest.fixture(scope='module')
def browse_dataset():
    return load_tool('analysis_tools/browse_dataset.py')


@pytest.fixture(scope='module')
def analyze_logs():
    return load_tool('analysis_tools/analyze_logs.py')


# print_config -------------------------------------------------------------


def test_print_config_merges_overrides_and_saves(print_config, tiny_config,
                                                 tmp_path, capsys):
    saved = tmp_path / 'merged.py'
    print_config.main([
        str(tiny_config), '--cfg-options', 'train_cfg.max_iters=7',
        '--save-path',
        str(saved)
    ])

    out = capsys.readouterr().out
    assert "type='DSCT'" in out
    assert 'max_iters=7' in out
    assert "type='EmotionMetric'" in out  # from the dataset _base_
    assert Config.fromfile(str(saved)).train_cfg.max_iters == 7


def test_print_config_refuses_unknown_save_format(print_config, tiny_config,
                                                  tmp_path):
    with pytest.raises(SystemExit):
        print_config.main(
            [str(tiny_config), '--save-path',
             str(tmp_path / 'cfg.txt')])


# browse_dataset -----------------------------------------------------------


def palette_pixels(image_bgr, rgb, tolerance=30):
    """How many pixels of a BGR image are close to an RGB colour."""
    target = np.array(rgb[::-1], dtype=np.int32)
    distance = np.abs(image_bgr.astype(np.int32) - target).max(axis=2)
    return int((distance <= tolerance).sum())


@pytest.mark.parametrize('split', ['train', 'test'])
def test_browse_dataset_draws_ground_truth(browse_dataset, tiny_config,
                                           synth_workspace, tmp_path, split):
    data_root = synth_workspace / 'data' / 'synth'
    out_dir = tmp_path / 'browse'
    dataloader = f'{split}_dataloader'

    drawn = browse_dataset.main([
        str(tiny_config), '--split', split, '--output-dir',
        str(out_dir), '--not-show', '--max-images', '2', '--cfg-options',
        f'{dataloader}.dataset.data_root={data_root}/'
    ])

    assert drawn == 2
    files = sorted(out_dir.rglob('*.png'))
    assert [f.relative_to(out_dir).parent.as_posix()
            for f in files] == [f'images/{split}'] * 2
    raw = mmcv.imread(str(data_root / 'images' / split / files[0].name))
    drawing = mmcv.imread(str(files[0]))
    # enlarged for readable labels; the first subject's box in its colour
    assert min(drawing.shape[:2]) > min(raw.shape[:2])
    assert palette_pixels(drawing, SUBJECT_PALETTE[0]) > \
        palette_pixels(mmcv.imrescale(raw, drawing.shape[0] /
                                      raw.shape[0]), SUBJECT_PALETTE[0])


def test_test_pipelines_keep_boxes_in_original_pixels(browse_dataset,
                                                      tiny_config):
    cfg = Config.fromfile(str(tiny_config))

    assert browse_dataset.boxes_in_original_pixels(
        cfg.test_dataloader.dataset.pipeline)
    assert not browse_dataset.boxes_in_original_pixels(
        cfg.train_dataloader.dataset.pipeline)


def test_browse_dataset_needs_somewhere_to_draw(browse_dataset, tiny_config):
    with pytest.raises(SystemExit):
        browse_dataset.main([str(tiny_config), '--not-show'])


# analyze_logs -------------------------------------------------------------


def write_scalars(run_dir, records):
    """A run folder as mmengine leaves it: <timestamp>/vis_data/."""
    vis_data = run_dir / '20240101_000000' / 'vis_data'
    vis_data.mkdir(parents=True)
    path = vis_data / 'scalars.json'
    path.write_text('\n'.join(json.dumps(r) for r in records) + '\n')
    return path


def iteration_run_records():
    """An iteration-based run: training every 10 iterations, validation
    after 20 and 40 (logged at step 0, as mmengine does by default)."""
    records = []
    for it in (10, 20, 30, 40):
        records.append(
            dict(
                lr=1e-4,
                data_time=0.01,
                loss=2.0 / it,
                loss_cls=1.0 / it,
                time=0.5 + it / 1000,
                iter=it,
                memory=0,
                step=it))
        if it % 20 == 0:
            records.append({
                'emotion/mAP': 30.0 + it,
                'emotion/bbox_mAP_50': 50.0,
                'data_time': 0.02,
                'time': 0.3,
                'step': 0
            })
    return records


def test_curves_put_validation_at_the_training_iteration(analyze_logs):
    curves = analyze_logs.curves(iteration_run_records())

    assert curves['emotion/mAP'] == ([20, 40], [50.0, 70.0])
    assert curves['loss'][0] == [10, 20, 30, 40]
    assert curves['loss'][1] == pytest.approx([0.2, 0.1, 2 / 30, 0.05])
    # the validation timer is kept apart from the training one
    assert curves['val/time'] == ([20, 40], [0.3, 0.3])
    assert len(curves['time'][0]) == 4
    assert 'step' not in curves and 'iter' not in curves


def test_plot_curve_from_run_directories(analyze_logs, tmp_path):
    write_scalars(tmp_path / 'run_a', iteration_run_records())
    write_scalars(tmp_path / 'run_b', iteration_run_records()[:3])
    out = tmp_path / 'curves.png'

    analyze_logs.main([
        'plot_curve',
        str(tmp_path / 'run_a'),
        str(tmp_path / 'run_b'), '--keys', 'emotion/mAP', 'loss', 'loss_cls',
        '--legend', 'a', 'b', '--out',
        str(out)
    ])

    assert out.read_bytes()[:len(PNG_MAGIC)] == PNG_MAGIC


def test_plot_curve_names_missing_key(analyze_logs, tmp_path):
    log = write_scalars(tmp_path / 'run', iteration_run_records())

    with pytest.raises(KeyError, match='emotion/accuracy.*emotion/mAP'):
        analyze_logs.plot_curves([str(log)], ['emotion/accuracy'],
                                 str(tmp_path / 'x.png'))
    with pytest.raises(FileNotFoundError, match='no vis_data'):
        analyze_logs.find_log(str(tmp_path / 'nothing_here'))


def test_bad_line_is_named(analyze_logs, tmp_path):
    log = tmp_path / 'scalars.json'
    log.write_text('{"loss": 1.0, "step": 1}\n{"loss": \n')

    with pytest.raises(ValueError, match='line 2'):
        analyze_logs.load_records(str(log))


def test_cal_train_time(analyze_logs, tmp_path, capsys):
    log = write_scalars(tmp_path / 'run', iteration_run_records())

    analyze_logs.main(['cal_train_time', str(tmp_path / 'run')])

    stats = analyze_logs.train_time(str(log))
    assert stats['iterations'] == 4  # validation records left out
    assert stats['mean'] == pytest.approx(0.525)
    assert stats['slowest'] == pytest.approx(0.54)
    assert '0.5250 s/iter' in capsys.readouterr().out
