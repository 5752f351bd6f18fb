"""Draw a dataset's ground truth as the model sees it: after the pipeline.

Each sample is drawn by the config's ``EmotionVisualizer``: every subject's
box and the names of its emotions (and VAD, when the data has it). Use it to
check a converted dataset or a new pipeline (crops and flips must keep the
emotions with their boxes). A test pipeline that loads the annotations after
its resize (as mmdsct's do) keeps the boxes in original pixels; its images
are then drawn at their original size.

Example::

    python tools/analysis_tools/browse_dataset.py \\
        configs/dsct/dsct_tiny_synth.py --output-dir work_dirs/browse \\
        --not-show --max-images 20
"""
import argparse
import os.path as osp
from typing import Optional, Sequence

import mmcv
import numpy as np
from mmdet.registry import DATASETS, VISUALIZERS
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar

import mmdsct  # noqa: F401  (registers the project's modules)

SPLITS = ('train', 'val', 'test')
ANNOTATION_LOADERS = ('LoadEmotionAnnotations', 'LoadAnnotations')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw the ground-truth subjects and emotions of a '
        'dataset')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--split',
        choices=SPLITS,
        default='train',
        help='which dataloader\'s dataset to browse (default: train)')
    parser.add_argument(
        '--output-dir', help='save the drawings here (one per image)')
    parser.add_argument(
        '--not-show', action='store_true', help='do not show the drawings')
    parser.add_argument(
        '--show-interval',
        type=float,
        default=2,
        help='seconds each drawing is shown')
    parser.add_argument(
        '--max-images',
        type=int,
        help='draw only the first N samples (default: all)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    args = parser.parse_args(argv)
    if args.not_show and not args.output_dir:
        parser.error('with --not-show, give --output-dir (nothing to do '
                     'otherwise)')
    if args.max_images is not None and args.max_images < 1:
        parser.error(f'--max-images must be at least 1, got '
                     f'{args.max_images}')
    return args


def output_name(img_path: str, img_root: str) -> str:
    """The drawing's file name: the image's path under the image root.

    Keeping sub-folders apart matters for EMOTIC, whose source databases
    reuse file names.

    Args:
        img_path (str): The image file.
        img_root (str): The dataset's image folder.

    Returns:
        str: A relative path.
    """
    if img_root and osp.abspath(img_path).startswith(
            osp.abspath(img_root) + osp.sep):
        return osp.relpath(img_path, img_root)
    return osp.basename(img_path)


def boxes_in_original_pixels(pipeline: Sequence[dict]) -> bool:
    """Whether a pipeline loads the annotations after resizing the image.

    mmdsct's test pipelines do so, as mmdet's do: the ground-truth boxes
    then stay in original-image pixels while the image is resized.

    Args:
        pipeline (Sequence[dict]): Transform configs.

    Returns:
        bool: True if a ``*Resize*`` transform comes before the annotation
        loader.
    """
    resized = False
    for transform in pipeline:
        kind = str(transform.get('type', ''))
        if kind in ANNOTATION_LOADERS:
            return resized
        resized = resized or 'Resize' in kind
    return False


def sample_image(item: dict, original_size: bool) -> np.ndarray:
    """The image of a pipeline output, RGB [H, W, 3].

    Args:
        item (dict): ``inputs`` (BGR [3, H, W]) and ``data_samples``.
        original_size (bool): Resize it back to ``ori_shape`` (when the
            boxes are in original pixels).

    Returns:
        np.ndarray: The image.
    """
    image = item['inputs'].permute(1, 2, 0).numpy()[..., ::-1]  # RGB
    if original_size:
        height, width = item['data_samples'].ori_shape[:2]
        image = mmcv.imresize(np.ascontiguousarray(image), (width, height))
    return image


def browse(cfg: Config,
           split: str = 'train',
           output_dir: Optional[str] = None,
           show: bool = False,
           show_interval: float = 2,
           max_images: Optional[int] = None) -> int:
    """Draw the ground truth of the first ``max_images`` samples.

    Args:
        cfg (Config): The config.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        output_dir (str, optional): Where to save the drawings.
        show (bool): Show each drawing in a window.
        show_interval (float): Seconds each drawing is shown.
        max_images (int, optional): How many samples; all by default.

    Returns:
        int: The number of samples drawn.
    """
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    dataset_cfg = cfg[f'{split}_dataloader'].dataset
    dataset = DATASETS.build(dataset_cfg)
    original_size = boxes_in_original_pixels(dataset_cfg.get('pipeline', []))
    # drawings go to files or a window, not to the visual backends
    visualizer = VISUALIZERS.build(dict(cfg.visualizer, vis_backends=None))
    visualizer.dataset_meta = dataset.metainfo
    visualizer.gt_panel = True
    img_root = dataset.data_prefix.get('img', '') or dataset.data_root or ''
    count = len(dataset) if max_images is None else min(
        max_images, len(dataset))
    progress = ProgressBar(count)
    for index in range(count):
        item = dataset[index]
        sample = item['data_samples'].numpy()
        image = sample_image(item, original_size)
        out_file = None
        if output_dir is not None:
            out_file = osp.join(output_dir,
                                output_name(sample.img_path, img_root))
        visualizer.add_datasample(
            osp.basename(sample.img_path),
            image,
            data_sample=sample,
            draw_pred=False,
            show=show,
            wait_time=show_interval,
            out_file=out_file)
        progress.update()
    return count


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    return browse(cfg, args.split, args.output_dir, not args.not_show,
                  args.show_interval, args.max_images)


if __name__ == '__main__':
    main()
