"""Convert a checkpoint of the authors' DSCT (or Deformable DETR) code.

Two sources, told apart by their keys (``--source`` to insist on one):

- ``dsct``: a released DSCT checkpoint (EMOTIC or CAER-S recipe) becomes an
  mmdsct checkpoint that ``tools/test.py``, ``load_from`` and the inference
  API take as it is;
- ``deformable-detr``: the original Deformable DETR COCO checkpoint
  (``r50_deformable_detr-checkpoint.pth``) becomes DSCT's initial weights,
  as the authors start training: object queries -> context queries, COCO
  heads left out, subject queries and head fresh.

The input is read with weights-only unpickling: tensors, containers and the
``argparse.Namespace`` of the authors' ``args`` entry, nothing else. Every
key is mapped (see :mod:`mmdsct.models.utils.dsct_official_mapping`); a key
the converter does not know stops it, and so does a shape that does not fit
the model of ``--config``. The output holds ``state_dict`` and ``meta``
(emotion classes, the source file and its SHA-256, the authors' epoch and
arguments) and is written atomically.

Examples::

    python tools/model_converters/dsct_official_to_mmdsct.py \\
        emotic_checkpoint.pth checkpoints/dsct_r50_emotic_official.pth \\
        --dataset emotic
    python tools/model_converters/dsct_official_to_mmdsct.py \\
        --source deformable-detr r50_deformable_detr-checkpoint.pth \\
        checkpoints/dsct_r50_init_deformable-detr-coco.pth
"""
import argparse
import copy
import hashlib
import io
import os.path as osp
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from torch import Tensor

import mmdsct
from mmdsct.datasets import CAERSDataset, EmoticDataset
from mmdsct.models.utils import (DEFORMABLE_DETR_LAYOUT, DSCT_LAYOUT,
                                 OFFICIAL_RECIPES, OfficialKeyError,
                                 map_official_deformable_detr_state_dict,
                                 map_official_dsct_state_dict, official_layout,
                                 shape_mismatches)
from mmdsct.utils import (UnsafeCheckpointError, atomic_write_bytes,
                          load_from_local_weights_only)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIGS = {
    'emotic': REPO_ROOT / 'configs' / 'dsct' / 'dsct_r50_emotic.py',
    'caers': REPO_ROOT / 'configs' / 'dsct' / 'dsct_r50_caers.py',
}
DATASET_METAINFO = {
    'emotic': EmoticDataset.METAINFO,
    'caers': CAERSDataset.METAINFO,
}
#: DSCT keys that a Deformable DETR start leaves to initialisation.
FRESH_PREFIXES = ('subject_query_embedding.', 'bbox_head.')
#: Authors' arguments kept in the output's meta.
ARGS_SUMMARY_FIELDS = ('dataset_file', 'binary_flag', 'num_queries',
                       'dec_n_sp', 'dec_n_sm', 'backbone',
                       'num_feature_levels', 'enc_layers', 'dec_layers',
                       'hidden_dim', 'dim_feedforward', 'nheads',
                       'enc_n_points', 'dec_n_points', 'with_box_refine',
                       'two_stage', 'lr', 'lr_backbone', 'batch_size',
                       'epochs', 'lr_drop', 'cls_loss_coef', 'bbox_loss_coef',
                       'giou_loss_coef', 'seed', 'pretrained_weights')
CHECKPOINT_ENTRIES = ('model', 'optimizer', 'lr_scheduler', 'epoch', 'args')
HASH_CHUNK = 1 << 20


