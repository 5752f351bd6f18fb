"""EmotionInferencer: mmdet's DetInferencer for emotion models.

mmdet's :class:`~mmdet.apis.DetInferencer` runs our configs but keeps only
boxes labelled "person". :class:`EmotionInferencer` keeps what an emotion
model predicts, per subject: box, subject score, the probability of each
emotion (named), the predicted label set and, when the model has it, VAD.
It takes images, folders, videos and webcams, draws with
:class:`~mmdsct.visualization.EmotionVisualizer` and, for a video, writes an
annotated copy.

Outputs in ``out_dir``:

- images: one drawing per image, ``<name>.png`` (a folder's sub-folders are
  kept), and ``predictions.json`` (one record per image; unreadable files
  of a folder are listed under ``skipped``);
- a video or webcam: the annotated video (``<stem>.mp4``, or ``.avi`` for
  an ``.avi`` source; same frame size and rate) and ``predictions.json``
  (one record per frame).

The label set: for multi-label data the classes whose probability is at
least the class's decision threshold (fitted by
``tools/analysis_tools/fit_emotion_thresholds.py``; 0.5 if none was
fitted), for single-label data the most probable class.
"""
import copy
import logging
import os.path as osp
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Union

import cv2
import numpy as np
import torch
import torch.nn as nn
from mmcv.transforms import Compose
from mmdet.apis import DetInferencer
from mmdet.structures import DetDataSample
from mmengine.config import Config, ConfigDict
from mmengine.fileio import dump
from mmengine.logging import print_log
from mmengine.registry import INFERENCERS
from mmengine.utils import ProgressBar, mkdir_or_exist

from ..evaluation.functional.decision_thresholds import (
    CHECKPOINT_META_KEY, DEFAULT_THRESHOLD, decision_thresholds_array,
    predict_label_sets, thresholds_to_dict)
from ..utils.atomic_backend import atomic_backend_args
from ..utils.checkpoint import load_from_local_weights_only
from ..visualization import EmotionVisualizer, emotion_class_names
from .image_io import (IMAGE_EXTENSIONS, UnreadableImageError, as_bgr_image,
                       list_images, load_image)
from .inference import build_inference_pipeline, init_emotion_model
from .model_index import find_model, is_url, iter_models
from .results import datasample_to_subjects
from .video_io import (UnreadableVideoError, annotated_video_name, capture_fps,
                       capture_frame_count, is_video_file, is_webcam_index,
                       open_capture, open_video_writer, read_frames,
                       source_name)

ImageInput = Union[str, np.ndarray]
#: Settings of a config's visualiser that do not apply to inference.
RUN_ONLY_VISUALIZER_KEYS = ('type', 'name', 'vis_backends', 'save_dir')
#: Format of image drawings.
DRAWING_EXTENSION = '.png'
#: Name of the predictions file in ``out_dir``.
PREDICTIONS_FILE = 'predictions.json'
#: Suffix of the thresholds file looked for beside a checkpoint.
THRESHOLDS_SUFFIX = '_thresholds.json'
#: How many skipped files the warning names.
MAX_SKIPPED_NAMED = 10
#: Keys that stop a shown webcam or video: Esc, q.
STOP_KEYS = (27, ord('q'))
#: Title of the window of a shown video.
WINDOW_NAME = 'EmotionInferencer (Esc or q to stop)'


class InputSource(NamedTuple):
    """What the inferencer was given, sorted out.

    Attributes:
        kind (str): ``'images'``, ``'video'`` or ``'webcam'``.
        items (list): Image paths or arrays (images), or the one video path
            or webcam index.
        folder (str, optional): The folder the images were found in.
    """
    kind: str
    items: list
    folder: Optional[str] = None


def thresholds_file_for(weights: str) -> str:
    """Where thresholds fitted for a checkpoint are kept beside it:
    ``<checkpoint without extension>_thresholds.json``."""
    return osp.splitext(weights)[0] + THRESHOLDS_SUFFIX


