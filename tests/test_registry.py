"""``import mmdsct`` registers every module of the project into mmdet."""
import pytest
from mmdet.registry import (DATASETS, METRICS, MODELS, TASK_UTILS,
                            TRANSFORMS, VISUALIZERS)

import mmdsct

EXPECTED = [
    (MODELS, 'DSCT'),
    (MODELS, 'DSCTHead'),
    (MODELS, 'EmotionFocalLoss'),
    (MODELS, 'TwoStageEmotionRecognizer'),
    (TASK_UTILS, 'EmotionFocalCost'),
    (DATASETS, 'EmotionCocoDataset'),
    (DATASETS, 'EmoticDataset'),
    (DATASETS, 'CAERSDataset'),
    (DATASETS, 'SynthEmotionDataset'),
    (TRANSFORMS, 'LoadEmotionAnnotations'),
    (TRANSFORMS, 'PackEmotionInputs'),
    (METRICS, 'EmotionMetric'),
    (VISUALIZERS, 'EmotionVisualizer'),
]


def test_version():
    assert isinstance(mmdsct.__version__, str)
    assert mmdsct.__version__.count('.') == 2


@pytest.mark.parametrize('registry,name', EXPECTED,
                         ids=[name for _, name in EXPECTED])
def test_name_registered(registry, name):
    module = registry.get(name)
    assert module is not None, f'{name} is not in {registry.name}'
    assert module.__module__.startswith('mmdsct.'), module.__module__
