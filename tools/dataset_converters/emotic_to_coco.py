"""Convert EMOTIC's PAMI 2019 ``Annotations.mat`` to the project's format.

Reads the keys ``train``, ``val`` and ``test`` (1xN struct arrays of images,
docs/annotation_format.md) and writes ``OUT_DIR/emotic_{train,val,test}.json``:

* ``file_name`` is ``<folder>/<filename>`` (e.g. ``mscoco/images/x.jpg``),
  relative to the EMOTIC image root;
* the subject box is the body box (``body_bbox``, x1 y1 x2 y2) clipped to
  the image (``image_size.n_col`` x ``image_size.n_row``);
* labels: train from its single annotator (``annotations_categories`` and
  ``annotations_continuous``), val/test from the combined fields
  (``combined_categories``, ``combined_continuous``); ``emotions`` is the
  26-long multi-hot vector, ``vad`` [valence, arousal, dominance];
* dropped and counted: a person without a categorical label, without a
  continuous label (missing, or NaN: MATLAB's mark of a missing value),
  or whose box lies outside the image, has no area or is empty (in this
  order of precedence); an image left with no person.

A missing key, an unknown category name, an image entry without its fields,
or a value of the wrong kind (a box that is not 4 finite numbers, an
infinite or non-numeric VAD value such as ``'high'``, an image size that is
not a positive integer, a file name that is not text) stops the conversion
with an error naming the file and the entry (``split[image].person[k]``).

The three files are written only when every split has been converted: a
failure leaves no new file behind and older files untouched.

Example::

    python tools/dataset_converters/emotic_to_coco.py \
        --mat data/emotic/Annotations/Annotations.mat \
        --out-dir data/emotic/annotations
"""
import argparse
import math
import os.path as osp
import sys
from collections import Counter
from typing import Iterable, List, Optional, Sequence, Tuple

import numpy as np
import scipy.io
from tqdm import tqdm

from mmdsct.datasets import (EMOTIC_CLASSES, VAD_DIMENSIONS, EmotionCocoWriter,
                             clip_box_xyxy, format_counts,
                             write_annotation_files)

SPLITS = ('train', 'val', 'test')
IMAGE_FIELDS = ('filename', 'folder', 'image_size', 'person')
BOX_VALUES = 4
NO_CATEGORY = 'people without a categorical label'
NO_CONTINUOUS = 'people without a continuous label'
BAD_BOX = 'people with a box outside the image or of zero area'
EMPTY_IMAGE = 'images left with no person'


class EmoticFormatError(ValueError):
    """The .mat file does not have the structure of
    docs/annotation_format.md."""


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


def as_floats(value, what: str, where: str) -> np.ndarray:
    """A MATLAB numeric value as a flat float array; text fails."""
    try:
        return np.asarray(value, dtype=float).ravel()
    except (TypeError, ValueError) as error:
        raise EmoticFormatError(
            f'{where}: {what} must be numbers, got {value!r}.') from error


