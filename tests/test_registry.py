"""``import mmdsct`` registers every module of the project into mmdet, and
every module a config names can be built."""
import importlib.metadata
from typing import Any, Iterator, Tuple

import mmdet.registry
import pytest
from mmdet.registry import (DATASETS, HOOKS, METRICS, MODELS, RUNNERS,
                            TRANSFORMS, VISUALIZERS)
from mmengine.config import Config
from mmengine.registry import Registry
from packaging.version import Version

import mmdsct

#: Modules of the project that code outside the configs names, by registry.
EXPECTED = [
    (MODELS, 'DSCT'),
    (MODELS, 'DSCTHead'),
    (MODELS, 'TwoStageEmotionRecognizer'),
    (DATASETS, 'EmotionCocoDataset'),
    (DATASETS, 'EmoticDataset'),
    (DATASETS, 'CAERSDataset'),
    (DATASETS, 'SynthEmotionDataset'),
    (TRANSFORMS, 'LoadEmotionAnnotations'),
    (TRANSFORMS, 'PackEmotionInputs'),
    (METRICS, 'EmotionMetric'),
    (VISUALIZERS, 'EmotionVisualizer'),
    (HOOKS, 'SafeCheckpointHook'),
    (HOOKS, 'EmotionClassesCheckHook'),
    (RUNNERS, 'CheckedLoadRunner'),
]
#: mmdet's registries (each falls back on mmengine's of the same kind).
MMDET_REGISTRIES = [
    value for value in vars(mmdet.registry).values()
    if isinstance(value, Registry)
]


def test_version_is_the_installed_distributions():
    assert mmdsct.__version__ == importlib.metadata.version('mmdsct')
    version = Version(mmdsct.__version__)
    assert str(version) == mmdsct.__version__  # PEP 440, normalised
    assert len(version.release) == 3


@pytest.mark.parametrize(
    'registry,name', EXPECTED, ids=[name for _, name in EXPECTED])
def test_name_registered(registry, name):
    module = registry.get(name)
    assert module is not None, f'{name} is not in {registry.name}'
    assert module.__module__.startswith('mmdsct.'), module.__module__


def named_types(node: Any, path: str = 'cfg') -> Iterator[Tuple[str, str]]:
    """Every string ``type`` in a config, with where it is."""
    if isinstance(node, dict):
        if isinstance(node.get('type'), str):
            yield path, node['type']
        for key, value in node.items():
            yield from named_types(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from named_types(value, f'{path}[{index}]')


def config_files(repo_root):
    return sorted(
        path for path in (repo_root / 'configs').glob('*/*.py')
        if path.parent.name != '_base_')


def test_every_type_a_config_names_is_registered(repo_root):
    files = config_files(repo_root)
    assert len(files) >= 10
    missing = []
    for path in files:
        cfg = Config.fromfile(str(path))
        for where, name in named_types(cfg.to_dict()):
            if not any(registry.get(name) for registry in MMDET_REGISTRIES):
                missing.append(f'{path.name}: {where} = {name!r}')
    assert missing == []
