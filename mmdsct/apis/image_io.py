"""Read the images given to the inference API; errors name the file."""
import os.path as osp
from pathlib import Path
from typing import List, Union

import mmcv
import numpy as np
from mmengine.utils import scandir

from ..datasets.image_checks import (MAX_ASPECT_RATIO, MIN_IMAGE_SIDE,
                                     DegenerateImageError,
                                     UnreadableImageError, check_image_size,
                                     decode_image)

#: File name endings treated as images when a directory is given.
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
#: Channels of a colour image.
COLOR_CHANNELS = 3

__all__ = [
    'IMAGE_EXTENSIONS', 'MAX_ASPECT_RATIO', 'MIN_IMAGE_SIDE',
    'DegenerateImageError', 'UnreadableImageError', 'as_bgr_image',
    'check_image_size', 'list_images', 'load_image'
]


def load_image(path: Union[str, Path]) -> np.ndarray:
    """Read an image file as a BGR array, as mmdet's loaders do.

    Args:
        path (str | Path): Image file.

    Returns:
        np.ndarray: The image, uint8, shape [H, W, 3], BGR.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        UnreadableImageError: If the file is empty or not a decodable image.
        DegenerateImageError: (a subclass of :class:`UnreadableImageError`)
            If a side has fewer than 2 pixels or the long side is more than
            64 times the short one (see :func:`check_image_size`), e.g. a
            1x500 image.
    """
    path = str(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'Image {path} does not exist.')
    with open(path, 'rb') as file:
        content = file.read()
    return decode_image(content, path)


def as_bgr_image(image: np.ndarray) -> np.ndarray:
    """Check an in-memory image and give it three channels.

    Args:
        image (np.ndarray): uint8 image, [H, W] (grey) or [H, W, 3] (BGR),
            as ``cv2.imread`` or :func:`load_image` give it.

    Returns:
        np.ndarray: The image, shape [H, W, 3], BGR.

    Raises:
        TypeError: If ``image`` is not a numpy array or not uint8 (float,
            uint16, bool, int64, ...); the message says how to convert it.
        ValueError: If the array is not an image of that shape.
        DegenerateImageError: If the image breaks :func:`check_image_size`.
    """
    if not isinstance(image, np.ndarray):
        raise TypeError('An image array must be a numpy array, got '
                        f'{type(image).__name__}.')
    if image.dtype != np.uint8:
        raise TypeError(_dtype_message(image))
    if image.ndim not in (2, 3) or (image.ndim == 3
                                    and image.shape[2] != COLOR_CHANNELS):
        raise ValueError('An image array must have shape [H, W] or '
                         f'[H, W, 3], got {list(image.shape)}.')
    if min(image.shape[:2]) == 0:
        raise ValueError(f'Image array of shape {list(image.shape)} is empty.')
    check_image_size(image.shape[0], image.shape[1], 'Image array')
    if image.ndim == 2:
        return mmcv.gray2bgr(image)
    return image


def _dtype_message(image: np.ndarray) -> str:
    """Why an array of another dtype is refused, and how to convert it."""
    dtype = image.dtype
    message = (f'An image array must be uint8 BGR (values 0-255, as '
               f'cv2.imread gives), got {dtype}')
    if image.size and (np.issubdtype(dtype, np.number) or dtype == np.bool_):
        message += (f' with values in [{image.min()}, {image.max()}]')
    if np.issubdtype(dtype, np.floating):
        hint = ('for floats in [0, 1]: (np.clip(image, 0, 1) * 255).round()'
                '.astype(np.uint8); for floats in [0, 255]: '
                'np.clip(image, 0, 255).round().astype(np.uint8)')
    elif dtype == np.uint16:
        hint = ('for 16-bit images: (image // 257).astype(np.uint8), or '
                'cv2.imread(path) to read the file as 8 bits')
    elif dtype == np.bool_:
        hint = 'for a mask: image.astype(np.uint8) * 255'
    elif np.issubdtype(dtype, np.integer):
        hint = ('for integers in [0, 255]: np.clip(image, 0, 255)'
                '.astype(np.uint8)')
    else:
        hint = 'decode the image with cv2.imread or mmcv.imread'
    return (f'{message}. Convert it first, {hint}. An RGB array (PIL, '
            'imageio, matplotlib) also needs image[..., ::-1] for BGR.')


def list_images(directory: Union[str, Path]) -> List[str]:
    """Image files under a directory, recursively, in sorted order.

    Args:
        directory (str | Path): Directory to search.

    Returns:
        list[str]: Paths (``directory`` joined with each relative path) of
        files whose name ends in one of :data:`IMAGE_EXTENSIONS`, any case.
    """
    directory = str(directory)
    relative_paths = [
        relative for relative in scandir(directory, recursive=True)
        if relative.lower().endswith(IMAGE_EXTENSIONS)
    ]
    return [
        osp.join(directory, relative) for relative in sorted(relative_paths)
    ]
