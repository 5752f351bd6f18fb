"""The synthetic context-emotion generator: format, determinism, rules,
and that no context label can be read from inside a subject box."""
import importlib.util
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from mmdsct.datasets import CAERS_CLASSES, SynthEmotionDataset
from mmdsct.datasets.synthetic import (Geometry, MultiLabelRules, Scene,
                                       SingleLabelRules, render_scene,
                                       sample_layout, sample_scene, scene_rng)
from mmdsct.datasets.synthetic.rules import Appearance, Context
from mmdsct.datasets.synthetic.scene import footprint, place_objects, separated

TOOL = (
    Path(__file__).resolve().parents[2] / 'tools' / 'misc' /
    'make_synthetic_emotion.py')
GEOMETRY = Geometry(128)


def run_tool(*args):
    spec = importlib.util.spec_from_file_location('make_synthetic', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main([str(arg) for arg in args])


def read_json(path):
    with open(path) as file:
        return json.load(file)


def gap(a, b):
    """Chebyshev gap between boxes (x1, y1, x2, y2), x2/y2 exclusive; 0 if
    they touch or overlap."""
    dx = max(b[0] - a[2], a[0] - b[2], 0)
    dy = max(b[1] - a[3], a[1] - b[3], 0)
    return max(dx, dy)


def overlaps(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(scope='module')
def generated(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp('synth')
    run_tool('--out-dir', out_dir, '--num-train', 8, '--num-test', 3, '--seed',
             3)
    return out_dir


def test_writes_images_and_annotations_in_project_format(generated, capsys):
    train = read_json(generated / 'annotations' / 'synth_train.json')
    test = read_json(generated / 'annotations' / 'synth_test.json')
    assert len(train['images']) == 8 and len(test['images']) == 3
    assert train['emotion_classes'] == list(MultiLabelRules.classes)
    assert train['emotion_class_groups'] == MultiLabelRules.groups
    assert set(train['synthetic_rules']['classes']) == set(
        MultiLabelRules.classes)
    assert train['categories'] == [dict(id=1, name='person')]
    per_image = Counter(a['image_id'] for a in train['annotations'])
    assert all(1 <= per_image[i['id']] <= 4 for i in train['images'])
    for image in train['images']:
        assert (generated / image['file_name']).is_file()
        assert image['file_name'].startswith('images/train/')
        assert image['width'] == image['height'] == 128
    for ann in train['annotations']:
        x, y, w, h = ann['bbox']
        assert x >= 0 and y >= GEOMETRY.sky_height and x + w <= 128
        assert y + h <= 128 and len(ann['emotions']) == 8

    dataset = SynthEmotionDataset(
        data_root=str(generated),
        ann_file='annotations/synth_train.json',
        data_prefix=dict(img=''),
        pipeline=[])
    assert dataset.metainfo['emotion_class_groups']['context_only'] == [
        'Affection', 'Fear', 'Peace', 'Fatigue'
    ]
    assert Path(dataset.get_data_info(0)['img_path']).is_file()


def test_deterministic_per_seed_and_prefix_stable(generated, tmp_path):
    run_tool('--out-dir', tmp_path / 'same', '--num-train', 4, '--num-test', 1,
             '--seed', 3)
    run_tool('--out-dir', tmp_path / 'other', '--num-train', 4, '--num-test',
             1, '--seed', 4)
    for index in range(4):
        name = f'images/train/{index:06d}.png'
        assert (tmp_path / 'same' / name).read_bytes() == (generated /
                                                           name).read_bytes()
    first = read_json(generated / 'annotations' / 'synth_train.json')
    same = read_json(tmp_path / 'same' / 'annotations' / 'synth_train.json')
    other = read_json(tmp_path / 'other' / 'annotations' / 'synth_train.json')
    ids = {i['id'] for i in same['images']}
    assert same['annotations'] == [
        a for a in first['annotations'] if a['image_id'] in ids
    ]
    assert other['annotations'] != same['annotations']


def full_context(layout, rules):
    """Every object kind next to every subject, at night."""
    contexts = [Context(object_kinds=rules.object_kinds)] * len(layout.boxes)
    rng = np.random.default_rng(0)
    objects = [
        place_objects(rng, box, rules.object_kinds, GEOMETRY)
        for box in layout.boxes
    ]
    return Scene(layout, contexts, objects, night=True, stars=[(3, 3)])


def no_context(layout):
    """No object, day sky, no decoy."""
    return Scene(
        layout, [Context()] * len(layout.boxes), [[] for _ in layout.boxes],
        night=False)


@pytest.mark.parametrize('rules', [MultiLabelRules(), SingleLabelRules()])
def test_context_never_changes_a_pixel_inside_a_subject_box(rules):
    for seed in range(6):
        layout = sample_layout(np.random.default_rng(seed), rules, GEOMETRY, 4)
        with_context = render_scene(full_context(layout, rules), GEOMETRY)
        without = render_scene(no_context(layout), GEOMETRY)
        for x1, y1, x2, y2 in layout.boxes:
            np.testing.assert_array_equal(with_context[y1:y2, x1:x2],
                                          without[y1:y2, x1:x2])
        assert (with_context != without).any(axis=2).sum() > 100


@pytest.mark.parametrize('rules', [MultiLabelRules(), SingleLabelRules()])
def test_objects_lie_next_to_their_subject_and_far_from_the_others(rules):
    near, sep = GEOMETRY.near_px, GEOMETRY.separation_px
    size = GEOMETRY.object_size
    num_decoys = 0
    for index in range(60):
        scene = sample_scene(
            scene_rng(7, 'train', index), rules, GEOMETRY, 4, decoy_prob=0.5)
        boxes = scene.layout.boxes
        for a, b in [(a, b) for a in boxes for b in boxes if a != b]:
            assert separated(
                footprint(a, GEOMETRY), footprint(b, GEOMETRY), sep)
        for owner, (objects,
                    context) in enumerate(zip(scene.objects, scene.contexts)):
            assert tuple(o.kind for o in objects) == context.object_kinds
            for obj in objects:
                square = obj.box(size)
                assert 0 <= square[0] and square[2] <= 128
                for other, box in enumerate(boxes):
                    assert not overlaps(square, box)
                    if other == owner:
                        assert 1 <= gap(square, box) <= near
                    else:
                        assert gap(square, box) >= sep > near
        for decoy in scene.decoys:
            num_decoys += 1
            assert all(gap(decoy.box(size), box) >= sep for box in boxes)
    assert num_decoys > 10


def test_multi_label_classes_have_moderate_prevalence():
    rules = MultiLabelRules()
    labels, counts = [], Counter()
    for index in range(400):
        scene = sample_scene(
            scene_rng(0, 'train', index), rules, GEOMETRY, 4, 0.3)
        counts[len(scene.layout.boxes)] += 1
        labels += [
            rules.label(a, c, scene.night)
            for a, c in zip(scene.layout.appearances, scene.contexts)
        ]
    prevalence = np.mean(labels, axis=0)
    assert ((prevalence > 0.2) & (prevalence < 0.55)).all(), prevalence
    assert all(counts[n] >= 40 for n in (1, 2, 3, 4)), counts


def test_single_label_rules_and_class_balance(tmp_path):
    rules = SingleLabelRules()
    look = Appearance(True, False, False, False, 0, 0, 0)
    assert CAERS_CLASSES[rules.label(look, Context(), False)] == 'Happy'
    assert CAERS_CLASSES[rules.label(look, Context(('fire', )),
                                     False)] == 'Fear'
    plain = Appearance(False, False, False, True, 0, 0, 0)
    assert CAERS_CLASSES[rules.label(plain, Context(), True)] == 'Neutral'

    run_tool('--out-dir', tmp_path, '--num-train', 3, '--num-test', 1,
             '--seed', 0, '--single-label', '--image-size', 96)
    train = read_json(tmp_path / 'annotations' / 'synth_train.json')
    assert train['emotion_classes'] == list(CAERS_CLASSES)
    assert train['images'][0]['width'] == 96
    assert all(0 <= a['emotion'] < 7 for a in train['annotations'])
    assert train['emotion_class_groups']['context_only'] == [
        'Disgust', 'Fear', 'Sad'
    ]
    classes = Counter()
    for index in range(300):
        scene = sample_scene(
            scene_rng(0, 'train', index), rules, GEOMETRY, 4, 0.3)
        classes.update(
            rules.label(a, c, scene.night)
            for a, c in zip(scene.layout.appearances, scene.contexts))
    shares = np.array([classes[i] for i in range(7)]) / sum(classes.values())
    assert ((shares > 0.08) & (shares < 0.22)).all(), shares


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(SystemExit):
        run_tool('--out-dir', tmp_path, '--num-train', -1)
    with pytest.raises(SystemExit, match='image_size must be at least 64'):
        run_tool('--out-dir', tmp_path, '--num-train', 1, '--image-size', 32)
