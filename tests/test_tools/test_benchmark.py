"""tools/analysis_tools/benchmark.py and mmdsct.utils.benchmark."""
import copy
import csv
import importlib.util

import mmcv.ops.multi_scale_deform_attn as msda_module
import pytest
import torch
from mmdet.registry import MODELS
from torch import nn

from mmdsct.models.detectors.frozen_subject_detector import \
    FrozenSubjectDetector
from mmdsct.models.utils import count_parameters
from mmdsct.utils import init_random_weights
from mmdsct.utils.benchmark import (count_predict_flops, latency_stats,
                                    make_subject_batch, msda_pytorch_path,
                                    resolve_crop_mode, resolve_device,
                                    resolve_msda_impl, subject_grid_boxes,
                                    time_alternating)
from mmdsct.utils.benchmark.detector_then_recognizer import (
    DetectorThenRecognizer, write_detector_files)
from mmdsct.utils.benchmark.model_configs import (deformable_detr_cfg_like,
                                                  load_model_cfg,
                                                  two_stage_cfg_on_detector,
                                                  two_stage_cfg_on_gt_boxes)

MODEL_NAMES = ('DSCT', 'DeformableDETR', 'TwoStage', 'TwoStage+DeformableDETR')
LATENCY_COLUMNS = ('gflops', 'flops_uncounted_ops', 'median_ms', 'q1_ms',
                   'q3_ms', 'iqr_ms', 'min_ms', 'time_vs_deformable_detr')
CONTEXT_COLUMNS = ('device', 'device_name', 'msda_impl', 'torch', 'input_hw',
                   'threads', 'warmup', 'repeats', 'config')
PNG_MAGIC = b'\x89PNG'