class ConversionError(ValueError):
    """The checkpoint does not fit the requested conversion."""


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a checkpoint of the authors\' DSCT code (or '
        'the original Deformable DETR COCO checkpoint) for mmdsct')
    parser.add_argument('src', help='the authors\' checkpoint (.pth)')
    parser.add_argument('dst', help='where to write the mmdsct checkpoint')
    parser.add_argument(
        '--dataset',
        choices=sorted(OFFICIAL_RECIPES),
        help='recipe of a DSCT checkpoint (default: from its class head: '
        '27 rows EMOTIC, 8 rows CAER-S)')
    parser.add_argument(
        '--source',
        choices=('auto', DSCT_LAYOUT, DEFORMABLE_DETR_LAYOUT),
        default='auto',
        help='what the checkpoint is (default: told by its keys)')
    parser.add_argument(
        '--config',
        help='mmdsct config whose model the weights must fit (default: '
        'configs/dsct/dsct_r50_<dataset>.py; EMOTIC\'s for deformable-detr)')
    parser.add_argument(
        '--verbose', action='store_true', help='list every mapped key')
    return parser.parse_args(argv)


def file_sha256(path: str) -> str:
    """SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(HASH_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def read_official_checkpoint(path: str) -> Tuple[Dict[str, Tensor], dict]:
    """Read an authors' checkpoint without running any code in it.

    Args:
        path (str): ``{'model', 'optimizer', 'lr_scheduler', 'epoch',
            'args'}`` as the authors' ``main.py`` saves it, or a bare state
            dict.

    Returns:
        tuple[dict, dict]: The state dict and the other entries.

    Raises:
        UnsafeCheckpointError: If the file holds anything but tensors,
            containers, plain values and ``argparse.Namespace``.
        ConversionError: If no state dict of tensors is found.
    """
    checkpoint = load_from_local_weights_only(
        path, map_location='cpu', extra_globals=[argparse.Namespace])
    if isinstance(checkpoint, Mapping) and isinstance(
            checkpoint.get('model'), Mapping):
        state_dict = dict(checkpoint['model'])
        extras = {k: v for k, v in checkpoint.items() if k != 'model'}
    elif isinstance(checkpoint, Mapping) and checkpoint and all(
            isinstance(value, Tensor) for value in checkpoint.values()):
        state_dict, extras = dict(checkpoint), {}
    else:
        found = (
            sorted(map(str, checkpoint))
            if isinstance(checkpoint, Mapping) else type(checkpoint).__name__)
        raise ConversionError(
            f'{path}: expected the authors\' checkpoint (entries '
            f'{list(CHECKPOINT_ENTRIES)}) or a bare state dict; found '
            f'{found}.')
    return state_dict, extras


def args_summary(args: Any) -> Dict[str, Any]:
    """The authors' training arguments worth keeping, as plain values."""
    values = vars(args) if isinstance(args, argparse.Namespace) else {}
    return {
        name: copy.deepcopy(values[name])
        for name in ARGS_SUMMARY_FIELDS if name in values
    }


def build_target_model(config: str) -> Tuple[Any, Dict[str, torch.Size]]:
    """Build the DSCT of a config (nothing loaded) and list its shapes.

    Returns:
        tuple: The config's model section and ``{key: shape}``.
    """
    register_all_modules()
    cfg = Config.fromfile(config)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    shapes = {key: value.shape for key, value in model.state_dict().items()}
    return cfg.model, shapes


def config_disagreements(model_cfg: Mapping, summary: Mapping) -> List[str]:
    """Settings the authors trained with that the config does not use.

    Shapes cannot show these (the fusion has no weights), so they are
    compared by value.
    """
    decoder = model_cfg.get('decoder', {})
    ours = {
        'dec_n_sp': decoder.get('num_spatial_context'),
        'dec_n_sm': decoder.get('num_semantic_context'),
        'num_queries': model_cfg.get('num_subject_queries'),
        'num_feature_levels': model_cfg.get('num_feature_levels'),
        'dec_layers': decoder.get('num_layers'),
        'enc_layers': model_cfg.get('encoder', {}).get('num_layers'),
    }
    return [
        f'the authors trained with {name}={summary[name]}, the config has '
        f'{value}' for name, value in ours.items()
        if name in summary and value is not None and summary[name] != value
    ]


