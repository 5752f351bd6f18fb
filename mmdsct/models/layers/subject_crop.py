"""Cropping subject boxes out of a batch of images, resized to one size."""
from typing import Tuple

import torch
import torch.nn.functional as F
from mmcv.ops import RoIAlign
from torch import Tensor, nn

CROP_MODES = ('roi_align', 'interpolate')


class SubjectCrop(nn.Module):
    """Crops every subject box out of its image and resizes it.

    Two implementations with the same result up to resampling details:

    - ``'roi_align'``: mmcv's ``RoIAlign`` on the image pixels, batched over
      all boxes, averaging ``ceil(box / crop)`` samples per output pixel. It
      needs mmcv's compiled ops for the tensors' device (on a GPU, an mmcv
      built with ``FORCE_CUDA=1``);
    - ``'interpolate'``: plain PyTorch, one box at a time: the box is
      widened to whole pixels, sliced out and resized with antialiased
      bilinear interpolation. It runs wherever PyTorch runs.

    Either way an output pixel depends only on the pixels inside the box and
    the one-pixel ring around it that resampling reads at the border.

    Args:
        output_size (tuple[int, int]): (height, width) of every crop.
        mode (str): ``'roi_align'`` or ``'interpolate'``.
            Defaults to ``'roi_align'``.
    """

    def __init__(self,
                 output_size: Tuple[int, int],
                 mode: str = 'roi_align') -> None:
        super().__init__()
        if mode not in CROP_MODES:
            raise ValueError(f'crop mode must be one of {CROP_MODES}, '
                             f'got {mode!r}')
        self.output_size = tuple(output_size)
        self.mode = mode
        self.roi_align = RoIAlign(
            output_size=self.output_size, spatial_scale=1.0, aligned=True)

    def forward(self, images: Tensor, rois: Tensor) -> Tensor:
        """Crop and resize.

        Args:
            images (Tensor): [B, C, H, W].
            rois (Tensor): [K, 5], rows (image index, x1, y1, x2, y2) in
                pixels of ``images``.

        Returns:
            Tensor: [K, C, output_height, output_width].
        """
        if rois.size(0) == 0:
            return images.new_zeros((0, images.size(1), *self.output_size))
        if self.mode == 'roi_align':
            return self.roi_align(images, rois)
        return self._interpolate(images, rois)

    def _interpolate(self, images: Tensor, rois: Tensor) -> Tensor:
        """The plain PyTorch crop: slice each box, resize it."""
        height, width = images.shape[-2:]
        image_index = rois[:, 0].long().tolist()
        x1 = rois[:, 1].floor().clamp(0, width - 1).long().tolist()
        y1 = rois[:, 2].floor().clamp(0, height - 1).long().tolist()
        x2 = rois[:, 3].ceil().clamp(max=width).long().tolist()
        y2 = rois[:, 4].ceil().clamp(max=height).long().tolist()
        crops = []
        for index, left, top, right, bottom in zip(image_index, x1, y1, x2,
                                                   y2):
            patch = images[index:index + 1, :, top:max(bottom, top + 1),
                           left:max(right, left + 1)]  # [1, C, h_box, w_box]
            crops.append(
                F.interpolate(
                    patch,
                    size=self.output_size,
                    mode='bilinear',
                    align_corners=False,
                    antialias=True))  # [1, C, crop_h, crop_w]
        return torch.cat(crops)  # [K, C, crop_h, crop_w]
