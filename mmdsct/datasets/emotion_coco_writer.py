"""Writing the project's annotation format (docs/annotation_format.md).

Every converter and the synthetic generator build their output with
:class:`EmotionCocoWriter`, so that all of them agree on the format that
:mod:`mmdsct.structures.annotation_format` defines and reads.

Image and annotation ids start at 1: pycocotools' ``COCOeval`` treats an
annotation id of 0 as "unmatched", so a ground truth with id 0 could never
be matched.

Every number written is finite: :class:`EmotionCocoWriter` refuses NaN and
infinity in sizes, boxes and VAD, and the JSON is serialised with
``allow_nan=False``. :func:`write_annotation_files` writes the files of all
splits together: all of them or none.
"""
import json
import math
import os
import os.path as osp
import shutil
import tempfile
from collections import Counter
from typing import Dict, Mapping, Optional, Sequence, Tuple

from ..structures import (PERSON_CATEGORY, PERSON_CATEGORY_ID, VAD_FIELD,
                          EmotionSpec, all_finite, annotation_emotions,
                          encode_label)
from ..utils.atomic_backend import atomic_write_bytes

BoxXYXY = Tuple[float, float, float, float]


def clip_box_xyxy(box: Sequence[float], width: int,
                  height: int) -> Optional[BoxXYXY]:
    """Clip an (x1, y1, x2, y2) box to the image.

    Args:
        box (Sequence[float]): (x1, y1, x2, y2) in pixels.
        width (int): Image width in pixels.
        height (int): Image height in pixels.

    Returns:
        tuple | None: The clipped box, or None when nothing of positive area
        is left inside the image (a box outside the image or of zero area).

    Raises:
        ValueError: If a coordinate is NaN or infinite (it would otherwise
            pass as "clipped"); callers check values first to name the entry.
    """
    x1, y1, x2, y2 = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise ValueError(f'Box {list(box)} has a non-finite coordinate.')
    x1, x2 = min(max(x1, 0.0), width), min(max(x2, 0.0), width)
    y1, y2 = min(max(y1, 0.0), height), min(max(y2, 0.0), height)
    if x2 <= x1 or y2 <= y1:
        return None
    return x1, y1, x2, y2


def format_counts(title: str, counts: Dict[str, int]) -> str:
    """Format a closing count, one ``name: count`` per line.

    Args:
        title (str): First line.
        counts (dict[str, int]): What was counted, in display order.

    Returns:
        str: The text to print.
    """
    lines = [title] + [f'  {name}: {count}' for name, count in counts.items()]
    return '\n'.join(lines)


