"""The project's annotation format: reading and validating a file, and the
label fields of its annotations (docs/annotation_format.md).

.. code-block:: python

    {
        'images': [{'id', 'file_name', 'width', 'height'}, ...],
        'annotations': [{'id', 'image_id', 'bbox': [x, y, w, h], 'area',
                         'iscrowd': 0, 'category_id': 1,
                         'emotions': [0/1] * C  # multi-label, or
                         'emotion': int,        # single-label
                         'vad': [v, a, d]},     # optional
                        ...],
        'categories': [{'id': 1, 'name': 'person'}],
        'emotion_classes': [C names],
        'emotion_class_groups': {group: [names]},  # optional
    }

:func:`load_annotation_file` reads and validates a file; the dataset, the
prevalence baseline and the tools read the format through it alone. The
writer (:class:`~mmdsct.datasets.EmotionCocoWriter`) builds label fields
with :func:`encode_label` and reads them back with
:func:`annotation_emotions`.
"""
import json
import math
import numbers
from typing import (Any, Dict, List, Mapping, NamedTuple, NoReturn, Optional,
                    Sequence)

import numpy as np
from mmengine.fileio import get_local_path

from .emotion_spec import (EMOTIONS_FIELD, NUM_VAD_DIMENSIONS, SUBJECT_CLASSES,
                           VAD_DIMENSIONS, VAD_FIELD, EmotionSpec,
                           check_emotion_classes)

PERSON_CATEGORY_ID = 1
PERSON_CATEGORY = {'id': PERSON_CATEGORY_ID, 'name': SUBJECT_CLASSES[0]}
#: The label field of a single-label annotation: one class index.
EMOTION_INDEX_FIELD = 'emotion'
REQUIRED_TOP_KEYS = ('images', 'annotations', 'emotion_classes')
REQUIRED_IMAGE_KEYS = ('id', 'file_name', 'width', 'height')
REQUIRED_ANNOTATION_KEYS = ('id', 'image_id', 'bbox', 'category_id')
BOX_VALUES = 4


class EmotionAnnotationError(ValueError):
    """An annotation file breaks the project's annotation format."""


class EmotionAnnotations(NamedTuple):
    """A validated annotation file.

    Attributes:
        spec (EmotionSpec): Its emotion classes, label kind and groups.
        images (dict[int, dict]): Its image entries by id, in file order.
        annotations (dict[int, list[dict]]): The annotation entries of each
            image id (every image has a list, maybe empty).
        has_vad (bool): Whether its subjects carry ``vad`` (all or none
            do).
    """
    spec: EmotionSpec
    images: Dict[int, dict]
    annotations: Dict[int, List[dict]]
    has_vad: bool


def all_finite(values: Sequence) -> bool:
    """Whether every value is a finite real number (bools are not numbers).

    Args:
        values (Sequence): Values to check (Python or numpy scalars).

    Returns:
        bool: True when all are finite numbers.
    """
    return all(
        isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))
        and math.isfinite(v) for v in values)


def load_annotation_file(
        ann_file: str,
        backend_args: Optional[dict] = None,
        configured: Optional[Mapping] = None) -> EmotionAnnotations:
    """Read and validate an annotation file.

    Args:
        ann_file (str): Path (or URI) of the JSON file.
        backend_args (dict, optional): mmengine file backend arguments.
        configured (Mapping, optional): What the reader fixes of the spec:
            ``emotion_classes`` (the file's must equal them),
            ``multi_label`` (the file's label kind must agree),
            ``emotion_class_groups`` (used instead of the file's). Empty
            or None values are taken from the file.

    Returns:
        EmotionAnnotations: The validated content.

    Raises:
        EmotionAnnotationError: Naming the file and the entry, if it cannot
            be read as JSON or breaks the format.
    """
    content = read_annotation_json(ann_file, backend_args)
    return parse_annotations(content, ann_file, configured)


