"""Reading images for inference, with errors that name the file."""
import mmcv
import numpy as np
import pytest

from mmdsct.apis import (UnreadableImageError, as_bgr_image, list_images,
                         load_image)


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
