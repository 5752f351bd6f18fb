"""The parameter-free subject-context fusion of DSCT (docs/method.md).

After cross-attention in every decoder layer, each subject token ``s_i``
gathers three weighted sums:

- spatial relation: the ``K_sp`` context tokens whose reference points are
  nearest to the subject's reference point;
- semantic relation: the ``K_sm`` context tokens with the largest dot
  product with ``s_i``;
- subject relation: all subject tokens of the same image (``s_i`` included),

each weighted by a softmax of plain dot products within its own set::

    s_i += sum_sp softmax(s_i . c_j) c_j + sum_sm softmax(s_i . c_j) c_j
           + sum_k softmax(s_i . s_k) s_k

``K_sp = K_sm = 0`` switches the fusion off as a whole, the subject term
included: the released CAER-S recipe is a plain Deformable DETR decoder.
"""
from typing import NamedTuple, Optional

import torch
import torch.nn.functional as F
from torch import Tensor


class FusionOutput(NamedTuple):
    """What :func:`subject_context_fusion` returns.

    Attributes:
        subject (Tensor): Fused subject tokens, [bs, num_subject, dim].
        spatial_indices (Tensor): Indices into the context tokens chosen by
            the spatial relation, nearest first, [bs, num_subject, K_sp].
        semantic_indices (Tensor): Indices chosen by the semantic relation,
            largest dot product first, [bs, num_subject, K_sm].
    """
    subject: Tensor
    spatial_indices: Tensor
    semantic_indices: Tensor


def _weighted_context_sum(similarity: Tensor, context: Tensor,
                          indices: Tensor) -> Tensor:
    """Sum the chosen context tokens, softmax-weighted within the set.

    Args:
        similarity (Tensor): Dot products subject x context,
            [bs, num_subject, num_context].
        context (Tensor): Context tokens, [bs, num_context, dim].
        indices (Tensor): Chosen context tokens per subject,
            [bs, num_subject, k].

    Returns:
        Tensor: The weighted sums, [bs, num_subject, dim].
    """
    weights = F.softmax(similarity.gather(-1, indices), dim=-1)
    # scatter the k weights into a dense [bs, num_subject, num_context]
    # matrix, so that one batched matmul replaces a gather of k tokens
    dense_weights = torch.zeros_like(similarity).scatter_add(-1, indices,
                                                             weights)
    return torch.bmm(dense_weights, context)


def nearest_context_indices(subject_points: Tensor, context_points: Tensor,
                            num_spatial: int) -> Tensor:
    """The spatial relation: the context tokens nearest to each subject.

    Args:
        subject_points (Tensor): Reference points (x, y) of the subject
            tokens, [bs, num_subject, 2].
        context_points (Tensor): Reference points of the context tokens,
            [bs, num_context, 2].
        num_spatial (int): ``K_sp``.

    Returns:
        Tensor: Indices of the ``K_sp`` nearest context tokens (Euclidean
        distance), nearest first, [bs, num_subject, K_sp].
    """
    # [bs, num_subject, num_context]
    distance = torch.cdist(subject_points, context_points)
    return distance.topk(num_spatial, dim=-1, largest=False).indices


def subject_context_fusion(
        subject: Tensor,
        context: Tensor,
        subject_points: Tensor,
        context_points: Tensor,
        num_spatial: int,
        num_semantic: int,
        spatial_indices: Optional[Tensor] = None) -> FusionOutput:
    """Fuse context and subject tokens into the subject tokens.

    Args:
        subject (Tensor): Subject tokens, [bs, num_subject, dim].
        context (Tensor): Context tokens, [bs, num_context, dim].
        subject_points (Tensor): Reference points (x, y) of the subject
            tokens, [bs, num_subject, 2].
        context_points (Tensor): Reference points of the context tokens,
            [bs, num_context, 2].
        num_spatial (int): ``K_sp``, context tokens chosen by distance.
        num_semantic (int): ``K_sm``, context tokens chosen by dot product.
        spatial_indices (Tensor, optional): The spatial relation's indices,
            [bs, num_subject, K_sp], when the caller computed them already
            (:func:`nearest_context_indices`; DSCT's reference points are the
            same in every decoder layer). Computed from the points if None.

    Returns:
        FusionOutput: The fused subject tokens and the chosen indices.
        With ``num_spatial == num_semantic == 0`` the subject tokens are
        returned unchanged (the same tensor).

    Raises:
        ValueError: If a ``K`` is negative or exceeds the number of
            context tokens.
    """
    batch_size, num_subject, _ = subject.shape
    num_context = context.shape[1]
    for name, k in (('num_spatial', num_spatial), ('num_semantic',
                                                    num_semantic)):
        if not 0 <= k <= num_context:
            raise ValueError(
                f'subject_context_fusion: {name}={k} must lie in '
                f'[0, {num_context}] (the number of context tokens).')
    no_indices = subject.new_zeros((batch_size, num_subject, 0),
                                   dtype=torch.long)
    semantic_indices = no_indices
    if num_spatial == 0:
        spatial_indices = no_indices
    if num_spatial == 0 and num_semantic == 0:
        return FusionOutput(subject, spatial_indices, semantic_indices)

    # [bs, num_subject, num_context]
    similarity = torch.bmm(subject, context.transpose(1, 2))
    # [bs, num_subject, num_subject]
    subject_similarity = torch.bmm(subject, subject.transpose(1, 2))
    update = torch.bmm(F.softmax(subject_similarity, dim=-1), subject)
    if num_spatial > 0:
        if spatial_indices is None:
            spatial_indices = nearest_context_indices(
                subject_points, context_points, num_spatial)
        update = update + _weighted_context_sum(similarity, context,
                                                spatial_indices)
    if num_semantic > 0:
        semantic_indices = similarity.topk(num_semantic, dim=-1).indices
        update = update + _weighted_context_sum(similarity, context,
                                                semantic_indices)
    return FusionOutput(subject + update, spatial_indices, semantic_indices)