def read_annotation_json(ann_file: str,
                         backend_args: Optional[dict] = None) -> dict:
    """Load the JSON object of an annotation file.

    Args:
        ann_file (str): Path (or URI) of the file.
        backend_args (dict, optional): mmengine file backend arguments.

    Returns:
        dict: The file's top-level object.

    Raises:
        EmotionAnnotationError: If it is not JSON or not an object.
    """
    with get_local_path(ann_file, backend_args=backend_args) as local_path:
        try:
            with open(local_path, encoding='utf-8') as file:
                content = json.load(file)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise EmotionAnnotationError(
                f'{ann_file}: cannot read it as JSON ({error}).') from error
    if not isinstance(content, dict):
        raise EmotionAnnotationError(
            f'{ann_file}: the top level must be a JSON object, got '
            f'{type(content).__name__}.')
    return content


def parse_annotations(
        content: dict,
        ann_file: str,
        configured: Optional[Mapping] = None) -> EmotionAnnotations:
    """Validate the content of an annotation file.

    Args:
        content (dict): The file's top-level object.
        ann_file (str): The file, to name it in errors.
        configured (Mapping, optional): See :func:`load_annotation_file`.

    Returns:
        EmotionAnnotations: The validated content.

    Raises:
        EmotionAnnotationError: Naming the file and the entry.
    """
    return _AnnotationParser(ann_file, configured or {}).parse(content)


def annotation_emotions(annotation: dict, num_classes: int) -> List[float]:
    """The float multi-hot (or one-hot) vector of a validated annotation.

    Args:
        annotation (dict): An annotation entry with ``emotions`` or
            ``emotion``.
        num_classes (int): Number C of emotion classes.

    Returns:
        list[float]: C values of 0.0 or 1.0.
    """
    if EMOTIONS_FIELD in annotation:
        return [float(v) for v in annotation[EMOTIONS_FIELD]]
    vector = [0.0] * num_classes
    vector[annotation[EMOTION_INDEX_FIELD]] = 1.0
    return vector


def encode_label(spec: EmotionSpec,
                 emotions: Optional[Sequence[int]] = None,
                 emotion: Optional[int] = None) -> dict:
    """The label field of a new annotation, in the spec's label kind.

    Args:
        spec (EmotionSpec): The file's classes and label kind.
        emotions (Sequence[int], optional): C values 0/1; required for
            multi-label data.
        emotion (int, optional): A class index in [0, C); required for
            single-label data.

    Returns:
        dict: ``{'emotions': [C ints 0/1]}`` or ``{'emotion': int}``.

    Raises:
        ValueError: If the label the kind needs is missing or out of range.
    """
    if spec.multi_label:
        if emotions is None or len(emotions) != spec.num_classes:
            raise ValueError(f'A multi-label subject needs {spec.num_classes} '
                             f'emotions, got {emotions}.')
        return {EMOTIONS_FIELD: [int(bool(v)) for v in emotions]}
    if emotion is None or not 0 <= int(emotion) < spec.num_classes:
        raise ValueError(f'A single-label subject needs an emotion in '
                         f'[0, {spec.num_classes}), got {emotion}.')
    return {EMOTION_INDEX_FIELD: int(emotion)}


def image_name(image: dict) -> str:
    """How errors name an image entry: ``image 3 (train/a.jpg)``.

    Args:
        image (dict): An image entry with ``id`` and ``file_name``.

    Returns:
        str: The name.
    """
    return f'image {image["id"]} ({image["file_name"]})'


