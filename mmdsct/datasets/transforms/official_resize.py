"""OfficialResize: the test-time resize of the DSCT authors' code.

The authors test at a shorter side of 800 with the longer side at most 1333,
like mmdet's ``Resize(scale=(1333, 800), keep_ratio=True)``, but their size
rule and resampling differ, so the network sees slightly different pixels:

- size: with ``s = 800``, if ``long / short * s > 1333`` then
  ``s = int(round(1333 * short / long))`` (Python's round, half to even);
  an image whose shorter side already equals ``s`` is kept as it is;
  otherwise the shorter side becomes ``s`` and the longer one
  ``int(s * long / short)`` (truncated: 500x375 becomes 1066x800, where
  mmdet gives 1067x800);
- resampling: PIL's bilinear filter, which averages over the whole
  footprint when downscaling (antialiasing), as torchvision's ``resize``
  does on a PIL image.

Load the image with PIL too, without EXIF rotation, as the official code
opens it: ``LoadImageFromFile(imdecode_backend='pillow',
color_type='color_ignore_orientation')``.
"""
from typing import Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import autocast_box_type
from PIL import Image

UINT8 = np.dtype(np.uint8)


def official_output_size(width: int,
                         height: int,
                         size: int = 800,
                         max_size: Optional[int] = 1333) -> Tuple[int, int]:
    """The image size after the official test-time resize.

    Args:
        width (int): Original width.
        height (int): Original height.
        size (int): Target shorter side. Defaults to 800.
        max_size (int, optional): Longest allowed longer side.
            Defaults to 1333.

    Returns:
        tuple[int, int]: (new_height, new_width).
    """
    short_side, long_side = float(min(width,
                                      height)), float(max(width, height))
    if max_size is not None and long_side / short_side * size > max_size:
        size = int(round(max_size * short_side / long_side))
    if min(width, height) == size:
        return height, width
    if width < height:
        return int(size * height / width), size
    return size, int(size * width / height)


@TRANSFORMS.register_module()
class OfficialResize(BaseTransform):
    """Resize as the DSCT authors' test pipeline does (see module doc).

    Required Keys:

    - img (np.ndarray, uint8)
    - gt_bboxes (optional)

    Modified Keys:

    - img
    - img_shape
    - gt_bboxes

    Added Keys:

    - scale ((w, h) after the resize)
    - scale_factor ((w_new / w, h_new / h): boxes predicted on the resized
      image are divided by it to give original pixels)
    - keep_ratio (True)
    - homography_matrix

    Args:
        scale (int): Target shorter side. Defaults to 800.
        max_size (int, optional): Longest allowed longer side.
            Defaults to 1333.
        clip_object_border (bool): Clip ``gt_bboxes`` to the resized image.
            Defaults to True.
    """

    def __init__(self,
                 scale: int = 800,
                 max_size: Optional[int] = 1333,
                 clip_object_border: bool = True) -> None:
        if scale <= 0 or (max_size is not None and max_size < scale):
            raise ValueError('OfficialResize needs 0 < scale <= max_size, '
                             f'got scale={scale}, max_size={max_size}')
        self.scale = scale
        self.max_size = max_size
        self.clip_object_border = clip_object_border

    @staticmethod
    def _resize_image(img: np.ndarray, new_h: int, new_w: int,
                      img_path: str) -> np.ndarray:
        """PIL bilinear resize of a uint8 image (channels untouched)."""
        if img.dtype != UINT8:
            raise TypeError(
                f'{img_path}: OfficialResize resizes 8-bit images with PIL '
                f'but got {img.dtype}; do not set to_float32 in '
                'LoadImageFromFile')
        if img.shape[:2] == (new_h, new_w):
            return img
        resized = Image.fromarray(img).resize((new_w, new_h),
                                              Image.Resampling.BILINEAR)
        return np.array(resized)  # writable, as later transforms expect

    @autocast_box_type()
    def transform(self, results: dict) -> dict:
        """Resize the image and the GT boxes.

        Args:
            results (dict): The pipeline's result dict.

        Returns:
            dict: The same dict, resized.
        """
        for key in ('gt_masks', 'gt_seg_map'):
            if results.get(key) is not None:
                raise ValueError(f'OfficialResize does not resize {key}')
        img = results['img']
        height, width = img.shape[:2]
        new_h, new_w = official_output_size(width, height, self.scale,
                                            self.max_size)
        results['img'] = self._resize_image(img, new_h, new_w,
                                            str(results.get('img_path')))
        results['img_shape'] = (new_h, new_w)
        results['scale'] = (new_w, new_h)
        scale_factor = (new_w / width, new_h / height)
        results['scale_factor'] = scale_factor
        results['keep_ratio'] = True
        if results.get('gt_bboxes') is not None:
            results['gt_bboxes'].rescale_(scale_factor)
            if self.clip_object_border:
                results['gt_bboxes'].clip_((new_h, new_w))
        self._record_homography(results, scale_factor)
        return results

    @staticmethod
    def _record_homography(results: dict, scale_factor: Tuple[float,
                                                              float]) -> None:
        """Compose the resize into ``homography_matrix`` as mmdet does."""
        matrix = np.array(
            [[scale_factor[0], 0, 0], [0, scale_factor[1], 0], [0, 0, 1]],
            dtype=np.float32)
        previous = results.get('homography_matrix')
        results['homography_matrix'] = (
            matrix if previous is None else matrix @ previous)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'max_size={self.max_size}, '
                f'clip_object_border={self.clip_object_border})')
