"""Checks of decoded images, shared by the data pipeline and the API.

The size rule (:func:`check_image_size`) comes from what the resize
transforms need. A keep-ratio resize (mmcv's ``Resize``/``RandomChoice
Resize``, the official short-side resize) scales both sides by one factor
chosen for the long side and rounds each side to the nearest pixel; when the
short side rounds to 0 pixels, cv2 aborts. The long side of our configs is
brought to 128 (synthetic data) to 1333 pixels; a side ratio of at most
:data:`MAX_ASPECT_RATIO` (64) keeps the short side at 0.5 pixel or more, so
at least 1 after rounding, for any long-side target of 32 pixels or more.
A side of a single pixel is a line, not a picture: each side must have at
least :data:`MIN_IMAGE_SIDE` (2) pixels. So 1x500 and 500x1 are refused
(both rules), as are 2x200 (ratio 100) and 1x1; 2x2 and 10x640 are kept.
"""
import mmcv
import numpy as np

#: Fewest pixels a side of an image may have.
MIN_IMAGE_SIDE = 2
#: Largest ratio of the long side to the short side.
MAX_ASPECT_RATIO = 64


class UnreadableImageError(ValueError):
    """Raised when an image file exists but cannot be decoded."""


class DegenerateImageError(UnreadableImageError):
    """Raised when an image decodes but is too small or too thin to process.

    See :func:`check_image_size` for the rule.
    """


def check_image_size(height: int, width: int, name: str) -> None:
    """Refuse an image whose size the resize transforms cannot handle.

    Rule: each side has at least :data:`MIN_IMAGE_SIDE` (2) pixels, and the
    long side is at most :data:`MAX_ASPECT_RATIO` (64) times the short one
    (a keep-ratio resize of the long side to 32 pixels or more then leaves
    the short side at least 1 pixel; see the module docstring).

    Args:
        height (int): Image height in pixels.
        width (int): Image width in pixels.
        name (str): What to call the image in the message (its path, or
            ``'image array'``).

    Raises:
        DegenerateImageError: If the image breaks the rule.
    """
    short, long = min(height, width), max(height, width)
    if short < MIN_IMAGE_SIDE:
        raise DegenerateImageError(
            f'{name}: the image is {width}x{height} (width x height); each '
            f'side needs at least {MIN_IMAGE_SIDE} pixels.')
    if long > MAX_ASPECT_RATIO * short:
        raise DegenerateImageError(
            f'{name}: the image is {width}x{height} (width x height); its '
            f'long side is more than {MAX_ASPECT_RATIO} times its short side, '
            'which a keep-ratio resize would shrink to 0 pixels.')


def decode_image(content: bytes, name: str) -> np.ndarray:
    """Decode image bytes as mmdet's loaders do and check the result.

    Args:
        content (bytes): The file's bytes.
        name (str): The file's path, for messages.

    Returns:
        np.ndarray: The image, uint8, shape [H, W, 3], BGR.

    Raises:
        UnreadableImageError: If ``content`` is empty or not a decodable
            image.
        DegenerateImageError: If the image breaks :func:`check_image_size`.
    """
    if not content:
        raise UnreadableImageError(f'Image {name} is an empty file.')
    try:
        image = mmcv.imfrombytes(content, flag='color', channel_order='bgr')
    except Exception as error:  # cv2 raises its own error types
        raise UnreadableImageError(
            f'Image {name} cannot be decoded: {error}') from error
    if image is None:
        raise UnreadableImageError(
            f'Image {name} is not a valid image file (cannot be decoded).')
    check_image_size(image.shape[0], image.shape[1], f'Image {name}')
    return image
