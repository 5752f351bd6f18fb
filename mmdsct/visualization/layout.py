"""Canvas geometry: enlarging small images and keeping labels inside them."""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

#: A rectangle ``(x1, y1, x2, y2)`` in canvas pixels.
Rect = Tuple[float, float, float, float]
#: A point (x, y) in canvas pixels.
Point = Tuple[float, float]


def upscale_to_min_size(
        image: np.ndarray,
        min_size: Optional[int]) -> Tuple[np.ndarray, np.ndarray]:
    """Enlarge an image whose shorter side is below ``min_size``.

    Text drawn on a 128 px image is either unreadable or covers the subject;
    drawing on an enlarged copy keeps both the picture and the text legible.

    Args:
        image (np.ndarray): Image, shape [H, W, 3] (or [H, W]).
        min_size (int, optional): Wanted length of the shorter side; None or
            0 keeps the image as it is. Larger images are never shrunk.

    Returns:
        tuple[np.ndarray, np.ndarray]: The canvas, shape [H', W', 3], and the
        factors ``[W'/W, H'/H]`` that map image (x, y) to canvas (x, y).
    """
    height, width = image.shape[:2]
    shorter = min(height, width)
    if not min_size or shorter >= min_size or shorter == 0:
        return image, np.ones(2, dtype=np.float32)
    factor = min_size / shorter
    new_width = int(round(width * factor))
    new_height = int(round(height * factor))
    canvas = cv2.resize(
        image, (new_width, new_height), interpolation=cv2.INTER_LINEAR)
    scale_xy = np.array([new_width / width, new_height / height],
                        dtype=np.float32)
    return canvas, scale_xy


def place_label_block(box: Sequence[float],
                      block_size: Sequence[float],
                      canvas_size: Sequence[int],
                      margin: float,
                      occupied: Sequence[Rect] = ()) -> Point:
    """Top-left corner of a subject's label block, inside the canvas.

    Candidate places, in order of preference: just above the box (where it
    fits above), inside the box at its top, just below the box (where it
    fits below), inside the box at its bottom; each left-aligned, then
    right-aligned with the box. Every candidate is shifted to stay
    ``margin`` pixels inside the canvas (a block larger than the canvas is
    pinned to the top-left corner). The first candidate that overlaps no
    ``occupied`` rectangle wins; if all overlap, the one overlapping least.

    Args:
        box (Sequence[float]): ``[x1, y1, x2, y2]`` in canvas pixels.
        block_size (Sequence[float]): ``(width, height)`` of the block in
            pixels.
        canvas_size (Sequence[int]): ``(width, height)`` of the canvas.
        margin (float): Distance to keep from the canvas edges and from the
            box's edge inside it, in pixels.
        occupied (Sequence[Rect]): ``(x1, y1, x2, y2)`` of blocks already
            placed.

    Returns:
        tuple[float, float]: ``(x, y)`` of the block's top-left corner.
    """
    best, least_overlap = None, float('inf')
    for x, y in _candidate_corners(box, block_size, canvas_size, margin):
        x, y = _clamp_block(x, y, block_size, canvas_size, margin)
        rect = (x, y, x + block_size[0], y + block_size[1])
        overlap = sum(_overlap_area(rect, other) for other in occupied)
        if overlap == 0:
            return x, y
        if overlap < least_overlap:
            best, least_overlap = (x, y), overlap
    return best


def _candidate_corners(box: Sequence[float], block_size: Sequence[float],
                       canvas_size: Sequence[int],
                       margin: float) -> List[Point]:
    """Top-left corners to try, in order of preference."""
    x1, y1, x2, y2 = (float(value) for value in box[:4])
    block_width, block_height = block_size
    rows = []
    if y1 - block_height >= margin:
        rows.append(y1 - block_height)  # above the box
    rows.append(y1 + margin)  # inside, at the top
    if y2 + block_height <= canvas_size[1] - margin:
        rows.append(y2)  # below the box
    rows.append(y2 - block_height - margin)  # inside, at the bottom
    columns = (x1, x2 - block_width)
    return [(x, y) for x in columns for y in rows]


def _clamp_block(x: float, y: float, block_size: Sequence[float],
                 canvas_size: Sequence[int], margin: float) -> Point:
    """Shift a block's corner so the block stays inside the canvas."""
    block_width, block_height = block_size
    canvas_width, canvas_height = canvas_size
    x = min(max(x, margin), canvas_width - block_width - margin)
    y = min(max(y, margin), canvas_height - block_height - margin)
    return max(x, margin), max(y, margin)


def _overlap_area(first: Rect, second: Rect) -> float:
    """Area shared by two ``(x1, y1, x2, y2)`` rectangles."""
    width = min(first[2], second[2]) - max(first[0], second[0])
    height = min(first[3], second[3]) - max(first[1], second[1])
    return max(width, 0.0) * max(height, 0.0)
