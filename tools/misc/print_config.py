"""Print (or save) a config after ``_base_`` inheritance and overrides.

The merged config is what ``tools/train.py`` and ``tools/test.py`` run:
every ``_base_`` file resolved, ``--cfg-options`` applied.

Example::

    python tools/misc/print_config.py configs/dsct/dsct_tiny_synth.py \\
        --cfg-options train_cfg.max_iters=100
    python tools/misc/print_config.py configs/dsct/dsct_r50_emotic.py \\
        --save-path merged_dsct_r50_emotic.py
"""
import argparse
from typing import Optional, Sequence

from mmengine.config import Config, DictAction

import mmdsct  # noqa: F401  (registers the project's modules)

SAVE_SUFFIXES = ('.py', '.json', '.yml', '.yaml')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Print the whole config, inheritance resolved')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--save-path',
        help='also write the merged config here (.py, .json, .yml)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs; a list '
        'is written key="[a,b]" or key=a,b, with no white space')
    args = parser.parse_args(argv)
    if args.save_path and not args.save_path.endswith(SAVE_SUFFIXES):
        parser.error(f'--save-path must end in one of {SAVE_SUFFIXES}, got '
                     f'{args.save_path}')
    return args


def merged_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load a config and apply ``--cfg-options`` overrides.

    Args:
        path (str): The config file.
        cfg_options (dict, optional): ``key=value`` overrides.

    Returns:
        Config: The merged config.
    """
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    cfg = merged_config(args.config, args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')
    if args.save_path:
        cfg.dump(args.save_path)
        print(f'Config saved to {args.save_path}')


if __name__ == '__main__':
    main()
