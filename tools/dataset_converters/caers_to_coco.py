"""Convert CAER-S plus a face-box file to the project's format.

Inputs (docs/annotation_format.md):

* ``--root``: the CAER-S folder with ``train/<Class>/<image>`` and
  ``test/<Class>/<image>``; the 7 classes Anger, Disgust, Fear, Happy,
  Neutral, Sad, Surprise (a folder named ``Angry`` counts as Anger);
* ``--boxes``: a CSV file, one line per image, ``path,label,x1,y1,x2,y2``
  (the format of the public dlib detections and of CAERS-Annotations), an
  optional header line starting with ``path``. ``path`` is relative to the
  root (``train/Happy/0001.png``; a leading folder before ``train/`` or
  ``test/`` and absolute paths under the root are accepted); ``label`` is
  a class name or its index in the list above.

Output: ``OUT_DIR/caers_{train,val,test}.json``, one subject per image with
``emotion`` the class index of its folder; ``file_name`` relative to the
root. Validation images are a random ``--val-ratio`` share of the training
images (``--seed``), the rest stays in train.

Skipped and counted: an image with no box line (unless
``--whole-image-box`` gives it the whole image as its box), an image that
cannot be read (an empty or undecodable file), a degenerate image (a side
under 2 pixels, or a long side more than 64 times the short one, e.g.
1x500; see ``mmdsct.datasets.image_checks``), a box outside the image or
of zero area (a box partly outside is clipped), a box line whose label
differs from the image's folder, a second box line for the same image (the
first is kept), and a box line whose image is not in the tree. A malformed
box line (a wrong number of fields, coordinates that are not finite
numbers: text, ``nan``, ``inf``), an unknown class name (folder or label)
or a missing split folder stops the conversion with an error naming the
file and the line.

The three files are written only when all of them are ready: a failure
leaves no new file behind and older files untouched.

Example::

    python tools/dataset_converters/caers_to_coco.py --root data/caers \
        --boxes data/caers/boxes.csv --out-dir data/caers/annotations
"""
import argparse
import csv
import math
import os
import os.path as osp
import sys
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image
from tqdm import tqdm

from mmdsct.datasets import (CAERS_CLASS_ALIASES, CAERS_CLASSES,
                             DegenerateImageError, EmotionCocoWriter,
                             check_image_size, clip_box_xyxy, format_counts,
                             write_annotation_files)

RAW_SPLITS = ('train', 'test')
IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp')
CSV_FIELDS = ('path', 'label', 'x1', 'y1', 'x2', 'y2')
NO_BOX = 'images without a box line'
UNREADABLE = 'unreadable images'
DEGENERATE = 'degenerate images (a side under 2 px or thinner than 1:64)'
BAD_BOX = 'boxes outside the image or of zero area'
LABEL_MISMATCH = 'box lines whose label differs from the folder'
DUPLICATE = 'repeated box lines of an image (first kept)'
MISSING_IMAGE = 'box lines of images not in the tree'

BoxLine = Tuple[int, int, Tuple[float, float, float, float]]


class CaersFormatError(ValueError):
    """The CAER-S tree or the box file is malformed."""


def class_index(name: str) -> Optional[int]:
    """Index of a class name (aliases accepted), None when unknown."""
    name = CAERS_CLASS_ALIASES.get(name.strip(), name.strip())
    return CAERS_CLASSES.index(name) if name in CAERS_CLASSES else None


def scan_tree(root: str) -> Dict[str, int]:
    """Find the images of ``root/{train,test}/<Class>/``.

    Args:
        root (str): CAER-S root.

    Returns:
        dict[str, int]: Class index of every image path (relative to the
        root, '/'-separated), sorted by path.
    """
    images = {}
    for split in RAW_SPLITS:
        split_dir = osp.join(root, split)
        if not osp.isdir(split_dir):
            raise CaersFormatError(f'{split_dir}: no such folder; expected '
                                   '<root>/{train,test}/<Class>/<image>.')
        for folder in sorted(os.listdir(split_dir)):
            if not osp.isdir(osp.join(split_dir, folder)):
                continue
            label = class_index(folder)
            if label is None:
                raise CaersFormatError(
                    f'{osp.join(split_dir, folder)}: unknown class '
                    f'{folder!r} (known: {", ".join(CAERS_CLASSES)}, or '
                    'Angry).')
            for name in sorted(os.listdir(osp.join(split_dir, folder))):
                if name.lower().endswith(IMAGE_SUFFIXES):
                    images[f'{split}/{folder}/{name}'] = label
    return images