@pytest.fixture(scope='module')
def benchmark_tool(repo_root):
    """The tool's module, imported from its file."""
    path = repo_root / 'tools' / 'analysis_tools' / 'benchmark.py'
    spec = importlib.util.spec_from_file_location('benchmark_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def run_tool(benchmark_tool):
    """Run the tool's ``main`` in this process, restoring torch's thread
    count afterwards."""
    threads = torch.get_num_threads()
    yield lambda *argv: benchmark_tool.main([str(arg) for arg in argv])
    torch.set_num_threads(threads)


@pytest.fixture
def two_stage_config(repo_root):
    return repo_root / 'configs' / 'two_stage' / 'two-stage_r18_synth.py'


def read_rows(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def test_head_to_head_writes_every_model_and_subject_count(
        tmp_path, run_tool, tiny_config, two_stage_config, capsys):
    run_tool(tiny_config, '--two-stage-config', two_stage_config,
             '--with-detector', '--shape', 64, 64, '--subjects', 2, 1,
             '--repeat', 1, '--warmup', 0, '--threads', 1, '--out-dir',
             tmp_path)
    stdout = capsys.readouterr().out
    assert 'DSCT / DeformableDETR forward time (median)' in stdout
    assert 'TwoStage / DSCT' in stdout
    rows = read_rows(tmp_path / 'benchmark.csv')
    assert [(row['model'], int(row['subjects'])) for row in rows
            ] == [(name, count) for count in (1, 2) for name in MODEL_NAMES]
    for column in LATENCY_COLUMNS + CONTEXT_COLUMNS:
        assert all(row[column] != '' for row in rows), column
    for row in rows:
        assert float(row['median_ms']) >= float(row['min_ms']) > 0
        assert float(row['q3_ms']) >= float(row['q1_ms'])
        assert row['device'] == 'cpu' and row['msda_impl'] == 'pytorch'
        assert row['input_hw'] == '64x64' and row['threads'] == '1'
    by_key = {(row['model'], int(row['subjects'])): row for row in rows}
    for count in (1, 2):
        assert float(by_key[('DeformableDETR',
                             count)]['time_vs_deformable_detr']) == 1.0
    # the two-stage model pays per subject; DSCT does not
    gflops = {key: float(row['gflops']) for key, row in by_key.items()}
    assert gflops[('TwoStage', 2)] > gflops[('TwoStage', 1)]
    # behind the detector too: it keeps as many subjects as the image holds
    assert gflops[('TwoStage+DeformableDETR', 2)] > \
        gflops[('TwoStage+DeformableDETR', 1)]
    assert gflops[('DSCT', 2)] == gflops[('DSCT', 1)]
    assert 'grid_sampler_2d' in by_key[('DSCT', 1)]['flops_uncounted_ops']
    params = {key: int(row['params_total']) for key, row in by_key.items()}
    assert params[('DSCT', 1)] == params[('DSCT', 2)]
    assert params[('DSCT', 1)] < params[('DeformableDETR', 1)]
    assert params[('TwoStage+DeformableDETR', 1)] == \
        params[('TwoStage', 1)] + params[('DeformableDETR', 1)]
    assert {by_key[(name, 1)]['crop_mode'] for name in MODEL_NAMES} == \
        {'', 'roi_align'}
    plot = tmp_path / 'benchmark_latency.png'
    assert plot.read_bytes()[:len(PNG_MAGIC)] == PNG_MAGIC


def test_cuda_without_gpu_runs_the_cpu_part(tmp_path, run_tool, tiny_config,
                                            monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    out = tmp_path / 'bench.csv'
    run_tool(tiny_config, '--device', 'cuda', '--shape', 64, 64, '--subjects',
             1, '--repeat', 1, '--warmup', 0, '--no-flops', '--out', out)
    assert 'No CUDA GPU is available' in capsys.readouterr().out
    rows = read_rows(out)
    assert {row['model'] for row in rows} == {'DSCT', 'DeformableDETR'}
    assert {row['device'] for row in rows} == {'cpu'}
    assert 'gflops' not in rows[0]
    assert (tmp_path / 'bench_latency.png').is_file()


def test_params_only_times_nothing(tmp_path, run_tool, tiny_config,
                                   two_stage_config):
    out = tmp_path / 'params.csv'
    run_tool(tiny_config, '--two-stage-config', two_stage_config,
             '--params-only', '--out', out)
    rows = read_rows(out)
    assert [row['model'] for row in rows] == list(MODEL_NAMES[:3])
    assert 'median_ms' not in rows[0]
    for row in rows:
        assert int(row['params_trainable']) <= int(row['params_total'])
    assert not (tmp_path / 'params_latency.png').exists()


def test_with_detector_needs_a_two_stage_config(run_tool, tiny_config):
    with pytest.raises(SystemExit):
        run_tool(tiny_config, '--with-detector')


def test_subject_grid_boxes_have_one_size_inside_the_image():
    boxes = subject_grid_boxes(5, grid_side=3, image_hw=(90, 120))
    assert boxes.shape == (5, 4)
    sizes = boxes[:, 2:] - boxes[:, :2]
    assert torch.allclose(sizes, sizes[:1].expand_as(sizes))
    assert (boxes[:, [0, 2]] <= 120).all() and (boxes >= 0).all()
    assert (boxes[:, [1, 3]] <= 90).all()
    with pytest.raises(ValueError, match='do not fit'):
        subject_grid_boxes(10, grid_side=3, image_hw=(90, 120))


def test_subject_batch_carries_the_boxes_in_original_pixels():
    inputs, (sample, ) = make_subject_batch((32, 48), 3, 2, 'cpu')
    assert inputs.shape == (1, 3, 32, 48)
    assert len(sample.gt_instances) == 3
    assert sample.scale_factor == (1.0, 1.0)
    assert sample.ori_shape == (32, 48)


def test_latency_stats_quartiles():
    stats = latency_stats([0.001, 0.002, 0.003, 0.004, 0.010])
    assert stats['median_ms'] == 3.0
    assert stats['q1_ms'] == 2.0 and stats['q3_ms'] == 4.0
    assert stats['iqr_ms'] == 2.0 and stats['min_ms'] == 1.0
    single = latency_stats([0.005])
    assert single['q1_ms'] == single['q3_ms'] == single['median_ms'] == 5.0


class LinearPredictor(nn.Module):
    """A stand-in detector: a linear layer and a softmax in predict mode,
    recording the order it is called in."""

    def __init__(self, name, calls, in_features=6, out_features=4):
        super().__init__()
        self.name = name
        self.calls = calls
        self.fc = nn.Linear(in_features, out_features)

    def forward(self, inputs, data_samples, mode='predict'):
        self.calls.append(self.name)
        return self.fc(inputs).softmax(-1)


def test_count_predict_flops_counts_matmuls_and_names_the_rest():
    model = LinearPredictor('linear', [])
    flops, uncounted = count_predict_flops(model, (torch.randn(3, 6), []))
    assert flops == 2 * 3 * 6 * 4  # a multiply-add is 2 FLOPs
    assert uncounted == ('_softmax', )
    assert all(p.requires_grad for p in model.parameters())


def test_time_alternating_rotates_the_first_case():
    calls = []
    cases = {
        name: (LinearPredictor(name, calls), (torch.randn(1, 6), []))
        for name in 'abc'
    }
    times = time_alternating(cases, 'cpu', warmup=1, repeat=3)
    assert {name: len(t) for name, t in times.items()} == dict(a=3, b=3, c=3)
    assert calls == list('abc'
                         'abc'
                         'bca'
                         'cab')


def test_msda_pytorch_path_patches_and_restores_mmcv_flag():
    saved = msda_module.IS_CUDA_AVAILABLE
    msda_module.IS_CUDA_AVAILABLE = True
    try:
        with pytest.raises(RuntimeError):
            with msda_pytorch_path():
                assert msda_module.IS_CUDA_AVAILABLE is False
                raise RuntimeError
        assert msda_module.IS_CUDA_AVAILABLE is True
        with msda_pytorch_path(enabled=False):
            assert msda_module.IS_CUDA_AVAILABLE is True
    finally:
        msda_module.IS_CUDA_AVAILABLE = saved


def test_kernel_choices_on_the_cpu():
    assert resolve_device('cpu') == 'cpu'
    assert resolve_msda_impl('auto', 'cpu') == 'pytorch'
    assert resolve_crop_mode('auto', 'roi_align', 'cpu') == 'roi_align'
    assert resolve_crop_mode('interpolate', 'roi_align',
                             'cpu') == 'interpolate'
    with pytest.raises(ValueError):
        resolve_msda_impl('triton', 'cpu')


def test_detector_path_is_the_recognizers_own(tiny_config, two_stage_config,
                                              tmp_path):
    """The pipeline is TwoStageEmotionRecognizer(box_source='detector')
    loading the benchmark's detector; it keeps the N most confident
    detections of the detector, re-normalised inputs and all."""
    detr_cfg = deformable_detr_cfg_like(
        load_model_cfg(str(tiny_config), 'DSCT'))
    torch.manual_seed(0)
    detector = init_random_weights(MODELS.build(copy.deepcopy(detr_cfg)))
    detector.eval()
    files = write_detector_files(detector, detr_cfg, str(tmp_path))
    two_stage_cfg = load_model_cfg(
        str(two_stage_config), 'TwoStageEmotionRecognizer')
    recognizer = MODELS.build(
        two_stage_cfg_on_detector(
            two_stage_cfg_on_gt_boxes(two_stage_cfg), files))
    pipeline = DetectorThenRecognizer(init_random_weights(recognizer)).eval()
    assert isinstance(recognizer.subject_detector, FrozenSubjectDetector)
    assert recognizer.subject_detector.score_thr == 0.0
    assert recognizer.subject_detector.subject_label is None
    for key, value in detector.state_dict().items():
        assert torch.equal(pipeline.detector.state_dict()[key], value), key
    params = count_parameters(pipeline)['params_total']
    assert params == count_parameters(recognizer)['params_total'] + \
        count_parameters(detector)['params_total']

    inputs, samples = make_subject_batch((64, 64), 3, 2, 'cpu')
    with torch.no_grad():
        (result, ) = pipeline(inputs, copy.deepcopy(samples))
        detector_inputs = recognizer.subject_detector._to_detector_inputs(
            inputs, recognizer.data_preprocessor)
        (detected, ) = detector.predict(
            detector_inputs, copy.deepcopy(samples), rescale=True)
    found = detected.pred_instances
    top = found.scores.argsort(descending=True)[:3]
    pred = result.pred_instances
    torch.testing.assert_close(pred.scores, found.scores[top])
    torch.testing.assert_close(pred.bboxes, found.bboxes[top])
    assert pred.emotions.shape == (3, two_stage_cfg.emotion_head.num_emotions)
    assert not torch.equal(pred.bboxes, samples[0].gt_instances.bboxes)


def test_detector_path_needs_a_detector(two_stage_config):
    two_stage_cfg = load_model_cfg(
        str(two_stage_config), 'TwoStageEmotionRecognizer')
    with pytest.raises(ValueError, match="box_source='detector'"):
        DetectorThenRecognizer(
            MODELS.build(two_stage_cfg_on_gt_boxes(two_stage_cfg)))
