"""fit_emotion_thresholds.py on the synthetic data with a tiny seeded DSCT:
thresholds in (0, 1) that do at least as well as 0.5 on their split."""
import importlib.util
import json
import sys

import numpy as np
import pytest
import torch

from mmdsct.apis import init_emotion_model
from mmdsct.apis.emotion_inferencer import EmotionInferencer
from mmdsct.evaluation.functional.decision_thresholds import (
    DEFAULT_THRESHOLD, f1_per_class, macro_f1, predict_label_sets)
from mmdsct.utils import load_from_local_weights_only

SEED = 0


def load_tool(repo_root):
    """The tool as a module, to call its functions and ``main``."""
    spec = importlib.util.spec_from_file_location(
        'fit_emotion_thresholds',
        repo_root / 'tools' / 'analysis_tools' / 'fit_emotion_thresholds.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def workspace(synth_workspace, monkeypatch):
    """Run where the tiny config's relative data root exists."""
    monkeypatch.chdir(synth_workspace)
    return synth_workspace


@pytest.fixture
def checkpoint(tiny_config, workspace, tmp_path):
    """A seeded, initialised tiny model saved with the synthetic data's
    metainfo (emotion names, multi-label)."""
    torch.manual_seed(SEED)
    model = init_emotion_model(str(tiny_config))
    model.init_weights()
    meta = {
        key: value
        for key, value in model.dataset_meta.items() if key != 'palette'
    }
    path = tmp_path / 'tiny.pth'
    torch.save(
        dict(state_dict=model.state_dict(), meta=dict(dataset_meta=meta)),
        path)
    return path


def run_tool(tool, monkeypatch, *args):
    monkeypatch.setattr(sys, 'argv', ['fit_emotion_thresholds.py', *args])
    tool.main()


def split_scores(tool, tiny_config, checkpoint):
    """GT-matched scores of the val split, as the tool computes them."""
    model = init_emotion_model(str(tiny_config), str(checkpoint))
    records = tool.collect_records(model, model.cfg, 'val')
    return tool.matched_scores(records,
                               len(model.dataset_meta['emotion_classes']))


def test_thresholds_beat_the_default_on_their_split(repo_root, tiny_config,
                                                    checkpoint, monkeypatch,
                                                    capsys):
    tool = load_tool(repo_root)
    run_tool(tool, monkeypatch, str(tiny_config), str(checkpoint))
    out_file = checkpoint.parent / 'tiny_thresholds.json'
    assert f'Thresholds written to {out_file}' in capsys.readouterr().out
    mapping = json.loads(out_file.read_text())

    scores, targets, found = split_scores(tool, tiny_config, checkpoint)
    thresholds = np.array(list(mapping.values()))
    assert ((thresholds > 0) & (thresholds < 1)).all()
    without_positives = targets.sum(axis=0) == 0
    assert (thresholds[without_positives] == DEFAULT_THRESHOLD).all()

    fitted = f1_per_class(
        predict_label_sets(scores, thresholds, True, found), targets)
    default = f1_per_class(
        predict_label_sets(scores, None, True, found), targets)
    defined = ~np.isnan(default)
    assert defined.any()
    assert (fitted[defined] >= default[defined] - 1e-12).all()
    assert macro_f1(fitted) >= macro_f1(default)
    # The fitted thresholds are used by the inferencer (JSON beside).
    inferencer = EmotionInferencer(
        str(tiny_config), str(checkpoint), show_progress=False)
    assert inferencer.emotion_classes == list(mapping)
    np.testing.assert_allclose(inferencer.thresholds, thresholds)


def test_into_checkpoint_writes_a_new_checkpoint(repo_root, tiny_config,
                                                 checkpoint, monkeypatch):
    tool = load_tool(repo_root)
    original = checkpoint.read_bytes()
    run_tool(tool, monkeypatch, str(tiny_config), str(checkpoint),
             '--into-checkpoint')
    written = checkpoint.parent / 'tiny_with_thresholds.pth'
    assert checkpoint.read_bytes() == original
    assert not (checkpoint.parent / 'tiny_thresholds.json').exists()
    content = load_from_local_weights_only(str(written))
    mapping = content['meta']['emotion_thresholds']
    assert all(0 < value < 1 for value in mapping.values())
    before = load_from_local_weights_only(str(checkpoint))
    assert content['meta']['dataset_meta'] == before['meta']['dataset_meta']
    for key, value in before['state_dict'].items():
        assert torch.equal(content['state_dict'][key], value)

    inferencer = EmotionInferencer(
        str(tiny_config), str(written), show_progress=False)
    assert 'meta["emotion_thresholds"]' in inferencer.thresholds_source
    np.testing.assert_allclose(inferencer.thresholds, list(mapping.values()))


def test_out_must_match_the_kind_of_output(repo_root, tiny_config, checkpoint,
                                           monkeypatch, capsys):
    tool = load_tool(repo_root)
    with pytest.raises(SystemExit):
        run_tool(tool, monkeypatch, str(tiny_config), str(checkpoint),
                 '--into-checkpoint', '--out', 'thresholds.json')
    assert '--out must end with .pth' in capsys.readouterr().err
