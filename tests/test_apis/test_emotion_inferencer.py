"""EmotionInferencer on images, folders, videos, a (fake) webcam and the
model zoo, with a tiny seeded DSCT model."""
import json
import logging
import warnings

import cv2
import mmcv
import numpy as np
import pytest
import torch
from mmengine.fileio import LocalBackend
from mmengine.fileio.backends import registry_utils
from mmengine.logging import MMLogger
from mmengine.registry import INFERENCERS
from mmengine.structures import InstanceData

from mmdsct.apis import (UnreadableImageError, inference_emotion,
                         init_emotion_model, video_io)
from mmdsct.apis.emotion_inferencer import EmotionInferencer
from mmdsct.utils import AtomicLocalBackend

IMAGE_HEIGHT, IMAGE_WIDTH = 96, 128
NUM_FRAMES = 5
VIDEO_FPS = 10.0
SEED = 0


def save_checkpoint(model, path, **meta):
    """Save ``model``'s weights with emotion names and ``meta``."""
    dataset_meta = dict(
        classes=('person', ),
        emotion_classes=tuple(f'feeling_{i}'
                              for i in range(model.bbox_head.num_emotions)),
        multi_label=True)
    dataset_meta.update(meta.pop('dataset_meta', {}))
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dataset_meta, **meta)), path)
    return path


@pytest.fixture(scope='module')
def seeded_model(tiny_config):
    """The tiny model, seeded before it is built and initialised."""
    torch.manual_seed(SEED)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # no names yet: the checkpoint's
        model = init_emotion_model(str(tiny_config))
    model.init_weights()
    return model


@pytest.fixture(scope='module')
def checkpoint(seeded_model, tmp_path_factory):
    """A checkpoint of the seeded model, with emotion names."""
    path = tmp_path_factory.mktemp('checkpoint') / 'tiny.pth'
    return save_checkpoint(seeded_model, path)


@pytest.fixture(scope='module')
def inferencer(tiny_config, checkpoint):
    return EmotionInferencer(
        str(tiny_config), str(checkpoint), device='cpu', show_progress=False)


@pytest.fixture
def log_text(caplog):
    """The text the current MMLogger logs (caplog's handler attached)."""
    logger = MMLogger.get_current_instance()
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.INFO)
    yield lambda: caplog.text
    logger.removeHandler(caplog.handler)


def scene(seed):
    """A BGR frame with two bright figures that move with ``seed``."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 60, (IMAGE_HEIGHT, IMAGE_WIDTH, 3), dtype=np.uint8)
    shift = 4 * seed
    image[20:80, 10 + shift:40 + shift] = (40, 200, 240)
    image[30:90, 80:110] = (240, 120, 30)
    return image


@pytest.fixture
def video_file(tmp_path):
    """A 5-frame 128x96 MJPG .avi."""
    path = tmp_path / 'clip.avi'
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'MJPG'), VIDEO_FPS,
        (IMAGE_WIDTH, IMAGE_HEIGHT))
    assert writer.isOpened()
    for index in range(NUM_FRAMES):
        writer.write(scene(index))
    writer.release()
    return path


def read_video(path):
    """All frames of a video file."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def check_subject(subject, names, thresholds):
    """The documented keys, and labels = classes at their thresholds."""
    assert {'bbox', 'score', 'emotions', 'labels'} <= set(subject)
    assert len(subject['bbox']) == 4
    assert list(subject['emotions']) == list(names)
    expected = [
        name for name, threshold in zip(names, thresholds)
        if subject['emotions'][name] >= threshold
    ]
    assert subject['labels'] == expected


def test_registered_in_mmengine_inferencers():
    assert INFERENCERS.get('EmotionInferencer') is EmotionInferencer


def test_image_file(inferencer, tmp_path, monkeypatch):
    path = tmp_path / 'scene.png'
    mmcv.imwrite(scene(0), str(path))
    out_dir = tmp_path / 'out'
    atomic_writes = []
    put_text = AtomicLocalBackend.put_text

    def recording_put_text(self, obj, filepath, *args, **kwargs):
        atomic_writes.append(str(filepath))
        return put_text(self, obj, filepath, *args, **kwargs)

    monkeypatch.setattr(AtomicLocalBackend, 'put_text', recording_put_text)
    # mmengine's own 'local' backend, as after a bare ``import mmdsct``
    monkeypatch.setitem(registry_utils.backends, 'local', LocalBackend)
    monkeypatch.setitem(registry_utils.prefix_to_backends, '', LocalBackend)
    result = inferencer(str(path), out_dir=str(out_dir), pred_score_thr=0.0)
    # written atomically by the inferencer's own choice of backend
    assert atomic_writes == [str(out_dir / 'predictions.json')]

    (record, ) = result['predictions']
    assert record['image'] == str(path)
    assert (record['width'], record['height']) == (IMAGE_WIDTH, IMAGE_HEIGHT)
    names = inferencer.emotion_classes
    assert names == [f'feeling_{i}' for i in range(len(names))]
    assert inferencer.thresholds.tolist() == [0.5] * len(names)
    scores = [subject['score'] for subject in record['subjects']]
    assert scores and scores == sorted(scores, reverse=True)
    for subject in record['subjects']:
        check_subject(subject, names, inferencer.thresholds)

    # The same model and pixels through inference_emotion: same subjects.
    plain = inference_emotion(inferencer.model, str(path))
    assert [{k: v
             for k, v in s.items() if k != 'labels'}
            for s in record['subjects']] == plain

    assert mmcv.imread(str(out_dir / 'scene.png')) is not None
    saved = json.loads((out_dir / 'predictions.json').read_text())
    assert saved['emotion_classes'] == names
    assert saved['multi_label'] is True
    assert saved['images'][0]['subjects'] == record['subjects']
    assert saved['skipped'] == []


