"""The generic dataset of the project's annotation format
(docs/annotation_format.md)."""
import logging
import os.path as osp
from collections import Counter
from typing import Any, Dict, List, Optional

from mmdet.datasets import BaseDetDataset
from mmdet.registry import DATASETS
from mmengine.fileio import get
from mmengine.logging import print_log

from ..structures import (EMOTIONS_FIELD, SUBJECT_CLASSES, SUBJECT_LABEL,
                          VAD_FIELD, EmotionAnnotationError, EmotionSpec,
                          annotation_emotions, image_name,
                          load_annotation_file)
from .emotion_coco_writer import clip_box_xyxy
from .image_checks import (DegenerateImageError, UnreadableImageError,
                           check_image_size, decode_image)

SKIP_OUTSIDE = 'box outside the image'
SKIP_ZERO_AREA = 'box of zero area'


@DATASETS.register_module()
class EmotionCocoDataset(BaseDetDataset):
    """Subjects with emotion labels, from one COCO-style JSON file.

    The file follows docs/annotation_format.md and is read and validated by
    :func:`~mmdsct.structures.load_annotation_file`. Each subject becomes
    an instance with ``bbox`` (x1, y1, x2, y2), ``bbox_label`` 0 (the
    single detection class 'person'), ``ignore_flag`` (from ``iscrowd``),
    ``emotions`` (C floats: the multi-hot vector, or the one-hot vector of
    a single-label file) and, when the file has them, ``vad`` (3 floats).
    Every data info also carries ``num_emotion_classes`` and ``has_vad`` so
    that an image without subjects still yields label arrays of the right
    width.

    Validation (the parser's, then the image size rule): a file that cannot
    be parsed, misses a required key, has no images, has
    ``emotion_classes`` different from the configured ones, mixes label
    kinds, has a label vector of the wrong length, an ``emotion`` index out
    of range, a ``vad`` that is not three finite numbers, a ``bbox`` that
    is not four finite numbers (NaN, infinity, strings, ...), VAD on only
    some subjects, an unknown ``category_id``, an id that is not an
    integer, an image size that is not a positive finite number or breaks
    the size rule of
    :func:`~mmdsct.datasets.image_checks.check_image_size` (e.g. 1x500), an
    annotation of an unknown image or duplicate ids raises
    :class:`~mmdsct.structures.EmotionAnnotationError` naming the file and
    the entry (the annotation id and its image). So does a file left with
    no image after ``filter_cfg`` (``filter_empty_gt``: drop images without
    subjects; ``min_size``: drop images with a smaller side, as mmdet's
    ``CocoDataset`` does). Boxes are handled as documented, not raised: a
    box partly outside the image is clipped to it (counted as clipped); a
    box entirely outside the image or of zero area is skipped. Both counts
    are logged once per file and kept in :attr:`box_counts`.

    Images: when the pipeline fails on an image (an empty, undecodable or
    degenerate file, which mmcv's loader and cv2's resize report without
    the path), the file is checked and the error names it: an
    :class:`~mmdsct.datasets.image_checks.UnreadableImageError` or
    :class:`~mmdsct.datasets.image_checks.DegenerateImageError`; any other
    error gets a note with the image path.

    Metainfo: ``classes`` is ``('person',)``; the
    :class:`~mmdsct.structures.EmotionSpec` of the file
    (:attr:`emotion_spec`) fills ``emotion_classes`` (taken from the file
    unless the class or the config fixes it; then the two must agree),
    ``multi_label`` (read from the file; it must agree with a fixed value)
    and ``emotion_class_groups`` (from the file unless the config gives
    it).

    The file has one category, the subject, and is validated here with
    named errors, so mmdet's ``BaseDetDataset`` is the base: pycocotools'
    index (``CocoDataset``) would parse the file a second time for nothing.

    Args:
        *args: Passed to :class:`mmdet.datasets.BaseDetDataset`.
        **kwargs: Passed to :class:`mmdet.datasets.BaseDetDataset`.
    """

    METAINFO = dict(
        classes=SUBJECT_CLASSES,
        palette=[(220, 20, 60)],
        emotion_classes=(),
        multi_label=None,
        emotion_class_groups={})

    def __init__(self, *args, **kwargs) -> None:
        self.box_counts: Counter = Counter()
        self._has_vad = False
        super().__init__(*args, **kwargs)

    @property
    def emotion_spec(self) -> Optional[EmotionSpec]:
        """EmotionSpec | None: The emotion labels of the loaded file (None
        before a lazily initialised dataset is loaded)."""
        return EmotionSpec.from_metainfo(self._metainfo)

    def load_data_list(self) -> List[dict]:
        """Read, validate and parse the annotation file.

        Returns:
            list[dict]: One data info per image, in file order.
        """
        parsed = load_annotation_file(
            self.ann_file, self.backend_args, configured=self._metainfo)
        self._check_image_sizes(parsed.images)
        self._metainfo.update(parsed.spec.to_metainfo())
        self._has_vad = parsed.has_vad
        self.box_counts = Counter()
        data_list = [
            self.parse_data_info(
                dict(
                    raw_img_info=image,
                    raw_ann_info=parsed.annotations[image_id]))
            for image_id, image in parsed.images.items()
        ]
        self._log_box_counts()
        return data_list

    def _check_image_sizes(self, images: Dict[int, dict]) -> None:
        """Refuse an image entry whose size the resize transforms cannot
        handle (see :func:`~mmdsct.datasets.image_checks.check_image_size`).
        """
        for image in images.values():
            try:
                check_image_size(image['height'], image['width'],
                                 image_name(image))
            except DegenerateImageError as error:
                raise EmotionAnnotationError(
                    f'{self.ann_file}: {error}') from error

    def filter_data(self) -> List[dict]:
        """Apply ``filter_cfg`` as mmdet's ``CocoDataset`` does, failing
        clearly when no image is left.

        ``filter_empty_gt`` drops images without a subject (crowd subjects
        count; skipped boxes do not), ``min_size`` images whose shorter
        side is smaller. Nothing is filtered in test mode.

        Returns:
            list[dict]: The data infos kept.
        """
        if self.test_mode or self.filter_cfg is None:
            return self.data_list
        filter_empty_gt = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        data_list = [
            info for info in self.data_list
            if (info['instances'] or not filter_empty_gt)
            and min(info['width'], info['height']) >= min_size
        ]
        if not data_list:
            raise EmotionAnnotationError(
                f'{self.ann_file}: no image is left after filtering with '
                f'filter_cfg={self.filter_cfg} (of {len(self.data_list)} '
                'images, none has a subject kept); check the boxes, or set '
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
            img_path=osp.join(
                self.data_prefix.get('img', ''), image['file_name']),
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
            bbox_label=SUBJECT_LABEL,
            ignore_flag=int(bool(annotation.get('iscrowd', 0))))
        instance[EMOTIONS_FIELD] = annotation_emotions(
            annotation, len(self._metainfo['emotion_classes']))
        if self._has_vad:
            instance[VAD_FIELD] = [float(v) for v in annotation[VAD_FIELD]]
        return instance

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
