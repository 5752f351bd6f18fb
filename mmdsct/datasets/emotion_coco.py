"""The generic dataset of the project's annotation format
(docs/annotation_format.md)."""
import json
import logging
import os.path as osp
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.fileio import get, get_local_path
from mmengine.logging import print_log

from .emotion_coco_writer import PERSON_CATEGORY_ID, all_finite, clip_box_xyxy
from .image_checks import (DegenerateImageError, UnreadableImageError,
                           check_image_size, decode_image)

REQUIRED_TOP_KEYS = ('images', 'annotations', 'emotion_classes')
REQUIRED_IMAGE_KEYS = ('id', 'file_name', 'width', 'height')
REQUIRED_ANNOTATION_KEYS = ('id', 'image_id', 'bbox', 'category_id')
BOX_VALUES = 4
VAD_VALUES = 3
SKIP_OUTSIDE = 'box outside the image'
SKIP_ZERO_AREA = 'box of zero area'


class EmotionAnnotationError(ValueError):
    """An annotation file breaks the project's annotation format."""


@DATASETS.register_module()
class EmotionCocoDataset(CocoDataset):
    """Subjects with emotion labels, from one COCO-style JSON file.

    The file follows docs/annotation_format.md. Each subject becomes an
    instance with
    ``bbox`` (x1, y1, x2, y2), ``bbox_label`` 0 (the single detection class
    'person'), ``ignore_flag`` (from ``iscrowd``), ``emotions`` (C floats:
    the multi-hot vector, or the one-hot vector of a single-label file) and,
    when the file has them, ``vad`` (3 floats). Every data info also carries
    ``num_emotion_classes`` and ``has_vad`` so that an image without subjects
    still yields label arrays of the right width.

    Validation: a file that cannot be parsed, misses a required key, has
    no images, has ``emotion_classes`` different from the configured ones,
    mixes label kinds, has a label vector of the wrong length, an
    ``emotion`` index out of range, a ``vad`` that is not three finite
    numbers, a ``bbox`` that is not four finite numbers (NaN, infinity,
    strings, ...), VAD on only some subjects, an unknown ``category_id``,
    an id that is not an integer, an image size that is not a positive
    finite number or breaks the size rule of
    :func:`~mmdsct.datasets.image_checks.check_image_size` (e.g. 1x500), an
    annotation of an unknown image or duplicate ids raises
    :class:`EmotionAnnotationError` naming the file and the entry (the
    annotation id and its image). So does a file left with no image after
    ``filter_cfg``. Boxes are handled as documented, not raised: a box
    partly outside the image is clipped to it (counted as clipped); a box
    entirely outside the image or of zero area is skipped. Both counts are
    logged once per file and kept in :attr:`box_counts`.

    Images: when the pipeline fails on an image (an empty, undecodable or
    degenerate file, which mmcv's loader and cv2's resize report without
    the path), the file is checked and the error names it: an
    :class:`~mmdsct.datasets.image_checks.UnreadableImageError` or
    :class:`~mmdsct.datasets.image_checks.DegenerateImageError`; any other
    error gets a note with the image path.

    Metainfo: ``classes`` is ``('person',)``; ``emotion_classes`` is taken
    from the file unless the class or the config fixes it (then the two must
    agree); ``multi_label`` is read from the file (and must agree with a
    fixed value); ``emotion_class_groups`` comes from the file unless the
    config gives it.

    Args:
        *args: Passed to :class:`mmdet.datasets.CocoDataset`.
        **kwargs: Passed to :class:`mmdet.datasets.CocoDataset`.
    """

    METAINFO = dict(
        classes=('person', ),
        palette=[(220, 20, 60)],
        emotion_classes=(),
        multi_label=None,
        emotion_class_groups={})

    def __init__(self, *args, **kwargs) -> None:
        self.box_counts: Counter = Counter()
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read, validate and parse the annotation file.

        Returns:
            list[dict]: One data info per image, in file order.
        """
        content = self._read_file()
        self._check_keys(content, REQUIRED_TOP_KEYS, 'the file')
        for key in ('images', 'annotations'):
            if not isinstance(content[key], list):
                self._fail(f'{key} must be a list, got '
                           f'{type(content[key]).__name__}.')
        if not content['images']:
            self._fail('the file has no images (its images list is empty); '
                       'an annotation file needs at least one image.')
        self._update_emotion_metainfo(content)
        images = self._index_images(content['images'])
        annotations = self._group_annotations(content['annotations'], images)
        self._has_vad = self._check_vad_presence(content['annotations'])
        self.cat_ids = [PERSON_CATEGORY_ID]
        self.cat2label = {PERSON_CATEGORY_ID: 0}
        self.box_counts = Counter()
        data_list = [
            self.parse_data_info(
                dict(raw_img_info=image, raw_ann_info=annotations[image_id]))
            for image_id, image in images.items()
        ]
        self.cat_img_map = {
            PERSON_CATEGORY_ID: [
                info['img_id'] for info in data_list if info['instances']
            ]
        }
        self._log_box_counts()
        return data_list

    def filter_data(self) -> List[dict]:
        """mmdet's filtering, failing clearly when no image is left.

        Returns:
            list[dict]: The data infos kept by ``filter_cfg``.
        """
        data_list = super().filter_data()
        if not data_list:
            self._fail(f'no image is left after filtering with filter_cfg='
                       f'{self.filter_cfg} (of {len(self.data_list)} images, '
                       'none has a subject kept); check the boxes, or set '
                       'filter_empty_gt=False.')
        return data_list

    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline; a failure names the image file.

        Args:
            idx (int): Index of the data info.

        Returns:
            Any: The pipeline's output.
        """
        try:
            return super().prepare_data(idx)
        except (UnreadableImageError, FileNotFoundError):
            raise
        except Exception as error:
            img_path = self.get_data_info(idx).get('img_path')
            if img_path is None:
                raise
            self._check_image_file(img_path, error)
            error.add_note(f'(while preparing image {img_path} of '
                           f'{self.ann_file})')
            raise

    def _check_image_file(self, img_path: str, error: Exception) -> None:
        """Raise a named image error when ``img_path`` is the cause."""
        try:
            content = get(img_path, backend_args=self.backend_args)
        except Exception:  # a missing file: mmcv's own error names it
            return
        try:
            decode_image(content, img_path)
        except UnreadableImageError as image_error:
            raise image_error from error

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """Turn one image and its validated annotations into a data info.

        Args:
            raw_data_info (dict): ``raw_img_info`` (an image entry) and
                ``raw_ann_info`` (its annotation entries).

        Returns:
            dict: ``img_path``, ``img_id``, ``seg_map_path``, ``height``,
            ``width``, ``num_emotion_classes``, ``has_vad`` and
            ``instances``.
        """
        image = raw_data_info['raw_img_info']
        instances = []
        for annotation in raw_data_info['raw_ann_info']:
            instance = self._parse_instance(annotation, image)
            if instance is not None:
                instances.append(instance)
        return dict(
            img_path=osp.join(self.data_prefix.get('img', ''),
                              image['file_name']),
            img_id=image['id'],
            seg_map_path=None,
            height=image['height'],
            width=image['width'],
            num_emotion_classes=len(self._metainfo['emotion_classes']),
            has_vad=self._has_vad,
            instances=instances)

    def _parse_instance(self, annotation: dict, image: dict) -> Optional[dict]:
        """Parse one subject; None when its box is skipped."""
        x, y, w, h = annotation['bbox']  # finite numbers (checked)
        if w <= 0 or h <= 0:
            self.box_counts[SKIP_ZERO_AREA] += 1
            return None
        box = clip_box_xyxy((x, y, x + w, y + h), image['width'],
                            image['height'])
        if box is None:
            self.box_counts[SKIP_OUTSIDE] += 1
            return None
        if list(box) != [x, y, x + w, y + h]:
            self.box_counts['box clipped to the image'] += 1
        instance = dict(
            bbox=list(box),
            bbox_label=0,
            ignore_flag=int(bool(annotation.get('iscrowd', 0))),
            emotions=self._emotion_vector(annotation))
        if self._has_vad:
            instance['vad'] = [float(v) for v in annotation['vad']]
        return instance

    def _emotion_vector(self, annotation: dict) -> List[float]:
        """Multi-hot (or one-hot) float vector of a validated annotation."""
        if 'emotions' in annotation:
            return [float(v) for v in annotation['emotions']]
        vector = [0.0] * len(self._metainfo['emotion_classes'])
        vector[annotation['emotion']] = 1.0
        return vector

    def _read_file(self) -> dict:
        """Load the JSON file, with a clear error when it is not one."""
        with get_local_path(
                self.ann_file, backend_args=self.backend_args) as local_path:
            try:
                with open(local_path, encoding='utf-8') as file:
                    content = json.load(file)
            except (OSError, UnicodeDecodeError, ValueError) as error:
                raise EmotionAnnotationError(
                    f'{self.ann_file}: cannot read it as JSON ({error}).'
                ) from error
        if not isinstance(content, dict):
            raise EmotionAnnotationError(
                f'{self.ann_file}: the top level must be a JSON object, '
                f'got {type(content).__name__}.')
        return content

    def _fail(self, message: str) -> None:
        """Raise :class:`EmotionAnnotationError` naming the file."""
        raise EmotionAnnotationError(f'{self.ann_file}: {message}')

    def _check_keys(self, entry: dict, keys: Sequence[str],
                    where: str) -> None:
        """Fail when ``entry`` lacks one of ``keys``."""
        if not isinstance(entry, dict):
            self._fail(f'{where} must be a JSON object, got {entry!r}.')
        missing = [key for key in keys if key not in entry]
        if missing:
            self._fail(f'{where} lacks the key(s) {missing}.')

    def _update_emotion_metainfo(self, content: dict) -> None:
        """Check ``emotion_classes``, label kind and groups; fill metainfo."""
        file_classes = content['emotion_classes']
        if (not isinstance(file_classes, list) or not file_classes
                or not all(isinstance(name, str) for name in file_classes)):
            self._fail('emotion_classes must be a non-empty list of names, '
                       f'got {file_classes!r}.')
        fixed_classes = tuple(self._metainfo.get('emotion_classes') or ())
        if fixed_classes and fixed_classes != tuple(file_classes):
            self._fail(f'emotion_classes {file_classes} differ from the '
                       f'configured {list(fixed_classes)}.')
        self._metainfo['emotion_classes'] = tuple(file_classes)
        self._metainfo['multi_label'] = self._file_label_kind(content)
        groups = self._metainfo.get('emotion_class_groups') or content.get(
            'emotion_class_groups', {})
        self._check_groups(groups, file_classes)
        self._metainfo['emotion_class_groups'] = {
            name: list(members)
            for name, members in groups.items()
        }

    def _file_label_kind(self, content: dict) -> bool:
        """Return True for ``emotions`` (multi-label), False for ``emotion``.

        All annotations must use the same kind; a configured ``multi_label``
        must agree with it.
        """
        fixed = self._metainfo.get('multi_label')
        kinds = set()
        for annotation in content['annotations']:
            self._check_keys(annotation, REQUIRED_ANNOTATION_KEYS,
                             'an annotation')
            if 'emotions' in annotation:
                kinds.add(True)
            elif 'emotion' in annotation:
                kinds.add(False)
            else:
                self._fail(f'annotation {annotation["id"]} has neither '
                           "'emotions' nor 'emotion'.")
        if len(kinds) > 1:
            self._fail("annotations mix 'emotions' (multi-label) and "
                       "'emotion' (single-label).")
        file_kind = kinds.pop() if kinds else fixed
        if fixed is not None and file_kind != fixed:
            expected = 'emotions' if fixed else 'emotion'
            self._fail(f"this dataset expects '{expected}' labels "
                       f'(multi_label={fixed}).')
        return True if file_kind is None else file_kind

    def _check_groups(self, groups: dict, classes: Sequence[str]) -> None:
        """Fail when a group is malformed or names an unknown class."""
        if not isinstance(groups, dict):
            self._fail(f'emotion_class_groups must be an object, got '
                       f'{groups!r}.')
        for name, members in groups.items():
            if not isinstance(members, list):
                self._fail(f'emotion_class_groups[{name!r}] must be a list '
                           f'of class names, got {members!r}.')
            unknown = [m for m in members if m not in classes]
            if unknown:
                self._fail(f'emotion_class_groups[{name!r}] names unknown '
                           f'classes {unknown}.')

    def _index_images(self, images: list) -> Dict[int, dict]:
        """Validate the image entries; return them by id, in file order."""
        indexed: Dict[int, dict] = {}
        for image in images:
            self._check_keys(image, REQUIRED_IMAGE_KEYS, 'an image entry')
            self._check_id(image['id'], f'image {image["id"]!r}')
            if image['id'] in indexed:
                self._fail(f'image id {image["id"]} appears twice.')
            where = f'image {image["id"]}'
            if not isinstance(image['file_name'], str) or not image[
                    'file_name']:
                self._fail(f'{where}: file_name must be a non-empty string, '
                           f'got {image["file_name"]!r}.')
            width, height = image['width'], image['height']
            where = f'image {image["id"]} ({image["file_name"]})'
            if not all_finite((width, height)) or min(width, height) <= 0:
                self._fail(f'{where} has size {width!r}x{height!r}; width '
                           'and height must be positive finite numbers.')
            try:
                check_image_size(height, width, where)
            except DegenerateImageError as error:
                self._fail(str(error))
            indexed[image['id']] = image
        return indexed

    def _check_id(self, value, where: str) -> None:
        """Fail when an id is not an integer."""
        if isinstance(value, bool) or not isinstance(value, int):
            self._fail(f'{where}: an id must be an integer, got {value!r}.')

    def _group_annotations(self, annotations: list,
                           images: Dict[int, dict]) -> Dict[int, List[dict]]:
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
                           f'{PERSON_CATEGORY_ID} (person).')
            image = images[annotation['image_id']]
            where_image = (f'{where} of image {image["id"]} '
                           f'({image["file_name"]})')
            self._check_box(annotation['bbox'], where_image)
            self._check_vad(annotation.get('vad'), where_image)
            self._check_label(annotation, where)
            if annotation.get('iscrowd', 0) not in (0, 1):
                self._fail(f'{where_image}: iscrowd must be 0 or 1, got '
                           f'{annotation["iscrowd"]!r}.')
            grouped[annotation['image_id']].append(annotation)
        return grouped

    def _check_box(self, bbox, where: str) -> None:
        """Fail when ``bbox`` is not four finite numbers."""
        if (not isinstance(bbox, list) or len(bbox) != BOX_VALUES
                or not all_finite(bbox)):
            self._fail(f'{where}: bbox must be [x, y, w, h], four finite '
                       f'numbers, got {bbox!r}.')

    def _check_vad(self, vad, where: str) -> None:
        """Fail when a given ``vad`` is not three finite numbers."""
        if vad is not None and (not isinstance(vad, list)
                                or len(vad) != VAD_VALUES
                                or not all_finite(vad)):
            self._fail(f'{where}: vad must be [valence, arousal, '
                       f'dominance], three finite numbers, got {vad!r}.')

    def _check_label(self, annotation: dict, where: str) -> None:
        """Fail on a label vector or class index of the wrong form."""
        num_classes = len(self._metainfo['emotion_classes'])
        if 'emotions' in annotation:
            emotions = annotation['emotions']
            if not isinstance(emotions, list) or len(emotions) != num_classes:
                self._fail(f'{where}: emotions must be a list of '
                           f'{num_classes} values 0/1 (one per emotion '
                           f'class), got {emotions!r}.')
            if any(v not in (0, 1) for v in emotions):
                self._fail(f'{where}: emotions must hold only 0 and 1, got '
                           f'{emotions!r}.')
        else:
            emotion = annotation['emotion']
            if (isinstance(emotion, bool) or not isinstance(emotion, int)
                    or not 0 <= emotion < num_classes):
                self._fail(f'{where}: emotion must be an int in '
                           f'[0, {num_classes}), got {emotion!r}.')

    def _check_vad_presence(self, annotations: list) -> bool:
        """Return whether the file has VAD; fail if only some subjects do."""
        with_vad = [annotation.get('vad') is not None
                    for annotation in annotations]
        if any(with_vad) and not all(with_vad):
            missing = annotations[with_vad.index(False)]['id']
            self._fail(f'some subjects have vad and some do not (annotation '
                       f'{missing} has none); give it to all or none.')
        return any(with_vad)

    def _log_box_counts(self) -> None:
        """Log how many boxes were clipped or skipped, once per file."""
        if not self.box_counts:
            return
        counts = ', '.join(
            f'{reason}: {count}'
            for reason, count in sorted(self.box_counts.items()))
        print_log(
            f'{self.ann_file}: {counts} (skipped boxes are left out of '
            'training and evaluation).',
            logger='current',
            level=logging.WARNING)
