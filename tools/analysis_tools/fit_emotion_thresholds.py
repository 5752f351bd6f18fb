"""Fit per-class decision thresholds of a multi-label emotion model.

    python tools/analysis_tools/fit_emotion_thresholds.py CONFIG CHECKPOINT \
        [--split val] [--out FILE] [--into-checkpoint]

runs the model on a split of the config (``val`` by default), matches each
ground-truth subject with its prediction as the metric's GT-matched protocol
does (the prediction of highest IoU), and picks for each emotion class the
threshold that maximises the class's F1 on that split. It prints per class
the F1 at 0.5 and at the fitted threshold, and writes the thresholds (class
name → threshold):

- by default as JSON beside the checkpoint, ``<checkpoint>_thresholds.json``
  (or ``--out``), where :class:`mmdsct.apis.EmotionInferencer` finds them;
- with ``--into-checkpoint``, into a copy of the checkpoint
  (``<checkpoint>_with_thresholds.pth``, or ``--out``), as
  ``meta['emotion_thresholds']``, written atomically.

A class without positives in the split keeps 0.5 (its F1 is undefined).
Single-label models predict the most probable class and need no
thresholds; the tool says so and fits them all the same.
"""
import argparse
import io
import logging
import os.path as osp
import sys
from typing import List, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config, DictAction
from mmengine.fileio import dump
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmengine.utils import ProgressBar

import mmdsct  # noqa: F401  (registers the project's modules)
from mmdsct.apis import init_emotion_model
from mmdsct.apis.emotion_inferencer import thresholds_file_for
from mmdsct.evaluation.functional.decision_thresholds import (
    CHECKPOINT_META_KEY, DEFAULT_THRESHOLD, f1_per_class,
    fit_decision_thresholds, macro_f1, predict_label_sets, thresholds_to_dict)
from mmdsct.evaluation.metrics.image_emotion_record import (
    ImageEmotionRecord, record_from_data_sample)
from mmdsct.evaluation.metrics.subject_scores import score_subjects
from mmdsct.utils import atomic_write_bytes, load_from_local_weights_only
from mmdsct.visualization import emotion_class_names

#: Suffix of the checkpoint copy that holds the thresholds.
CHECKPOINT_COPY_SUFFIX = '_with_thresholds.pth'
#: IoU threshold of the detection-aware protocol (not used for fitting).
UNUSED_IOU_THR = 0.5
PERCENT = 100.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Fit per-class emotion decision thresholds (best F1 '
        'per class) on a split of the config')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file (local)')
    parser.add_argument(
        '--split',
        choices=['val', 'test', 'train'],
        default='val',
        help='the <split>_dataloader of the config to fit on')
    parser.add_argument(
        '--out',
        help='output file: JSON (default <checkpoint>_thresholds.json), or '
        'with --into-checkpoint a .pth (default '
        f'<checkpoint>{CHECKPOINT_COPY_SUFFIX})')
    parser.add_argument(
        '--into-checkpoint',
        action='store_true',
        help='write a copy of the checkpoint holding the thresholds in '
        f'meta["{CHECKPOINT_META_KEY}"] instead of a JSON file')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs')
    args = parser.parse_args()
    if args.out is None:
        args.out = (
            osp.splitext(args.checkpoint)[0] + CHECKPOINT_COPY_SUFFIX
            if args.into_checkpoint else thresholds_file_for(args.checkpoint))
    wanted = '.pth' if args.into_checkpoint else '.json'
    if not args.out.endswith(wanted):
        parser.error(f'--out must end with {wanted}, got {args.out}')
    return args