def resolve_source(inputs: Any) -> InputSource:
    """Sort the inferencer's input into images, a video or a webcam.

    Args:
        inputs: An image path or array, a list of them, a folder, a video
            file, or a webcam index (int or digit string).

    Returns:
        InputSource: What to run on.

    Raises:
        FileNotFoundError: If a path names nothing.
        ValueError: If a folder holds no image, or a list holds a video.
    """
    if isinstance(inputs, Path):
        inputs = str(inputs)
    if is_webcam_index(inputs):
        return InputSource('webcam', [int(inputs)])
    if isinstance(inputs, str):
        if osp.isdir(inputs):
            images = list_images(inputs)
            if not images:
                raise ValueError('No image files ('
                                 f'{", ".join(IMAGE_EXTENSIONS)}) under '
                                 f'{inputs}.')
            return InputSource('images', images, inputs)
        if is_video_file(inputs):
            if not osp.isfile(inputs):
                raise FileNotFoundError(f'Video {inputs} does not exist.')
            return InputSource('video', [inputs])
        return InputSource('images', [inputs])
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    items = [str(item) if isinstance(item, Path) else item for item in items]
    for item in items:
        if isinstance(item, str) and (is_video_file(item) or osp.isdir(item)):
            raise ValueError(f'{item}: a list holds images only; give a '
                             'video or a folder on its own.')
    return InputSource('images', items)


def drawing_names(images: List[ImageInput],
                  folder: Optional[str]) -> List[str]:
    """File name of each image's drawing, unique within a run.

    ``folder/sub/a.jpg`` becomes ``sub/a.png``; a file outside a folder run
    its base name; an array ``<index>.png`` (8 digits). If two images share
    a name (``a.jpg``, ``a.png``), the later becomes ``a_png.png``.

    Args:
        images (list[str | np.ndarray]): The images.
        folder (str, optional): The folder they were found in.

    Returns:
        list[str]: Drawing paths relative to the output directory.
    """
    names, used = [], set()
    for index, image in enumerate(images):
        if not isinstance(image, str):
            stem, extension = f'{index:08d}', ''
        else:
            relative = osp.relpath(image, folder) if folder else \
                osp.basename(image)
            stem, extension = osp.splitext(relative)
        name = stem + DRAWING_EXTENSION
        if name in used:
            name = f'{stem}_{extension.lstrip(".")}{DRAWING_EXTENSION}'
        used.add(name)
        names.append(name)
    return names


