"""Benchmark inputs: one random image with a chosen number of subjects."""
import math
from typing import List, Tuple

import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from torch import Tensor

from ...structures import SUBJECT_LABEL

# Each box fills its grid cell less this fraction of the cell on every side.
CELL_MARGIN = 0.1
Batch = Tuple[Tensor, List[DetDataSample]]


def grid_side_for(max_subjects: int) -> int:
    """The side of the smallest square grid with ``max_subjects`` cells.

    Args:
        max_subjects (int): The largest subject count of a run, >= 1.

    Returns:
        int: ``ceil(sqrt(max_subjects))``.
    """
    if max_subjects < 1:
        raise ValueError(f'max_subjects must be >= 1, got {max_subjects}')
    return math.ceil(math.sqrt(max_subjects))


def subject_grid_boxes(num_subjects: int, grid_side: int,
                       image_hw: Tuple[int, int]) -> Tensor:
    """Subject boxes in the first cells (row by row) of a square grid.

    Every box has the size of one cell of a ``grid_side`` x ``grid_side``
    grid over the image, whatever ``num_subjects`` is, so that the cost of
    one subject (its crop) stays the same as the count grows.

    Args:
        num_subjects (int): Number of boxes, at most ``grid_side ** 2``.
        grid_side (int): Cells per row and per column.
        image_hw (tuple[int, int]): (height, width) of the image in pixels.

    Returns:
        Tensor: [num_subjects, 4] xyxy boxes in pixels.
    """
    if not 0 <= num_subjects <= grid_side**2:
        raise ValueError(f'{num_subjects} subjects do not fit a '
                         f'{grid_side}x{grid_side} grid')
    height, width = image_hw
    cell_h, cell_w = height / grid_side, width / grid_side
    index = torch.arange(num_subjects)
    row = torch.div(index, grid_side, rounding_mode='floor').float()
    col = (index % grid_side).float()
    x1 = (col + CELL_MARGIN) * cell_w
    y1 = (row + CELL_MARGIN) * cell_h
    x2 = (col + 1 - CELL_MARGIN) * cell_w
    y2 = (row + 1 - CELL_MARGIN) * cell_h
    return torch.stack([x1, y1, x2, y2], dim=1)  # [num_subjects, 4]


def make_subject_batch(image_hw: Tuple[int, int],
                       num_subjects: int,
                       grid_side: int,
                       device: str,
                       seed: int = 0) -> Batch:
    """One normalised random image (batch 1) and its data sample.

    The sample carries ``num_subjects`` ground-truth boxes (see
    :func:`subject_grid_boxes`) in ``gt_instances.bboxes``, in
    original-image pixels with ``scale_factor`` 1, as the test pipeline
    packs them: the two-stage recogniser (``box_source='gt'``) crops them,
    DSCT and Deformable DETR ignore them.

    Args:
        image_hw (tuple[int, int]): (height, width) of the input.
        num_subjects (int): Number of ground-truth subjects.
        grid_side (int): See :func:`subject_grid_boxes`.
        device (str): Device of the tensors.
        seed (int): Seed of the random image. Defaults to 0.

    Returns:
        tuple[Tensor, list[DetDataSample]]: Inputs [1, 3, H, W] and a list
        with the one data sample.
    """
    height, width = image_hw
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(1, 3, height, width, generator=generator)
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(height, width),
            ori_shape=(height, width),
            pad_shape=(height, width),
            batch_input_shape=(height, width),
            scale_factor=(1.0, 1.0)))
    boxes = subject_grid_boxes(num_subjects, grid_side, image_hw)
    sample.gt_instances = InstanceData(
        bboxes=boxes,
        labels=torch.full((num_subjects, ), SUBJECT_LABEL, dtype=torch.long))
    return inputs.to(device), [sample.to(device)]