def collect_records(model: nn.Module, cfg: Config,
                    split: str) -> List[ImageEmotionRecord]:
    """Run the model on a split; one record per image, with ground truth.

    Args:
        model (nn.Module): The emotion model, in eval mode.
        cfg (Config): Its config, with ``<split>_dataloader``.
        split (str): ``'val'``, ``'test'`` or ``'train'``.

    Returns:
        list[ImageEmotionRecord]: Predictions and ground truth per image.
    """
    loader_cfg = cfg.get(f'{split}_dataloader')
    if not loader_cfg:
        sys.exit(f'error: the config has no {split}_dataloader')
    loader_cfg = loader_cfg.copy()
    if split == 'train':  # the test pipeline: no augmentation
        loader_cfg.dataset.pipeline = cfg.test_dataloader.dataset.pipeline
        loader_cfg.sampler = dict(type='DefaultSampler', shuffle=False)
    loader = Runner.build_dataloader(loader_cfg)
    num_classes = len(model.dataset_meta['emotion_classes'])
    records = []
    progress = ProgressBar(len(loader.dataset))
    with torch.no_grad():
        for batch in loader:
            for sample in model.test_step(batch):
                records.append(record_from_data_sample(sample, num_classes))
                progress.update()
    print()
    return records


def matched_scores(
        records: List[ImageEmotionRecord],
        num_classes: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GT-matched emotion scores of every ground-truth subject.

    Returns:
        tuple: scores [G, C] (zeros where the image has no prediction),
        targets [G, C] and whether each GT has a prediction [G].
    """
    subjects = score_subjects(records, num_classes, UNUSED_IOU_THR)
    return subjects.scores, subjects.targets, subjects.has_prediction


def format_table(class_names: List[str], positives: np.ndarray,
                 thresholds: np.ndarray, f1_default: np.ndarray,
                 f1_fitted: np.ndarray) -> str:
    """Per-class thresholds and F1 (percent) as a text table."""
    width = max([len(name) for name in class_names] + [len('macro F1')])
    lines = [
        f'{"class":<{width}}  positives  threshold  '
        f'F1@{DEFAULT_THRESHOLD}  F1@threshold'
    ]
    for name, count, threshold, before, after in zip(class_names, positives,
                                                     thresholds, f1_default,
                                                     f1_fitted):
        lines.append(f'{name:<{width}}  {int(count):9d}  {threshold:9.4f}  '
                     f'{before * PERCENT:6.2f}  {after * PERCENT:12.2f}')
    lines.append(f'{"macro F1":<{width}}  {"":9}  {"":9}  '
                 f'{macro_f1(f1_default) * PERCENT:6.2f}  '
                 f'{macro_f1(f1_fitted) * PERCENT:12.2f}')
    return '\n'.join(lines)


def write_into_checkpoint(checkpoint: str, thresholds: dict, out: str) -> None:
    """Write a copy of ``checkpoint`` with the thresholds in its meta."""
    content = load_from_local_weights_only(checkpoint, map_location='cpu')
    if not isinstance(content.get('meta'), dict):
        content['meta'] = {}
    content['meta'][CHECKPOINT_META_KEY] = thresholds
    buffer = io.BytesIO()
    torch.save(content, buffer)
    atomic_write_bytes(buffer.getvalue(), out)


def main() -> None:
    args = parse_args()
    model = init_emotion_model(args.config, args.checkpoint, args.device,
                               args.cfg_options)
    records = collect_records(model, model.cfg, args.split)
    class_names = emotion_class_names(
        model.dataset_meta.get('emotion_classes'),
        len(model.dataset_meta['emotion_classes']))
    scores, targets, has_prediction = matched_scores(records, len(class_names))
    if not model.dataset_meta.get('multi_label', True):
        print_log(
            'The data is single-label: the model predicts the most probable '
            'class, and these thresholds are not used by the inferencer.',
            logger='current',
            level=logging.WARNING)
    thresholds, f1_fitted = fit_decision_thresholds(scores, targets,
                                                    has_prediction)
    f1_default = f1_per_class(
        predict_label_sets(scores, None, True, has_prediction), targets)
    print(f'{len(targets)} ground-truth subjects in {len(records)} images '
          f'of the {args.split} split\n' +
          format_table(class_names, targets.sum(
              axis=0), thresholds, f1_default, f1_fitted))
    mapping = thresholds_to_dict(thresholds, class_names)
    if args.into_checkpoint:
        write_into_checkpoint(args.checkpoint, mapping, args.out)
    else:
        dump(mapping, args.out, indent=2)
    print(f'Thresholds written to {args.out}')


if __name__ == '__main__':
    main()
