"""EmotionVisualizer on hand-built data samples (the model's contract)."""
from types import SimpleNamespace

import mmcv
import numpy as np
import pytest
import torch
from mmdet.engine.hooks import DetVisualizationHook
from mmdet.registry import VISUALIZERS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.structures import InstanceData

from mmdsct.visualization import EmotionVisualizer
from mmdsct.visualization.emotion_visualizer import SUBJECT_PALETTE

GREY = 90
HEIGHT, WIDTH = 128, 160  # the synthetic data's image size
MIN_CANVAS = 512
SCALE = MIN_CANVAS / HEIGHT  # 4: canvas 512 x 640
EMOTIONS = ('Anger', 'Joy', 'Fear', 'Calm')
META = dict(classes=('person', ), emotion_classes=EMOTIONS)
# A confident subject on the left and an unsure one on the right.
SURE_BOX = [10., 40., 60., 120.]
UNSURE_BOX = [100., 20., 150., 60.]
# Context points, away from both boxes, the labels and the legend.
SPATIAL_POINT = (130., 80.)
SEMANTIC_POINT = (110., 90.)


def grey_image() -> np.ndarray:
    """A uniform RGB image of the synthetic data's size."""
    return np.full((HEIGHT, WIDTH, 3), GREY, dtype=np.uint8)


def prediction_sample(num_spatial: int = 1,
                      num_semantic: int = 1) -> DetDataSample:
    """Two predicted subjects, scores 0.9 and 0.1, with context points."""
    pred = InstanceData()
    pred.bboxes = torch.tensor([SURE_BOX, UNSURE_BOX])
    pred.scores = torch.tensor([0.9, 0.1])
    pred.labels = torch.zeros(2, dtype=torch.long)
    pred.emotions = torch.tensor([[0.05, 0.8, 0.6, 0.2], [0.9, 0.1, 0.1, 0.1]])
    pred.spatial_context_points = torch.tensor(
        [SPATIAL_POINT] * 2 * num_spatial).reshape(2, num_spatial, 2)
    pred.semantic_context_points = torch.tensor(
        [SEMANTIC_POINT] * 2 * num_semantic).reshape(2, num_semantic, 2)
    sample = DetDataSample(metainfo=dict(img_shape=(HEIGHT, WIDTH)))
    sample.pred_instances = pred
    return sample


def with_ground_truth(sample: DetDataSample) -> DetDataSample:
    """Add one ground-truth subject (Anger, Fear) to ``sample``."""
    gt = InstanceData()
    gt.bboxes = HorizontalBoxes(torch.tensor([SURE_BOX]))  # as packed
    gt.labels = torch.zeros(1, dtype=torch.long)
    gt.emotions = torch.tensor([[1., 0., 1., 0.]])
    sample.gt_instances = gt
    return sample


def make_visualizer(**kwargs) -> EmotionVisualizer:
    visualizer = EmotionVisualizer(name='test_emotion_visualizer', **kwargs)
    visualizer.dataset_meta = META
    return visualizer


def canvas_region(drawing: np.ndarray, box) -> np.ndarray:
    """The canvas pixels of an image-pixel box."""
    x1, y1, x2, y2 = (int(round(v * SCALE)) for v in box)
    return drawing[y1:y2, x1:x2]


def canvas_pixel(drawing: np.ndarray, point) -> np.ndarray:
    x, y = (int(round(v * SCALE)) for v in point)
    return drawing[y, x].astype(int)


def test_registered_and_buildable_from_config():
    visualizer = VISUALIZERS.build(
        dict(type='EmotionVisualizer', name='test_build', topk=2))
    assert isinstance(visualizer, EmotionVisualizer)
    assert visualizer.topk == 2


