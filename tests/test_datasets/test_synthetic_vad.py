"""VAD of the synthetic data: documented rules on the existing cues, the
same images, boxes and classes as before VAD existed, and a context part
that a subject's box crop does not reveal."""
import hashlib
import json
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmdsct.datasets.synthetic import (Geometry, MultiLabelRules,
                                       generate_dataset, render_scene,
                                       sample_scene, scene_rng)
from mmdsct.datasets.synthetic.rules import Appearance, Context
from mmdsct.datasets.synthetic.vad_rules import (VAD_RANGE, subject_vad,
                                                 vad_parts)

# sha256 of the images, boxes and classes of generate_dataset(6 train,
# 3 test, seed 0) computed with the generator as it was before VAD existed
# (commit ebceed9~1); see content_digest.
DIGESTS_BEFORE_VAD = {
    False: '7620702873cfb59722effc3622f9dc8e70c6b1e1db662ad77e846a3f6cecbbc3',
    True: '1387f105e45fc41bc418c0f9ab3e774bf16162fd05a5eac73edb1073da64f85b',
}
GEOMETRY = Geometry(128)


def content_digest(root):
    """Digest of both splits' images (PNG bytes) and of the annotation
    entries with ``vad`` left out."""
    digest = hashlib.sha256()
    for split in ('train', 'test'):
        with open(osp.join(root, 'annotations', f'synth_{split}.json')) as f:
            data = json.load(f)
        for annotation in data['annotations']:
            annotation.pop('vad', None)
        for key in ('images', 'annotations', 'categories', 'emotion_classes'):
            digest.update(json.dumps(data[key], sort_keys=True).encode())
        for image in data['images']:
            with open(osp.join(root, image['file_name']), 'rb') as f:
                digest.update(f.read())
    return digest.hexdigest()


@pytest.mark.parametrize('single_label', [False, True])
def test_images_boxes_and_classes_are_those_of_before(tmp_path, single_label):
    generate_dataset(str(tmp_path), 6, 3, seed=0, single_label=single_label)
    assert content_digest(tmp_path) == DIGESTS_BEFORE_VAD[single_label]
    with open(tmp_path / 'annotations' / 'synth_train.json') as f:
        data = json.load(f)
    has_vad = ['vad' in a for a in data['annotations']]
    # multi-label subjects carry VAD (as EMOTIC's), single-label ones none
    assert all(has_vad) if not single_label else not any(has_vad)
    assert ('vad' in data['synthetic_rules']) is not single_label


def test_rules_give_documented_values():
    plain = Appearance(False, False, False, False, 0, 0, 0)
    assert subject_vad(plain, Context(), False) == [5.0, 4.0, 5.0]
    # yellow face +2.5 valence; fire -2.5 valence, +2 arousal, -2 dominance
    yellow = Appearance(True, False, False, False, 0, 0, 0)
    assert subject_vad(yellow, Context(('fire', )), False) == [5.0, 6.0, 3.0]
    # raised arms +2.5 arousal, +1 dominance; night -1.5 arousal
    arms = Appearance(False, False, True, False, 0, 0, 0)
    assert vad_parts(arms, Context(('tree', )),
                     True) == ([5.0, 6.5, 6.0], [0.0, -1.5, 1.0])


def test_every_combination_lies_in_range():
    low, high = VAD_RANGE
    kinds = MultiLabelRules.object_kinds
    for cues in range(2**4):
        look = Appearance(*[bool(cues >> i & 1) for i in range(4)], 0, 0, 0)
        for objects in range(2**len(kinds)):
            context = Context(
                tuple(k for i, k in enumerate(kinds) if objects >> i & 1))
            for night in (False, True):
                values = subject_vad(look, context, night)
                assert all(low <= v <= high for v in values)


def crop_features_and_parts(num_scenes):
    """Box crops (12 x 8 RGB, in [0, 1]) of every subject and its subject
    and context VAD parts."""
    rules = MultiLabelRules()
    features, subject, context = [], [], []
    for index in range(num_scenes):
        scene = sample_scene(
            scene_rng(11, 'train', index), rules, GEOMETRY, 4, 0.3)
        image = render_scene(scene, GEOMETRY)
        for (x1, y1, x2, y2), look, near in zip(scene.layout.boxes,
                                                scene.layout.appearances,
                                                scene.contexts):
            crop = Image.fromarray(image[y1:y2, x1:x2]).resize((8, 12),
                                                               Image.BILINEAR)
            features.append(np.asarray(crop, np.float64).ravel() / 255)
            parts = vad_parts(look, near, scene.night)
            subject.append(parts[0])
            context.append(parts[1])
    return np.array(features), np.array(subject), np.array(context)


def held_out_r2(features, targets, train_share=0.7, ridge=1.0):
    """R^2 per column of a ridge regression fitted on the first subjects
    and scored on the others."""
    inputs = np.hstack([features, np.ones((len(features), 1))])
    n = int(train_share * len(inputs))
    gram = inputs[:n].T @ inputs[:n] + ridge * np.eye(inputs.shape[1])
    weights = np.linalg.solve(gram, inputs[:n].T @ targets[:n])
    residual = ((targets[n:] - inputs[n:] @ weights)**2).sum(axis=0)
    total = ((targets[n:] - targets[n:].mean(axis=0))**2).sum(axis=0)
    return 1 - residual / total


def test_crop_only_probe_reads_the_subject_part_but_not_the_context_part():
    features, subject, context = crop_features_and_parts(400)
    assert len(features) > 900
    # the probe works: the subject part is readable from the crop ...
    assert (held_out_r2(features, subject) > 0.6).all()
    # ... the context part is not (R^2 about 0 or below)
    assert (held_out_r2(features, context) < 0.05).all()
    # and the context part matters: it carries a good share of the variance
    share = context.var(axis=0) / (subject + context).var(axis=0)
    assert (share > 0.2).all(), share
