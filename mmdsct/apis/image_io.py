"""Read the images given to the inference API; errors name the file."""
import os.path as osp
from pathlib import Path
from typing import List, Union

import mmcv
import numpy as np
from mmengine.utils import scandir

#: File name endings treated as images when a directory is given.
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
#: Channels of a colour image.
COLOR_CHANNELS = 3


class UnreadableImageError(ValueError):
    """Raised when an image file exists but cannot be decoded."""


def load_image(path: Union[str, Path]) -> np.ndarray:
    """Read an image file as a BGR array, as mmdet's loaders do.

    Args:
        path (str | Path): Image file.

    Returns:
        np.ndarray: The image, uint8, shape [H, W, 3], BGR.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        UnreadableImageError: If the file is empty or not a decodable image.
    """
    path = str(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'Image {path} does not exist.')
    with open(path, 'rb') as file:
        content = file.read()
    if not content:
        raise UnreadableImageError(f'Image {path} is an empty file.')
    try:
        image = mmcv.imfrombytes(content, flag='color', channel_order='bgr')
    except Exception as error:  # cv2 raises its own error types
        raise UnreadableImageError(
            f'Image {path} cannot be decoded: {error}') from error
    if image is None:
        raise UnreadableImageError(
            f'Image {path} is not a valid image file (cannot be decoded).')
    return image


def as_bgr_image(image: np.ndarray) -> np.ndarray:
    """Check an in-memory image and give it three channels.

    Args:
        image (np.ndarray): uint8 image, [H, W] (grey) or [H, W, 3] (BGR).

    Returns:
        np.ndarray: The image, shape [H, W, 3], BGR.

    Raises:
        ValueError: If the array is not an image of that shape.
    """
    if image.ndim == 2:
        return mmcv.gray2bgr(image)
    if image.ndim != 3 or image.shape[2] != COLOR_CHANNELS:
        raise ValueError('An image array must have shape [H, W] or '
                         f'[H, W, 3], got {list(image.shape)}.')
    if min(image.shape[:2]) == 0:
        raise ValueError(f'Image array of shape {list(image.shape)} is empty.')
    return image


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
