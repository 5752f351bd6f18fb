"""Loading boxes, emotion labels and VAD of the subjects."""
import logging
from typing import Set

import numpy as np
from mmdet.datasets.transforms import LoadAnnotations
from mmdet.registry import TRANSFORMS
from mmengine.logging import print_log

from ...structures import (EMOTIONS_FIELD, GT_EMOTIONS_KEY, GT_VAD_KEY,
                           NUM_VAD_DIMENSIONS, VAD_FIELD)
from ..image_checks import check_image_size

#: Size mismatches warned one by one; later ones only at counts 2**k.
LISTED_SIZE_MISMATCHES = 10


@TRANSFORMS.register_module()
class LoadEmotionAnnotations(LoadAnnotations):
    """mmdet's ``LoadAnnotations`` plus the subjects' emotions and VAD.

    Reads the instances of an :class:`~mmdsct.datasets.EmotionCocoDataset`.

    It also checks the loaded image (``ori_shape``, the size of the decoded
    file whether or not a resize came first):

    - an image that breaks the size rule of
      :func:`~mmdsct.datasets.image_checks.check_image_size` (a side under
      2 pixels, or a long side more than 64 times the short one, e.g.
      1x500) raises
      :class:`~mmdsct.datasets.image_checks.DegenerateImageError` naming
      the file;
    - an image whose size differs from the annotation file's ``width`` and
      ``height`` is counted in :attr:`size_mismatches` and warned once per
      image file with both sizes and the count so far (the first 10 one by
      one, later ones when the count reaches a power of two). Its boxes are
      used as the file gives them, already clipped to the file's size when
      the dataset was built: a mismatch cannot tell which side is wrong (a
      rescaled copy of the images, an EXIF rotation, a wrong entry), so
      fix the annotation file or the images. Geometric transforms later in
      the pipeline (resize, crop) clip boxes to the real image.

    Added Keys:

    - gt_emotions (np.float32): [num_gt, C], multi-hot (multi-label data)
      or one-hot (single-label data).
    - gt_vad (np.float32): [num_gt, 3], only when the data has VAD.

    Args:
        with_emotion (bool): Load ``gt_emotions``. Defaults to True.
        with_vad (bool): Load ``gt_vad`` when the data has it. Defaults to
            True.
        **kwargs: Arguments of :class:`mmdet.datasets.transforms.
            LoadAnnotations` (``with_bbox``, ``with_label``, ...).
    """

    def __init__(self,
                 with_emotion: bool = True,
                 with_vad: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.with_emotion = with_emotion
        self.with_vad = with_vad
        self._mismatched_images: Set[str] = set()

    @property
    def size_mismatches(self) -> int:
        """int: Image files (seen by this transform instance, i.e. by this
        data-loading process) whose size differs from the annotation
        file's."""
        return len(self._mismatched_images)

    def transform(self, results: dict) -> dict:
        """Load boxes and labels, then emotions and VAD.

        Args:
            results (dict): Data info of an emotion dataset.

        Returns:
            dict: ``results`` with the added keys.
        """
        self._check_image(results)
        results = super().transform(results)
        if self.with_emotion:
            self._load_emotions(results)
        if self.with_vad and self._has_vad(results):
            self._load_vad(results)
        return results

    def _check_image(self, results: dict) -> None:
        """Refuse a degenerate image; count a size that differs from the
        annotation file's."""
        shape = results.get('ori_shape', results.get('img_shape'))
        if shape is None:  # annotations loaded without an image
            return
        path = str(results.get('img_path'))
        height, width = int(shape[0]), int(shape[1])
        check_image_size(height, width, f'Image {path}')
        expected = (results.get('height'), results.get('width'))
        if None in expected or expected == (height, width):
            return
        if path in self._mismatched_images:
            return
        self._mismatched_images.add(path)
        count = len(self._mismatched_images)
        if count <= LISTED_SIZE_MISMATCHES or count & (count - 1) == 0:
            print_log(
                f'{path}: the image is {width}x{height} (width x height) '
                f'but the annotation file says {expected[1]}x{expected[0]}; '
                'its boxes are used as the file gives them (clipped to the '
                f"file's size). {count} image(s) with a size mismatch so "
                'far.',
                logger='current',
                level=logging.WARNING)

    @staticmethod
    def _instance_rows(results: dict, key: str) -> list:
        """The ``key`` field of every instance, with a clear error."""
        rows = []
        for instance in results.get('instances', []):
            if key not in instance:
                raise KeyError(
                    f'{results.get("img_path")}: an instance has no {key!r}; '
                    'LoadEmotionAnnotations needs the data infos of an '
                    'EmotionCocoDataset.')
            rows.append(instance[key])
        return rows

    def _load_emotions(self, results: dict) -> None:
        """Add ``gt_emotions`` [num_gt, C]."""
        rows = self._instance_rows(results, EMOTIONS_FIELD)
        num_classes = results.get('num_emotion_classes',
                                  len(rows[0]) if rows else 0)
        # [num_gt, C]
        results[GT_EMOTIONS_KEY] = np.array(
            rows, dtype=np.float32).reshape(-1, num_classes)

    @staticmethod
    def _has_vad(results: dict) -> bool:
        """Whether the data info carries VAD."""
        instances = results.get('instances', [])
        return results.get(
            'has_vad', any(VAD_FIELD in instance for instance in instances))

    def _load_vad(self, results: dict) -> None:
        """Add ``gt_vad`` [num_gt, 3]."""
        rows = self._instance_rows(results, VAD_FIELD)
        # [num_gt, 3]
        results[GT_VAD_KEY] = np.array(
            rows, dtype=np.float32).reshape(-1, NUM_VAD_DIMENSIONS)

    def __repr__(self) -> str:
        return (super().__repr__()[:-1] + f', with_emotion={self.with_emotion}'
                f', with_vad={self.with_vad})')
