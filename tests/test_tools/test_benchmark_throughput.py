"""Training throughput and the CPU clock of tools/analysis_tools/benchmark.py
(mmdsct.utils.benchmark.throughput, .latency, .random_models)."""
import csv
import importlib.util
import os

import pytest
import torch
from mmengine.config import Config

from mmdsct.utils.benchmark import make_subject_batch, predict_once
from mmdsct.utils.benchmark.random_models import dsct_and_deformable_detr
from mmdsct.utils.benchmark.throughput import (StepMeasurement, TrainCase,
                                               build_plain_optim_wrapper,
                                               make_training_data,
                                               measure_step, reset_peak_rss,
                                               throughput_stats, train_step)


@pytest.fixture(scope='module')
def benchmark_tool(repo_root):
    """The tool's module, imported from its file."""
    path = repo_root / 'tools' / 'analysis_tools' / 'benchmark.py'
    spec = importlib.util.spec_from_file_location('benchmark_tool_train', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def run_tool(benchmark_tool):
    """Run the tool's ``main`` here, restoring torch's thread count."""
    threads = torch.get_num_threads()
    yield lambda *argv: benchmark_tool.main([str(arg) for arg in argv])
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def tiny_models(tiny_config):
    return dsct_and_deformable_detr(str(tiny_config), 'cpu')


def read_rows(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def test_training_data_is_a_data_loader_batch():
    data = make_training_data((32, 48), 3, 2, 5, seed=1)
    assert len(data['inputs']) == len(data['data_samples']) == 3
    assert data['inputs'][0].dtype == torch.uint8
    assert data['inputs'][0].shape == (3, 32, 48)
    gt = data['data_samples'][0].gt_instances
    assert gt.bboxes.shape == (2, 4) and gt.emotions.shape == (2, 5)
    assert gt.bboxes[:, 2].max() <= 48 and gt.bboxes[:, 3].max() <= 32
    one_hot = make_training_data((8, 8), 1, 4, 3, multi_label=False)
    emotions = one_hot['data_samples'][0].gt_instances.emotions
    assert emotions.sum(1).tolist() == [1.0] * 4
    again = make_training_data((32, 48), 3, 2, 5, seed=1)
    assert torch.equal(data['inputs'][2], again['inputs'][2])


def test_amp_optimizer_wrapper_becomes_a_plain_one(tiny_models):
    optim_cfg = dict(
        type='AmpOptimWrapper',
        dtype='bfloat16',
        loss_scale='dynamic',
        optimizer=dict(type='AdamW', lr=1e-4))
    wrapper = build_plain_optim_wrapper(tiny_models['DSCT'], optim_cfg)
    assert type(wrapper).__name__ == 'OptimWrapper'


@pytest.mark.parametrize('name', ['DSCT', 'DeformableDETR'])
@pytest.mark.parametrize('dtype', [None, torch.bfloat16])
def test_a_training_step_updates_the_weights(tiny_config, tiny_models, name,
                                             dtype):
    model = tiny_models[name]
    optim_cfg = Config.fromfile(str(tiny_config)).optim_wrapper
    case = TrainCase(model, build_plain_optim_wrapper(model, optim_cfg),
                     make_training_data((64, 64), 2, 2, 8), dtype)
    before = model.reference_points_fc.weight.detach().clone()
    losses = train_step(case)
    assert losses['loss'] > 0
    assert not torch.equal(before, model.reference_points_fc.weight)
    measured = measure_step(case, 'cpu')
    assert measured.seconds > 0
    if measured.peak_mib is not None:
        assert measured.peak_mib >= measured.start_mib > 0


def test_throughput_stats_from_the_median_step():
    steps = [
        StepMeasurement(0.5, 100.0, 80.0),
        StepMeasurement(0.25, 120.0, 90.0),
        StepMeasurement(1.0, None, None)
    ]
    stats = throughput_stats(steps, batch_size=4)
    assert stats['step_median_ms'] == 500.0
    assert stats['images_per_s'] == 8.0
    assert (stats['peak_mib'], stats['start_mib']) == (120.0, 90.0)
    assert stats['step_mib'] == 30.0
    with pytest.raises(ValueError):
        throughput_stats([], 1)


@pytest.mark.skipif(
    not os.path.exists('/proc/self/clear_refs'), reason='Linux only')
def test_peak_rss_can_be_reset_between_steps():
    assert reset_peak_rss()


def test_train_option_writes_every_model_batch_and_dtype(
        tmp_path, run_tool, tiny_config, capsys):
    run_tool(tiny_config, '--train', '--shape', 64, 64, '--subjects', 2,
             '--batch-sizes', 1, 2, '--dtypes', 'fp32', 'bf16', '--repeat', 1,
             '--warmup', 0, '--threads', 1, '--out-dir', tmp_path)
    rows = read_rows(tmp_path / 'train_throughput.csv')
    assert [(row['model'], row['batch_size'], row['dtype'])
            for row in rows] == [(model, str(batch), dtype) for batch in (1, 2)
                                 for dtype in ('fp32', 'bf16')
                                 for model in ('DSCT', 'DeformableDETR')]
    for row in rows:
        assert float(row['images_per_s']) > 0
        assert row['device'] == 'cpu' and row['input_hw'] == '64x64'
    baseline = [row for row in rows if row['model'] == 'DeformableDETR']
    assert all(row['step_time_vs_deformable_detr'] == '1.0'
               for row in baseline)
    assert 'DSCT / DeformableDETR step time (median)' in capsys.readouterr(
    ).out


def test_cpu_clock_option_is_recorded(tmp_path, run_tool, tiny_config):
    run_tool(tiny_config, '--shape', 64, 64, '--subjects', 1, '--repeat', 1,
             '--warmup', 0, '--threads', 1, '--no-flops', '--clock', 'cpu',
             '--out-dir', tmp_path)
    rows = read_rows(tmp_path / 'benchmark.csv')
    assert {row['clock'] for row in rows} == {'cpu'}


def test_cpu_clock_counts_work_not_waiting(tiny_models):
    model = tiny_models['DSCT'].eval()
    batch = make_subject_batch((64, 64), 1, 1, 'cpu')
    seconds = predict_once(model, batch, 'cpu', clock='cpu')
    assert 0 < seconds < 60
    model.train()
