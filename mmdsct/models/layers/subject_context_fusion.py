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

How it is computed (the same function, in few operations): the tokens of a
layer are ``t = [c; s]`` (context first), and one matrix product gives every
dot product a subject takes part in, ``L = s t^T``. Each relation is a set
of columns of ``L``: the spatial set is fixed for a whole forward pass
(reference points do not change between layers), the subject set is the
last ``num_subject`` columns, and only the semantic set (the top ``K_sm``
context columns) is chosen per layer. The three index sets are laid side by
side, each padded to a common length ``K`` (padding logits -inf, weight
exactly 0), so that one ``gather`` and one ``softmax`` over
``[bs, num_subject, num_sets, K]`` normalise every set on its own, its own
maximum subtracted. The weights are scattered into one dense
``[bs, num_subject, num_tokens]`` matrix (a context token in two sets gets
both weights) and one matrix product ``weights @ t`` gives the update of
the subject tokens. Everything that does not change between layers is built
once per forward in a :class:`FusionPlan` (what depends only on the sizes,
once per process).
"""
import functools
from typing import Callable, List, NamedTuple, Optional, Tuple

import torch
from torch import Tensor, nn

# The index that padding slots point at; their weight is exactly 0.
PAD_INDEX = 0


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


class FusionPlan(NamedTuple):
    """The parts of the fusion that stay the same in every decoder layer of
    one forward pass (see :func:`make_fusion_plan`).

    The columns of the tokens ``[c; s]`` that the relations use are laid out
    per subject as ``num_sets`` slots of ``segment`` indices each: the
    spatial set (if ``K_sp > 0``), the semantic set (if ``K_sm > 0``), the
    subject set, each padded with :data:`PAD_INDEX`.

    Attributes:
        num_context (int): Number of context tokens (leading tokens).
        num_semantic (int): ``K_sm``.
        segment (int): Slot length ``K``: the largest of the set sizes.
        spatial_indices (Tensor): The spatial relation's context indices,
            nearest first, [bs, num_subject, K_sp].
        index_before (Tensor): Token indices of the slots before the
            semantic set's indices, [bs, num_subject, n_before].
        index_after (Tensor): Token indices of the slots after them,
            [bs, num_subject, n_after]. With ``K_sm == 0`` the whole index,
            ``index_before`` is then empty.
        pad_bias (Tensor, optional): 0 for real slots, -inf for padding,
            [num_sets * K]; None when no slot is padding.
        zeros (Tensor): Zeros the weights are scattered into (out of place:
            never written), [bs, num_subject, num_tokens].
    """
    num_context: int
    num_semantic: int
    segment: int
    spatial_indices: Tensor
    index_before: Tensor
    index_after: Tensor
    pad_bias: Optional[Tensor]
    zeros: Tensor


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
    # squared distances from the coordinate differences (not from
    # |a|^2 + |b|^2 - 2ab, which cancels: the K_sp-th and next nearest can
    # lie closer than its error), [bs, num_subject, num_context]; three
    # element-wise operations cost less than torch.cdist inside a model
    offsets = subject_points[:, :, None] - context_points[:, None]
    squared_distance = (offsets * offsets).sum(-1)
    return squared_distance.topk(num_spatial, dim=-1, largest=False).indices


def check_num_context(num_spatial: int, num_semantic: int,
                      num_context: int) -> None:
    """Refuse a ``K`` that is negative or exceeds the context tokens.

    Raises:
        ValueError: Naming the offending ``K``.
    """
    for name, k in (('num_spatial', num_spatial), ('num_semantic',
                                                   num_semantic)):
        if not 0 <= k <= num_context:
            raise ValueError(
                f'subject_context_fusion: {name}={k} must lie in '
                f'[0, {num_context}] (the number of context tokens).')


class FixedSlots(NamedTuple):
    """The parts of the fusion plan that depend only on the sizes (see
    :func:`fixed_slots`). Shared by every call with the same sizes: never
    written to.

    Attributes:
        segment (int): Slot length ``K``: the largest of the set sizes.
        spatial_padding (Tensor): Padding of the spatial slot,
            [bs, num_subject, K - K_sp].
        tail (Tensor): The slots after the semantic indices: the semantic
            slot's padding, then the subject slot,
            [bs, num_subject, 2 K - K_sm].
        pad_bias (Tensor, optional): 0 for real slots, -inf for padding,
            [num_sets * K]; None when no slot is padding.
        zeros (Tensor): [bs, num_subject, num_context + num_subject].
    """
    segment: int
    spatial_padding: Tensor
    tail: Tensor
    pad_bias: Optional[Tensor]
    zeros: Tensor


@functools.lru_cache(maxsize=64)
def fixed_slots(batch_size: int, num_subject: int, num_spatial: int,
                num_semantic: int, num_context: int, dtype: torch.dtype,
                device: torch.device) -> FixedSlots:
    """Build (once per set of sizes) the parts of the plan that do not
    depend on the input.

    Args:
        batch_size (int): Images in the batch.
        num_subject (int): Number of subject tokens.
        num_spatial (int): ``K_sp``.
        num_semantic (int): ``K_sm``.
        num_context (int): Number of context tokens.
        dtype (torch.dtype): Dtype of the logits.
        device (torch.device): Their device.

    Returns:
        FixedSlots: The fixed parts (cached: the same tensors every call).
    """
    sizes = [k for k in (num_spatial, num_semantic) if k > 0] + [num_subject]
    segment = max(sizes)
    # normal tensors even when first built under torch.inference_mode():
    # training saves the index for backward
    with torch.inference_mode(False):
        subject_slot = torch.full((batch_size, num_subject, segment),
                                  PAD_INDEX,
                                  dtype=torch.long,
                                  device=device)
        subject_slot[..., :num_subject] = torch.arange(
            num_context, num_context + num_subject, device=device)
        semantic_padding = subject_slot.new_full(
            (batch_size, num_subject,
             segment - num_semantic if num_semantic else 0), PAD_INDEX)
        spatial_padding = subject_slot.new_full(
            (batch_size, num_subject,
             segment - num_spatial if num_spatial else 0), PAD_INDEX)
        pad_bias = None
        if min(sizes) < segment:
            pad_bias = torch.full((len(sizes), segment),
                                  float('-inf'),
                                  dtype=dtype,
                                  device=device)
            for slot, size in enumerate(sizes):
                pad_bias[slot, :size] = 0
            pad_bias = pad_bias.flatten()
        zeros = torch.zeros(
            (batch_size, num_subject, num_context + num_subject),
            dtype=dtype,
            device=device)
    return FixedSlots(segment, spatial_padding,
                      torch.cat([semantic_padding, subject_slot], dim=-1),
                      pad_bias, zeros)


def make_fusion_plan(spatial_indices: Tensor, num_context: int,
                     num_semantic: int, dtype: torch.dtype) -> FusionPlan:
    """Build what every layer of one forward pass shares.

    Args:
        spatial_indices (Tensor): The spatial relation's context indices,
            [bs, num_subject, K_sp] (``K_sp`` may be 0), e.g. from
            :func:`nearest_context_indices`.
        num_context (int): Number of context tokens.
        num_semantic (int): ``K_sm``.
        dtype (torch.dtype): Dtype of the logits (the tokens' dtype).

    Returns:
        FusionPlan: The plan. ``K_sp == K_sm == 0`` is the fusion switched
        off, which needs no plan (the callers skip it).

    Raises:
        ValueError: If a ``K`` is negative or exceeds ``num_context``.
    """
    batch_size, num_subject, num_spatial = spatial_indices.shape
    check_num_context(num_spatial, num_semantic, num_context)
    fixed = fixed_slots(batch_size, num_subject, num_spatial, num_semantic,
                        num_context, dtype, spatial_indices.device)
    before = []
    if num_spatial > 0:
        before.append(spatial_indices)
        if fixed.spatial_padding.shape[-1] > 0:
            before.append(fixed.spatial_padding)
    tail = fixed.tail
    if num_semantic > 0:
        index_before = _joined(before) if before else spatial_indices
        index_after = tail
    else:
        # nothing is chosen per layer: the whole index comes after
        index_before = spatial_indices[..., :0]
        index_after = _joined(before + [tail])
    return FusionPlan(num_context, num_semantic, fixed.segment,
                      spatial_indices, index_before, index_after,
                      fixed.pad_bias, fixed.zeros)


def _joined(indices: List[Tensor]) -> Tensor:
    """Concatenate along the last dimension (no copy for one tensor)."""
    return indices[0] if len(indices) == 1 else torch.cat(indices, dim=-1)


def fuse_subject_tokens(tokens: Tensor,
                        plan: FusionPlan) -> Tuple[Tensor, Tensor]:
    """One layer's fusion: update the subject tokens among all tokens.

    Args:
        tokens (Tensor): Context tokens then subject tokens,
            [bs, num_context + num_subject, dim].
        plan (FusionPlan): From :func:`make_fusion_plan` for these tokens.

    Returns:
        tuple[Tensor, Tensor]: The tokens with the subject tokens fused
        (context tokens unchanged), [bs, num_tokens, dim], and the semantic
        relation's context indices, largest dot product first,
        [bs, num_subject, K_sm].
    """
    num_context = plan.num_context
    context = tokens[:, :num_context]
    subject = tokens[:, num_context:]
    # every dot product of a subject: [bs, num_subject, num_tokens]
    logits = torch.bmm(subject, tokens.transpose(1, 2))
    if plan.num_semantic > 0:
        semantic_indices = logits[..., :num_context].topk(
            plan.num_semantic, dim=-1).indices
        index = torch.cat(
            [plan.index_before, semantic_indices, plan.index_after], dim=-1)
    else:
        semantic_indices = plan.index_after[..., :0]
        index = plan.index_after
    chosen = logits.gather(-1, index)  # [bs, num_subject, num_sets * K]
    if plan.pad_bias is not None:
        chosen = chosen + plan.pad_bias
    batch_size, num_subject, num_slots = chosen.shape
    weights = chosen.view(batch_size, num_subject, -1,
                          plan.segment).softmax(-1).view(
                              batch_size, num_subject, num_slots)
    if plan.zeros.dtype == weights.dtype:
        dense = plan.zeros.scatter_add(-1, index, weights)
    else:  # autocast gave the weights another dtype
        dense = weights.new_zeros(logits.shape).scatter_add_(
            -1, index, weights)
    # [bs, num_subject, num_tokens] @ [bs, num_tokens, dim] (bmm then add:
    # baddbmm runs slower on CPUs)
    subject = subject + torch.bmm(dense, tokens)
    return torch.cat([context, subject], dim=1), semantic_indices


def subject_context_fusion(
        subject: Tensor,
        context: Tensor,
        subject_points: Tensor,
        context_points: Tensor,
        num_spatial: int,
        num_semantic: int,
        spatial_indices: Optional[Tensor] = None) -> FusionOutput:
    """Fuse context and subject tokens into the subject tokens.

    The stand-alone form of the fusion (the decoder uses
    :func:`make_fusion_plan` once per forward and
    :func:`fuse_subject_tokens` per layer).

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
    check_num_context(num_spatial, num_semantic, num_context)
    no_indices = subject.new_zeros((batch_size, num_subject, 0),
                                   dtype=torch.long)
    if num_spatial == 0:
        spatial_indices = no_indices
    elif spatial_indices is None:
        spatial_indices = nearest_context_indices(subject_points,
                                                  context_points, num_spatial)
    if num_spatial == 0 and num_semantic == 0:
        return FusionOutput(subject, spatial_indices, no_indices)
    plan = make_fusion_plan(spatial_indices, num_context, num_semantic,
                            subject.dtype)
    tokens = torch.cat([context, subject], dim=1)
    fused, semantic_indices = fuse_subject_tokens(tokens, plan)
    return FusionOutput(fused[:, num_context:], spatial_indices,
                        semantic_indices)


FuseFn = Callable[[Tensor, FusionPlan], Tuple[Tensor, Tensor]]
_COMPILED: Optional[FuseFn] = None


def compiled_fuse_subject_tokens() -> FuseFn:
    """:func:`fuse_subject_tokens` through ``torch.compile``, compiled once
    per process and shared by every layer (each new input shape compiles
    again, within torch's recompile limit)."""
    global _COMPILED
    if _COMPILED is None:
        _COMPILED = torch.compile(fuse_subject_tokens, dynamic=False)
    return _COMPILED


class SubjectContextFusion(nn.Module):
    """The fusion of one decoder layer, as a module without parameters.

    Args:
        num_spatial (int): ``K_sp``. Defaults to 100.
        num_semantic (int): ``K_sm``. Defaults to 50. ``K_sp = K_sm = 0``
            switches the fusion off.
        compile (bool): Run :func:`fuse_subject_tokens` through
            ``torch.compile`` (the same function; compiled on first use).
            Defaults to False.
    """

    def __init__(self,
                 num_spatial: int = 100,
                 num_semantic: int = 50,
                 compile: bool = False) -> None:
        super().__init__()
        for name, k in (('num_spatial_context', num_spatial),
                        ('num_semantic_context', num_semantic)):
            if k < 0:
                raise ValueError(f'{name} must be >= 0, got {k}.')
        self.num_spatial = num_spatial
        self.num_semantic = num_semantic
        self.compile = compile

    @property
    def enabled(self) -> bool:
        """Whether it fuses at all (``K_sp + K_sm > 0``)."""
        return self.num_spatial + self.num_semantic > 0

    def plan(self, subject_points: Tensor, context_points: Tensor,
             dtype: torch.dtype) -> FusionPlan:
        """What every layer of one forward pass shares.

        Args:
            subject_points (Tensor): Reference points (x, y) of the subject
                tokens, [bs, num_subject, 2].
            context_points (Tensor): Those of the context tokens,
                [bs, num_context, 2].
            dtype (torch.dtype): Dtype of the tokens.

        Returns:
            FusionPlan: With the spatial relation's indices.
        """
        if self.num_spatial > 0:
            spatial_indices = nearest_context_indices(subject_points,
                                                      context_points,
                                                      self.num_spatial)
        else:
            spatial_indices = subject_points.new_zeros(
                subject_points.shape[:2] + (0, ), dtype=torch.long)
        return make_fusion_plan(spatial_indices, context_points.shape[1],
                                self.num_semantic, dtype)

    def forward(self, tokens: Tensor,
                plan: FusionPlan) -> Tuple[Tensor, Tensor]:
        """Fuse (see :func:`fuse_subject_tokens`)."""
        fuse = compiled_fuse_subject_tokens() if self.compile else \
            fuse_subject_tokens
        return fuse(tokens, plan)

    def extra_repr(self) -> str:
        return (f'num_spatial={self.num_spatial}, '
                f'num_semantic={self.num_semantic}, compile={self.compile}')
