"""Build an emotion model and run it on images, in the style of mmdet.apis.

:func:`init_emotion_model` is :func:`mmdet.apis.init_detector` made to know
the emotion classes, to initialise what no checkpoint sets, to refuse a
checkpoint that does not fit, and never to fetch anything: checkpoints are
local files, loaded with the project's weights-only loader
(:func:`~mmdsct.utils.load_from_local_weights_only`), called explicitly.
:func:`inference_emotion` runs the config's test pipeline (without its
annotation loading) and returns, per image, the subjects as plain Python.
"""
import copy
import warnings
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmcv.transforms import Compose
from mmdet.apis import init_detector
from mmdet.registry import DATASETS
from mmdet.structures import DetDataSample
from mmdet.utils import get_test_pipeline_cfg
from mmengine.config import Config
from mmengine.registry import init_default_scope

from ..utils import (drop_pretrained_init_cfgs, init_random_weights,
                     load_from_local_weights_only, load_state_dict_checked)
from ..utils.checkpoint_fit import state_dict_of
from .image_io import as_bgr_image, load_image
from .results import Subject, datasample_to_subjects

ImageInput = Union[str, Path, np.ndarray]
#: The loader that reads images given as arrays.
ARRAY_LOADER = 'mmdet.LoadImageFromNDArray'
#: First transforms of a test pipeline that :data:`ARRAY_LOADER` replaces.
FILE_LOADERS = ('LoadImageFromFile', 'LoadImageFromNDArray')
#: Part of mmdet's warning that it names classes after COCO's.
COCO_FALLBACK_WARNING = 'COCO classes'


def init_emotion_model(config: Union[str, Path, Config],
                       checkpoint: Optional[str] = None,
                       device: str = 'cpu',
                       cfg_options: Optional[dict] = None,
                       strict: bool = True) -> nn.Module:
    """Build an emotion model from a config, optionally with weights.

    The model is first initialised as for training (``init_weights()``),
    without fetching any ``init_cfg=dict(type='Pretrained')`` weights; a
    checkpoint then replaces its parameters. ``model.dataset_meta`` comes
    from the checkpoint's meta data (what the training run saved) or,
    failing that, from the config's test dataset; it holds ``classes`` and
    ``emotion_classes``.

    Args:
        config (str | Path | Config): Config file or object.
        checkpoint (str, optional): Local checkpoint file; None keeps the
            weights randomly initialised (nothing is fetched).
        device (str): Device to put the model on. Defaults to 'cpu'.
        cfg_options (dict, optional): Overrides merged into the config.
        strict (bool): Refuse a checkpoint whose keys or shapes do not fit
            the config. False loads what fits, keeps the rest as
            initialised and logs the differences. Defaults to True.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` and ``dataset_meta``.

    Raises:
        ValueError: If ``checkpoint`` is a URL.
        FileNotFoundError: If ``checkpoint`` is not a file.
        CheckpointMismatchError: If ``strict`` and the checkpoint does not
            fit (it lists the missing, unexpected and misshapen keys).
    """
    cfg = _load_config(config, cfg_options)
    _check_local_checkpoint(checkpoint)
    drop_pretrained_init_cfgs(cfg.model)
    # mmdet warns that it names the classes after COCO's without a
    # checkpoint; they are replaced below, so only that warning is dropped.
    with warnings.catch_warnings(record=True) as caught:
        model = init_detector(cfg, None, palette='random', device=device)
    for warning in caught:
        if COCO_FALLBACK_WARNING not in str(warning.message):
            warnings.warn_explicit(warning.message, warning.category,
                                   warning.filename, warning.lineno)
    init_random_weights(model)
    model.dataset_meta = {}
    if checkpoint is not None:
        model.dataset_meta = _load_weights(model, checkpoint, strict)
    if not model.dataset_meta.get('emotion_classes'):
        model.dataset_meta = _dataset_meta_from_config(cfg)
    model.dataset_meta['palette'] = 'random'
    return model.eval()


def _load_weights(model: nn.Module, checkpoint: str, strict: bool) -> dict:
    """Load a checkpoint's weights into ``model``; return its dataset meta.

    Args:
        model (nn.Module): The built model.
        checkpoint (str): Local checkpoint file.
        strict (bool): See :func:`init_emotion_model`.

    Returns:
        dict: The checkpoint's ``meta['dataset_meta']`` (keys lower-cased,
        as mmdet does), or an empty dict.
    """
    # Explicitly weights-only, whatever mmengine's loaders are at the time.
    loaded = load_from_local_weights_only(str(checkpoint), map_location='cpu')
    load_state_dict_checked(model, state_dict_of(loaded), strict,
                            str(checkpoint))
    meta = loaded.get('meta') or {}
    dataset_meta = meta.get('dataset_meta') or {}
    if not dataset_meta and 'CLASSES' in meta:  # mmdet 2.x checkpoints
        dataset_meta = dict(classes=meta['CLASSES'])
    return {key.lower(): value for key, value in dataset_meta.items()}