def normalise_path(path: str, root: str) -> str:
    """A box-file path as a '/'-separated path relative to the root."""
    path = path.strip().replace('\\', '/')
    if osp.isabs(path):
        path = osp.relpath(path, root).replace(os.sep, '/')
    parts = [part for part in path.split('/') if part not in ('', '.')]
    for index, part in enumerate(parts):
        if part in RAW_SPLITS:
            return '/'.join(parts[index:])
    return '/'.join(parts)


def parse_box_line(fields: List[str], where: str) -> Tuple[int, tuple]:
    """(label, box) of one CSV line; malformed lines raise."""
    if len(fields) != len(CSV_FIELDS):
        raise CaersFormatError(
            f'{where}: expected {len(CSV_FIELDS)} fields '
            f'{",".join(CSV_FIELDS)}, got {len(fields)}: {fields!r}.')
    label_text = fields[1].strip()
    label = (
        int(label_text) if label_text.isdigit() else class_index(label_text))
    if label is None or not 0 <= label < len(CAERS_CLASSES):
        raise CaersFormatError(f'{where}: unknown label {label_text!r} '
                               f'(known: {", ".join(CAERS_CLASSES)} or their '
                               'indices).')
    try:
        box = tuple(float(value) for value in fields[2:])
    except ValueError as error:
        raise CaersFormatError(
            f'{where}: x1,y1,x2,y2 must be numbers, got {fields[2:]!r}.'
        ) from error
    if not all(math.isfinite(value) for value in box):
        raise CaersFormatError(
            f'{where}: x1,y1,x2,y2 must be finite numbers, got '
            f'{fields[2:]!r}.')
    return label, box


def read_boxes(path: str, root: str, skipped: Counter) -> Dict[str, BoxLine]:
    """Read the box file.

    Args:
        path (str): The CSV file.
        root (str): CAER-S root (to relativise absolute paths).
        skipped (Counter): Skip counts, updated with repeated lines.

    Returns:
        dict[str, BoxLine]: (line number, label, box) per image path.
    """
    boxes: Dict[str, BoxLine] = {}
    try:
        with open(path, newline='', encoding='utf-8') as file:
            rows = list(csv.reader(file))
    except (OSError, UnicodeDecodeError) as error:
        raise CaersFormatError(f'{path}: cannot read it ({error}).')
    for number, fields in enumerate(rows, start=1):
        if not fields or not ''.join(fields).strip():
            continue
        if number == 1 and fields[0].strip().lower() == CSV_FIELDS[0]:
            continue
        label, box = parse_box_line(fields, f'{path}:{number}')
        image_path = normalise_path(fields[0], root)
        if image_path in boxes:
            skipped[DUPLICATE] += 1
            continue
        boxes[image_path] = (number, label, box)
    return boxes


def image_size(path: str) -> Optional[Tuple[int, int]]:
    """(width, height) of an image, None when it cannot be read."""
    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            return image.size
    except (OSError, SyntaxError, ValueError):
        return None


def subject_box(image_path: str, label: int, root: str, boxes: Dict[str,
                                                                    BoxLine],
                whole_image_box: bool, skipped: Counter) -> Optional[tuple]:
    """(width, height, box) of one image, or None when it is skipped."""
    line = boxes.get(image_path)
    if line is None and not whole_image_box:
        skipped[NO_BOX] += 1
        return None
    size = image_size(osp.join(root, image_path))
    if size is None:
        skipped[UNREADABLE] += 1
        return None
    width, height = size
    try:
        check_image_size(height, width, image_path)
    except DegenerateImageError:
        skipped[DEGENERATE] += 1
        return None
    if line is None:
        return width, height, (0.0, 0.0, float(width), float(height))
    _, line_label, raw_box = line
    if line_label != label:
        skipped[LABEL_MISMATCH] += 1
        return None
    box = clip_box_xyxy(raw_box, width, height)
    if box is None:
        skipped[BAD_BOX] += 1
        return None
    return width, height, box


