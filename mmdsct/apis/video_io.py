"""Read frames from a video file or a webcam and write annotated videos.

Both go through OpenCV (``cv2.VideoCapture``, ``cv2.VideoWriter``) as pip's
``opencv-python`` ships it: MJPG in ``.avi`` uses OpenCV's own encoder, and
``mp4v`` in ``.mp4`` its bundled FFmpeg; when an ``.mp4`` writer cannot be
opened, the video is written as MJPG ``.avi`` instead.
"""
import logging
import os.path as osp
from typing import Iterator, Optional, Tuple, Union

import cv2
import numpy as np
from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist

#: File name endings treated as videos.
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                    '.mpeg', '.wmv')
#: Codec (FourCC) of each output container.
FOURCC_BY_EXTENSION = {'.mp4': 'mp4v', '.avi': 'MJPG'}
#: Container and codec used when the preferred writer cannot be opened.
FALLBACK_EXTENSION = '.avi'
#: Frame rate assumed when the source does not report one (many webcams).
DEFAULT_FPS = 25.0

VideoSource = Union[str, int]


class UnreadableVideoError(ValueError):
    """Raised when a video file or webcam cannot be opened or read."""


def is_webcam_index(source) -> bool:
    """Whether ``source`` names a webcam: an int or a string of digits.

    Args:
        source: An input given to the inferencer.

    Returns:
        bool: True for ``0``, ``'0'``, ``'1'``...; a file of that name
        counts as a file, not a webcam.
    """
    if isinstance(source, bool):
        return False
    if isinstance(source, int):
        return source >= 0
    return isinstance(source, str) and source.isdigit() and \
        not osp.exists(source)


def is_video_file(path) -> bool:
    """Whether a path names a video by its extension (any case)."""
    return isinstance(path, str) and path.lower().endswith(VIDEO_EXTENSIONS)


def source_name(source: VideoSource) -> str:
    """How a source is named in messages: the path or ``webcam N``."""
    return f'webcam {int(source)}' if is_webcam_index(source) else str(source)


def open_capture(source: VideoSource) -> cv2.VideoCapture:
    """Open a video file or a webcam.

    Args:
        source (str | int): A video file, or a webcam index.

    Returns:
        cv2.VideoCapture: The opened capture.

    Raises:
        FileNotFoundError: If a video file does not exist.
        UnreadableVideoError: If OpenCV cannot open it.
    """
    if is_webcam_index(source):
        capture = cv2.VideoCapture(int(source))
    else:
        if not osp.isfile(str(source)):
            raise FileNotFoundError(f'Video {source} does not exist.')
        capture = cv2.VideoCapture(str(source))
    if not capture.isOpened():
        capture.release()
        raise UnreadableVideoError(
            f'Cannot open {source_name(source)} with OpenCV (not a video '
            'OpenCV can decode, or the camera is busy or absent).')
    return capture


def capture_fps(capture: cv2.VideoCapture) -> float:
    """Frames per second the source reports, or :data:`DEFAULT_FPS`."""
    fps = capture.get(cv2.CAP_PROP_FPS)
    return float(fps) if fps and np.isfinite(fps) and fps > 0 \
        else DEFAULT_FPS


def capture_frame_count(capture: cv2.VideoCapture) -> int:
    """Frames the source reports (0 when unknown, as for a webcam)."""
    count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    return int(count) if count and np.isfinite(count) and count > 0 else 0


def read_frames(capture: cv2.VideoCapture,
                max_frames: Optional[int] = None) -> Iterator[np.ndarray]:
    """Frames of a capture until it ends or ``max_frames`` were read.

    Args:
        capture (cv2.VideoCapture): An opened capture.
        max_frames (int, optional): Stop after this many frames.

    Yields:
        np.ndarray: Each frame, BGR uint8 [H, W, 3].
    """
    count = 0
    while max_frames is None or count < max_frames:
        ok, frame = capture.read()
        if not ok or frame is None:
            return
        count += 1
        yield frame


def annotated_video_name(source: VideoSource) -> str:
    """File name of the annotated copy of a source.

    ``clip.avi`` gives ``clip.avi`` (MJPG), any other video ``<stem>.mp4``
    (mp4v), webcam N ``webcam_N.mp4``.
    """
    if is_webcam_index(source):
        return f'webcam_{int(source)}.mp4'
    stem, extension = osp.splitext(osp.basename(str(source)))
    extension = extension.lower()
    return stem + (extension if extension in FOURCC_BY_EXTENSION else '.mp4')


def _writer(path: str, fps: float, size: Tuple[int, int]) -> cv2.VideoWriter:
    """A writer for ``path`` with the codec of its extension."""
    fourcc = FOURCC_BY_EXTENSION[osp.splitext(path)[1].lower()]
    return cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), fps, size)


def open_video_writer(path: str, fps: float,
                      size: Tuple[int, int]) -> Tuple[cv2.VideoWriter, str]:
    """Open a video writer, falling back to MJPG ``.avi`` if need be.

    Args:
        path (str): Output file; ``.mp4`` or ``.avi``.
        fps (float): Frame rate.
        size (tuple[int, int]): Frame (width, height).

    Returns:
        tuple[cv2.VideoWriter, str]: The opened writer and the file it
        writes (``path``, or ``path`` with ``.avi`` after a fallback).

    Raises:
        ValueError: If ``path`` has another extension.
        UnreadableVideoError: If no writer can be opened.
    """
    extension = osp.splitext(path)[1].lower()
    if extension not in FOURCC_BY_EXTENSION:
        raise ValueError(f'Cannot write video {path}: use a name ending in '
                         f'{" or ".join(FOURCC_BY_EXTENSION)}.')
    mkdir_or_exist(osp.dirname(osp.abspath(path)))
    writer = _writer(path, fps, size)
    if writer.isOpened():
        return writer, path
    writer.release()
    fallback = osp.splitext(path)[0] + FALLBACK_EXTENSION
    writer = _writer(fallback, fps, size)
    if not writer.isOpened():
        writer.release()
        raise UnreadableVideoError(
            f'OpenCV cannot write {path} ({FOURCC_BY_EXTENSION[extension]}) '
            f'nor {fallback} (MJPG).')
    print_log(
        f'OpenCV cannot write {path}; the annotated video is {fallback} '
        '(MJPG) instead.',
        logger='current',
        level=logging.WARNING)
    return writer, fallback
