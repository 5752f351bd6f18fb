"""Find the subjects in images, read their emotions, and draw them.

    python tools/infer.py IMAGE_OR_DIR CONFIG CHECKPOINT --out-dir D

writes one drawing per image (``D/<name>.png``: each subject's box, score
and top emotions; ``--draw-context`` adds the context points DSCT chose) and
``D/predictions.json``, holding per image the subjects that
:func:`mmdsct.apis.inference_emotion` returns. A directory is searched
recursively for images; files in it that cannot be read are skipped and
counted. A single image that cannot be read is an error.
"""
import argparse
import logging
import os.path as osp
import sys
from typing import Dict, List, Tuple

import numpy as np
from mmengine.config import Config, DictAction
from mmengine.fileio import dump
from mmengine.logging import print_log
from mmengine.utils import ProgressBar, mkdir_or_exist

import mmdsct  # noqa: F401  (registers the project's modules)
from mmdsct.apis import (IMAGE_EXTENSIONS, UnreadableImageError,
                         inference_emotion, init_emotion_model, list_images,
                         load_image)
from mmdsct.visualization import EmotionVisualizer

#: Settings of the config's visualiser that do not apply to a drawing tool.
RUN_ONLY_VISUALIZER_KEYS = ('type', 'name', 'vis_backends', 'save_dir')
#: Format of the drawings.
DRAWING_EXTENSION = '.png'
#: How many skipped files the closing warning names.
MAX_SKIPPED_NAMED = 10


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw the subjects and emotions a model finds in images')
    parser.add_argument('image', help='an image file or a directory of them')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file (local)')
    parser.add_argument(
        '--out-dir', required=True, help='where drawings and JSON go')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='keep and draw subjects scoring at least this')
    parser.add_argument(
        '--topk',
        type=int,
        default=None,
        help='emotions listed per subject (default: the visualiser\'s, 3)')
    parser.add_argument(
        '--draw-context',
        action='store_true',
        help='draw the context points of the spatial and semantic relations')
    parser.add_argument(
        '--show', action='store_true', help='also show each drawing')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=0,
        help='seconds to show each drawing with --show (0: until a key)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    return parser.parse_args()


def collect_images(source: str) -> Tuple[List[str], bool]:
    """Image files to process and whether ``source`` is a directory.

    Args:
        source (str): An image file or a directory.

    Returns:
        tuple[list[str], bool]: The image paths and the directory flag.
    """
    if osp.isdir(source):
        images = list_images(source)
        if not images:
            sys.exit(f'error: no image files ({", ".join(IMAGE_EXTENSIONS)}) '
                     f'under {source}')
        return images, True
    if not osp.isfile(source):
        sys.exit(f'error: Image {source} does not exist.')
    return [source], False


def read_image_or_exit(path: str) -> np.ndarray:
    """Read an image; exit with a message naming it if that fails."""
    try:
        return load_image(path)
    except (FileNotFoundError, UnreadableImageError) as error:
        sys.exit(f'error: {error}')


def drawing_names(images: List[str], source: str,
                  is_dir: bool) -> Dict[str, str]:
    """Output file name of each image's drawing, unique within the run.

    ``dir/sub/a.jpg`` becomes ``sub/a.png``; if two images share a stem
    (``a.jpg``, ``a.png``), the later one becomes ``a_png.png``.

    Args:
        images (list[str]): Image paths.
        source (str): The directory they were found in, or the image.
        is_dir (bool): Whether ``source`` is a directory.

    Returns:
        dict[str, str]: Image path → drawing path relative to the out dir.
    """
    names: Dict[str, str] = {}
    used = set()
    for path in images:
        relative = osp.relpath(path, source) if is_dir else osp.basename(path)
        stem, extension = osp.splitext(relative)
        name = stem + DRAWING_EXTENSION
        if name in used:
            name = f'{stem}_{extension.lstrip(".")}{DRAWING_EXTENSION}'
        used.add(name)
        names[path] = name
    return names


def build_visualizer(cfg: Config, dataset_meta: dict,
                     args: argparse.Namespace) -> EmotionVisualizer:
    """An :class:`EmotionVisualizer` with the config's drawing settings.

    Args:
        cfg (Config): The model's config; its ``visualizer`` settings are
            used when it is an ``EmotionVisualizer``.
        dataset_meta (dict): Class and emotion names.
        args (argparse.Namespace): ``--topk`` and ``--draw-context``.

    Returns:
        EmotionVisualizer: The visualiser.
    """
    settings = {}
    vis_cfg = cfg.get('visualizer') or {}
    if str(vis_cfg.get('type', '')).split('.')[-1] == 'EmotionVisualizer':
        settings = {
            key: value
            for key, value in vis_cfg.items()
            if key not in RUN_ONLY_VISUALIZER_KEYS
        }
    if args.topk is not None:
        settings['topk'] = args.topk
    if args.draw_context:
        settings['draw_context_points'] = True
    visualizer = EmotionVisualizer(name='mmdsct_infer', **settings)
    visualizer.dataset_meta = dataset_meta
    return visualizer


def warn_skipped(skipped: List[dict]) -> None:
    """Log how many files were skipped and name the first few."""
    if not skipped:
        return
    named = '; '.join(entry['reason'] for entry in skipped[:MAX_SKIPPED_NAMED])
    more = len(skipped) - MAX_SKIPPED_NAMED
    print_log(
        f'Skipped {len(skipped)} unreadable image file(s): {named}' +
        (f'; and {more} more (see predictions.json)' if more > 0 else ''),
        logger='current',
        level=logging.WARNING)


def main() -> None:
    args = parse_args()
    images, is_dir = collect_images(args.image)
    if not is_dir:
        read_image_or_exit(images[0])  # fail before the model is built
    names = drawing_names(images, args.image, is_dir)
    mkdir_or_exist(args.out_dir)

    model = init_emotion_model(args.config, args.checkpoint, args.device,
                               args.cfg_options)
    visualizer = build_visualizer(model.cfg, model.dataset_meta, args)

    records, skipped = [], []
    progress = ProgressBar(len(images))
    for path in images:
        try:
            image = load_image(path)
        except (FileNotFoundError, UnreadableImageError) as error:
            skipped.append(dict(image=path, reason=str(error)))
            progress.update()
            continue
        subjects, data_sample = inference_emotion(
            model, image, score_thr=args.score_thr, return_datasamples=True)
        drawing = osp.join(args.out_dir, names[path])
        visualizer.add_datasample(
            osp.basename(path),
            image[..., ::-1],  # BGR -> RGB
            data_sample,
            draw_gt=False,
            show=args.show,
            wait_time=args.wait_time,
            out_file=drawing,
            pred_score_thr=args.score_thr)
        records.append(
            dict(
                image=path,
                drawing=drawing,
                width=int(image.shape[1]),
                height=int(image.shape[0]),
                subjects=subjects))
        progress.update()
    print()

    predictions_file = osp.join(args.out_dir, 'predictions.json')
    emotion_classes = model.dataset_meta.get('emotion_classes', ())
    dump(
        dict(
            config=args.config,
            checkpoint=args.checkpoint,
            score_thr=args.score_thr,
            emotion_classes=list(emotion_classes),
            images=records,
            skipped=skipped),
        predictions_file,
        indent=2)
    warn_skipped(skipped)
    print(f'{len(records)} image(s) drawn into {args.out_dir}; predictions '
          f'in {predictions_file}')


if __name__ == '__main__':
    main()