class _AnnotationParser:
    """Validates one file's content; every error names ``ann_file``.

    Args:
        ann_file (str): The file, for messages.
        configured (Mapping): See :func:`load_annotation_file`.
    """

    def __init__(self, ann_file: str, configured: Mapping) -> None:
        self.ann_file = ann_file
        self.configured = configured

    def parse(self, content: dict) -> EmotionAnnotations:
        """Validate ``content``; see :func:`parse_annotations`."""
        self._check_keys(content, REQUIRED_TOP_KEYS, 'the file')
        for key in ('images', 'annotations'):
            if not isinstance(content[key], list):
                self._fail(f'{key} must be a list, got '
                           f'{type(content[key]).__name__}.')
        if not content['images']:
            self._fail('the file has no images (its images list is empty); '
                       'an annotation file needs at least one image.')
        spec = self._spec(content)
        images = self._index_images(content['images'])
        annotations = self._group_annotations(content['annotations'], images,
                                              spec.num_classes)
        has_vad = self._check_vad_presence(content['annotations'])
        return EmotionAnnotations(spec, images, annotations, has_vad)

    def _fail(self, message: str) -> NoReturn:
        """Raise :class:`EmotionAnnotationError` naming the file."""
        raise EmotionAnnotationError(f'{self.ann_file}: {message}')

    def _check_keys(self, entry: Any, keys: Sequence[str], where: str) -> None:
        """Fail when ``entry`` is not an object or lacks one of ``keys``."""
        if not isinstance(entry, dict):
            self._fail(f'{where} must be a JSON object, got {entry!r}.')
        missing = [key for key in keys if key not in entry]
        if missing:
            self._fail(f'{where} lacks the key(s) {missing}.')

    def _spec(self, content: dict) -> EmotionSpec:
        """Classes, label kind and groups, checked against ``configured``."""
        file_classes = content['emotion_classes']
        if not isinstance(file_classes, list):
            self._fail('emotion_classes must be a non-empty list of names, '
                       f'got {file_classes!r}.')
        try:
            check_emotion_classes(file_classes)
        except ValueError as error:
            self._fail(str(error))
        fixed_classes = tuple(self.configured.get('emotion_classes') or ())
        if fixed_classes and fixed_classes != tuple(file_classes):
            self._fail(f'emotion_classes {file_classes} differ from the '
                       f'configured {list(fixed_classes)}.')
        multi_label = self._label_kind(content['annotations'])
        groups = self.configured.get('emotion_class_groups') or content.get(
            'emotion_class_groups', {})
        try:
            return EmotionSpec(tuple(file_classes), multi_label, groups)
        except ValueError as error:
            self._fail(str(error))

    def _label_kind(self, annotations: list) -> bool:
        """True for ``emotions`` (multi-label), False for ``emotion``.

        All annotations must use the same kind; a configured ``multi_label``
        must agree with it. A file without annotations takes the
        configured kind, else multi-label.
        """
        fixed = self.configured.get('multi_label')
        kinds = set()
        for annotation in annotations:
            self._check_keys(annotation, REQUIRED_ANNOTATION_KEYS,
                             'an annotation')
            if EMOTIONS_FIELD in annotation:
                kinds.add(True)
            elif EMOTION_INDEX_FIELD in annotation:
                kinds.add(False)
            else:
                self._fail(f'annotation {annotation["id"]} has neither '
                           f"'{EMOTIONS_FIELD}' nor '{EMOTION_INDEX_FIELD}'.")
        if len(kinds) > 1:
            self._fail(f"annotations mix '{EMOTIONS_FIELD}' (multi-label) and "
                       f"'{EMOTION_INDEX_FIELD}' (single-label).")
        file_kind = kinds.pop() if kinds else fixed
        if fixed is not None and file_kind != fixed:
            expected = EMOTIONS_FIELD if fixed else EMOTION_INDEX_FIELD
            self._fail(f"this dataset expects '{expected}' labels "
                       f'(multi_label={fixed}).')
        return True if file_kind is None else bool(file_kind)

    def _index_images(self, images: list) -> Dict[int, dict]:
        """Validate the image entries; return them by id, in file order."""
        indexed: Dict[int, dict] = {}
        for image in images:
            self._check_keys(image, REQUIRED_IMAGE_KEYS, 'an image entry')
            self._check_id(image['id'], f'image {image["id"]!r}')
            if image['id'] in indexed:
                self._fail(f'image id {image["id"]} appears twice.')
            if not isinstance(image['file_name'],
                              str) or not image['file_name']:
                self._fail(f'image {image["id"]}: file_name must be a '
                           'non-empty string, got '
                           f'{image["file_name"]!r}.')
            width, height = image['width'], image['height']
            if not all_finite((width, height)) or min(width, height) <= 0:
                self._fail(f'{image_name(image)} has size '
                           f'{width!r}x{height!r}; width and height must be '
                           'positive finite numbers.')
            indexed[image['id']] = image
        return indexed

    def _check_id(self, value: Any, where: str) -> None:
        """Fail when an id is not an integer."""
        if isinstance(value, bool) or not isinstance(value, int):
            self._fail(f'{where}: an id must be an integer, got {value!r}.')

    def _group_annotations(self, annotations: list, images: Dict[int, dict],
                           num_classes: int) -> Dict[int, List[dict]]:
        """Validate the annotation entries and group them by image id."""
        grouped: Dict[int, List[dict]] = {image_id: [] for image_id in images}
        seen_ids = set()
        for annotation in annotations:
            where = f'annotation {annotation["id"]!r}'
            self._check_id(annotation['id'], where)
            if annotation['id'] in seen_ids:
                self._fail(f'{where}: the id appears twice.')
            seen_ids.add(annotation['id'])
            self._check_id(annotation['image_id'], f'{where}: image_id')
            if annotation['image_id'] not in images:
                self._fail(f'{where}: image_id {annotation["image_id"]} is '
                           'not among the images.')
            if annotation['category_id'] != PERSON_CATEGORY_ID:
                self._fail(f'{where}: category_id '
                           f'{annotation["category_id"]} is not '
                           f'{PERSON_CATEGORY_ID} '
                           f'({PERSON_CATEGORY["name"]}).')
            image = images[annotation['image_id']]
            where_image = f'{where} of {image_name(image)}'
            self._check_box(annotation['bbox'], where_image)
            self._check_vad(annotation.get(VAD_FIELD), where_image)
            self._check_label(annotation, where, num_classes)
            if annotation.get('iscrowd', 0) not in (0, 1):
                self._fail(f'{where_image}: iscrowd must be 0 or 1, got '
                           f'{annotation["iscrowd"]!r}.')
            grouped[annotation['image_id']].append(annotation)
        return grouped

    def _check_box(self, bbox: Any, where: str) -> None:
        """Fail when ``bbox`` is not four finite numbers."""
        if (not isinstance(bbox, list) or len(bbox) != BOX_VALUES
                or not all_finite(bbox)):
            self._fail(f'{where}: bbox must be [x, y, w, h], four finite '
                       f'numbers, got {bbox!r}.')

    def _check_vad(self, vad: Any, where: str) -> None:
        """Fail when a given ``vad`` is not a finite value per dimension."""
        if vad is not None and (not isinstance(vad, list)
                                or len(vad) != NUM_VAD_DIMENSIONS
                                or not all_finite(vad)):
            self._fail(f'{where}: vad must be [{", ".join(VAD_DIMENSIONS)}]'
                       f', {NUM_VAD_DIMENSIONS} finite numbers, got {vad!r}.')

    def _check_label(self, annotation: dict, where: str,
                     num_classes: int) -> None:
        """Fail on a label vector or class index of the wrong form."""
        if EMOTIONS_FIELD in annotation:
            emotions = annotation[EMOTIONS_FIELD]
            if not isinstance(emotions, list) or len(emotions) != num_classes:
                self._fail(f'{where}: emotions must be a list of '
                           f'{num_classes} values 0/1 (one per emotion '
                           f'class), got {emotions!r}.')
            if any(v not in (0, 1) for v in emotions):
                self._fail(f'{where}: emotions must hold only 0 and 1, got '
                           f'{emotions!r}.')
        else:
            emotion = annotation[EMOTION_INDEX_FIELD]
            if (isinstance(emotion, bool) or not isinstance(emotion, int)
                    or not 0 <= emotion < num_classes):
                self._fail(f'{where}: emotion must be an int in '
                           f'[0, {num_classes}), got {emotion!r}.')

    def _check_vad_presence(self, annotations: list) -> bool:
        """Return whether the file has VAD; fail if only some subjects do."""
        with_vad = [
            annotation.get(VAD_FIELD) is not None for annotation in annotations
        ]
        if any(with_vad) and not all(with_vad):
            missing = annotations[with_vad.index(False)]['id']
            self._fail(f'some subjects have vad and some do not (annotation '
                       f'{missing} has none); give it to all or none.')
        return any(with_vad)