def test_prediction_drawing_is_enlarged_and_thresholded(tmp_path):
    visualizer = make_visualizer()
    out_file = tmp_path / 'drawing.png'
    visualizer.add_datasample(
        'img',
        grey_image(),
        prediction_sample(),
        draw_gt=False,
        out_file=str(out_file),
        pred_score_thr=0.5)
    drawing = mmcv.imread(str(out_file), channel_order='rgb')
    assert drawing.shape == (MIN_CANVAS, int(WIDTH * SCALE), 3)
    # The unsure subject (score 0.1 < 0.5) is not drawn at all.
    unsure = canvas_region(drawing, UNSURE_BOX).astype(int)
    assert np.abs(unsure - GREY).max() <= 2
    # The left edge of the sure subject's box has its palette colour.
    x1, y1, _, y2 = SURE_BOX
    edge = canvas_pixel(drawing, (x1, (y1 + y2) / 2))
    assert np.abs(edge - np.array(SUBJECT_PALETTE[0])).max() < 40
    # Context points are off by default.
    assert np.abs(canvas_pixel(drawing, SPATIAL_POINT) - GREY).max() <= 2


def test_label_text_lists_score_and_top_emotions():
    visualizer = make_visualizer(topk=2)
    canvas = np.full((MIN_CANVAS, int(WIDTH * SCALE), 3), GREY, np.uint8)
    visualizer._draw_predictions(canvas,
                                 prediction_sample().pred_instances,
                                 np.array([SCALE, SCALE]), 0.05)
    texts = sorted(text.get_text() for text in visualizer.ax_save.texts)
    assert texts == [
        'person 0.10\nAnger 0.90\nJoy 0.10', 'person 0.90\nJoy 0.80\nFear 0.60'
    ]


def test_emotion_probability_threshold_shortens_the_list():
    visualizer = make_visualizer(topk=3, emotion_score_thr=0.7)
    canvas = np.full((MIN_CANVAS, int(WIDTH * SCALE), 3), GREY, np.uint8)
    visualizer._draw_predictions(canvas,
                                 prediction_sample().pred_instances,
                                 np.array([SCALE, SCALE]), 0.5)
    assert [text.get_text()
            for text in visualizer.ax_save.texts] == ['person 0.90\nJoy 0.80']


@pytest.mark.parametrize(
    'box',
    [[0., 0., 160., 20.], [140., 110., 160., 128.], [-5., 60., 30., 140.]])
def test_label_blocks_stay_inside_the_canvas(box):
    visualizer = make_visualizer(topk=4)
    sample = prediction_sample()
    sample.pred_instances.bboxes[0] = torch.tensor(box)
    canvas = np.full((MIN_CANVAS, int(WIDTH * SCALE), 3), GREY, np.uint8)
    visualizer._draw_predictions(canvas, sample.pred_instances,
                                 np.array([SCALE, SCALE]), 0.5)
    visualizer.fig_save_canvas.draw()
    renderer = visualizer.fig_save_canvas.get_renderer()
    (artist, ) = visualizer.ax_save.texts
    block = artist.get_bbox_patch().get_window_extent(renderer)
    height, width = canvas.shape[:2]
    assert block.x0 >= 0 and block.y0 >= 0
    assert block.x1 <= width and block.y1 <= height


def test_context_points_in_two_marker_styles(tmp_path):
    visualizer = make_visualizer(draw_context_points=True)
    out_file = tmp_path / 'context.png'
    visualizer.add_datasample(
        'img',
        grey_image(),
        prediction_sample(),
        draw_gt=False,
        out_file=str(out_file),
        pred_score_thr=0.5)
    drawing = mmcv.imread(str(out_file), channel_order='rgb')
    for point in (SPATIAL_POINT, SEMANTIC_POINT):
        assert np.abs(canvas_pixel(drawing, point) - GREY).max() > 40

    canvas = np.full((MIN_CANVAS, int(WIDTH * SCALE), 3), GREY, np.uint8)
    visualizer._draw_predictions(canvas,
                                 prediction_sample().pred_instances,
                                 np.array([SCALE, SCALE]), 0.5)
    spatial, semantic = visualizer.ax_save.collections[:2]
    spatial_marker = spatial.get_paths()[0].vertices
    semantic_marker = semantic.get_paths()[0].vertices
    assert spatial_marker.shape != semantic_marker.shape or \
        not np.allclose(spatial_marker, semantic_marker)
    np.testing.assert_allclose(spatial.get_offsets()[0],
                               np.array(SPATIAL_POINT) * SCALE)