def check_fit(mapped: Mapping[str, Tensor], shapes: Mapping[str, torch.Size],
              layout: str, config: str) -> List[str]:
    """Refuse weights that do not fit the model; return the fresh keys.

    Raises:
        ConversionError: On a shape or name the model lacks, or (DSCT
            source) a model key the checkpoint does not provide.
    """
    problems = shape_mismatches(mapped, shapes)
    fresh = sorted(key for key in shapes if key not in mapped)
    allowed_fresh = FRESH_PREFIXES if layout == DEFORMABLE_DETR_LAYOUT \
        else ()
    missing = [key for key in fresh if not key.startswith(allowed_fresh)]
    problems += [
        f'{key}: in the model, not in the checkpoint' for key in missing
    ]
    if problems:
        raise ConversionError(
            f'The converted weights do not fit the model of {config} '
            f'({len(problems)} problem(s)); pass --config with a config '
            'that matches the checkpoint (e.g. num_subject_queries):\n  ' +
            '\n  '.join(problems[:20]))
    return fresh


def output_meta(src: str, layout: str, recipe: Optional[str], extras: Mapping,
                warnings: List[str]) -> dict:
    """The ``meta`` entry of the converted checkpoint."""
    meta = dict(
        converted_from=dict(
            file=osp.basename(src),
            sha256=file_sha256(src),
            source=layout,
            recipe=recipe,
            epoch=extras.get('epoch'),
            args=args_summary(extras.get('args'))),
        mmdsct_version=mmdsct.__version__)
    if warnings:
        meta['converted_from']['warnings'] = list(warnings)
    if recipe is not None:
        meta['dataset_meta'] = copy.deepcopy(dict(DATASET_METAINFO[recipe]))
    return meta


def convert(src: str,
            dst: str,
            dataset: Optional[str] = None,
            source: str = 'auto',
            config: Optional[str] = None,
            verbose: bool = False) -> str:
    """Convert ``src`` to ``dst``; return the report.

    Args:
        src (str): The authors' checkpoint.
        dst (str): Output path.
        dataset (str, optional): ``'emotic'`` or ``'caers'`` (DSCT source;
            default inferred).
        source (str): ``'auto'``, ``'dsct'`` or ``'deformable-detr'``.
        config (str, optional): Config whose model the weights must fit.
        verbose (bool): List every mapped key in the report.

    Returns:
        str: The key report.
    """
    state_dict, extras = read_official_checkpoint(src)
    layout = official_layout(state_dict)
    if layout is None:
        raise ConversionError(
            f'{src}: none of its keys has the authors\' layout '
            f'({sorted(state_dict)[:3]} ...); an mmdsct or mmdet checkpoint '
            'needs no conversion.')
    if source != 'auto' and source != layout:
        raise ConversionError(f'{src} has the {layout} key layout, not '
                              f'{source}; drop --source or pass '
                              f'--source {layout}.')
    if layout == DSCT_LAYOUT:
        mapped, report = map_official_dsct_state_dict(state_dict, dataset)
    else:
        mapped, report = map_official_deformable_detr_state_dict(state_dict)
    recipe = report.recipe
    config = config or str(DEFAULT_CONFIGS[recipe or 'emotic'])
    model_cfg, shapes = build_target_model(config)
    report.newly_initialised = check_fit(mapped, shapes, layout, config)
    warnings = config_disagreements(model_cfg,
                                    args_summary(extras.get('args')))
    report.notes += [f'WARNING: {warning}' for warning in warnings]
    buffer = io.BytesIO()
    torch.save(
        dict(
            state_dict=mapped,
            meta=output_meta(src, layout, recipe, extras, warnings)), buffer)
    atomic_write_bytes(buffer.getvalue(), dst)
    return report.summary(verbose)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        summary = convert(args.src, args.dst, args.dataset, args.source,
                          args.config, args.verbose)
    except (ConversionError, OfficialKeyError, UnsafeCheckpointError,
            FileNotFoundError) as err:
        sys.exit(f'error: {err}')
    print(summary)
    print(f'Saved {args.dst}')


if __name__ == '__main__':
    main()
