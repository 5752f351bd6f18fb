"""Draw subjects with their emotions and the context DSCT looked at."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from matplotlib.lines import Line2D
from matplotlib.text import Text
from mmdet.registry import VISUALIZERS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import BaseBoxes, get_box_tensor
from mmdet.visualization import DetLocalVisualizer
from mmengine.dist import master_only
from mmengine.structures import InstanceData

from ..structures import EMOTIONS_FIELD, VAD_FIELD
from .label_text import (emotion_class_names, ground_truth_label,
                         positive_emotions, subject_label, top_emotions)
from .layout import Rect, place_label_block, upscale_to_min_size

RGB = Tuple[int, int, int]

#: Colours of subjects, in order of decreasing subject score (RGB).
SUBJECT_PALETTE: Tuple[RGB,
                       ...] = ((230, 25, 75), (0, 130, 200), (60, 180, 75),
                               (245, 130, 48), (145, 30, 180), (70, 240, 240),
                               (240, 50, 230), (210, 245, 60), (250, 190, 212),
                               (0, 128, 128))
#: Weights of R, G, B in perceived brightness (ITU-R BT.601).
LUMA_WEIGHTS = (0.299, 0.587, 0.114)
#: Label backgrounds brighter than this get black text, others white.
DARK_TEXT_MIN_LUMA = 150
#: Matplotlib measures fonts and line widths in points, 72 to the inch.
POINTS_PER_INCH = 72
#: Automatic font size: the canvas's shorter side divided by this (points).
CANVAS_SIDE_PER_FONT_POINT = 45
#: The automatic font size never goes below this (points).
MIN_FONT_SIZE = 8
#: Padding between a label's text and the edge of its background (points).
LABEL_PAD = 2.0
#: Opacity of a label's background.
LABEL_BACKGROUND_ALPHA = 0.85
#: Context-point legend text, relative to the label font size.
LEGEND_FONT_RATIO = 0.8
#: Width of the outline drawn around each context point (points).
CONTEXT_POINT_EDGE_WIDTH = 0.5


def _matplotlib_color(color: Sequence[int]) -> Tuple[float, ...]:
    """An RGB colour in [0, 255] as matplotlib's [0, 1] tuple."""
    return tuple(channel / 255 for channel in color)


def _text_color_on(background: Sequence[int]) -> str:
    """Black or white, whichever reads better on ``background`` (RGB)."""
    luma = sum(w * c for w, c in zip(LUMA_WEIGHTS, background))
    return 'black' if luma > DARK_TEXT_MIN_LUMA else 'white'


def _as_numpy(
        values: Union[torch.Tensor, np.ndarray, BaseBoxes]) -> np.ndarray:
    """A tensor, box structure or array as a numpy array."""
    if isinstance(values, BaseBoxes):
        values = get_box_tensor(values)
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


