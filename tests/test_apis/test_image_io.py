"""Reading images for inference, with errors that name the file."""
import re

import mmcv
import numpy as np
import pytest

from mmdsct.apis import (DegenerateImageError, UnreadableImageError,
                         as_bgr_image, list_images, load_image)
from mmdsct.apis.image_io import (MAX_ASPECT_RATIO, MIN_IMAGE_SIDE,
                                  check_image_size)


def write_image(path, height=24, width=32):
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[..., 2] = 255  # red in BGR
    mmcv.imwrite(image, str(path))
    return image


def test_load_image_reads_bgr(tmp_path):
    path = tmp_path / 'red.png'
    expected = write_image(path)
    np.testing.assert_array_equal(load_image(path), expected)


def test_missing_image_is_named(tmp_path):
    path = tmp_path / 'nowhere.png'
    with pytest.raises(FileNotFoundError, match='nowhere.png'):
        load_image(path)


@pytest.mark.parametrize('content', [b'', b'not an image at all'])
def test_unreadable_image_is_named(tmp_path, content):
    path = tmp_path / 'broken.jpg'
    path.write_bytes(content)
    with pytest.raises(UnreadableImageError, match='broken.jpg'):
        load_image(path)


def test_as_bgr_image_accepts_grey_and_colour():
    grey = np.full((5, 7), 9, dtype=np.uint8)
    assert as_bgr_image(grey).shape == (5, 7, 3)
    colour = np.zeros((5, 7, 3), dtype=np.uint8)
    assert as_bgr_image(colour) is colour


@pytest.mark.parametrize('shape', [(5, 7, 4), (5, ), (0, 7, 3)])
def test_as_bgr_image_rejects_other_shapes(shape):
    with pytest.raises(ValueError, match='shape'):
        as_bgr_image(np.zeros(shape, dtype=np.uint8))


def test_list_images_is_recursive_sorted_and_filtered(tmp_path):
    write_image(tmp_path / 'b.png')
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'a.JPG').write_bytes(b'only the name matters')
    (tmp_path / 'notes.txt').write_text('not an image')
    assert list_images(tmp_path) == [
        str(tmp_path / 'b.png'),
        str(tmp_path / 'sub' / 'a.JPG')
    ]


@pytest.mark.parametrize('height, width', [(500, 1), (1, 500), (1, 1),
                                           (3, 200)])
def test_degenerate_image_file_is_named(tmp_path, height, width):
    path = tmp_path / 'thin.png'
    write_image(path, height=height, width=width)
    with pytest.raises(
            DegenerateImageError,
            match=f'thin.png: the image is {width}x{height}'):
        load_image(path)


def test_degenerate_is_an_unreadable_image_error(tmp_path):
    path = tmp_path / 'line.png'
    write_image(path, height=500, width=1)
    with pytest.raises(UnreadableImageError):
        load_image(path)


@pytest.mark.parametrize('height, width', [(2, 2), (10, 640), (640, 10)])
def test_small_but_resizable_images_are_kept(tmp_path, height, width):
    path = tmp_path / 'small.png'
    write_image(path, height=height, width=width)
    assert load_image(path).shape == (height, width, 3)
    assert as_bgr_image(np.zeros((height, width),
                                 np.uint8)).shape == (height, width, 3)


def test_size_rule_boundaries():
    check_image_size(MIN_IMAGE_SIDE, MIN_IMAGE_SIDE, 'x')
    check_image_size(10, 10 * MAX_ASPECT_RATIO, 'x')
    with pytest.raises(DegenerateImageError, match='more than 64 times'):
        check_image_size(10, 10 * MAX_ASPECT_RATIO + 1, 'x')
    with pytest.raises(DegenerateImageError, match='at least 2 pixels'):
        check_image_size(MIN_IMAGE_SIDE - 1, 2, 'x')


@pytest.mark.parametrize('shape', [(1, 500, 3), (500, 1), (4, 300, 3)])
def test_as_bgr_image_refuses_degenerate_arrays(shape):
    with pytest.raises(DegenerateImageError, match='Image array'):
        as_bgr_image(np.zeros(shape, dtype=np.uint8))


@pytest.mark.parametrize('array, hint', [
    (np.full((8, 8, 3), 0.5, np.float32), r'np.clip\(image, 0, 1\) \* 255'),
    (np.full((8, 8, 3), 200.0, np.float64), r'np.clip\(image, 0, 255\)'),
    (np.full((8, 8, 3), 40000, np.uint16), r'image // 257'),
    (np.ones((8, 8), bool), r'image.astype\(np.uint8\) \* 255'),
    (np.full((8, 8, 3), 7, np.int64), r'np.clip\(image, 0, 255\)'),
])
def test_as_bgr_image_refuses_other_dtypes_and_says_how_to_convert(
        array, hint):
    with pytest.raises(TypeError, match='must be uint8 BGR') as error:
        as_bgr_image(array)
    message = str(error.value)
    assert str(array.dtype) in message
    assert re.search(hint, message), message


def test_as_bgr_image_refuses_non_arrays():
    with pytest.raises(TypeError, match='must be a numpy array, got list'):
        as_bgr_image([[0, 1], [2, 3]])
