"""tools/infer.py as a user runs it: drawings, videos, predictions.json,
bad files."""
import importlib.util
import json
import subprocess
import sys
import warnings

import cv2
import mmcv
import numpy as np
import pytest
import torch

from mmdsct.apis import inference_emotion, init_emotion_model

IMAGE_HEIGHT, IMAGE_WIDTH = 96, 128
MIN_CANVAS = 512  # EmotionVisualizer's default min_canvas_size


@pytest.fixture(scope='module')
def tiny_checkpoint(tiny_config, tmp_path_factory):
    """A checkpoint of the tiny model, random weights, with class names."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # no names yet: they are set below
        torch.manual_seed(0)  # the same weights whatever ran before
        model = init_emotion_model(str(tiny_config))
    probe = np.zeros((IMAGE_HEIGHT, IMAGE_WIDTH, 3), dtype=np.uint8)
    num_classes = len(inference_emotion(model, probe)[0]['emotions'])
    path = tmp_path_factory.mktemp('checkpoint') / 'tiny.pth'
    dataset_meta = dict(
        classes=('person', ),
        emotion_classes=tuple(f'feeling_{i}' for i in range(num_classes)))
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dataset_meta)), path)
    return path


def write_scene(path, seed):
    rng = np.random.default_rng(seed)
    image = rng.integers(
        0, 255, (IMAGE_HEIGHT, IMAGE_WIDTH, 3), dtype=np.uint8)
    mmcv.imwrite(image, str(path))


def run_infer(repo_root, *args):
    return subprocess.run([
        sys.executable,
        str(repo_root / 'tools' / 'infer.py'), *map(str, args)
    ],
                          cwd=repo_root,
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_directory_run_draws_every_image_and_skips_broken_ones(
        repo_root, tiny_config, tiny_checkpoint, tmp_path):
    images = tmp_path / 'images'
    (images / 'sub').mkdir(parents=True)
    write_scene(images / 'a.png', 0)
    write_scene(images / 'sub' / 'b.jpg', 1)
    (images / 'broken.png').write_bytes(b'not an image')
    out_dir = tmp_path / 'out'

    proc = run_infer(repo_root, images, tiny_config, tiny_checkpoint,
                     '--out-dir', out_dir, '--score-thr', 0.0, '--topk', 2,
                     '--draw-context')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'Skipped 1 unreadable image file(s)' in proc.stdout + proc.stderr
    assert 'broken.png' in proc.stdout + proc.stderr

    for drawing in (out_dir / 'a.png', out_dir / 'sub' / 'b.png'):
        image = mmcv.imread(str(drawing))
        assert image is not None, f'{drawing} was not written'
        assert min(image.shape[:2]) == MIN_CANVAS

    predictions = json.loads((out_dir / 'predictions.json').read_text())
    assert [entry['image'] for entry in predictions['images']
            ] == [str(images / 'a.png'),
                  str(images / 'sub' / 'b.jpg')]
    assert [entry['image'] for entry in predictions['skipped']
            ] == [str(images / 'broken.png')]
    for entry in predictions['images']:
        assert entry['subjects'], 'score threshold 0 keeps every subject'
        subject = entry['subjects'][0]
        assert {'bbox', 'score', 'emotions'} <= set(subject)
        assert len(subject['bbox']) == 4
        assert list(subject['emotions']) == predictions['emotion_classes']
        assert all(name.startswith('feeling_') for name in subject['emotions'])


def load_infer_tool(repo_root):
    """``tools/infer.py`` as a module, to call its ``main`` in-process."""
    spec = importlib.util.spec_from_file_location(
        'mmdsct_infer_tool', repo_root / 'tools' / 'infer.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('name, content, reason', [
    ('broken.jpg', b'', 'empty file'),
    ('garbage.png', b'not an image', 'not a valid image'),
    ('missing.png', None, 'does not exist'),
])
def test_single_bad_image_is_an_error_naming_it(repo_root, tiny_config,
                                                tmp_path, monkeypatch, name,
                                                content, reason):
    image = tmp_path / name
    if content is not None:
        image.write_bytes(content)
    infer = load_infer_tool(repo_root)
    monkeypatch.setattr(sys, 'argv', [
        'infer.py',
        str(image),
        str(tiny_config), 'unused.pth', '--out-dir',
        str(tmp_path / 'out')
    ])
    with pytest.raises(SystemExit) as exit_info:
        infer.main()  # fails before the model (and checkpoint) is loaded
    message = str(exit_info.value.code)
    assert message.startswith('error: ')
    assert name in message and reason in message
    assert not (tmp_path / 'out').exists()


def test_video_run_writes_an_annotated_video_and_frame_records(
        repo_root, tiny_config, tiny_checkpoint, tmp_path):
    video = tmp_path / 'clip.avi'
    writer = cv2.VideoWriter(
        str(video), cv2.VideoWriter_fourcc(*'MJPG'), 8,
        (IMAGE_WIDTH, IMAGE_HEIGHT))
    for seed in range(4):
        rng = np.random.default_rng(seed)
        writer.write(
            rng.integers(
                0, 255, (IMAGE_HEIGHT, IMAGE_WIDTH, 3), dtype=np.uint8))
    writer.release()
    out_dir = tmp_path / 'out'

    proc = run_infer(repo_root, video, tiny_config, tiny_checkpoint,
                     '--out-dir', out_dir, '--score-thr', 0.0, '--max-frames',
                     3)
    assert proc.returncode == 0, proc.stderr[-3000:]
    capture = cv2.VideoCapture(str(out_dir / 'clip.avi'))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    assert len(frames) == 3
    assert frames[0].shape == (IMAGE_HEIGHT, IMAGE_WIDTH, 3)
    predictions = json.loads((out_dir / 'predictions.json').read_text())
    assert [f['frame'] for f in predictions['frames']] == [0, 1, 2]
    subject = predictions['frames'][0]['subjects'][0]
    assert list(subject['emotions']) == predictions['emotion_classes']
    assert set(subject['labels']) <= set(subject['emotions'])


def test_nothing_to_do_is_an_error(repo_root, tiny_config, tmp_path,
                                   monkeypatch, capsys):
    infer = load_infer_tool(repo_root)
    monkeypatch.setattr(
        sys, 'argv',
        ['infer.py', '0', str(tiny_config), 'unused.pth'])
    with pytest.raises(SystemExit) as exit_info:
        infer.main()
    assert exit_info.value.code == 2
    assert '--out-dir, --show or both' in capsys.readouterr().err