def test_no_context_points_is_fine(tmp_path):
    visualizer = make_visualizer(draw_context_points=True)
    out_file = tmp_path / 'empty_context.png'
    visualizer.add_datasample(
        'img',
        grey_image(),
        prediction_sample(0, 0),
        draw_gt=False,
        out_file=str(out_file),
        pred_score_thr=0.5)
    drawing = mmcv.imread(str(out_file), channel_order='rgb')
    assert np.abs(canvas_pixel(drawing, SPATIAL_POINT) - GREY).max() <= 2


def test_ground_truth_and_prediction_side_by_side(tmp_path):
    visualizer = make_visualizer()
    out_file = tmp_path / 'both.png'
    visualizer.add_datasample(
        'img',
        grey_image(),
        with_ground_truth(prediction_sample()),
        out_file=str(out_file),
        pred_score_thr=0.5)
    drawing = mmcv.imread(str(out_file), channel_order='rgb')
    assert drawing.shape == (MIN_CANVAS, 2 * int(WIDTH * SCALE), 3)

    canvas = np.full((MIN_CANVAS, int(WIDTH * SCALE), 3), GREY, np.uint8)
    visualizer._draw_ground_truth(
        canvas,
        with_ground_truth(prediction_sample()).gt_instances,
        np.array([SCALE, SCALE]))
    assert [text.get_text()
            for text in visualizer.ax_save.texts] == ['person\nAnger\nFear']


def test_empty_prediction_gives_the_plain_canvas(tmp_path):
    sample = DetDataSample()
    sample.pred_instances = InstanceData(
        bboxes=torch.zeros(0, 4),
        scores=torch.zeros(0),
        labels=torch.zeros(0, dtype=torch.long),
        emotions=torch.zeros(0, len(EMOTIONS)))
    visualizer = make_visualizer(draw_context_points=True)
    out_file = tmp_path / 'empty.png'
    visualizer.add_datasample(
        'img', grey_image(), sample, draw_gt=False, out_file=str(out_file))
    drawing = mmcv.imread(str(out_file), channel_order='rgb')
    assert np.abs(drawing.astype(int) - GREY).max() <= 2


def test_works_through_mmdet_visualization_hook(tmp_path):
    """``tools/test.py --show-dir`` path: the hook draws GT + prediction."""
    image_path = tmp_path / 'frame_0001.png'
    mmcv.imwrite(grey_image()[..., ::-1], str(image_path))
    visualizer = EmotionVisualizer.get_instance(
        'test_hook_visualizer', draw_context_points=True)
    visualizer.dataset_meta = META
    hook = DetVisualizationHook(draw=True, test_out_dir='vis')
    assert hook._visualizer is visualizer
    sample = with_ground_truth(prediction_sample())
    sample.set_metainfo(dict(img_path=str(image_path)))
    runner = SimpleNamespace(work_dir=str(tmp_path), timestamp='run')
    hook.after_test_iter(runner, 0, {}, [sample])
    drawing = mmcv.imread(str(tmp_path / 'run' / 'vis' / 'frame_0001.png'))
    assert drawing.shape == (MIN_CANVAS, 2 * int(WIDTH * SCALE), 3)


def test_gt_panel_off_keeps_drawings_prediction_only(tmp_path):
    visualizer = make_visualizer(gt_panel=False)
    out_file = tmp_path / 'pred_only.png'
    visualizer.add_datasample(
        'img',
        grey_image(),
        with_ground_truth(prediction_sample()),
        draw_gt=True,
        out_file=str(out_file),
        pred_score_thr=0.5)
    drawing = mmcv.imread(str(out_file))
    assert drawing.shape == (MIN_CANVAS, int(WIDTH * SCALE), 3)
