"""The inference API on generated images with a tiny random DSCT model."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample

from mmdsct.apis import (UnreadableImageError, inference_emotion,
                         init_emotion_model)
from mmdsct.utils import CheckpointMismatchError

SUBJECT_KEYS = {'bbox', 'score', 'emotions'}
OPTIONAL_KEYS = {'vad'}
PIXEL_TOLERANCE = 1.0


def check_subjects(subjects, emotion_classes, width, height):
    """Assert the documented structure of one image's subjects."""
    assert isinstance(subjects, list)
    assert subjects, 'a score threshold of 0 keeps every subject query'
    scores = [subject['score'] for subject in subjects]
    assert scores == sorted(scores, reverse=True)
    for subject in subjects:
        assert SUBJECT_KEYS <= set(subject) <= SUBJECT_KEYS | OPTIONAL_KEYS
        assert isinstance(subject['score'], float)
        assert 0.0 <= subject['score'] <= 1.0
        bbox = subject['bbox']
        assert len(bbox) == 4 and all(isinstance(v, float) for v in bbox)
        x1, y1, x2, y2 = bbox
        assert -PIXEL_TOLERANCE <= x1 <= x2 <= width + PIXEL_TOLERANCE
        assert -PIXEL_TOLERANCE <= y1 <= y2 <= height + PIXEL_TOLERANCE
        assert list(subject['emotions']) == list(emotion_classes)
        assert all(0.0 <= p <= 1.0 for p in subject['emotions'].values())


def test_model_knows_its_emotion_classes(tiny_model):
    names = tiny_model.dataset_meta['emotion_classes']
    assert len(names) > 0
    assert tiny_model.dataset_meta['classes'] == ('person', )
    assert not tiny_model.training


def test_inference_on_an_image_file(tiny_model, scene_file, scene_image):
    subjects = inference_emotion(tiny_model, str(scene_file))
    height, width = scene_image.shape[:2]
    check_subjects(subjects, tiny_model.dataset_meta['emotion_classes'], width,
                   height)


def test_inference_on_a_list_of_arrays_and_paths(tiny_model, scene_file,
                                                 scene_image):
    grey = scene_image[..., 0]
    results = inference_emotion(tiny_model, [scene_image, grey, scene_file])
    assert len(results) == 3
    for subjects in results:
        check_subjects(subjects, tiny_model.dataset_meta['emotion_classes'],
                       scene_image.shape[1], scene_image.shape[0])
    # The same pixels give the same answer, from a file or from memory.
    assert results[0] == results[2]


def test_raw_data_samples_on_request(tiny_model, scene_file):
    subjects, sample = inference_emotion(
        tiny_model, scene_file, score_thr=0.0, return_datasamples=True)
    assert isinstance(sample, DetDataSample)
    assert sample.img_path == str(scene_file)
    pred = sample.pred_instances
    assert len(pred) == len(subjects)
    num_classes = len(tiny_model.dataset_meta['emotion_classes'])
    assert pred.emotions.shape == (len(pred), num_classes)
    for field in ('spatial_context_points', 'semantic_context_points'):
        points = getattr(pred, field)
        assert points.ndim == 3 and points.shape[0] == len(pred)
        assert points.shape[2] == 2


