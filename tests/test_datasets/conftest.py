"""Small annotation files in the project's format, built in tmp_path."""
import json

import numpy as np
import pytest
from mmengine.registry import DefaultScope
from PIL import Image

CLASSES = ['Joy', 'Fear', 'Calm']
IMAGE_SIZE = (64, 48)  # (width, height)


def write_image(path, size=IMAGE_SIZE, seed=0):
    """Write a random RGB PNG of ``size`` (width, height)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)


def annotation(ann_id, image_id, bbox, label, vad=None):
    """One annotation; ``label`` is a list (multi-label) or an int."""
    entry = dict(
        id=ann_id,
        image_id=image_id,
        bbox=bbox,
        area=bbox[2] * bbox[3],
        iscrowd=0,
        category_id=1)
    entry['emotions' if isinstance(label, list) else 'emotion'] = label
    if vad is not None:
        entry['vad'] = vad
    return entry


def make_multi_label_content():
    """Two images: three subjects with VAD on the first, none on the
    second."""
    width, height = IMAGE_SIZE
    return dict(
        images=[
            dict(id=1, file_name='images/a.png', width=width, height=height),
            dict(id=2, file_name='images/b.png', width=width, height=height)
        ],
        annotations=[
            annotation(1, 1, [2, 3, 10, 12], [1, 0, 0], [1.0, 2.0, 3.0]),
            annotation(2, 1, [20, 5, 10, 20], [0, 1, 1], [4.0, 5.0, 6.0]),
            annotation(3, 1, [40, 10, 12, 30], [1, 1, 0], [7.0, 8.0, 9.0]),
        ],
        categories=[dict(id=1, name='person')],
        emotion_classes=CLASSES,
        emotion_class_groups=dict(
            subject_only=['Joy'], context_only=['Fear', 'Calm']))


def make_single_label_content():
    """One image with two single-label subjects, no VAD."""
    width, height = IMAGE_SIZE
    return dict(
        images=[
            dict(id=7, file_name='images/a.png', width=width, height=height)
        ],
        annotations=[
            annotation(1, 7, [2, 3, 10, 12], 2),
            annotation(2, 7, [20, 5, 10, 20], 0),
        ],
        categories=[dict(id=1, name='person')],
        emotion_classes=CLASSES)


@pytest.fixture(autouse=True)
def mmdet_scope():
    """Build pipelines from mmdet's registries, as configs with
    ``default_scope = 'mmdet'`` do."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


@pytest.fixture
def data_root(tmp_path):
    """A data root with images/a.png and images/b.png."""
    write_image(tmp_path / 'images' / 'a.png', seed=1)
    write_image(tmp_path / 'images' / 'b.png', seed=2)
    return tmp_path


@pytest.fixture
def write_png():
    """:func:`write_image`: write a random PNG of a (width, height)."""
    return write_image


@pytest.fixture
def write_annotations(data_root):
    """Write an annotation dict (or raw text) as a JSON file; return its
    path."""

    def write(content, name='ann.json'):
        path = data_root / name
        text = content if isinstance(content, str) else json.dumps(content)
        path.write_text(text)
        return str(path)

    return write


@pytest.fixture
def emotion_classes():
    """The 3 class names of the fixture files."""
    return list(CLASSES)


@pytest.fixture
def multi_label_content():
    """A fresh multi-label annotation dict (see
    :func:`make_multi_label_content`)."""
    return make_multi_label_content()


@pytest.fixture
def single_label_content():
    """A fresh single-label annotation dict (see
    :func:`make_single_label_content`)."""
    return make_single_label_content()