@INFERENCERS.register_module()
class EmotionInferencer(DetInferencer):
    """Find subjects and read their emotions in images, videos or a webcam.

    Example::

        >>> from mmdsct.apis import EmotionInferencer
        >>> inferencer = EmotionInferencer(
        ...     'configs/dsct/dsct_tiny_synth.py', 'work_dirs/iter_4000.pth')
        >>> result = inferencer('demo.jpg', out_dir='outputs')
        >>> result['predictions'][0]['subjects'][0]
        {'bbox': [x1, y1, x2, y2], 'score': 0.93,
         'emotions': {'Happiness': 0.81, ...}, 'labels': ['Happiness']}
        >>> inferencer('clip.mp4', out_dir='outputs')  # outputs/clip.mp4

    Weights are loaded as :func:`~mmdsct.apis.init_emotion_model` loads
    them (weights-only unpickling, the emotion names from the checkpoint's
    ``dataset_meta``); without weights the model keeps its initialisation.

    Args:
        model (str | Path | Config | dict): A config file or object, or the
            ``Name`` (or an ``Alias``) of a model in the zoo's
            ``model-index.yml``.
        weights (str, optional): A checkpoint file, or a URL (downloaded
            into the torch hub cache; needs a network). Defaults to the
            zoo's ``Weights`` for a model name, else None.
        device (str, optional): e.g. ``'cpu'``, ``'cuda:0'``; None picks
            what is available.
        scope (str): The registry scope of the configs. Defaults to
            ``'mmdet'``.
        palette (str): Kept for :class:`DetInferencer`'s signature (the
            visualiser colours subjects by rank).
        show_progress (bool): Show a progress bar. Defaults to True.
        thresholds (str | Sequence[float] | Mapping[str, float], optional):
            Decision thresholds: a JSON file, one value per class, or class
            name → threshold. Defaults to the checkpoint's
            ``meta['emotion_thresholds']``, else the JSON file beside the
            checkpoint (:func:`thresholds_file_for`), else 0.5 for all.
        cfg_options (dict, optional): Overrides merged into the config.
        model_index (str, optional): The ``model-index.yml`` to look model
            names up in. Defaults to the zoo's.
    """

    def __init__(self,
                 model: Union[str, Path, Config, dict, None] = None,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 scope: Optional[str] = 'mmdet',
                 palette: str = 'none',
                 show_progress: bool = True,
                 thresholds: Any = None,
                 cfg_options: Optional[dict] = None,
                 model_index: Optional[str] = None) -> None:
        self.model_index = model_index
        cfg, weights = self._resolve_model(model, weights, cfg_options)
        self.weights = weights
        self.checkpoint_file: Optional[str] = None
        super().__init__(
            model=cfg,
            weights=weights,
            device=device,
            scope=scope,
            palette=palette,
            show_progress=show_progress)
        self.emotion_classes = emotion_class_names(
            self.model.dataset_meta.get('emotion_classes'),
            self._num_emotion_classes())
        self.multi_label = self._multi_label()
        self.thresholds, self.thresholds_source = self._decision_thresholds(
            thresholds)

    # Building ---------------------------------------------------------------

    def _resolve_model(self, model: Any, weights: Optional[str],
                       cfg_options: Optional[dict]):
        """The config (with overrides) and the weights to load."""
        if isinstance(model, Path):
            model = str(model)
        if isinstance(model, str):
            if osp.isfile(model):
                cfg = Config.fromfile(model)
            elif model.endswith('.py'):
                raise FileNotFoundError(f'Config {model} does not exist.')
            else:
                entry = find_model(model, self.model_index)
                cfg = Config.fromfile(entry.config)
                weights = weights if weights is not None else entry.weights
        elif isinstance(model, (Config, ConfigDict)):
            cfg = copy.deepcopy(model)
        elif isinstance(model, dict):
            cfg = Config(copy.deepcopy(model))
        else:
            raise TypeError('model must be a config file, a Config or the '
                            'name of a model of the zoo, got '
                            f'{type(model).__name__}.')
        if not isinstance(cfg, Config):
            cfg = Config(cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        return cfg, (str(weights) if weights is not None else None)

    def _init_model(self,
                    cfg: Config,
                    weights: Optional[str],
                    device: str = 'cpu') -> nn.Module:
        """Build the model as :func:`init_emotion_model` does."""
        self.checkpoint_file = self._local_weights(weights)
        return init_emotion_model(cfg, self.checkpoint_file, device)

    @staticmethod
    def _local_weights(weights: Optional[str]) -> Optional[str]:
        """A local checkpoint file for ``weights``; a URL is downloaded into
        the torch hub cache (and its hash prefix, if its name has one,
        checked)."""
        if weights is None or not is_url(weights):
            return weights
        from ..utils.remote_checkpoint import (download_to_cache,
                                               verify_hash_prefix)
        try:
            local = download_to_cache(weights, progress=sys.stderr.isatty())
        except OSError as error:  # URLError, timeouts, refused connections
            raise RuntimeError(
                f'Cannot download the weights {weights} ({error}). If this '
                'machine is offline, download the file elsewhere and pass '
                'its local path as weights.') from error
        verify_hash_prefix(local, weights)
        return local

    def _init_pipeline(self, cfg: Config) -> Compose:
        """The test pipeline for in-memory images (see
        :func:`~mmdsct.apis.build_inference_pipeline`)."""
        return build_inference_pipeline(cfg)

    def _init_visualizer(self, cfg: Config) -> EmotionVisualizer:
        """An :class:`EmotionVisualizer` with the config's settings (when
        the config's visualiser is one), prediction-only."""
        settings = {}
        vis_cfg = cfg.get('visualizer') or {}
        if str(vis_cfg.get('type', '')).split('.')[-1] == \
                EmotionVisualizer.__name__:
            settings = {
                key: value
                for key, value in vis_cfg.items()
                if key not in RUN_ONLY_VISUALIZER_KEYS
            }
        name = f'emotion_inferencer_{datetime.now().timestamp()}'
        visualizer = EmotionVisualizer(name=name, **settings)
        visualizer.dataset_meta = self.model.dataset_meta
        return visualizer

    def _emotion_head(self) -> Optional[nn.Module]:
        """The head that predicts emotions (DSCT's ``bbox_head``, the
        two-stage recogniser's ``emotion_head``)."""
        for name in ('bbox_head', 'emotion_head'):
            head = getattr(self.model, name, None)
            if hasattr(head, 'num_emotions'):
                return head
        return None

    def _num_emotion_classes(self) -> int:
        """C, from the head (or the dataset's names)."""
        head = self._emotion_head()
        if head is not None:
            return int(head.num_emotions)
        return len(self.model.dataset_meta.get('emotion_classes') or ())

    def _multi_label(self) -> bool:
        """``dataset_meta['multi_label']``, else the head's ``multi_label``,
        else True (emotion heads score each class on its own)."""
        multi_label = self.model.dataset_meta.get('multi_label')
        if multi_label is None:
            multi_label = getattr(self._emotion_head(), 'multi_label', None)
        return True if multi_label is None else bool(multi_label)

    def _decision_thresholds(self, thresholds: Any):
        """The per-class thresholds [C] and where they come from."""
        source = 'the thresholds argument'
        if thresholds is None and self.checkpoint_file is not None:
            meta = load_from_local_weights_only(
                self.checkpoint_file, map_location='cpu').get('meta') or {}
            beside = thresholds_file_for(self.checkpoint_file)
            if meta.get(CHECKPOINT_META_KEY) is not None:
                thresholds = meta[CHECKPOINT_META_KEY]
                source = f'meta["{CHECKPOINT_META_KEY}"] of ' \
                    f'{self.checkpoint_file}'
            elif osp.isfile(beside):
                thresholds, source = beside, beside
        if thresholds is None:
            source = f'the default ({DEFAULT_THRESHOLD} for every class)'
        elif isinstance(thresholds, (str, Path)):
            thresholds = source = str(thresholds)
        values = decision_thresholds_array(thresholds, self.emotion_classes,
                                           source)
        if self.multi_label:
            print_log(
                f'Emotion decision thresholds: {source}', logger='current')
        return values, source

    @staticmethod
    def list_models(scope: Optional[str] = None,
                    patterns: str = r'.*',
                    model_index: Optional[str] = None) -> List[str]:
        """Names and aliases of the zoo's models matching a pattern.

        Args:
            scope (str, optional): Unused (the zoo is mmdsct's).
            patterns (str): A regular expression names must match (from
                their start). Defaults to every name.
            model_index (str, optional): The ``model-index.yml`` to read.
                Defaults to the zoo's.

        Returns:
            list[str]: The matching names, in index order.
        """
        names = [
            name for entry in iter_models(model_index)
            for name in (entry.name, *entry.aliases)
            if re.match(patterns, name)
        ]
        print_log(
            ''.join(f'model_name: {name}\n' for name in names),
            logger='current')
        return names

    # Running ----------------------------------------------------------------

    def __call__(self,
                 inputs: Any,
                 batch_size: int = 1,
                 out_dir: str = '',
                 show: bool = False,
                 wait_time: float = 0,
                 draw_pred: bool = True,
                 pred_score_thr: float = 0.3,
                 return_vis: bool = False,
                 return_datasamples: bool = False,
                 no_save_vis: bool = False,
                 no_save_pred: bool = False,
                 print_result: bool = False,
                 max_frames: Optional[int] = None) -> dict:
        """Run on images, a folder, a video or a webcam.

        Args:
            inputs: An image path or BGR array, a list of them, a folder
                (searched recursively; unreadable files are skipped and
                counted), a video file, or a webcam index (int or digit
                string).
            batch_size (int): Images per forward pass. Defaults to 1.
            out_dir (str): Where drawings, the annotated video and
                ``predictions.json`` go; '' writes nothing.
            show (bool): Show each drawing (a video in one window; Esc or q
                stops it). Defaults to False.
            wait_time (float): Seconds to show each image (0: until a key).
            draw_pred (bool): Draw the predictions. Defaults to True.
            pred_score_thr (float): Keep (in the results and the drawings)
                subjects scoring at least this. Defaults to 0.3.
            return_vis (bool): Also return the drawings (images only).
            return_datasamples (bool): Return :class:`DetDataSample` s
                (with ``pred_instances.emotion_labels``) instead of dicts.
            no_save_vis (bool): Write no drawing or video.
            no_save_pred (bool): Write no ``predictions.json``.
            print_result (bool): Print the predictions.
            max_frames (int, optional): Stop a video or webcam after this
                many frames.

        Returns:
            dict: ``predictions`` (one record per image or frame, see
            :meth:`pred2dict`), ``visualization`` (drawings, RGB, or None)
            and ``skipped`` (unreadable files of a folder: ``image``,
            ``reason``); for a video also ``video`` (source, annotated
            file, fps, width, height).
        """
        source = resolve_source(inputs)
        options = dict(
            out_dir=out_dir,
            show=show,
            draw_pred=draw_pred,
            pred_score_thr=pred_score_thr,
            return_datasamples=return_datasamples,
            no_save_vis=no_save_vis)
        if source.kind == 'images':
            result = self._run_images(source, batch_size, wait_time,
                                      return_vis, **options)
        else:
            result = self._run_video(source, max_frames, **options)
        if out_dir and not no_save_pred:
            self._dump(result, source, out_dir, pred_score_thr)
        if print_result:
            print(result['predictions'])
        return result

    def _run_images(self, source: InputSource, batch_size: int,
                    wait_time: float, return_vis: bool, out_dir: str,
                    show: bool, draw_pred: bool, pred_score_thr: float,
                    return_datasamples: bool, no_save_vis: bool) -> dict:
        """Predict and draw every image of ``source``."""
        names = drawing_names(source.items, source.folder)
        draw_dir = out_dir if out_dir and not no_save_vis else ''
        predictions, visuals, skipped = [], [], []
        progress = ProgressBar(len(source.items)) \
            if self.show_progress else None
        for start in range(0, len(source.items), max(batch_size, 1)):
            batch = []
            for index in range(start, min(start + batch_size,
                                          len(source.items))):
                image = self._read_image(source, index, skipped)
                if image is not None:
                    batch.append((index, image))
                elif progress is not None:
                    progress.update()
            samples = self._predict(
                [image for _, image in batch],
                [self._path_of(source.items[i])
                 for i, _ in batch], pred_score_thr)
            for (index, image), sample in zip(batch, samples):
                drawing = osp.join(draw_dir, names[index]) \
                    if draw_dir else None
                visual = self._draw(names[index], image, sample, draw_pred,
                                    show, wait_time, drawing, return_vis,
                                    pred_score_thr)
                if visual is not None:
                    visuals.append(visual)
                predictions.append(
                    sample if return_datasamples else self.
                    _image_record(source.items[index], image, sample, drawing))
                if progress is not None:
                    progress.update()
        if progress is not None:
            print()
        self._warn_skipped(skipped)
        return dict(
            predictions=predictions,
            visualization=visuals if return_vis else None,
            skipped=skipped)

    def _read_image(self, source: InputSource, index: int,
                    skipped: List[dict]) -> Optional[np.ndarray]:
        """Image ``index`` as a BGR array; in a folder run an unreadable
        file is recorded in ``skipped`` and None returned."""
        item = source.items[index]
        if not isinstance(item, str):
            return as_bgr_image(item)
        try:
            return load_image(item)
        except (FileNotFoundError, UnreadableImageError) as error:
            if source.folder is None:
                raise
            skipped.append(dict(image=item, reason=str(error)))
            return None

    @staticmethod
    def _path_of(item: ImageInput) -> Optional[str]:
        return item if isinstance(item, str) else None

    def _run_video(self, source: InputSource, max_frames: Optional[int],
                   out_dir: str, show: bool, draw_pred: bool,
                   pred_score_thr: float, return_datasamples: bool,
                   no_save_vis: bool) -> dict:
        """Predict, draw and write every frame of a video or webcam."""
        video = source.items[0]
        capture = open_capture(video)
        fps = capture_fps(capture)
        total = capture_frame_count(capture)
        if max_frames is not None:
            total = min(total, max_frames) if total else max_frames
        target = osp.join(out_dir, annotated_video_name(video)) \
            if out_dir and not no_save_vis else None
        if target is not None and isinstance(video, str) and \
                osp.abspath(target) == osp.abspath(video):
            capture.release()
            raise ValueError(f'The annotated video would overwrite {video}; '
                             'choose another out_dir.')
        info = dict(
            source=source_name(video),
            drawing=None,
            fps=fps,
            width=None,
            height=None)
        predictions = []
        writer = None
        progress = ProgressBar(total) if self.show_progress else None
        try:
            for index, frame in enumerate(read_frames(capture, max_frames)):
                sample = self._predict([frame], [None], pred_score_thr)[0]
                if index == 0:
                    info.update(height=frame.shape[0], width=frame.shape[1])
                    if target is not None:
                        writer, info['drawing'] = open_video_writer(
                            target, fps, (frame.shape[1], frame.shape[0]))
                if writer is not None or show:
                    drawn = self._draw_frame(frame, sample, draw_pred,
                                             pred_score_thr)
                    if writer is not None:
                        writer.write(drawn)
                    if show and self._show_frame(drawn):
                        break
                predictions.append(
                    sample if return_datasamples else dict(
                        frame=index,
                        time=index / fps,
                        subjects=self._subjects(sample)))
                if progress is not None:
                    progress.update()
        except KeyboardInterrupt:
            print_log(
                f'Stopped {source_name(video)} after '
                f'{len(predictions)} frame(s).',
                logger='current')
        finally:
            capture.release()
            if writer is not None:
                writer.release()
            if show:
                cv2.destroyWindow(WINDOW_NAME)
        if progress is not None:
            print()
        if not predictions and not is_webcam_index(video):
            raise UnreadableVideoError(
                f'Video {video} has no frame OpenCV can decode.')
        return dict(
            predictions=predictions,
            visualization=None,
            skipped=[],
            video=info)

    @staticmethod
    def _show_frame(frame: np.ndarray) -> bool:
        """Show a BGR frame; True when the user asked to stop."""
        try:
            cv2.imshow(WINDOW_NAME, frame)
        except cv2.error as error:
            raise RuntimeError(
                'Cannot show the video: this OpenCV has no window support '
                '(e.g. opencv-python-headless, or no display). Install '
                'opencv-python, or drop show and write the video with '
                f'out_dir. OpenCV said: {error}') from error
        return (cv2.waitKey(1) & 0xFF) in STOP_KEYS

    # Predicting and drawing -------------------------------------------------

    def _predict(self, images: List[np.ndarray], paths: List[Optional[str]],
                 score_thr: float) -> List[DetDataSample]:
        """Run the model on BGR images; add the label sets.

        Args:
            images (list[np.ndarray]): BGR uint8 images.
            paths (list[str | None]): Their files, if any.
            score_thr (float): Keep subjects scoring at least this.

        Returns:
            list[DetDataSample]: The predictions, subjects most confident
            first, with ``pred_instances.emotion_labels`` [n, C] bool.
        """
        if not images:
            return []
        data = []
        for index, (image, path) in enumerate(zip(images, paths)):
            item = self.pipeline(dict(img=image, img_id=index))
            if path is not None:
                item['data_samples'].set_metainfo(dict(img_path=path))
            data.append(item)
        samples = self.forward(self.collate_fn(data))
        return [self._with_label_sets(sample, score_thr) for sample in samples]

    def _with_label_sets(self, sample: DetDataSample,
                         score_thr: float) -> DetDataSample:
        """Keep subjects scoring at least ``score_thr``, most confident
        first, and add their label sets (``emotion_labels`` [n, C])."""
        pred = sample.pred_instances
        scores = pred.scores.detach().cpu()
        keep = (scores >= score_thr).nonzero().flatten()
        order = keep[scores[keep].argsort(descending=True, stable=True)]
        pred = pred[order.to(pred.scores.device)]
        probabilities = pred.emotions.detach().cpu().numpy().reshape(
            len(pred), len(self.emotion_classes))  # [n, C]
        labels = predict_label_sets(probabilities, self.thresholds,
                                    self.multi_label)
        pred.emotion_labels = torch.from_numpy(labels).to(pred.emotions.device)
        sample.pred_instances = pred
        return sample

    def _draw(self, name: str, image: np.ndarray, sample: DetDataSample,
              draw_pred: bool, show: bool, wait_time: float,
              out_file: Optional[str], return_vis: bool,
              score_thr: float) -> Optional[np.ndarray]:
        """Draw one image (RGB drawing returned if ``return_vis``)."""
        if not (show or out_file or return_vis):
            return None
        if out_file is not None:
            mkdir_or_exist(osp.dirname(osp.abspath(out_file)))
        self.visualizer.add_datasample(
            name,
            image[..., ::-1],  # BGR -> RGB
            sample,
            draw_gt=False,
            draw_pred=draw_pred,
            show=show,
            wait_time=wait_time,
            out_file=out_file,
            pred_score_thr=score_thr)
        self.num_visualized_imgs += 1
        return self.visualizer.get_image() if return_vis else None

    def _draw_frame(self, frame: np.ndarray, sample: DetDataSample,
                    draw_pred: bool, score_thr: float) -> np.ndarray:
        """Draw one video frame; BGR at the frame's own size."""
        self.visualizer.add_datasample(
            'frame',
            frame[..., ::-1],
            sample,
            draw_gt=False,
            draw_pred=draw_pred,
            pred_score_thr=score_thr)
        drawn = self.visualizer.get_image()[..., ::-1]  # RGB -> BGR
        height, width = frame.shape[:2]
        if drawn.shape[:2] != (height, width):
            drawn = cv2.resize(
                drawn, (width, height), interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(drawn)

    # Results ----------------------------------------------------------------

    def _subjects(self, sample: DetDataSample) -> List[dict]:
        """Subjects as plain Python, with their ``labels`` (names)."""
        subjects = datasample_to_subjects(sample, self.emotion_classes, 0.0)
        labels = sample.pred_instances.emotion_labels.cpu().numpy()
        for subject, row in zip(subjects, labels):
            subject['labels'] = [
                self.emotion_classes[c] for c in np.flatnonzero(row)
            ]
        return subjects

    def pred2dict(self,
                  data_sample: DetDataSample,
                  pred_out_dir: str = '') -> Dict:
        """One image's prediction as a JSON-ready dict.

        Args:
            data_sample (DetDataSample): From this inferencer (with
                ``emotion_labels``).
            pred_out_dir (str): Unused; predictions go to one
                ``predictions.json``.

        Returns:
            dict: ``subjects``: per subject ``bbox`` [x1, y1, x2, y2]
            (pixels), ``score``, ``emotions`` {name: probability},
            ``labels`` (the label set, names) and ``vad`` when predicted.
        """
        return dict(subjects=self._subjects(data_sample))

    def _image_record(self, item: ImageInput, image: np.ndarray,
                      sample: DetDataSample, drawing: Optional[str]) -> dict:
        """The record of one image in the results."""
        return dict(
            image=item if isinstance(item, str) else None,
            drawing=drawing,
            width=int(image.shape[1]),
            height=int(image.shape[0]),
            **self.pred2dict(sample))

    def _dump(self, result: dict, source: InputSource, out_dir: str,
              score_thr: float) -> None:
        """Write ``predictions.json`` into ``out_dir`` (atomically)."""
        records = [
            self.pred2dict(p) if isinstance(p, DetDataSample) else p
            for p in result['predictions']
        ]
        content = dict(
            config=getattr(self.cfg, 'filename', None),
            checkpoint=self.weights,
            score_thr=score_thr,
            emotion_classes=list(self.emotion_classes),
            multi_label=self.multi_label,
            thresholds=thresholds_to_dict(self.thresholds,
                                          self.emotion_classes),
            thresholds_source=self.thresholds_source)
        if source.kind == 'images':
            content.update(images=records, skipped=result['skipped'])
        else:
            content.update(video=result['video'], frames=records)
        mkdir_or_exist(out_dir)
        dump(
            content,
            osp.join(out_dir, PREDICTIONS_FILE),
            indent=2,
            backend_args=atomic_backend_args())

    @staticmethod
    def _warn_skipped(skipped: Iterable[dict]) -> None:
        """Log how many files were skipped and name the first few."""
        skipped = list(skipped)
        if not skipped:
            return
        named = '; '.join(entry['reason']
                          for entry in skipped[:MAX_SKIPPED_NAMED])
        more = len(skipped) - MAX_SKIPPED_NAMED
        print_log(
            f'Skipped {len(skipped)} unreadable image file(s): {named}' +
            (f'; and {more} more (see {PREDICTIONS_FILE})'
             if more > 0 else ''),
            logger='current',
            level=logging.WARNING)