def split_train_val(paths: List[str], val_ratio: float,
                    seed: int) -> Tuple[List[str], List[str]]:
    """Randomly carve a validation share out of the training paths."""
    order = np.random.default_rng(seed).permutation(len(paths))
    num_val = int(round(val_ratio * len(paths)))
    val = sorted(paths[i] for i in order[:num_val])
    train = sorted(paths[i] for i in order[num_val:])
    return train, val


def convert(
        root: str, boxes_path: str, val_ratio: float, seed: int,
        whole_image_box: bool) -> Tuple[Dict[str, EmotionCocoWriter], Counter]:
    """Convert CAER-S.

    Args:
        root (str): CAER-S root.
        boxes_path (str): The box CSV file.
        val_ratio (float): Share of training images moved to val.
        seed (int): Seed of the split.
        whole_image_box (bool): Give an image without a box line the whole
            image as its box instead of skipping it.

    Returns:
        tuple: {split: writer} for train/val/test, and the skip counts.
    """
    skipped = Counter({
        NO_BOX: 0,
        UNREADABLE: 0,
        DEGENERATE: 0,
        BAD_BOX: 0,
        LABEL_MISMATCH: 0,
        DUPLICATE: 0,
        MISSING_IMAGE: 0
    })
    images = scan_tree(root)
    boxes = read_boxes(boxes_path, root, skipped)
    skipped[MISSING_IMAGE] = sum(1 for path in boxes if path not in images)
    kept = {}
    for image_path, label in tqdm(images.items(), desc='caers images'):
        subject = subject_box(image_path, label, root, boxes, whole_image_box,
                              skipped)
        if subject is not None:
            kept[image_path] = (label, subject)
    train_paths = [p for p in kept if p.startswith('train/')]
    train, val = split_train_val(train_paths, val_ratio, seed)
    test = [p for p in kept if p.startswith('test/')]
    writers = {}
    for split, paths in (('train', train), ('val', val), ('test', test)):
        writer = EmotionCocoWriter(CAERS_CLASSES, multi_label=False)
        for image_path in paths:
            label, (width, height, box) = kept[image_path]
            image_id = writer.add_image(image_path, width, height)
            writer.add_subject(image_id, box, emotion=label)
        writers[split] = writer
    return writers, skipped


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description="Convert CAER-S and a face-box CSV file to the project's "
        'annotation format.')
    parser.add_argument('--root', required=True, help='CAER-S root folder')
    parser.add_argument(
        '--boxes', required=True, help='CSV file path,label,x1,y1,x2,y2')
    parser.add_argument(
        '--out-dir', required=True, help='folder of caers_{split}.json')
    parser.add_argument(
        '--val-ratio',
        type=float,
        default=0.1,
        help='share of the training images used for validation')
    parser.add_argument(
        '--seed', type=int, default=42, help='seed of the train/val split')
    parser.add_argument(
        '--whole-image-box',
        action='store_true',
        help='give an image without a box line the whole image as its box '
        '(default: skip it)')
    args = parser.parse_args(argv)
    if not 0.0 <= args.val_ratio < 1.0:
        parser.error('--val-ratio must lie in [0, 1)')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Convert, write the three files together and print a closing count."""
    args = parse_args(argv)
    try:
        writers, skipped = convert(args.root, args.boxes, args.val_ratio,
                                   args.seed, args.whole_image_box)
    except CaersFormatError as error:
        sys.exit(f'caers_to_coco: {error}')
    out_paths = {
        split: osp.join(args.out_dir, f'caers_{split}.json')
        for split in writers
    }
    try:
        write_annotation_files(
            {out_paths[split]: writer
             for split, writer in writers.items()})
    except (OSError, ValueError) as error:
        sys.exit(f'caers_to_coco: nothing written to {args.out_dir}: '
                 f'{error}')
    counts = {}
    for split, writer in writers.items():
        counts[f'{split} images (= subjects) -> {out_paths[split]}'] = len(
            writer.images)
    counts.update(
        (f'skipped {reason}', count) for reason, count in skipped.items())
    print(format_counts('CAER-S:', counts))


if __name__ == '__main__':
    main()
