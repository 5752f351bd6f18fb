"""Convert a checkpoint of mmdet's single-stage DeformableDETR for DSCT.

The object queries become DSCT's context queries; backbone, neck, encoder
and decoder are kept; the COCO head is left out, so DSCT's subject queries
and head start fresh. The report lists the keys taken, renamed, left out
and (with ``--config``) newly initialised.

Example::

    python tools/model_converters/deformable_detr_to_dsct.py \
        deformable-detr_r50_16xb2-50e_coco_20221029_210934-6bc7d21b.pth \
        checkpoints/dsct_r50_init.pth --config configs/dsct/dsct_r50_emotic.py

DSCT also maps such a checkpoint on the fly when it is given as
``load_from``; converting once offline makes the result inspectable.
"""
import argparse
import io
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional

import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.runner import CheckpointLoader
from torch import Tensor

import mmdsct  # noqa: F401  (registers DSCT)
from mmdsct.models.utils import map_deformable_detr_state_dict
from mmdsct.utils import atomic_write_bytes

WRAPPER_PREFIX = 'module.'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Map an mmdet DeformableDETR checkpoint onto DSCT')
    parser.add_argument('src', help='DeformableDETR checkpoint (.pth or URL)')
    parser.add_argument('dst', help='where to write the DSCT checkpoint')
    parser.add_argument(
        '--config',
        help='DSCT config: checks the shapes and lists the keys that start '
        'fresh')
    parser.add_argument(
        '--num-context-queries',
        type=int,
        help='keep only the first N object queries (default: the config\'s '
        'count, or all of them)')
    return parser.parse_args()


def read_state_dict(path: str) -> 'OrderedDict[str, Tensor]':
    """The model weights of a checkpoint, without wrapper prefixes.

    Loads through mmengine's checkpoint loaders: local files with the
    project's weights-only loader (registered by ``import mmdsct``), URLs
    with mmengine's download cache.

    Args:
        path (str): Checkpoint file or URL (mmengine checkpoint or plain
            state dict).

    Returns:
        OrderedDict[str, Tensor]: The state dict.
    """
    checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, dict) or not all(
            isinstance(value, Tensor) for value in state_dict.values()):
        raise ValueError(f'{path}: no state dict of tensors found.')
    return OrderedDict(
        (key[len(WRAPPER_PREFIX):] if key.startswith(WRAPPER_PREFIX) else key,
         value) for key, value in state_dict.items())


def dsct_shapes(config_path: str) -> Dict[str, torch.Size]:
    """Build the DSCT of a config (no weights loaded) and list its shapes.

    Args:
        config_path (str): DSCT config file.

    Returns:
        dict[str, torch.Size]: Shape of every state-dict entry.
    """
    register_all_modules()
    cfg = Config.fromfile(config_path)
    model = MODELS.build(cfg.model)
    return {key: value.shape for key, value in model.state_dict().items()}


def shape_mismatches(mapped: Dict[str, Tensor],
                     shapes: Dict[str, torch.Size]) -> List[str]:
    """Keys whose converted shape differs from DSCT's."""
    return [
        f'{key}: checkpoint {tuple(value.shape)} vs DSCT '
        f'{tuple(shapes[key])}' for key, value in mapped.items()
        if key in shapes and value.shape != shapes[key]
    ]


def convert(src: str,
            dst: str,
            config: Optional[str] = None,
            num_context_queries: Optional[int] = None) -> str:
    """Convert ``src`` to ``dst``; return the report.

    Args:
        src (str): DeformableDETR checkpoint.
        dst (str): Output path.
        config (str, optional): DSCT config for shapes and fresh keys.
        num_context_queries (int, optional): Object queries to keep.

    Returns:
        str: The mapping report.
    """
    state_dict = read_state_dict(src)
    shapes = dsct_shapes(config) if config else None
    if num_context_queries is None and shapes is not None:
        num_context_queries = shapes['context_query_embedding.weight'][0]
    mapped, report = map_deformable_detr_state_dict(
        state_dict, num_context_queries,
        shapes.keys() if shapes is not None else None)
    if shapes is not None:
        mismatches = shape_mismatches(mapped, shapes)
        if mismatches:
            raise ValueError(f'{src} does not fit {config}:\n  ' +
                             '\n  '.join(mismatches))
    buffer = io.BytesIO()
    torch.save(
        dict(
            state_dict=mapped,
            meta=dict(
                converted_from=osp.basename(src),
                left_out=report.left_out,
                renamed=report.renamed)), buffer)
    atomic_write_bytes(buffer.getvalue(), dst)
    summary = report.summary()
    if shapes is None:
        summary += ('\n  (pass --config to list the DSCT keys that start '
                    'fresh: the subject queries and the head)')
    return summary


def main() -> None:
    args = parse_args()
    print(convert(args.src, args.dst, args.config, args.num_context_queries))
    print(f'Saved {args.dst}')


if __name__ == '__main__':
    main()
