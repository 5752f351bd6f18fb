"""Prepare a trained checkpoint for release, named as OpenMMLab names them.

Keeps only what inference needs (``meta`` and ``state_dict`` by default):
the optimizer, the parameter schedulers and the message hub's training
state are dropped. The file is written atomically as
``<name>_<YYYYMMDD_HHMMSS>-<sha256[:8]>.pth``, the timestamp being that of
the training run (read from the checkpoint's meta; ``--timestamp`` overrides
it) and the hash that of the written bytes. The input is read with the
project's weights-only loader, so a checkpoint holding anything but tensors
and mmengine's training state is refused.

Example::

    python tools/model_converters/publish_model.py \\
        work_dirs/demo/iter_4000.pth checkpoints/dsct_tiny_synth.pth
    # -> checkpoints/dsct_tiny_synth_20260101_120000-1a2b3c4d.pth
"""
import argparse
import hashlib
import io
import os.path as osp
import re
import time
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log

from mmdsct.utils import atomic_write_bytes, load_from_local_weights_only

#: Entries of an mmengine checkpoint that a published model keeps.
DEFAULT_SAVE_KEYS = ('meta', 'state_dict')
#: OpenMMLab's timestamp format (a run's ``<work_dir>/<timestamp>/``).
TIMESTAMP_FORMAT = '%Y%m%d_%H%M%S'
TIMESTAMP_PATTERN = re.compile(r'\d{8}_\d{6}')
#: Hex digits of the SHA-256 in the published file name.
HASH_LENGTH = 8
CHECKPOINT_SUFFIX = '.pth'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Strip training state from a checkpoint and name it '
        '<name>_<timestamp>-<sha256[:8]>.pth')
    parser.add_argument('in_file', help='checkpoint written by training')
    parser.add_argument(
        'out_file',
        help='output path ending in .pth; the timestamp and hash are '
        'appended to its name')
    parser.add_argument(
        '--save-keys',
        nargs='+',
        default=list(DEFAULT_SAVE_KEYS),
        help='checkpoint entries to keep (default: meta state_dict)')
    parser.add_argument(
        '--timestamp',
        help='YYYYMMDD_HHMMSS of the name (default: the training run\'s, '
        'from the checkpoint meta, else the time of saving)')
    args = parser.parse_args(argv)
    if not args.out_file.endswith(CHECKPOINT_SUFFIX):
        parser.error(f'out_file must end in {CHECKPOINT_SUFFIX}, got '
                     f'{args.out_file}')
    if args.timestamp is not None and not TIMESTAMP_PATTERN.fullmatch(
            args.timestamp):
        parser.error(f'--timestamp must be YYYYMMDD_HHMMSS, got '
                     f'{args.timestamp}')
    return args


def strip_checkpoint(checkpoint: dict, save_keys: Sequence[str],
                     source: str) -> Tuple[dict, List[str]]:
    """Keep the ``save_keys`` entries of a checkpoint.

    A bare state dict (tensors only, no ``state_dict`` entry) is taken as
    the model weights.

    Args:
        checkpoint (dict): The loaded checkpoint.
        save_keys (Sequence[str]): Entries to keep.
        source (str): The checkpoint's path, for error messages.

    Returns:
        tuple[dict, list[str]]: The stripped checkpoint and the names of the
        entries dropped.

    Raises:
        ValueError: If the checkpoint is not a dict or has no weights.
    """
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{source} holds a {type(checkpoint).__name__}, '
                         'not a checkpoint dict')
    if 'state_dict' not in checkpoint:
        if checkpoint and all(
                isinstance(value, torch.Tensor)
                for value in checkpoint.values()):
            checkpoint = dict(state_dict=checkpoint)
        else:
            raise ValueError(
                f'{source} has no "state_dict" entry (it has '
                f'{sorted(checkpoint)}); is it an mmengine checkpoint?')
    kept = {key: checkpoint[key] for key in save_keys if key in checkpoint}
    dropped = sorted(key for key in checkpoint if key not in kept)
    return kept, dropped


def run_timestamp(checkpoint: dict) -> str:
    """The training run's timestamp, as OpenMMLab puts it in file names.

    mmengine stores ``experiment_name`` (``<config>_<run timestamp>``) and
    ``time`` (when the checkpoint was saved) in the checkpoint's meta; the
    first is preferred, then the second, then the current time.

    Args:
        checkpoint (dict): The loaded checkpoint.

    Returns:
        str: ``YYYYMMDD_HHMMSS``.
    """
    meta = checkpoint.get('meta') or {}
    for key in ('experiment_name', 'time'):
        found = TIMESTAMP_PATTERN.findall(str(meta.get(key, '')))
        if found:
            return found[-1]
    return time.strftime(TIMESTAMP_FORMAT, time.localtime())


def serialize(checkpoint: Dict) -> bytes:
    """The bytes :func:`torch.save` writes for ``checkpoint``."""
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    return buffer.getvalue()


def published_path(out_file: str, timestamp: str, data: bytes) -> str:
    """``<out_file without .pth>_<timestamp>-<sha256[:8]>.pth``."""
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    stem = out_file[:-len(CHECKPOINT_SUFFIX)]
    return f'{stem}_{timestamp}-{digest}{CHECKPOINT_SUFFIX}'


def publish(in_file: str,
            out_file: str,
            save_keys: Sequence[str] = DEFAULT_SAVE_KEYS,
            timestamp: Optional[str] = None) -> str:
    """Strip a checkpoint and write it under its published name.

    Args:
        in_file (str): Checkpoint written by training.
        out_file (str): Output path ending in ``.pth``.
        save_keys (Sequence[str]): Entries to keep.
        timestamp (str, optional): ``YYYYMMDD_HHMMSS``; by default
            :func:`run_timestamp`.

    Returns:
        str: The path written.
    """
    checkpoint = load_from_local_weights_only(in_file, map_location='cpu')
    stripped, dropped = strip_checkpoint(checkpoint, save_keys, in_file)
    if dropped:
        print_log(f'dropped from {in_file}: {", ".join(dropped)}', 'current')
    data = serialize(stripped)
    path = published_path(out_file, timestamp or run_timestamp(checkpoint),
                          data)
    atomic_write_bytes(data, path)
    return path


def main(argv: Optional[Sequence[str]] = None) -> str:
    args = parse_args(argv)
    path = publish(args.in_file, args.out_file, args.save_keys, args.timestamp)
    print(osp.abspath(path))
    return path


if __name__ == '__main__':
    main()