class EmotionCocoWriter:
    """Collects images and subjects of one split and writes the JSON file.

    Args:
        emotion_classes (Sequence[str]): The C emotion class names in label
            order.
        multi_label (bool): True to store ``emotions`` (C ints 0/1), False
            to store ``emotion`` (one int in [0, C)).
        emotion_class_groups (dict, optional): {group name: [class names]}
            stored as ``emotion_class_groups``.
        extra_fields (dict, optional): More top-level fields (e.g. ``info``).

    Attributes:
        spec (EmotionSpec): The file's classes, label kind and groups.

    Raises:
        ValueError: If the classes or the groups are malformed (see
            :class:`~mmdsct.structures.EmotionSpec`).
    """

    def __init__(self,
                 emotion_classes: Sequence[str],
                 multi_label: bool,
                 emotion_class_groups: Optional[Dict[str, list]] = None,
                 extra_fields: Optional[dict] = None) -> None:
        self.spec = EmotionSpec(
            emotion_classes=tuple(emotion_classes),
            multi_label=bool(multi_label),
            emotion_class_groups=emotion_class_groups or {})
        self.extra_fields = dict(extra_fields or {})
        self.images: list = []
        self.annotations: list = []

    @property
    def emotion_classes(self) -> list:
        """list[str]: The C emotion class names in label order."""
        return list(self.spec.emotion_classes)

    @property
    def multi_label(self) -> bool:
        """bool: Whether subjects get ``emotions`` (else ``emotion``)."""
        return self.spec.multi_label

    @property
    def num_classes(self) -> int:
        """int: Number of emotion classes C."""
        return self.spec.num_classes

    def add_image(self, file_name: str, width: int, height: int) -> int:
        """Add an image.

        Args:
            file_name (str): Path relative to the data root ('/'-separated).
            width (int): Width in pixels.
            height (int): Height in pixels.

        Returns:
            int: The new image id.
        """
        if not all_finite((width, height)) or width <= 0 or height <= 0:
            raise ValueError(f'Image {file_name} has size {width}x{height}; '
                             'both must be positive finite numbers.')
        image_id = len(self.images) + 1
        self.images.append(
            dict(
                id=image_id,
                file_name=file_name.replace(os.sep, '/'),
                width=int(width),
                height=int(height)))
        return image_id

    def add_subject(self,
                    image_id: int,
                    box_xyxy: Sequence[float],
                    emotions: Optional[Sequence[int]] = None,
                    emotion: Optional[int] = None,
                    vad: Optional[Sequence[float]] = None) -> int:
        """Add one subject (a person) of an image.

        Args:
            image_id (int): Id returned by :meth:`add_image`.
            box_xyxy (Sequence[float]): (x1, y1, x2, y2) in pixels, already
                inside the image.
            emotions (Sequence[int], optional): C ints 0/1; required when
                ``multi_label``.
            emotion (int, optional): Class index in [0, C); required when
                not ``multi_label``.
            vad (Sequence[float], optional): (valence, arousal, dominance).

        Returns:
            int: The new annotation id.
        """
        x1, y1, x2, y2 = (float(v) for v in box_xyxy)
        if not all_finite((x1, y1, x2, y2)):
            raise ValueError(f'Subject box {list(box_xyxy)} of image '
                             f'{image_id} has a non-finite coordinate.')
        width, height = x2 - x1, y2 - y1
        if width <= 0 or height <= 0:
            raise ValueError(f'Subject box {list(box_xyxy)} of image '
                             f'{image_id} has no area.')
        annotation = dict(
            id=len(self.annotations) + 1,
            image_id=int(image_id),
            bbox=[x1, y1, width, height],
            area=width * height,
            iscrowd=0,
            category_id=PERSON_CATEGORY_ID)
        annotation.update(encode_label(self.spec, emotions, emotion))
        if vad is not None:
            vad = [float(v) for v in vad]
            if not all_finite(vad):
                raise ValueError(f'VAD {vad} of a subject of image '
                                 f'{image_id} has a non-finite value.')
            annotation[VAD_FIELD] = vad
        self.annotations.append(annotation)
        return annotation['id']

    def to_dict(self) -> dict:
        """Return the whole annotation file as a dict."""
        metainfo = self.spec.to_metainfo()
        content = dict(self.extra_fields)
        content.update(
            images=self.images,
            annotations=self.annotations,
            categories=[dict(PERSON_CATEGORY)],
            emotion_classes=list(metainfo['emotion_classes']))
        if metainfo['emotion_class_groups']:
            content['emotion_class_groups'] = metainfo['emotion_class_groups']
        return content

    def label_counts(self) -> Counter:
        """Count subjects per emotion class name (every class listed)."""
        counts = Counter({name: 0 for name in self.emotion_classes})
        for annotation in self.annotations:
            vector = annotation_emotions(annotation, self.num_classes)
            for name, flag in zip(self.emotion_classes, vector):
                counts[name] += int(flag)
        return counts

    def to_json_bytes(self) -> bytes:
        """The annotation file as UTF-8 JSON.

        Returns:
            bytes: The file's content.

        Raises:
            ValueError: If a value is NaN or infinite (never written).
        """
        return json.dumps(self.to_dict(), allow_nan=False).encode('utf-8')

    def dump(self, path: str) -> None:
        """Write the JSON file atomically, creating its folder.

        Args:
            path (str): Output file path.
        """
        write_annotation_files({path: self})


def write_annotation_files(files: Mapping[str, EmotionCocoWriter]) -> None:
    """Write the annotation files of several splits: all of them or none.

    Every file is serialised first; then each is written (fsynced, with
    :func:`~mmdsct.utils.atomic_backend.atomic_write_bytes`) into a
    temporary folder beside its output; only when all are written is each
    renamed to its output path. On any failure the temporary folders are
    removed and the files already at the output paths are left as they
    were, so a failed run never leaves a new split beside an older one.

    Args:
        files (Mapping[str, EmotionCocoWriter]): Output path of each file
            and the writer holding its content. Folders are created.

    Raises:
        ValueError: If a file would hold NaN or infinity.
        OSError: If a file cannot be written.
    """
    payloads = {
        osp.abspath(path): writer.to_json_bytes()
        for path, writer in files.items()
    }
    staging: Dict[str, str] = {}
    try:
        staged = []
        for path, content in payloads.items():
            folder = osp.dirname(path)
            if folder not in staging:
                os.makedirs(folder, exist_ok=True)
                staging[folder] = tempfile.mkdtemp(
                    prefix='.annotations-', suffix='.tmp', dir=folder)
            tmp_path = osp.join(staging[folder], osp.basename(path))
            atomic_write_bytes(content, tmp_path)
            staged.append((tmp_path, path))
        for tmp_path, path in staged:
            os.replace(tmp_path, path)
    finally:
        for folder in staging.values():
            shutil.rmtree(folder, ignore_errors=True)
