"""A tiny randomly initialised DSCT model and generated images."""
import os
from pathlib import Path

import mmcv
import numpy as np
import pytest
import torch

from mmdsct.apis import init_emotion_model

IMAGE_HEIGHT, IMAGE_WIDTH = 96, 128


@pytest.fixture(scope='module')
def tiny_model(tiny_config, synth_workspace):
    """The tiny config's model, random weights (seeded: the same model
    whatever ran before), built where its relative data root holds the
    synthetic data (so the emotion names are known)."""
    previous = os.getcwd()
    os.chdir(synth_workspace)
    try:
        torch.manual_seed(0)
        model = init_emotion_model(str(tiny_config), device='cpu')
    finally:
        os.chdir(previous)
    return model


@pytest.fixture
def scene_image() -> np.ndarray:
    """A BGR image with two bright figures on a textured background."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 60, (IMAGE_HEIGHT, IMAGE_WIDTH, 3), dtype=np.uint8)
    image[20:80, 10:40] = (40, 200, 240)
    image[30:90, 80:110] = (240, 120, 30)
    return image


@pytest.fixture
def scene_file(tmp_path, scene_image) -> Path:
    """:func:`scene_image` saved as a PNG file."""
    path = tmp_path / 'scene.png'
    mmcv.imwrite(scene_image, str(path))
    return path
