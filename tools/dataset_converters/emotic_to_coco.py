"""Convert EMOTIC's PAMI 2019 ``Annotations.mat`` to the project's format.

Reads the keys ``train``, ``val`` and ``test`` (1xN struct arrays of images,
DESIGN.md §4.1) and writes ``OUT_DIR/emotic_{train,val,test}.json``:

* ``file_name`` is ``<folder>/<filename>`` (e.g. ``mscoco/images/x.jpg``),
  relative to the EMOTIC image root;
* the subject box is the body box (``body_bbox``, x1 y1 x2 y2) clipped to
  the image (``image_size.n_col`` x ``image_size.n_row``);
* labels: train from its single annotator (``annotations_categories`` and
  ``annotations_continuous``), val/test from the combined fields
  (``combined_categories``, ``combined_continuous``); ``emotions`` is the
  26-long multi-hot vector, ``vad`` [valence, arousal, dominance];
* dropped and counted: a person without a categorical label, without a
  (finite) continuous label, or whose box lies outside the image or has no
  area (in this order of precedence); an image left with no person.

A missing key, an unknown category name or an image entry without its
fields stops the conversion with an error naming the file and the entry.

Example::

    python tools/dataset_converters/emotic_to_coco.py \
        --mat data/emotic/Annotations/Annotations.mat \
        --out-dir data/emotic/annotations
"""
import argparse
import os.path as osp
import sys
from collections import Counter
from typing import Iterable, List, Optional, Sequence

import numpy as np
import scipy.io
from tqdm import tqdm

from mmdsct.datasets import (EMOTIC_CLASSES, VAD_DIMENSIONS, EmotionCocoWriter,
                             clip_box_xyxy, format_counts)

SPLITS = ('train', 'val', 'test')
IMAGE_FIELDS = ('filename', 'folder', 'image_size', 'person')
BOX_VALUES = 4
NO_CATEGORY = 'people without a categorical label'
NO_CONTINUOUS = 'people without a continuous label'
BAD_BOX = 'people with a box outside the image or of zero area'
EMPTY_IMAGE = 'images left with no person'


class EmoticFormatError(ValueError):
    """The .mat file does not have the structure of DESIGN.md §4.1."""


def as_list(value) -> list:
    """A MATLAB array or cell loaded with ``squeeze_me`` as a flat list."""
    if value is None:
        return []
    if isinstance(value, np.ndarray):
        return list(value.ravel())
    return [value]


def category_names(value) -> List[str]:
    """Names of a categories cell (a str when it held only one)."""
    return [str(name).strip() for name in as_list(value) if str(name).strip()]


def continuous_values(value) -> Optional[List[float]]:
    """[valence, arousal, dominance] of a struct (or a 3-vector), or None
    when missing or not finite."""
    items = as_list(value)
    if not items:
        return None
    if hasattr(items[0], 'valence'):
        try:
            vad = [float(np.squeeze(getattr(items[0], dim)))
                   for dim in VAD_DIMENSIONS]
        except (TypeError, ValueError):
            return None
    else:
        vad = [float(v) for v in np.asarray(items, dtype=float).ravel()]
    if len(vad) != len(VAD_DIMENSIONS) or not np.all(np.isfinite(vad)):
        return None
    return vad


