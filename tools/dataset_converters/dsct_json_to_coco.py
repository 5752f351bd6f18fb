"""Convert the DSCT authors' EMOTIC JSON files to the project's format.

The DSCT release (docs/annotation_format.md,
``emotic_{train,val,test}_bi.json``) is COCO-style: the ``bbox``
[x, y, w, h] is the subject's head box, and the ``category_id`` packs the 26
EMOTIC labels (the union over annotators) as a 26-bit integer with Affection
as the most significant bit, so class k is on when
``format(category_id, '026b')[k] == '1'``. It has no VAD.

Output: the same images (``file_name`` unchanged, relative to the EMOTIC
image root; ids renumbered from 1) with one ``emotions`` multi-hot vector
per subject. Annotation ids are renumbered from 1 (the release starts at 0,
which pycocotools' evaluation treats as "unmatched").

Dropped and counted: a subject with ``category_id`` 0 (no label), a box
outside the image or of zero area (a box partly outside is clipped), and an
image left with no subject. A file that is not JSON, a missing key, a
``category_id`` that is not an integer in [0, 2**26), an annotation of an
unknown image, or a value of the wrong kind (``images``/``annotations`` not
lists, an id that is not an integer, a ``file_name`` that is not text, a
size that is not a positive finite number, a ``bbox`` that is not four
finite numbers: NaN, infinity, text) stops the conversion with an error
naming the file and entry; nothing is written then. The output file is
written atomically (a failed write leaves an older file untouched).

Example::

    python tools/dataset_converters/dsct_json_to_coco.py \
        emotic_test_bi.json data/emotic/annotations/dsct_emotic_test.json
"""
import argparse
import json
import sys
from collections import Counter
from typing import Dict, List, Optional, Sequence

from tqdm import tqdm

from mmdsct.datasets import (EMOTIC_CLASSES, EmotionCocoWriter, all_finite,
                             clip_box_xyxy, format_counts,
                             write_annotation_files)

NUM_BITS = len(EMOTIC_CLASSES)
BOX_VALUES = 4
IMAGE_KEYS = ('id', 'file_name', 'width', 'height')
ANNOTATION_KEYS = ('image_id', 'bbox', 'category_id')
NO_LABEL = 'subjects without a label (category_id 0)'
BAD_BOX = 'subjects with a box outside the image or of zero area'
EMPTY_IMAGE = 'images left with no subject'


class DsctFormatError(ValueError):
    """The file does not have the structure of DSCT's release."""


def unpack_labels(category_id: int) -> List[int]:
    """26 ints 0/1 of a packed label, Affection (bit 25) first.

    Args:
        category_id (int): Packed label in [0, 2**26).

    Returns:
        list[int]: The multi-hot vector in the order of ``EMOTIC_CLASSES``.
    """
    return [int(bit) for bit in format(category_id, f'0{NUM_BITS}b')]


def load_release(path: str) -> dict:
    """Load a DSCT JSON file and check its top-level keys."""
    try:
        with open(path, encoding='utf-8') as file:
            content = json.load(file)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise DsctFormatError(f'{path}: cannot read it as JSON ({error}).')
    if not isinstance(content, dict):
        raise DsctFormatError(f'{path}: the top level must be an object.')
    missing = [key for key in ('images', 'annotations') if key not in content]
    if missing:
        raise DsctFormatError(f'{path}: lacks the key(s) {missing}.')
    for key in ('images', 'annotations'):
        if not isinstance(content[key], list):
            raise DsctFormatError(f'{path}: {key} must be a list, got '
                                  f'{type(content[key]).__name__}.')
    return content


def _check_keys(entry, keys: Sequence[str], where: str) -> None:
    """Fail when ``entry`` is not an object with ``keys``."""
    if not isinstance(entry, dict):
        raise DsctFormatError(f'{where} must be an object, got {entry!r}.')
    missing = [key for key in keys if key not in entry]
    if missing:
        raise DsctFormatError(f'{where} lacks the key(s) {missing}.')