def continuous_values(value, where: str) -> Optional[List[float]]:
    """[valence, arousal, dominance] of a struct (or a 3-vector).

    Args:
        value: The continuous-label field of a person.
        where (str): The entry, for messages.

    Returns:
        list[float] | None: The three values; None when the label is missing
        (an empty field or value, or NaN, MATLAB's missing value).

    Raises:
        EmoticFormatError: If a value is not a number, is infinite, or the
            field does not hold three values.
    """
    items = as_list(value)
    if not items:
        return None
    if hasattr(items[0], 'valence'):
        missing = [d for d in VAD_DIMENSIONS if not hasattr(items[0], d)]
        if missing:
            raise EmoticFormatError(
                f'{where}: the continuous label lacks the field(s) {missing}.')
        dims = [
            as_floats(getattr(items[0], dim), dim, where)
            for dim in VAD_DIMENSIONS
        ]
        if any(values.size == 0 for values in dims):
            return None
        if any(values.size != 1 for values in dims):
            raise EmoticFormatError(
                f'{where}: valence, arousal and dominance must be one number '
                f'each, got {[values.tolist() for values in dims]}.')
        vad = [float(values[0]) for values in dims]
    else:
        vad = as_floats(items, 'the continuous label', where).tolist()
        if len(vad) != len(VAD_DIMENSIONS):
            raise EmoticFormatError(
                f'{where}: the continuous label must hold 3 values '
                f'(valence, arousal, dominance), got {vad!r}.')
    if any(math.isnan(v) for v in vad):
        return None
    if not all(math.isfinite(v) for v in vad):
        raise EmoticFormatError(
            f'{where}: the continuous label {vad} has an infinite value.')
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
        skipped = Counter({
            NO_CATEGORY: 0,
            NO_CONTINUOUS: 0,
            BAD_BOX: 0,
            EMPTY_IMAGE: 0
        })
        entries = as_list(entries)
        for index, entry in enumerate(tqdm(entries, desc=f'emotic {split}')):
            where = f'{self.mat_path}: {split}[{index}]'
            self._check_fields(entry, IMAGE_FIELDS, where)
            file_name = self._file_name(entry, where)
            width, height = self._image_size(entry, where)
            subjects = []
            for number, person in enumerate(as_list(entry.person)):
                subject = self._subject(split, person, width, height,
                                        (where, number), skipped)
                if subject is not None:
                    subjects.append(subject)
            if not subjects:
                skipped[EMPTY_IMAGE] += 1
                continue
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

    @staticmethod
    def _file_name(entry, where: str) -> str:
        """``<folder>/<filename>`` of an image entry; both must be text."""
        for field in ('folder', 'filename'):
            if not isinstance(getattr(entry, field), str):
                raise EmoticFormatError(f'{where}: {field} must be text, got '
                                        f'{getattr(entry, field)!r}.')
        return osp.join(entry.folder.strip('/'),
                        entry.filename).replace('\\', '/')

    def _image_size(self, entry, where: str) -> Tuple[int, int]:
        """(width, height) from ``image_size``."""
        size = entry.image_size
        self._check_fields(size, ('n_col', 'n_row'), f'{where}.image_size')
        values = np.concatenate([
            as_floats(size.n_col, 'image_size.n_col', where),
            as_floats(size.n_row, 'image_size.n_row', where)
        ])
        if (len(values) != 2 or not np.all(np.isfinite(values))
                or np.any(values <= 0) or np.any(values != np.round(values))):
            raise EmoticFormatError(
                f'{where} ({entry.filename}) has image size '
                f'{size.n_col!r}x{size.n_row!r}; both must be positive '
                'integers.')
        return int(values[0]), int(values[1])

    def _subject(self, split: str, person, width: int, height: int,
                 position: Tuple[str, int], skipped: Counter):
        """(box, emotions, vad) of a person, or None when it is dropped.

        ``position`` is (the image entry, the person's index) for messages.
        """
        where, number = position
        combined = split != 'train'
        category_field = ('combined_categories'
                          if combined else 'annotations_categories')
        continuous_field = ('combined_continuous'
                            if combined else 'annotations_continuous')
        self._check_fields(person,
                           ('body_bbox', category_field, continuous_field),
                           f'{where}.person')
        image_where, where = where, f'{where}.person[{number}]'
        names = self._categories(person, category_field, combined)
        if not names:
            skipped[NO_CATEGORY] += 1
            return None
        vad = continuous_values(getattr(person, continuous_field), where)
        if vad is None:
            skipped[NO_CONTINUOUS] += 1
            return None
        box = self._body_box(person, where)
        box = None if box is None else clip_box_xyxy(box, width, height)
        if box is None:
            skipped[BAD_BOX] += 1
            return None
        return box, self._multi_hot(names, image_where), vad

    @staticmethod
    def _body_box(person, where: str) -> Optional[List[float]]:
        """The checked ``body_bbox`` (x1, y1, x2, y2); None when empty."""
        box = as_floats(person.body_bbox, 'body_bbox', where)
        if box.size == 0:
            return None
        if box.size != BOX_VALUES or not np.all(np.isfinite(box)):
            raise EmoticFormatError(
                f'{where}: body_bbox must be 4 finite numbers [x1 y1 x2 y2], '
                f'got {box.tolist()}.')
        return box.tolist()

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
    """Convert every split, then write all files and print closing counts.

    Nothing is written unless every split converts.
    """
    args = parse_args(argv)
    try:
        mat = load_mat(args.mat)
        converter = EmoticConverter(args.mat)
        converted = {
            split: converter.convert(split, mat[split])
            for split in SPLITS
        }
    except EmoticFormatError as error:
        sys.exit(f'emotic_to_coco: {error}')
    out_paths = {
        split: osp.join(args.out_dir, f'emotic_{split}.json')
        for split in SPLITS
    }
    try:
        write_annotation_files({
            out_paths[split]: writer
            for split, (writer, _) in converted.items()
        })
    except (OSError, ValueError) as error:
        sys.exit(f'emotic_to_coco: nothing written to {args.out_dir}: '
                 f'{error}')
    for split, (writer, skipped) in converted.items():
        counts = dict(
            images=len(writer.images), subjects=len(writer.annotations))
        counts.update(
            (f'skipped {reason}', count) for reason, count in skipped.items())
        print(format_counts(f'{split} -> {out_paths[split]}:', counts))


if __name__ == '__main__':
    main()
