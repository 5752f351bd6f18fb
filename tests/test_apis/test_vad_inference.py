"""A model with the VAD branch: inference_emotion, EmotionInferencer,
tools/infer.py and the drawings show each subject's VAD."""
import json
import subprocess
import sys
import warnings

import mmcv
import numpy as np
import pytest
import torch

from mmdsct.apis import inference_emotion, init_emotion_model
from mmdsct.apis.emotion_inferencer import EmotionInferencer
from mmdsct.visualization import emotion_visualizer

IMAGE_HEIGHT, IMAGE_WIDTH = 96, 128
VAD_CONFIG = 'configs/dsct_vad/dsct-vad_tiny_synth.py'
VAD_RANGE = (1.0, 10.0)


@pytest.fixture(scope='module')
def vad_checkpoint(repo_root, tmp_path_factory):
    """A seeded, initialised tiny VAD model's checkpoint, with names."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # no names yet: they are set below
        torch.manual_seed(0)
        model = init_emotion_model(str(repo_root / VAD_CONFIG))
    model.init_weights()
    path = tmp_path_factory.mktemp('checkpoint') / 'tiny_vad.pth'
    dataset_meta = dict(
        classes=('person', ),
        emotion_classes=tuple(f'feeling_{i}' for i in range(8)),
        multi_label=True)
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dataset_meta)), path)
    return path


@pytest.fixture
def image_file(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 60, (IMAGE_HEIGHT, IMAGE_WIDTH, 3), dtype=np.uint8)
    image[20:80, 10:40] = (40, 200, 240)
    path = tmp_path / 'scene.png'
    mmcv.imwrite(image, str(path))
    return path


def check_vad(subjects):
    assert subjects
    for subject in subjects:
        assert len(subject['vad']) == 3
        assert all(VAD_RANGE[0] <= v <= VAD_RANGE[1] for v in subject['vad'])


def test_inferencer_json_and_drawing_carry_vad(repo_root, vad_checkpoint,
                                               image_file, tmp_path,
                                               monkeypatch):
    labels = []
    real_label = emotion_visualizer.subject_label

    def recording_label(*args, **kwargs):
        labels.append(real_label(*args, **kwargs))
        return labels[-1]

    monkeypatch.setattr(emotion_visualizer, 'subject_label', recording_label)
    inferencer = EmotionInferencer(
        str(repo_root / VAD_CONFIG),
        str(vad_checkpoint),
        device='cpu',
        show_progress=False)
    out_dir = tmp_path / 'out'
    result = inferencer(
        str(image_file), out_dir=str(out_dir), pred_score_thr=0.0)
    (record, ) = result['predictions']
    check_vad(record['subjects'])
    saved = json.loads((out_dir / 'predictions.json').read_text())
    assert saved['images'][0]['subjects'] == record['subjects']
    # every drawn subject's label has its VAD line, with the JSON's values
    assert len(labels) == len(record['subjects'])
    first = record['subjects'][0]['vad']
    assert labels[0].splitlines()[-1] == 'VAD ' + '/'.join(f'{v:.1f}'
                                                           for v in first)
    plain = inference_emotion(inferencer.model, str(image_file))
    assert [s['vad'] for s in plain] == [s['vad'] for s in record['subjects']]


def test_infer_tool_writes_vad(repo_root, vad_checkpoint, image_file,
                               tmp_path):
    out_dir = tmp_path / 'out'
    proc = subprocess.run([
        sys.executable,
        str(repo_root / 'tools' / 'infer.py'),
        str(image_file), VAD_CONFIG,
        str(vad_checkpoint), '--out-dir',
        str(out_dir), '--score-thr', '0'
    ],
                          cwd=repo_root,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    saved = json.loads((out_dir / 'predictions.json').read_text())
    check_vad(saved['images'][0]['subjects'])
    assert (out_dir / 'scene.png').is_file()
