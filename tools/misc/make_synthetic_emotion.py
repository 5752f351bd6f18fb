"""Generate the synthetic context-emotion dataset (docs/annotation_format.md).

Each image is a small square scene (default 128 px): a sky band at the top
and ground below, with 1 to 4 "persons" (a head, a body, legs and arms) on
the ground. Every person is a subject with a box. Its emotion labels come
from documented rules (``mmdsct/datasets/synthetic/rules.py``, and the
``synthetic_rules`` entry of every JSON file):

* multi-label (default), 8 classes; each cue is an independent coin flip:
  ``subject_only`` classes are read from the person (Happiness: yellow face,
  Excitement: raised arms, Confidence: black hat, Anger: red body);
  ``context_only`` classes only from outside the person's box (Affection:
  a pink balloon next to it, Fear: a fire next to it, Peace: a tree next to
  it, Fatigue: a night sky over the scene).
* ``--single-label``: the 7 classes of CAER-S. A context object next to the
  subject decides (fire: Fear, green slime: Disgust, rain cloud: Sad);
  without one, a subject cue decides (yellow face: Happy, red body: Anger,
  raised arms: Surprise); with neither it is Neutral. Each class has
  probability 1/7.

"Next to" means outside every box, 1 to ``near_px`` pixels from this
subject's box and at least ``separation_px`` pixels from every other box
(values in the JSON's ``info.geometry``); decoy objects far from everyone
label nobody, so the presence of an object somewhere in the image is not
enough. The pixels inside a subject's box never depend on the context
labels: a classifier that sees only the box crop cannot do better than
chance on ``context_only`` classes.

Output: ``OUT_DIR/images/{train,test}/NNNNNN.png`` (PNG) and
``OUT_DIR/annotations/synth_{train,test}.json`` in the project's format,
``file_name`` relative to ``OUT_DIR``. Deterministic per seed.

Example::

    python tools/misc/make_synthetic_emotion.py --out-dir data/synth \
        --num-train 1000 --num-test 200 --seed 0
"""
import argparse
import sys
from typing import Optional, Sequence

from mmdsct.datasets import format_counts
from mmdsct.datasets.synthetic import generate_dataset
from mmdsct.datasets.synthetic.generator import (DEFAULT_DECOY_PROB,
                                                 DEFAULT_IMAGE_SIZE,
                                                 DEFAULT_MAX_SUBJECTS)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Generate the synthetic context-emotion dataset.')
    parser.add_argument('--out-dir', required=True, help='dataset root')
    parser.add_argument(
        '--num-train', type=int, default=1000, help='training images')
    parser.add_argument(
        '--num-test', type=int, default=200, help='test images')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--single-label',
        action='store_true',
        help='7 CAER-S classes, one per subject (default: 8 multi-label '
        'classes)')
    parser.add_argument(
        '--image-size',
        type=int,
        default=DEFAULT_IMAGE_SIZE,
        help='side of the square images in pixels (at least 64)')
    parser.add_argument(
        '--max-subjects',
        type=int,
        default=DEFAULT_MAX_SUBJECTS,
        help='up to this many subjects per image')
    parser.add_argument(
        '--decoy-prob',
        type=float,
        default=DEFAULT_DECOY_PROB,
        help='probability of a decoy object far from every subject')
    args = parser.parse_args(argv)
    if args.num_train < 0 or args.num_test < 0:
        parser.error('--num-train and --num-test must not be negative')
    if args.max_subjects < 1:
        parser.error('--max-subjects must be at least 1')
    if not 0.0 <= args.decoy_prob <= 1.0:
        parser.error('--decoy-prob must lie in [0, 1]')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Generate the dataset and print a closing count."""
    args = parse_args(argv)
    try:
        summary = generate_dataset(
            args.out_dir,
            args.num_train,
            args.num_test,
            args.seed,
            single_label=args.single_label,
            image_size=args.image_size,
            max_subjects=args.max_subjects,
            decoy_prob=args.decoy_prob)
    except ValueError as error:
        sys.exit(f'make_synthetic_emotion: {error}')
    for split, (num_images, num_subjects, per_class) in summary.items():
        counts = dict(images=num_images, subjects=num_subjects)
        counts.update((f'subjects with {name}', count)
                      for name, count in per_class.items())
        print(format_counts(f'{split} ({args.out_dir}):', counts))


if __name__ == '__main__':
    main()
