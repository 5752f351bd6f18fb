"""tools/model_converters/dsct_official_to_mmdsct.py on checkpoints in the
authors' format (weights from the fill rule: nothing is downloaded), and
the refusal of such checkpoints everywhere mmdsct loads weights."""
import argparse
import hashlib
import importlib.util
import io
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.runner.checkpoint import _load_checkpoint

import mmdsct  # noqa: F401  (installs the weights-only loader)
from mmdsct.apis import init_emotion_model
from mmdsct.datasets import CAERS_CLASSES, EMOTIC_CLASSES
from mmdsct.models.utils import OfficialKeyError
from mmdsct.utils import OfficialCheckpointError, UnsafeCheckpointError

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOL = REPO_ROOT / 'tools' / 'model_converters' / 'dsct_official_to_mmdsct.py'
FILL = REPO_ROOT / 'tests' / 'test_models' / 'dsct_official_fill.py'
CONFIGS = REPO_ROOT / 'configs' / 'dsct'
CONVERTER_NAME = 'dsct_official_to_mmdsct.py'


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load('dsct_official_to_mmdsct', TOOL)
fill = _load('dsct_official_fill', FILL)


def save(obj, path):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    path.write_bytes(buffer.getvalue())
    return path


def run_tool(*args):
    return subprocess.run(
        [sys.executable, str(TOOL), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600)


@pytest.fixture(scope='module')
def official_files(tmp_path_factory):
    """Authors'-format checkpoints of both recipes, filled by the rule."""
    folder = tmp_path_factory.mktemp('official')
    return {
        recipe: save(
            fill.official_checkpoint(
                fill.official_state_dict(recipe), recipe, epoch=49),
            folder / f'{recipe}_checkpoint.pth')
        for recipe in fill.RECIPES
    }


@pytest.fixture(scope='module')
def converted_emotic(official_files, tmp_path_factory):
    """The EMOTIC checkpoint converted on the command line."""
    dst = tmp_path_factory.mktemp('converted') / 'dsct_r50_emotic.pth'
    proc = run_tool(official_files['emotic'], dst)
    assert proc.returncode == 0, proc.stderr
    return dst, proc.stdout


def test_cli_converts_and_reports(official_files, converted_emotic):
    dst, report = converted_emotic
    assert 'authors\' DSCT (emotic) -> mmdsct DSCT: 522 keys mapped, 40 ' \
        'left out, 53 added, 0 newly initialised.' in report
    assert 'decoder norm2 (after self-attention) -> norms.0' in report
    assert f'Saved {dst}' in report
    checkpoint = _load_checkpoint(str(dst), map_location='cpu')
    meta = checkpoint['meta']
    assert meta['dataset_meta']['emotion_classes'] == EMOTIC_CLASSES
    assert meta['dataset_meta']['classes'] == ('person', )
    source = meta['converted_from']
    assert source['sha256'] == hashlib.sha256(
        official_files['emotic'].read_bytes()).hexdigest()
    assert source['file'] == official_files['emotic'].name
    assert (source['source'], source['recipe'], source['epoch']) == \
        ('dsct', 'emotic', 49)
    assert source['args']['dec_n_sp'] == 100
    assert source['args']['num_queries'] == 4
    assert 'warnings' not in source


def test_converted_checkpoint_loads_through_the_api(converted_emotic):
    dst, _ = converted_emotic
    model = init_emotion_model(
        str(CONFIGS / 'dsct_r50_emotic.py'), str(dst), device='cpu')
    assert model.dataset_meta['emotion_classes'] == EMOTIC_CLASSES
    official = fill.official_state_dict('emotic')
    assert torch.equal(model.decoder.layers[5].norms[0].weight,
                       official['transformer.decoder.layers.5.norm2.weight'])
    assert torch.equal(model.subject_query_embedding.weight,
                       official['query_embed_dsct.weight'])


def test_caers_conversion_checks_the_config_and_drops_the_eighth_row(
        official_files, tmp_path):
    dst = tmp_path / 'caers.pth'
    report = tool.convert(str(official_files['caers']), str(dst), 'caers')
    assert '8 rows -> 7' in report
    checkpoint = _load_checkpoint(str(dst), map_location='cpu')
    assert checkpoint['state_dict']['bbox_head.cls_branches.0.weight'].shape \
        == (7, 256)
    assert checkpoint['meta']['dataset_meta']['emotion_classes'] == \
        CAERS_CLASSES
    # the CAER-S weights do not fit the EMOTIC model
    with pytest.raises(tool.ConversionError, match='num_subject_queries'):
        tool.convert(
            str(official_files['caers']),
            str(tmp_path / 'no.pth'),
            config=str(CONFIGS / 'dsct_r50_emotic.py'))
    with pytest.raises(OfficialKeyError, match='caers'):
        tool.convert(
            str(official_files['caers']), str(tmp_path / 'no.pth'), 'emotic')
    assert not (tmp_path / 'no.pth').exists()


def test_fusion_settings_that_differ_are_reported(official_files, tmp_path):
    """EMOTIC weights with and without fusion have the same shapes; a
    config that fuses differently from training gets a warning."""
    config = tmp_path / 'nofusion.py'
    config.write_text(f"_base_ = '{CONFIGS / 'dsct_r50_emotic.py'}'\n"
                      'model = dict(decoder=dict(num_spatial_context=0, '
                      'num_semantic_context=0))\n')
    dst = tmp_path / 'converted.pth'
    report = tool.convert(
        str(official_files['emotic']), str(dst), config=str(config))
    assert 'WARNING: the authors trained with dec_n_sp=100, the config ' \
        'has 0' in report
    meta = _load_checkpoint(str(dst), map_location='cpu')['meta']
    assert len(meta['converted_from']['warnings']) == 2


class CreatesMarker:
    """Unpickling this object would create a file: a stand-in for code a
    hostile checkpoint runs."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, 'w'))


def test_hostile_checkpoint_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / 'marker'
    args = argparse.Namespace(
        dataset_file='emotic', hook=CreatesMarker(marker))
    src = save(
        dict(
            model={'transformer.level_embed': torch.zeros(4, 256)},
            optimizer={},
            lr_scheduler={},
            epoch=0,
            args=args), tmp_path / 'hostile.pth')
    dst = tmp_path / 'out.pth'
    proc = run_tool(src, dst, '--dataset', 'emotic')
    assert proc.returncode != 0
    assert '`io.open`' in proc.stderr  # the refused global is named
    assert not marker.exists()
    assert not dst.exists()
    with pytest.raises(UnsafeCheckpointError):
        tool.read_official_checkpoint(str(src))
    assert not marker.exists()


def test_unknown_keys_stop_the_conversion(tmp_path):
    state_dict = fill.official_state_dict('emotic')
    state_dict['transformer.enc_output.weight'] = torch.zeros(256, 256)
    state_dict['extra_head.weight'] = torch.zeros(3)
    src = save(fill.official_checkpoint(state_dict), tmp_path / 'extra.pth')
    dst = tmp_path / 'out.pth'
    with pytest.raises(OfficialKeyError) as err:
        tool.convert(str(src), str(dst))
    message = str(err.value)
    assert 'transformer.enc_output.weight' in message
    assert 'extra_head.weight' in message
    assert 'two-stage' in message
    assert not dst.exists()


def deformable_detr_checkpoint():
    """The original Deformable DETR layout: no subject queries, COCO heads
    (six equal copies), the same transformer."""
    state_dict = {
        key: value
        for key, value in fill.official_state_dict('emotic').items()
        if 'embed_dsct' not in key
    }
    for copy in range(6):
        state_dict[f'class_embed.{copy}.weight'] = torch.zeros(91, 256)
        state_dict[f'class_embed.{copy}.bias'] = torch.zeros(91)
        for layer, rows in ((0, 256), (1, 256), (2, 4)):
            state_dict[f'bbox_embed.{copy}.layers.{layer}.weight'] = \
                torch.zeros(rows, 256)
            state_dict[f'bbox_embed.{copy}.layers.{layer}.bias'] = \
                torch.zeros(rows)
    return fill.official_checkpoint(state_dict, epoch=49)


def test_deformable_detr_checkpoint_becomes_dsct_initial_weights(tmp_path):
    src = save(deformable_detr_checkpoint(), tmp_path / 'r50_ddetr.pth')
    with pytest.raises(tool.ConversionError, match='--source'):
        tool.convert(str(src), str(tmp_path / 'no.pth'), source='dsct')
    dst = tmp_path / 'init.pth'
    report = tool.convert(str(src), str(dst), source='deformable-detr')
    assert 'original Deformable DETR -> mmdsct DSCT' in report
    assert 'COCO detection head' in report
    assert 'subject_query_embedding.weight' in report  # newly initialised
    checkpoint = _load_checkpoint(str(dst), map_location='cpu')
    state_dict = checkpoint['state_dict']
    assert torch.equal(state_dict['context_query_embedding.weight'],
                       fill.fill_tensor('query_embed.weight', [300, 512]))
    assert not any(key.startswith('bbox_head.') for key in state_dict)
    assert 'dataset_meta' not in checkpoint['meta']
    assert checkpoint['meta']['converted_from']['source'] == \
        'deformable-detr'


@pytest.fixture(scope='module')
def tiny_official_file(tmp_path_factory):
    """A small checkpoint in the authors' format (the loaders refuse it
    before looking at its keys)."""
    folder = tmp_path_factory.mktemp('tiny_official')
    return save(
        fill.official_checkpoint({'transformer.level_embed': torch.zeros(2)}),
        folder / 'official.pth')


def test_api_refuses_an_official_checkpoint(tiny_official_file, tiny_config):
    with pytest.raises(OfficialCheckpointError, match=CONVERTER_NAME):
        init_emotion_model(str(tiny_config), str(tiny_official_file))


@pytest.mark.parametrize('how', ['test', 'load_from', 'resume'])
def test_tools_refuse_an_official_checkpoint(tiny_official_file,
                                             synth_workspace, tiny_config,
                                             how):
    work_dir = synth_workspace / 'work_dirs' / f'official_{how}'
    if how == 'test':
        args = [
            REPO_ROOT / 'tools' / 'test.py', tiny_config, tiny_official_file
        ]
    else:
        args = [REPO_ROOT / 'tools' / 'train.py', tiny_config]
        args += (['--resume', tiny_official_file] if how == 'resume' else
                 ['--cfg-options', f'load_from={tiny_official_file}'])
    proc = subprocess.run(
        [sys.executable, *map(str, args), '--work-dir',
         str(work_dir)],
        cwd=synth_workspace,
        capture_output=True,
        text=True,
        timeout=600)
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    assert 'OfficialCheckpointError' in log
    assert f'{CONVERTER_NAME} IN.pth OUT.pth --dataset emotic|caers' in log