@VISUALIZERS.register_module()
class EmotionVisualizer(DetLocalVisualizer):
    """Draws subjects, their top emotions and, optionally, their context.

    Each predicted subject whose score is at least ``pred_score_thr`` gets its
    box and a label block (the subject score, then the ``topk`` most probable
    emotions with their probabilities), in a colour of its own; ground-truth
    subjects get their box and the names of their emotions. With
    ``draw_context_points`` the reference points of the context tokens that
    the last decoder layer chose for each subject are drawn in the subject's
    colour: spatial relations as ``spatial_marker``, semantic relations as
    ``semantic_marker``.

    Images whose shorter side is below ``min_canvas_size`` are enlarged before
    drawing, so the drawing of a 128 px image has readable text; label blocks
    are kept inside the canvas. The drawing is saved (``out_file``) at the
    canvas size.

    It reads ``pred_instances`` (``bboxes`` [n, 4] xyxy in original-image
    pixels, ``scores`` [n], ``labels`` [n], ``emotions`` [n, C], optional
    ``vad`` [n, 3], ``spatial_context_points`` [n, K_sp, 2],
    ``semantic_context_points`` [n, K_sm, 2], optional ``emotion_labels``
    [n, C] bool: the predicted label set, e.g. from
    :class:`~mmdsct.apis.EmotionInferencer`; when present only the
    subject's labels are listed) and ``gt_instances``
    (``bboxes``, ``labels``, optional ``emotions`` [n, C] multi-hot or
    one-hot, ``vad``) of a :class:`DetDataSample`, and the class names from
    ``dataset_meta`` (``classes``, ``emotion_classes``). It plugs into
    mmdet's ``DetVisualizationHook`` (``tools/test.py --show-dir``) like
    :class:`DetLocalVisualizer`.

    Args:
        name (str): Name of the instance. Defaults to 'visualizer'.
        image (np.ndarray, optional): Image to draw on (RGB).
        vis_backends (list[dict], optional): Visual backends.
        save_dir (str, optional): Directory of the backends' files.
        bbox_color (str | tuple, optional): One colour for every box; None
            gives each subject its own colour. Defaults to None.
        text_color (str | tuple, optional): One colour for all label text;
            None picks black or white to suit the label background.
        line_width (float): Box line width in points. Defaults to 2.
        alpha (float): Box opacity. Defaults to 0.9.
        topk (int): Emotions listed per predicted subject. Defaults to 3.
        emotion_score_thr (float): Emotions below this probability are not
            listed. Defaults to 0.
        draw_context_points (bool): Draw the context points. Defaults to
            False.
        min_canvas_size (int, optional): Enlarge images whose shorter side is
            below this before drawing; None or 0 never enlarges. Defaults
            to 512.
        font_size (float, optional): Label font size in points; None derives
            it from the canvas size.
        context_point_size (float): Marker area of a context point, in
            points². Defaults to 20.
        spatial_marker (str): Matplotlib marker of spatial-relation points.
            Defaults to 'o'.
        semantic_marker (str): Matplotlib marker of semantic-relation points.
            Defaults to 'X'.
        draw_context_legend (bool): With context points, add a legend of
            the two markers. Defaults to True.
        gt_panel (bool): Draw the ground-truth panel when ``add_datasample``
            is asked to (``draw_gt``). False keeps drawings prediction-only
            even under mmdet's ``DetVisualizationHook``, which always asks.
            Defaults to True.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[List[Dict]] = None,
                 save_dir: Optional[str] = None,
                 bbox_color: Optional[Union[str, RGB]] = None,
                 text_color: Optional[Union[str, RGB]] = None,
                 line_width: float = 2,
                 alpha: float = 0.9,
                 topk: int = 3,
                 emotion_score_thr: float = 0.0,
                 draw_context_points: bool = False,
                 min_canvas_size: Optional[int] = 512,
                 font_size: Optional[float] = None,
                 context_point_size: float = 20.0,
                 spatial_marker: str = 'o',
                 semantic_marker: str = 'X',
                 draw_context_legend: bool = True,
                 gt_panel: bool = True) -> None:
        super().__init__(
            name=name,
            image=image,
            vis_backends=vis_backends,
            save_dir=save_dir,
            bbox_color=bbox_color,
            text_color=text_color,
            line_width=line_width,
            alpha=alpha)
        self.topk = topk
        self.emotion_score_thr = emotion_score_thr
        self.draw_context_points = draw_context_points
        self.min_canvas_size = min_canvas_size
        self.font_size = font_size
        self.context_point_size = context_point_size
        self.spatial_marker = spatial_marker
        self.semantic_marker = semantic_marker
        self.draw_context_legend = draw_context_legend
        self.gt_panel = gt_panel

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[DetDataSample] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       pred_score_thr: float = 0.3,
                       step: int = 0) -> None:
        """Draw a data sample, then show, save or log the drawing.

        Ground truth and prediction, when both are drawn, sit side by side
        (ground truth on the left), as in :class:`DetLocalVisualizer`.

        Args:
            name (str): Image identifier (window title, backend key).
            image (np.ndarray): The original image, RGB, shape [H, W, 3].
            data_sample (DetDataSample, optional): Annotations and/or
                predictions in original-image pixels.
            draw_gt (bool): Draw ``gt_instances`` (if ``gt_panel``).
                Defaults to True.
            draw_pred (bool): Draw ``pred_instances``. Defaults to True.
            show (bool): Display the drawing in a window. Defaults to False.
            wait_time (float): Seconds to show it (0: until a key).
            out_file (str, optional): Save the drawing here instead of
                sending it to the visual backends.
            pred_score_thr (float): Draw predicted subjects whose score is
                at least this. Defaults to 0.3.
            step (int): Global step for the backends. Defaults to 0.
        """
        image = image.clip(0, 255).astype(np.uint8)
        canvas, scale_xy = upscale_to_min_size(image, self.min_canvas_size)
        panels = []
        if data_sample is not None:
            data_sample = data_sample.cpu()
            if draw_gt and self.gt_panel:
                panels.append(
                    self._draw_ground_truth(canvas,
                                            data_sample.get('gt_instances'),
                                            scale_xy))
            if draw_pred:
                panels.append(
                    self._draw_predictions(canvas,
                                           data_sample.get('pred_instances'),
                                           scale_xy, pred_score_thr))
        drawn = np.concatenate(panels, axis=1) if panels else canvas
        self.set_image(drawn)

        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step)

    def _draw_ground_truth(self, canvas: np.ndarray,
                           instances: Optional[InstanceData],
                           scale_xy: np.ndarray) -> np.ndarray:
        """Draw ground-truth subjects with the names of their emotions.

        Args:
            canvas (np.ndarray): The (enlarged) image, RGB [H', W', 3].
            instances (InstanceData, optional): ``gt_instances``.
            scale_xy (np.ndarray): Image-to-canvas factors ``[sx, sy]``.

        Returns:
            np.ndarray: The drawing, RGB [H', W', 3].
        """
        if instances is None or len(instances) == 0:
            return self._draw_subjects(canvas, np.zeros((0, 4)), [])
        bboxes = _as_numpy(instances.bboxes).reshape(-1, 4)  # [n, 4]
        class_names = self._class_names(instances)
        emotions = self._emotion_targets(instances)
        vads = (
            _as_numpy(instances[VAD_FIELD])
            if VAD_FIELD in instances else None)
        labels = [
            ground_truth_label(class_names[i], emotions[i],
                               None if vads is None else vads[i])
            for i in range(len(bboxes))
        ]
        return self._draw_subjects(canvas, bboxes * np.tile(scale_xy, 2),
                                   labels)

    def _draw_predictions(self, canvas: np.ndarray,
                          instances: Optional[InstanceData],
                          scale_xy: np.ndarray,
                          score_thr: float) -> np.ndarray:
        """Draw predicted subjects scoring at least ``score_thr``.

        Subjects are coloured in order of decreasing score; the most
        confident one is drawn last, so its label is on top.

        Args:
            canvas (np.ndarray): The (enlarged) image, RGB [H', W', 3].
            instances (InstanceData, optional): ``pred_instances``.
            scale_xy (np.ndarray): Image-to-canvas factors ``[sx, sy]``.
            score_thr (float): Subject score threshold.

        Returns:
            np.ndarray: The drawing, RGB [H', W', 3].
        """
        if instances is None or len(instances) == 0:
            return self._draw_subjects(canvas, np.zeros((0, 4)), [])
        scores = _as_numpy(instances.scores) if 'scores' in instances \
            else np.ones(len(instances), dtype=np.float32)
        ranked = [
            i for i in np.argsort(-scores, kind='stable')
            if scores[i] >= score_thr
        ]
        bboxes = _as_numpy(instances.bboxes).reshape(-1, 4)[ranked]  # [n, 4]
        class_names = self._class_names(instances)
        labels = [
            subject_label(class_names[i], float(scores[i]),
                          self._top_emotions(instances, i),
                          self._row_or_none(instances, VAD_FIELD, i))
            for i in ranked
        ]
        context = self._context_points(instances, ranked, scale_xy)
        return self._draw_subjects(canvas, bboxes * np.tile(scale_xy, 2),
                                   labels, context)

    def _draw_subjects(
            self,
            canvas: np.ndarray,
            bboxes: np.ndarray,
            labels: Sequence[str],
            context: Optional[Dict[str,
                                   List[np.ndarray]]] = None) -> np.ndarray:
        """Draw boxes, label blocks and context points on a canvas.

        Args:
            canvas (np.ndarray): RGB [H', W', 3].
            bboxes (np.ndarray): Subject boxes in canvas pixels, [n, 4].
            labels (Sequence[str]): Label block text of each subject.
            context (dict[str, list[np.ndarray]], optional): Matplotlib
                marker → per-subject context points in canvas pixels, each
                [K, 2].

        Returns:
            np.ndarray: The drawing, RGB [H', W', 3].
        """
        self.set_image(canvas)
        colors = self._subject_colors(len(bboxes))
        if context:
            self._draw_context(context, colors)
        if len(bboxes) > 0:
            self.draw_bboxes(
                bboxes,
                edge_colors=colors,
                alpha=self.alpha,
                line_widths=self.line_width)
        self._draw_labels(bboxes, labels, colors)
        return self.get_image()

    def _draw_labels(self, bboxes: np.ndarray, labels: Sequence[str],
                     colors: Sequence[RGB]) -> None:
        """Draw the label blocks, inside the canvas and apart if possible.

        Blocks are placed in rank order (the first subject gets the best
        place, later ones avoid the blocks already placed; see
        :func:`place_label_block`) and stacked in reverse, so the first
        subject's block is on top.

        Args:
            bboxes (np.ndarray): Subject boxes in canvas pixels, [n, 4].
            labels (Sequence[str]): Label block text of each subject.
            colors (Sequence[tuple[int]]): Colour of each subject (RGB).
        """
        artists = [
            self._add_label_text(labels[index], colors[index])
            for index in reversed(range(len(bboxes)))
        ][::-1]
        renderer = self.fig_save_canvas.get_renderer()
        pad = self._points_to_pixels(LABEL_PAD)
        margin = self._points_to_pixels(self.line_width)
        occupied: List[Rect] = []
        for artist, box in zip(artists, bboxes):
            extent = artist.get_window_extent(renderer=renderer)
            width, height = extent.width + 2 * pad, extent.height + 2 * pad
            x, y = place_label_block(box, (width, height),
                                     (self.width, self.height), margin,
                                     occupied)
            artist.set_position((x + pad, y + pad))
            occupied.append((x, y, x + width, y + height))

    def _add_label_text(self, text: str, color: RGB) -> Text:
        """Add a label block at the top-left corner, to be placed later.

        Args:
            text (str): Label text, one item per line.
            color (tuple[int]): The subject's colour (RGB), its background.

        Returns:
            Text: The matplotlib text artist.
        """
        self.draw_texts(
            text,
            np.zeros(2, dtype=np.float32),
            font_sizes=self._font_size(),
            colors=self.text_color or _text_color_on(color),
            vertical_alignments='top',
            horizontal_alignments='left',
            bboxes=dict(
                facecolor=_matplotlib_color(color),
                alpha=LABEL_BACKGROUND_ALPHA,
                pad=LABEL_PAD,
                edgecolor='none'))
        return self.ax_save.texts[-1]

    def _draw_context(self, context: Dict[str, List[np.ndarray]],
                      colors: Sequence[RGB]) -> None:
        """Scatter each subject's context points in its colour.

        Args:
            context (dict[str, list[np.ndarray]]): Marker → per-subject
                points in canvas pixels, each [K, 2].
            colors (Sequence[tuple[int]]): Colour of each subject (RGB).
        """
        drawn_any = False
        for marker, points_per_subject in context.items():
            for points, color in zip(points_per_subject, colors):
                if len(points) == 0:
                    continue
                drawn_any = True
                self.ax_save.scatter(
                    points[:, 0],
                    points[:, 1],
                    s=self.context_point_size,
                    marker=marker,
                    color=_matplotlib_color(color),
                    edgecolors='black',
                    linewidths=CONTEXT_POINT_EDGE_WIDTH)
        if drawn_any and self.draw_context_legend:
            self._draw_context_legend()

    def _draw_context_legend(self) -> None:
        """Add a legend telling the two context markers apart."""
        handles = [
            Line2D([], [],
                   marker=marker,
                   linestyle='none',
                   markerfacecolor='lightgray',
                   markeredgecolor='black',
                   label=label)
            for marker, label in ((self.spatial_marker, 'spatial context'),
                                  (self.semantic_marker, 'semantic context'))
        ]
        self.ax_save.legend(
            handles=handles,
            loc='lower right',
            fontsize=self._font_size() * LEGEND_FONT_RATIO,
            framealpha=LABEL_BACKGROUND_ALPHA)

    def _context_points(
            self, instances: InstanceData, ranked: Sequence[int],
            scale_xy: np.ndarray) -> Optional[Dict[str, List[np.ndarray]]]:
        """Context points of the drawn subjects, by marker, in canvas px.

        Args:
            instances (InstanceData): ``pred_instances``.
            ranked (Sequence[int]): Indices of the drawn subjects, in order.
            scale_xy (np.ndarray): Image-to-canvas factors ``[sx, sy]``.

        Returns:
            dict[str, list[np.ndarray]] | None: Marker → list of [K, 2]
            arrays, one per drawn subject; None when not drawn or absent.
        """
        if not self.draw_context_points:
            return None
        fields = (('spatial_context_points', self.spatial_marker),
                  ('semantic_context_points', self.semantic_marker))
        context = {}
        for field, marker in fields:
            if field not in instances:
                continue
            points = _as_numpy(getattr(instances, field))
            points = points.reshape(len(instances), -1, 2)  # [n, K, 2]
            context[marker] = [points[i] * scale_xy for i in ranked]
        return context or None

    def _top_emotions(self, instances: InstanceData,
                      index: int) -> List[Tuple[str, float]]:
        """The listed emotions of predicted subject ``index``."""
        if EMOTIONS_FIELD not in instances:
            return []
        probabilities = _as_numpy(instances[EMOTIONS_FIELD][index])  # [C]
        names = emotion_class_names(
            self.dataset_meta.get('emotion_classes'), len(probabilities))
        if 'emotion_labels' in instances:  # list the label set only
            labels = _as_numpy(instances.emotion_labels[index])  # [C] bool
            in_set = np.flatnonzero(labels)
            probabilities = probabilities[in_set]
            names = [names[c] for c in in_set]
        return top_emotions(probabilities, names, self.topk,
                            self.emotion_score_thr)

    def _emotion_targets(self, instances: InstanceData) -> List[List[str]]:
        """Names of the positive emotions of every ground-truth subject."""
        if EMOTIONS_FIELD not in instances:
            return [[] for _ in range(len(instances))]
        targets = _as_numpy(instances[EMOTIONS_FIELD])
        targets = targets.reshape(len(instances), -1)  # [n, C]
        names = emotion_class_names(
            self.dataset_meta.get('emotion_classes'), targets.shape[1])
        return [positive_emotions(row, names) for row in targets]

    def _class_names(self, instances: InstanceData) -> List[str]:
        """Detection class name of every instance (``'person'``)."""
        classes = self.dataset_meta.get('classes') or ('subject', )
        if 'labels' not in instances:
            return [classes[0]] * len(instances)
        return [
            classes[label] if 0 <= label < len(classes) else f'class {label}'
            for label in _as_numpy(instances.labels).astype(int).tolist()
        ]

    @staticmethod
    def _row_or_none(instances: InstanceData, field: str,
                     index: int) -> Optional[np.ndarray]:
        """Row ``index`` of ``instances.<field>``, or None if absent."""
        if field not in instances:
            return None
        return _as_numpy(getattr(instances, field)[index])

    def _subject_colors(self, count: int) -> List[RGB]:
        """Box colour of each of ``count`` subjects (RGB)."""
        if self.bbox_color is not None:
            color = mmcv.color_val(self.bbox_color)[::-1] \
                if isinstance(self.bbox_color, str) else self.bbox_color
            return [tuple(color)] * count
        return [
            SUBJECT_PALETTE[i % len(SUBJECT_PALETTE)] for i in range(count)
        ]

    def _font_size(self) -> float:
        """Label font size in points for the current canvas."""
        if self.font_size is not None:
            return self.font_size
        shorter = min(self.width, self.height)
        return max(MIN_FONT_SIZE, round(shorter / CANVAS_SIDE_PER_FONT_POINT))

    def _points_to_pixels(self, points: float) -> float:
        """A length in points as canvas pixels."""
        return points * self.dpi / POINTS_PER_INCH
