"""Writing a synthetic context-emotion dataset to disk.

Layout of ``out_dir``::

    images/train/000000.png ...   # PNG (lossless: no compression artefacts
    images/test/000000.png ...    # blur the small cues)
    annotations/synth_train.json
    annotations/synth_test.json

``file_name`` in the JSON is relative to ``out_dir``. Image ``i`` of a split
depends only on (seed, split, i), so a split of N images is a prefix of the
same split with more images and the same seed.

:func:`generate_dataset` draws everything into a temporary folder inside
``out_dir`` and moves it into place only when both splits are complete: a
failed run leaves no new file behind and an older dataset untouched (its
``images/{train,test}`` folders are replaced as a whole on success).
"""
import os
import os.path as osp
import shutil
import tempfile
from collections import Counter
from typing import Dict, Mapping, Tuple

import numpy as np
from PIL import Image
from tqdm import tqdm

from ...utils.atomic_backend import atomic_write_bytes
from ..emotion_coco_writer import EmotionCocoWriter
from .draw import render_scene
from .rules import rule_document, rules_for
from .scene import Geometry, Scene, sample_scene
from .vad_rules import subject_vad, vad_rule_document

SPLIT_STREAMS = {'train': 0, 'test': 1}
DEFAULT_IMAGE_SIZE = 128
DEFAULT_MAX_SUBJECTS = 4
DEFAULT_DECOY_PROB = 0.3


def scene_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The random generator of image ``index`` of ``split``."""
    return np.random.default_rng([seed, SPLIT_STREAMS[split], index])


def generate_split(
        out_dir: str,
        split: str,
        num_images: int,
        seed: int,
        single_label: bool = False,
        image_size: int = DEFAULT_IMAGE_SIZE,
        max_subjects: int = DEFAULT_MAX_SUBJECTS,
        decoy_prob: float = DEFAULT_DECOY_PROB) -> EmotionCocoWriter:
    """Draw and save the images of one split.

    Args:
        out_dir (str): Dataset root.
        split (str): ``'train'`` or ``'test'``.
        num_images (int): Images to draw.
        seed (int): Seed of the whole dataset.
        single_label (bool): Use the 7-class single-label rules.
        image_size (int): Side of the square images in pixels.
        max_subjects (int): Up to this many subjects per image.
        decoy_prob (float): Probability of a decoy object per image.

    Returns:
        EmotionCocoWriter: The split's annotations (not yet written).
    """
    rules = rules_for(single_label)
    geometry = Geometry(image_size)
    writer = EmotionCocoWriter(
        rules.classes,
        multi_label=rules.multi_label,
        emotion_class_groups=rules.groups,
        extra_fields=dict(
            info=dict(
                description='mmdsct synthetic context-emotion data',
                split=split,
                seed=seed,
                single_label=single_label,
                max_subjects=max_subjects,
                decoy_prob=decoy_prob,
                geometry=geometry.to_dict()),
            synthetic_rules=_rule_document(rules)))
    image_dir = osp.join(out_dir, 'images', split)
    os.makedirs(image_dir, exist_ok=True)
    for index in tqdm(range(num_images), desc=f'synth {split}', unit='img'):
        scene = sample_scene(
            scene_rng(seed, split, index), rules, geometry, max_subjects,
            decoy_prob)
        file_name = f'images/{split}/{index:06d}.png'
        Image.fromarray(render_scene(scene, geometry)).save(
            osp.join(out_dir, file_name))
        image_id = writer.add_image(file_name, image_size, image_size)
        _add_subjects(writer, image_id, scene, rules)
    return writer


def _rule_document(rules) -> dict:
    """The ``synthetic_rules`` entry; multi-label data documents its VAD."""
    document = rule_document(rules)
    if rules.multi_label:
        document['vad'] = vad_rule_document()
    return document


def _add_subjects(writer: EmotionCocoWriter, image_id: int, scene: Scene,
                  rules) -> None:
    """Add every subject of a scene with the labels its cues give.

    Multi-label subjects also get their ``vad`` (:mod:`.vad_rules`),
    computed from the same cues: nothing more is drawn.
    """
    layout = scene.layout
    for box, appearance, context in zip(layout.boxes, layout.appearances,
                                        scene.contexts):
        label = rules.label(appearance, context, scene.night)
        if rules.multi_label:
            writer.add_subject(
                image_id,
                box,
                emotions=label,
                vad=subject_vad(appearance, context, scene.night))
        else:
            writer.add_subject(image_id, box, emotion=label)


def generate_dataset(out_dir: str, num_train: int, num_test: int, seed: int,
                     **kwargs) -> Dict[str, Tuple[int, int, Counter]]:
    """Write both splits and their annotation files.

    Args:
        out_dir (str): Dataset root.
        num_train (int): Training images.
        num_test (int): Test images.
        seed (int): Seed.
        **kwargs: ``single_label``, ``image_size``, ``max_subjects``,
            ``decoy_prob`` of :func:`generate_split`.

    Returns:
        dict: Per split, (images, subjects, subjects per class).
    """
    os.makedirs(out_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix='.synth-', suffix='.tmp', dir=out_dir)
    try:
        writers = {
            split: generate_split(staging, split, num_images, seed, **kwargs)
            for split, num_images in (('train', num_train), ('test', num_test))
        }
        _move_into_place(staging, out_dir, writers)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {
        split:
        (len(writer.images), len(writer.annotations), writer.label_counts())
        for split, writer in writers.items()
    }


def _move_into_place(staging: str, out_dir: str,
                     writers: Mapping[str, EmotionCocoWriter]) -> None:
    """Move the staged splits into ``out_dir``.

    The annotation files are written into ``staging`` first (the step that
    can fail on a full disk); then each ``images/<split>`` folder is
    swapped in (an older one is moved into ``staging`` and removed with it)
    and the annotation files are renamed into place.
    """
    staged_json = {}
    for split, writer in writers.items():
        staged_json[split] = osp.join(staging, f'synth_{split}.json')
        atomic_write_bytes(writer.to_json_bytes(), staged_json[split])
    os.makedirs(osp.join(out_dir, 'images'), exist_ok=True)
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    for split in writers:
        target = osp.join(out_dir, 'images', split)
        if osp.lexists(target):
            os.replace(target, osp.join(staging, f'old-{split}'))
        os.replace(osp.join(staging, 'images', split), target)
    for split, path in staged_json.items():
        os.replace(path, osp.join(out_dir, 'annotations',
                                  f'synth_{split}.json'))
