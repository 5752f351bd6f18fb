"""Canvas enlargement and label placement."""
import numpy as np

from mmdsct.visualization import place_label_block, upscale_to_min_size


def test_small_image_is_enlarged_to_the_minimum_shorter_side():
    image = np.zeros((128, 160, 3), dtype=np.uint8)
    canvas, scale_xy = upscale_to_min_size(image, 512)
    assert canvas.shape == (512, 640, 3)
    np.testing.assert_allclose(scale_xy, [4.0, 4.0])


def test_large_image_or_disabled_option_keeps_the_image():
    image = np.zeros((600, 800, 3), dtype=np.uint8)
    for min_size in (512, None, 0):
        canvas, scale_xy = upscale_to_min_size(image, min_size)
        assert canvas is image
        np.testing.assert_allclose(scale_xy, [1.0, 1.0])


def test_non_square_scale_factors_map_the_corners():
    image = np.zeros((100, 333, 3), dtype=np.uint8)
    canvas, scale_xy = upscale_to_min_size(image, 512)
    assert canvas.shape[0] == 512
    np.testing.assert_allclose(scale_xy * [333, 100],
                               [canvas.shape[1], canvas.shape[0]])


def test_label_goes_above_a_box_with_room():
    x, y = place_label_block([100, 200, 300, 400], (80, 50), (640, 512), 3)
    assert (x, y) == (100, 150)


def test_label_goes_inside_a_box_at_the_top_edge():
    x, y = place_label_block([100, 10, 300, 400], (80, 50), (640, 512), 3)
    assert x == 100
    assert y == 13


def test_label_is_shifted_inside_the_canvas():
    canvas = (640, 512)
    block = (120, 60)
    for box in ([600, 0, 640, 100], [-20, 480, 30, 530], [0, 0, 640, 512]):
        x, y = place_label_block(box, block, canvas, 2)
        assert 2 <= x <= canvas[0] - block[0] - 2
        assert 2 <= y <= canvas[1] - block[1] - 2


def test_label_larger_than_the_canvas_is_pinned_top_left():
    assert place_label_block([10, 10, 20, 20], (700, 600), (640, 512),
                             2) == (2, 2)


def test_label_avoids_blocks_already_placed():
    box = [100, 200, 300, 400]
    first = place_label_block(box, (80, 50), (640, 512), 3)
    taken = [(first[0], first[1], first[0] + 80, first[1] + 50)]
    second = place_label_block(box, (80, 50), (640, 512), 3, taken)
    assert second != first
    x, y = second
    assert x + 80 <= taken[0][0] or y >= taken[0][3] or \
        y + 50 <= taken[0][1] or x >= taken[0][2]


def test_label_overlapping_everywhere_takes_the_least_overlap():
    everything = [(0, 0, 640, 512)]
    x, y = place_label_block([100, 200, 300, 400], (80, 50), (640, 512), 3,
                             everything)
    assert 3 <= x <= 640 - 80 - 3 and 3 <= y <= 512 - 50 - 3