def inference_emotion(
    model: nn.Module,
    images: Union[ImageInput, Sequence[ImageInput]],
    score_thr: float = 0.0,
    return_datasamples: bool = False
) -> Union[List[Subject], List[List[Subject]], Tuple]:
    """Find the subjects in images and read their emotions.

    Args:
        model (nn.Module): A model from :func:`init_emotion_model`.
        images (str | Path | np.ndarray | Sequence): One image or a list;
            each a file path or a uint8 array [H, W, 3] in BGR order (as
            :func:`mmcv.imread` gives) or [H, W] grey.
        score_thr (float): Keep subjects whose score is at least this.
            Defaults to 0 (all of the model's subjects).
        return_datasamples (bool): Also return the model's raw
            :class:`DetDataSample` per image. Defaults to False.

    Returns:
        For one image, the list of its subjects (see
        :func:`~mmdsct.apis.results.datasample_to_subjects`: ``bbox``
        [x1, y1, x2, y2] in image pixels, ``score``, ``emotions``
        {name: probability}, optional ``vad``), most confident first; for a
        list of images, one such list per image. With
        ``return_datasamples``, a tuple ``(subjects, data_samples)`` of the
        same nesting.

    Raises:
        FileNotFoundError: For a path that is not a file.
        UnreadableImageError: For a file that is not a decodable image.
    """
    is_batch = isinstance(images, (list, tuple))
    image_list = list(images) if is_batch else [images]
    pipeline = build_inference_pipeline(model.cfg)
    samples = [
        _predict_image(model, pipeline, image, index)
        for index, image in enumerate(image_list)
    ]
    emotion_classes = (model.dataset_meta or {}).get('emotion_classes')
    subjects = [
        datasample_to_subjects(sample, emotion_classes, score_thr)
        for sample in samples
    ]
    if not is_batch:
        subjects, samples = subjects[0], samples[0]
    return (subjects, samples) if return_datasamples else subjects


def build_inference_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline for in-memory images without annotations.

    Annotation loaders (``Load*Annotations``) are dropped, and the image
    loader is replaced by :data:`ARRAY_LOADER`, keeping its arguments.

    Args:
        cfg (Config): The model's config.

    Returns:
        Compose: The pipeline; it takes ``dict(img=<BGR array>, img_id=i)``.

    Raises:
        ValueError: If the test pipeline does not start with an image loader.
    """
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    transforms = [
        transform for transform in copy.deepcopy(get_test_pipeline_cfg(cfg))
        if not _loads_annotations(transform)
    ]
    if not transforms or _type_name(transforms[0]) not in FILE_LOADERS:
        raise ValueError(
            'The test pipeline must start with LoadImageFromFile, got '
            f'{_type_name(transforms[0]) if transforms else "nothing"}.')
    transforms[0]['type'] = ARRAY_LOADER
    return Compose(transforms)


def _type_name(transform: dict) -> str:
    """Class name of a transform config, without its registry scope."""
    transform_type = transform['type']
    name = transform_type if isinstance(transform_type, str) \
        else transform_type.__name__
    return name.split('.')[-1]


def _loads_annotations(transform: dict) -> bool:
    """Whether a transform config loads annotations (``Load*Annotations``)."""
    name = _type_name(transform)
    return name.startswith('Load') and name.endswith('Annotations')


def _predict_image(model: nn.Module, pipeline: Compose, image: ImageInput,
                   index: int) -> DetDataSample:
    """Run the model on one image.

    Args:
        model (nn.Module): The emotion model.
        pipeline (Compose): From :func:`build_inference_pipeline`.
        image (str | Path | np.ndarray): File path or BGR array.
        index (int): Position of the image in the call (its ``img_id``).

    Returns:
        DetDataSample: The prediction, with ``img_path`` for a file.
    """
    if isinstance(image, (str, Path)):
        array, path = load_image(image), str(image)
    elif isinstance(image, np.ndarray):
        array, path = as_bgr_image(image), None
    else:
        raise TypeError('An image must be a file path or a numpy array, got '
                        f'{type(image).__name__}.')
    data = pipeline(dict(img=array, img_id=index))
    data_sample = data['data_samples']
    if path is not None:
        data_sample.set_metainfo(dict(img_path=path))
    batch = dict(inputs=[data['inputs']], data_samples=[data_sample])
    with torch.no_grad():
        return model.test_step(batch)[0]


def _load_config(config: Union[str, Path, Config],
                 cfg_options: Optional[dict]) -> Config:
    """Read a config (a copy, if given as an object) and apply overrides."""
    if isinstance(config, (str, Path)):
        cfg = Config.fromfile(str(config))
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        raise TypeError('config must be a file name or a Config, got '
                        f'{type(config).__name__}.')
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    return cfg


def _check_local_checkpoint(checkpoint: Optional[str]) -> None:
    """Refuse URLs and missing files before mmengine tries to fetch them."""
    if checkpoint is None:
        return
    if '://' in str(checkpoint):
        raise ValueError(
            f'Checkpoint {checkpoint} is a URL; init_emotion_model loads '
            'local files only. Download it first and pass its path.')
    if not Path(checkpoint).is_file():
        raise FileNotFoundError(f'Checkpoint {checkpoint} does not exist.')


def _dataset_meta_from_config(cfg: Config) -> dict:
    """Metainfo of the config's test dataset (``classes``,
    ``emotion_classes``, ...).

    The dataset is first built without reading its annotations; if its
    emotion class names come only from the annotation file, that file is
    read. When neither works, a warning says so and the emotions are named
    by index.
    """
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    metainfo: dict = {}
    for lazy_init in (True, False):
        dataset_cfg['lazy_init'] = lazy_init
        try:
            metainfo = dict(DATASETS.build(dataset_cfg).metainfo)
        except Exception as error:  # a missing data root is not fatal here
            reason = f'{type(error).__name__}: {error}'
            continue
        if metainfo.get('emotion_classes'):
            return metainfo
        reason = 'its metainfo has no emotion_classes'
    warnings.warn('Emotion class names are neither in the checkpoint nor '
                  f'in the test dataset of the config ({reason}); emotions '
                  'are named "emotion <index>".')
    return metainfo