class EmoticConverter:
    """Converts one split of a loaded ``Annotations.mat``.

    Args:
        mat_path (str): The .mat file (for messages).
    """

    def __init__(self, mat_path: str) -> None:
        self.mat_path = mat_path
        self.class_index = {name: i for i, name in enumerate(EMOTIC_CLASSES)}

    def convert(self, split: str, entries: Iterable) -> tuple:
        """Convert the image entries of one split.

        Args:
            split (str): ``'train'``, ``'val'`` or ``'test'``.
            entries (Iterable): The split's image structs.

        Returns:
            tuple[EmotionCocoWriter, Counter]: Annotations and skip counts.
        """
        writer = EmotionCocoWriter(EMOTIC_CLASSES, multi_label=True)
        skipped = Counter({NO_CATEGORY: 0, NO_CONTINUOUS: 0, BAD_BOX: 0,
                           EMPTY_IMAGE: 0})
        entries = as_list(entries)
        for index, entry in enumerate(tqdm(entries, desc=f'emotic {split}')):
            where = f'{self.mat_path}: {split}[{index}]'
            self._check_fields(entry, IMAGE_FIELDS, where)
            width, height = self._image_size(entry, where)
            subjects = []
            for person in as_list(entry.person):
                subject = self._subject(split, person, width, height, where,
                                        skipped)
                if subject is not None:
                    subjects.append(subject)
            if not subjects:
                skipped[EMPTY_IMAGE] += 1
                continue
            file_name = osp.join(str(entry.folder).strip('/'),
                                 str(entry.filename)).replace('\\', '/')
            image_id = writer.add_image(file_name, width, height)
            for box, emotions, vad in subjects:
                writer.add_subject(image_id, box, emotions=emotions, vad=vad)
        return writer, skipped

    @staticmethod
    def _check_fields(struct, fields: Sequence[str], where: str) -> None:
        """Fail when a struct lacks one of ``fields``."""
        missing = [name for name in fields if not hasattr(struct, name)]
        if missing:
            raise EmoticFormatError(f'{where} lacks the field(s) {missing}.')

    def _image_size(self, entry, where: str) -> tuple:
        """(width, height) from ``image_size``."""
        size = entry.image_size
        self._check_fields(size, ('n_col', 'n_row'), f'{where}.image_size')
        width, height = int(size.n_col), int(size.n_row)
        if width <= 0 or height <= 0:
            raise EmoticFormatError(
                f'{where} ({entry.filename}) has image size '
                f'{width}x{height}.')
        return width, height

    def _subject(self, split, person, width, height, where, skipped):
        """(box, emotions, vad) of a person, or None when it is dropped."""
        combined = split != 'train'
        category_field = ('combined_categories'
                          if combined else 'annotations_categories')
        continuous_field = ('combined_continuous'
                            if combined else 'annotations_continuous')
        self._check_fields(person, ('body_bbox', category_field,
                                    continuous_field), f'{where}.person')
        names = self._categories(person, category_field, combined)
        if not names:
            skipped[NO_CATEGORY] += 1
            return None
        vad = continuous_values(getattr(person, continuous_field))
        if vad is None:
            skipped[NO_CONTINUOUS] += 1
            return None
        box = np.asarray(person.body_bbox, dtype=float).ravel()
        box = clip_box_xyxy(box, width, height) if len(
            box) == BOX_VALUES else None
        if box is None:
            skipped[BAD_BOX] += 1
            return None
        return box, self._multi_hot(names, where), vad

    @staticmethod
    def _categories(person, field: str, combined: bool) -> List[str]:
        """Category names of a person: the combined cell, or the single
        annotator's ``categories``."""
        value = getattr(person, field)
        if combined:
            return category_names(value)
        annotators = as_list(value)
        if not annotators:
            return []
        return category_names(getattr(annotators[0], 'categories', None))

    def _multi_hot(self, names: List[str], where: str) -> List[int]:
        """26-long 0/1 vector; unknown names raise."""
        vector = [0] * len(EMOTIC_CLASSES)
        for name in names:
            if name not in self.class_index:
                raise EmoticFormatError(
                    f'{where}: unknown category {name!r} (known: '
                    f'{", ".join(EMOTIC_CLASSES)}).')
            vector[self.class_index[name]] = 1
        return vector


def load_mat(path: str) -> dict:
    """Load the .mat file and check its split keys."""
    if not osp.isfile(path):
        raise EmoticFormatError(f'{path}: no such file.')
    try:
        mat = scipy.io.loadmat(path, squeeze_me=True, struct_as_record=False)
    except Exception as error:  # scipy fails in many ways on bad files
        raise EmoticFormatError(
            f'{path}: cannot read it as a MATLAB file ({error}).') from error
    missing = [split for split in SPLITS if split not in mat]
    if missing:
        found = sorted(key for key in mat if not key.startswith('__'))
        raise EmoticFormatError(
            f'{path}: lacks the key(s) {missing} (found {found}); expected '
            "EMOTIC's PAMI 2019 Annotations.mat.")
    return mat


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description="Convert EMOTIC's Annotations.mat (PAMI 2019) to the "
        "project's annotation format.")
    parser.add_argument('--mat', required=True, help='Annotations.mat')
    parser.add_argument(
        '--out-dir', required=True, help='folder of emotic_{split}.json')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Convert every split and print a closing count."""
    args = parse_args(argv)
    try:
        mat = load_mat(args.mat)
        converter = EmoticConverter(args.mat)
        for split in SPLITS:
            writer, skipped = converter.convert(split, mat[split])
            out_path = osp.join(args.out_dir, f'emotic_{split}.json')
            writer.dump(out_path)
            counts = dict(
                images=len(writer.images), subjects=len(writer.annotations))
            counts.update((f'skipped {reason}', count)
                          for reason, count in skipped.items())
            print(format_counts(f'{split} -> {out_path}:', counts))
    except EmoticFormatError as error:
        sys.exit(f'emotic_to_coco: {error}')


if __name__ == '__main__':
    main()