def test_score_threshold_filters(tiny_model, scene_image):
    everything = inference_emotion(tiny_model, scene_image)
    middle = everything[len(everything) // 2]['score']
    kept = inference_emotion(tiny_model, scene_image, score_thr=middle)
    assert kept == [s for s in everything if s['score'] >= middle]
    assert 0 < len(kept) < len(everything)
    assert inference_emotion(tiny_model, scene_image, score_thr=1.01) == []


def test_bad_images_are_named(tiny_model, tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.png'):
        inference_emotion(tiny_model, tmp_path / 'missing.png')
    broken = tmp_path / 'broken.png'
    broken.write_bytes(b'\x89PNG but not really')
    with pytest.raises(UnreadableImageError, match='broken.png'):
        inference_emotion(tiny_model, [str(broken)])


def test_checkpoint_round_trip(tiny_model, tiny_config, tmp_path, scene_image):
    """Weights and emotion names come back from a saved checkpoint."""
    checkpoint = tmp_path / 'tiny.pth'
    meta = dict(dataset_meta=dict(tiny_model.dataset_meta))
    meta['dataset_meta'].pop('palette', None)
    torch.save(dict(state_dict=tiny_model.state_dict(), meta=meta), checkpoint)
    reloaded = init_emotion_model(str(tiny_config), str(checkpoint))
    assert reloaded.dataset_meta['emotion_classes'] == \
        tiny_model.dataset_meta['emotion_classes']
    expected = inference_emotion(tiny_model, scene_image)
    actual = inference_emotion(reloaded, scene_image)
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        np.testing.assert_allclose(got['bbox'], want['bbox'], atol=1e-4)
        assert got['score'] == pytest.approx(want['score'], abs=1e-5)


def test_remote_or_missing_checkpoint_is_refused(tiny_config, tmp_path):
    with pytest.raises(ValueError, match='URL'):
        init_emotion_model(str(tiny_config), 'https://example.com/x.pth')
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        init_emotion_model(str(tiny_config), str(tmp_path / 'absent.pth'))


def test_model_without_checkpoint_is_initialised(tiny_model, tiny_config,
                                                 synth_workspace, monkeypatch,
                                                 scene_image):
    """init_weights() ran: level_embed (built with torch.Tensor) holds
    normal samples, not leftover memory; the same seed gives the same
    model and answers."""
    level_embed = tiny_model.level_embed.detach()
    assert torch.isfinite(level_embed).all()
    assert 0.3 < level_embed.std().item() < 3.0
    monkeypatch.chdir(synth_workspace)
    torch.manual_seed(0)
    again = init_emotion_model(str(tiny_config))
    for key, value in tiny_model.state_dict().items():
        torch.testing.assert_close(again.state_dict()[key], value, msg=key)
    assert inference_emotion(again, scene_image) == \
        inference_emotion(tiny_model, scene_image)


def test_checkpoint_that_does_not_fit_is_refused(tiny_model, tiny_config,
                                                 tmp_path, scene_image):
    state_dict = dict(tiny_model.state_dict())
    state_dict['level_embed'] = torch.zeros(4, 64)
    del state_dict['reference_points_fc.weight']
    state_dict['extra.weight'] = torch.zeros(1)
    meta = dict(
        dataset_meta=dict(
            emotion_classes=tiny_model.dataset_meta['emotion_classes']))
    checkpoint = tmp_path / 'other.pth'
    torch.save(dict(state_dict=state_dict, meta=meta), checkpoint)
    with pytest.raises(CheckpointMismatchError) as err:
        init_emotion_model(str(tiny_config), str(checkpoint))
    for key in ('other.pth', 'level_embed', 'reference_points_fc.weight',
                'extra.weight', 'strict=False'):
        assert key in str(err.value), key

    partial = init_emotion_model(
        str(tiny_config), str(checkpoint), strict=False)
    torch.testing.assert_close(partial.subject_query_embedding.weight,
                               tiny_model.subject_query_embedding.weight)
    assert torch.isfinite(partial.level_embed).all()  # kept as initialised
    assert inference_emotion(partial, scene_image)


def test_checkpoint_is_loaded_weights_only_explicitly(tiny_config, tmp_path,
                                                      monkeypatch, http_root,
                                                      hostile_checkpoint):
    """Even with mmengine's own local loader back in place, the API loads
    weights only: it calls the project's loader itself."""
    from mmengine.runner import CheckpointLoader
    from mmengine.runner.checkpoint import load_from_local

    from mmdsct.utils import UnsafeCheckpointError
    name, marker = hostile_checkpoint
    monkeypatch.setitem(CheckpointLoader._schemes, '', load_from_local)
    with pytest.raises(UnsafeCheckpointError, match=name):
        init_emotion_model(str(tiny_config), str(http_root / name))
    assert not marker.exists(), 'the pickle ran code'