def test_arrays_and_datasamples(inferencer):
    image = scene(1)
    result = inferencer([image, image[..., 0]],
                        pred_score_thr=0.2,
                        return_datasamples=True,
                        return_vis=True)
    samples = result['predictions']
    assert len(samples) == 2 and len(result['visualization']) == 2
    for sample in samples:
        pred = sample.pred_instances
        assert (pred.scores >= 0.2).all()
        assert pred.emotion_labels.dtype == torch.bool
        assert pred.emotion_labels.shape == pred.emotions.shape
        assert torch.equal(pred.emotion_labels, pred.emotions >= 0.5)


def test_folder_skips_and_counts_unreadable_files(inferencer, tmp_path,
                                                  log_text):
    folder = tmp_path / 'images'
    (folder / 'sub').mkdir(parents=True)
    mmcv.imwrite(scene(0), str(folder / 'a.png'))
    mmcv.imwrite(scene(1), str(folder / 'sub' / 'b.jpg'))
    (folder / 'broken.png').write_bytes(b'not an image')
    out_dir = tmp_path / 'out'
    result = inferencer(str(folder), out_dir=str(out_dir))

    assert [r['image'] for r in result['predictions']
            ] == [str(folder / 'a.png'),
                  str(folder / 'sub' / 'b.jpg')]
    assert [s['image']
            for s in result['skipped']] == [str(folder / 'broken.png')]
    assert 'Skipped 1 unreadable image file(s)' in log_text()
    assert (out_dir / 'a.png').is_file()
    assert (out_dir / 'sub' / 'b.png').is_file()
    saved = json.loads((out_dir / 'predictions.json').read_text())
    assert len(saved['images']) == 2 and len(saved['skipped']) == 1


def test_a_single_unreadable_image_is_an_error(inferencer, tmp_path):
    broken = tmp_path / 'broken.png'
    broken.write_bytes(b'not an image')
    with pytest.raises(UnreadableImageError, match='broken.png'):
        inferencer(str(broken))
    with pytest.raises(FileNotFoundError, match='absent.mp4'):
        inferencer(str(tmp_path / 'absent.mp4'))


def test_video_in_annotated_video_out(inferencer, video_file, tmp_path):
    out_dir = tmp_path / 'out'
    result = inferencer(
        str(video_file), out_dir=str(out_dir), pred_score_thr=0.0)

    annotated = out_dir / 'clip.avi'
    assert result['video']['drawing'] == str(annotated)
    frames_in, frames_out = read_video(video_file), read_video(annotated)
    assert len(frames_out) == len(frames_in) == NUM_FRAMES
    for frame_in, frame_out in zip(frames_in, frames_out):
        assert frame_out.shape == frame_in.shape == (IMAGE_HEIGHT, IMAGE_WIDTH,
                                                     3)
    # Boxes and labels were drawn: the frames changed.
    difference = np.abs(frames_out[0].astype(int) - frames_in[0].astype(int))
    assert difference.mean() > 5

    saved = json.loads((out_dir / 'predictions.json').read_text())
    assert saved['video']['fps'] == pytest.approx(VIDEO_FPS)
    assert (saved['video']['width'],
            saved['video']['height']) == (IMAGE_WIDTH, IMAGE_HEIGHT)
    assert [f['frame'] for f in saved['frames']] == list(range(NUM_FRAMES))
    for frame in saved['frames']:
        assert frame['time'] == pytest.approx(frame['frame'] / VIDEO_FPS)
        assert frame['subjects']
        for subject in frame['subjects']:
            check_subject(subject, inferencer.emotion_classes,
                          inferencer.thresholds)


@pytest.mark.parametrize('webcam', [0, '0'])
def test_webcam_index_opens_the_camera(inferencer, video_file, tmp_path,
                                       monkeypatch, webcam):
    opened = []
    real_capture = cv2.VideoCapture

    def fake_capture(source):
        opened.append(source)
        return real_capture(str(video_file))  # the "camera" shows the clip

    monkeypatch.setattr(video_io.cv2, 'VideoCapture', fake_capture)
    out_dir = tmp_path / 'out'
    result = inferencer(webcam, out_dir=str(out_dir), max_frames=3)
    assert opened == [0]
    assert len(result['predictions']) == 3
    assert result['video']['source'] == 'webcam 0'
    monkeypatch.setattr(video_io.cv2, 'VideoCapture', real_capture)
    written = read_video(result['video']['drawing'])
    assert len(written) == 3
    assert written[0].shape == (IMAGE_HEIGHT, IMAGE_WIDTH, 3)


