"""Find the subjects in images or videos, read their emotions, draw them.

    python tools/infer.py INPUT MODEL [WEIGHTS] --out-dir D

INPUT is an image, a folder of images (searched recursively; files that
cannot be read are skipped and counted), a video file, or a webcam index
(``0``); MODEL a config file or the name of a model of the zoo
(``model-index.yml``); WEIGHTS a checkpoint file (or URL). Writes, through
:class:`mmdsct.apis.EmotionInferencer`, one drawing per image
(``D/<name>.png``: each subject's box, score and predicted emotions, and
its valence/arousal/dominance when the model predicts them, e.g. the
configs of ``configs/dsct_vad``; ``--draw-context`` adds the context points
DSCT chose) or the annotated video (``D/<name>.mp4``, ``.avi`` for an
``.avi`` input), and ``D/predictions.json`` (per subject ``bbox``,
``score``, ``emotions``, ``labels`` and, with VAD, ``vad`` [v, a, d]). A
single image or video that cannot be read is an error. ``--show`` shows
the drawings (a webcam live; Esc or q stops it).
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

import mmdsct  # noqa: F401  (registers the project's modules)
from mmdsct.apis import UnreadableImageError, load_image
from mmdsct.apis.emotion_inferencer import (PREDICTIONS_FILE,
                                            EmotionInferencer, resolve_source)
from mmdsct.apis.video_io import UnreadableVideoError
from mmdsct.utils import enable_safe_checkpoint_io


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw the subjects and emotions a model finds in '
        'images, a video or a webcam')
    parser.add_argument(
        'inputs',
        help='an image, a folder of images, a video file, or a webcam '
        'index (e.g. 0)')
    parser.add_argument(
        'model', help='config file, or a model name from model-index.yml')
    parser.add_argument(
        'weights',
        nargs='?',
        default=None,
        help='checkpoint file or URL (default: the model index\'s weights '
        'for a model name; none: initial weights)')
    parser.add_argument(
        '--out-dir', default='', help='where drawings, videos and JSON go')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='keep and draw subjects scoring at least this')
    parser.add_argument(
        '--thresholds',
        help='JSON of per-class decision thresholds (default: the '
        'checkpoint\'s, else <checkpoint>_thresholds.json, else 0.5)')
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
        '--show',
        action='store_true',
        help='also show the drawings (a video or webcam in a window)')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=0,
        help='seconds to show each image with --show (0: until a key)')
    parser.add_argument(
        '--max-frames',
        type=int,
        default=None,
        help='stop a video or webcam after this many frames')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    args = parser.parse_args()
    if not args.out_dir and not args.show:
        parser.error('nothing to do: give --out-dir, --show or both')
    return args


def check_inputs(inputs: str):
    """Sort out the input and read a single image, exiting with a message
    naming it if that fails (before the model is built)."""
    try:
        source = resolve_source(inputs)
        if source.kind == 'images' and source.folder is None:
            load_image(source.items[0])
    except (FileNotFoundError, UnreadableImageError, ValueError) as error:
        sys.exit(f'error: {error}')
    return source


def main() -> None:
    args = parse_args()
    # Weights-only loading (on since ``import mmdsct``) and atomic writes
    # of every local file mmengine writes, for this process.
    enable_safe_checkpoint_io()
    source = check_inputs(args.inputs)
    inferencer = EmotionInferencer(
        args.model,
        args.weights,
        device=args.device,
        thresholds=args.thresholds,
        cfg_options=args.cfg_options)
    if args.topk is not None:
        inferencer.visualizer.topk = args.topk
    if args.draw_context:
        inferencer.visualizer.draw_context_points = True
    try:
        result = inferencer(
            args.inputs,
            out_dir=args.out_dir,
            show=args.show,
            wait_time=args.wait_time,
            pred_score_thr=args.score_thr,
            max_frames=args.max_frames)
    except (FileNotFoundError, UnreadableVideoError) as error:
        sys.exit(f'error: {error}')
    done = f'{len(result["predictions"])} ' + ('image(s)' if source.kind
                                               == 'images' else 'frame(s)')
    if args.out_dir:
        print(f'{done} drawn into {args.out_dir}; predictions in '
              f'{osp.join(args.out_dir, PREDICTIONS_FILE)}')
    else:
        print(f'{done} shown')


if __name__ == '__main__':
    main()