def _check_id(value, where: str) -> None:
    """Fail when an id is not an integer."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise DsctFormatError(
            f'{where}: an id must be an integer, got {value!r}.')


def _check_image(image: dict, where: str) -> None:
    """Fail on an image entry whose values have the wrong kind."""
    _check_id(image['id'], f'{where}: id')
    if not isinstance(image['file_name'], str) or not image['file_name']:
        raise DsctFormatError(f'{where}: file_name must be a non-empty '
                              f'string, got {image["file_name"]!r}.')
    size = (image['width'], image['height'])
    if not all_finite(size) or min(size) <= 0:
        raise DsctFormatError(
            f'{where} ({image["file_name"]}): width and height must be '
            f'positive finite numbers, got {size[0]!r}x{size[1]!r}.')


def _packed_label(annotation: dict, where: str) -> int:
    """The checked ``category_id`` of an annotation."""
    value = annotation['category_id']
    if (isinstance(value, bool) or not isinstance(value, int)
            or not 0 <= value < 2**NUM_BITS):
        raise DsctFormatError(f'{where}: category_id must be an int in '
                              f'[0, 2**{NUM_BITS}), got {value!r}.')
    return value


def group_by_image(content: dict, path: str) -> Dict[int, List[dict]]:
    """Check images and annotations; annotations per image id, file order.

    Args:
        content (dict): The loaded file.
        path (str): Its path (for messages).

    Returns:
        dict[int, list[dict]]: Annotations of every image id.
    """
    grouped: Dict[int, List[dict]] = {}
    for index, image in enumerate(content['images']):
        _check_keys(image, IMAGE_KEYS, f'{path}: images[{index}]')
        _check_image(image, f'{path}: images[{index}]')
        if image['id'] in grouped:
            raise DsctFormatError(f'{path}: images[{index}]: image id '
                                  f'{image["id"]} appears twice.')
        grouped[image['id']] = []
    for index, annotation in enumerate(content['annotations']):
        where = f'{path}: annotations[{index}]'
        _check_keys(annotation, ANNOTATION_KEYS, where)
        named = (f'{where} (id {annotation["id"]!r})'
                 if 'id' in annotation else where)
        _check_id(annotation['image_id'], f'{named}: image_id')
        if annotation['image_id'] not in grouped:
            raise DsctFormatError(f'{where}: image_id '
                                  f'{annotation["image_id"]} is not among '
                                  'the images.')
        _packed_label(annotation, where)
        bbox = annotation['bbox']
        if (not isinstance(bbox, list) or len(bbox) != BOX_VALUES
                or not all_finite(bbox)):
            raise DsctFormatError(
                f'{named} of image {annotation["image_id"]}: bbox must be '
                f'[x, y, w, h], four finite numbers, got {bbox!r}.')
        grouped[annotation['image_id']].append(annotation)
    return grouped


def convert(content: dict, path: str) -> tuple:
    """Convert a loaded DSCT file.

    Args:
        content (dict): The loaded file.
        path (str): Its path (for messages).

    Returns:
        tuple[EmotionCocoWriter, Counter]: Annotations and skip counts.
    """
    grouped = group_by_image(content, path)
    writer = EmotionCocoWriter(EMOTIC_CLASSES, multi_label=True)
    skipped = Counter({NO_LABEL: 0, BAD_BOX: 0, EMPTY_IMAGE: 0})
    for image in tqdm(content['images'], desc='dsct json'):
        subjects = []
        for annotation in grouped[image['id']]:
            if annotation['category_id'] == 0:
                skipped[NO_LABEL] += 1
                continue
            x, y, w, h = (float(v) for v in annotation['bbox'])
            box = None
            if w > 0 and h > 0:
                box = clip_box_xyxy((x, y, x + w, y + h), image['width'],
                                    image['height'])
            if box is None:
                skipped[BAD_BOX] += 1
                continue
            subjects.append((box, unpack_labels(annotation['category_id'])))
        if not subjects:
            skipped[EMPTY_IMAGE] += 1
            continue
        image_id = writer.add_image(image['file_name'], image['width'],
                                    image['height'])
        for box, emotions in subjects:
            writer.add_subject(image_id, box, emotions=emotions)
    return writer, skipped


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description="Convert a DSCT EMOTIC JSON file (packed 26-bit labels, "
        "head boxes) to the project's annotation format.")
    parser.add_argument(
        'in_json', help='a DSCT file, e.g. emotic_test_bi.json')
    parser.add_argument('out_json', help='output annotation file')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Convert and print a closing count."""
    args = parse_args(argv)
    try:
        writer, skipped = convert(load_release(args.in_json), args.in_json)
    except DsctFormatError as error:
        sys.exit(f'dsct_json_to_coco: {error}')
    try:
        write_annotation_files({args.out_json: writer})
    except (OSError, ValueError) as error:
        sys.exit(f'dsct_json_to_coco: {args.out_json} not written: {error}')
    counts = dict(images=len(writer.images), subjects=len(writer.annotations))
    counts.update(
        (f'skipped {reason}', count) for reason, count in skipped.items())
    print(format_counts(f'{args.in_json} -> {args.out_json}:', counts))


if __name__ == '__main__':
    main()