def test_thresholds_from_the_checkpoint_and_beside_it(tiny_config,
                                                      seeded_model, tmp_path):
    num_classes = seeded_model.bbox_head.num_emotions
    names = [f'feeling_{i}' for i in range(num_classes)]
    low_first = {name: float(i > 0) for i, name in enumerate(names)}
    with_meta = save_checkpoint(
        seeded_model, tmp_path / 'meta.pth', emotion_thresholds=low_first)
    inferencer = EmotionInferencer(
        str(tiny_config), str(with_meta), show_progress=False)
    assert 'meta["emotion_thresholds"]' in inferencer.thresholds_source
    result = inferencer(scene(2), pred_score_thr=0.0)
    for subject in result['predictions'][0]['subjects']:
        assert subject['labels'][:1] == ['feeling_0']
        check_subject(subject, names, inferencer.thresholds)

    plain = save_checkpoint(seeded_model, tmp_path / 'plain.pth')
    beside = tmp_path / 'plain_thresholds.json'
    beside.write_text(json.dumps({name: 0.25 for name in names}))
    inferencer = EmotionInferencer(
        str(tiny_config), str(plain), show_progress=False)
    assert inferencer.thresholds_source == str(beside)
    assert inferencer.thresholds.tolist() == [0.25] * len(names)


def test_single_label_data_takes_the_most_probable_class(
        tiny_config, seeded_model, tmp_path):
    path = save_checkpoint(
        seeded_model,
        tmp_path / 'single.pth',
        dataset_meta=dict(multi_label=False))
    inferencer = EmotionInferencer(
        str(tiny_config), str(path), show_progress=False)
    assert inferencer.multi_label is False
    subjects = inferencer(
        scene(3), pred_score_thr=0.0)['predictions'][0]['subjects']
    for subject in subjects:
        best = max(subject['emotions'], key=subject['emotions'].get)
        assert subject['labels'] == [best]


def write_model_index(tmp_path, config, weights):
    """A one-model zoo in mmdet's metafile format."""
    (tmp_path / 'configs' / 'dsct').mkdir(parents=True)
    (tmp_path /
     'model-index.yml').write_text('Import:\n  - configs/dsct/metafile.yml\n')
    (tmp_path / 'configs' / 'dsct' / 'metafile.yml').write_text(
        'Collections:\n  - Name: DSCT\nModels:\n'
        '  - Name: dsct_tiny_test\n'
        '    Alias: tiny-emotions\n'
        '    In Collection: DSCT\n'
        f'    Config: {config}\n'
        f'    Weights: {weights}\n')
    return tmp_path / 'model-index.yml'


def test_model_name_from_the_model_index(tiny_config, checkpoint, tmp_path):
    index = write_model_index(tmp_path, tiny_config, checkpoint)
    for name in ('dsct_tiny_test', 'TINY-EMOTIONS'):
        inferencer = EmotionInferencer(
            name, model_index=str(index), show_progress=False)
        assert inferencer.checkpoint_file == str(checkpoint)
        assert inferencer.emotion_classes[0] == 'feeling_0'
    assert EmotionInferencer.list_models(model_index=str(index)) == [
        'dsct_tiny_test', 'tiny-emotions'
    ]
    assert EmotionInferencer.list_models(
        patterns='tiny', model_index=str(index)) == ['tiny-emotions']
    with pytest.raises(ValueError, match='known models: dsct_tiny_test'):
        EmotionInferencer('no_such_model', model_index=str(index))
    with pytest.raises(FileNotFoundError, match='absent.py'):
        EmotionInferencer(str(tmp_path / 'absent.py'))


def test_weights_from_a_url(tiny_config, checkpoint, torch_home):
    # torch_home: TORCH_HOME points at a temporary folder for this test only
    # (torch.hub.set_dir would pin the cache for every later test).
    inferencer = EmotionInferencer(
        str(tiny_config), checkpoint.as_uri(), show_progress=False)
    cached = torch_home / 'tiny.pth'
    assert inferencer.checkpoint_file == str(cached)
    assert cached.read_bytes() == checkpoint.read_bytes()
    with pytest.raises(RuntimeError, match='offline'):
        EmotionInferencer(
            str(tiny_config), 'http://127.0.0.1:9/unreachable.pth')


def test_drawings_list_the_label_set(inferencer):
    instances = InstanceData(
        bboxes=torch.tensor([[0., 0., 10., 10.]]),
        scores=torch.tensor([0.9]),
        emotions=torch.tensor([[0.9, 0.6, 0.3] + [0.1] * 5]))
    visualizer = inferencer.visualizer
    assert [name for name, _ in visualizer._top_emotions(instances, 0)
            ] == ['feeling_0', 'feeling_1', 'feeling_2']
    instances.emotion_labels = torch.tensor([[False, True, True] + [False] * 5
                                             ])
    assert visualizer._top_emotions(instances,
                                    0) == [('feeling_1', pytest.approx(0.6)),
                                           ('feeling_2', pytest.approx(0.3))]
