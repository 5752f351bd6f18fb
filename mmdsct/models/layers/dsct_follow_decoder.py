"""The decoder of DSCT-Follow, our variant of DSCT (not the paper's).

In the faithful :class:`~.DSCTDecoder` every reference point comes from a
query embedding, so the context tokens a subject fuses by the spatial
relation are the same for every image. Here the subject queries follow the
person instead:

- each subject's reference is refined layer by layer from its predicted
  box, as Deformable DETR's box refinement does (the first layer starts from
  the embedding's point, every later one from the box the layer before it
  predicted, detached);
- the subject's deformable cross-attention samples around that box (4-d
  reference: offsets scaled by the box size);
- the spatial relation of every layer takes the ``K_sp`` context tokens
  whose reference points lie nearest to the centre of the subject's current
  box.

The context queries keep their static 2-d reference points; the
semantic and subject relations, the fusion's weights and every layer's
parameters are those of DSCT. See docs/method.md ("DSCT-Follow").
"""
from typing import List, NamedTuple, Optional, Tuple

import torch
from mmdet.models.layers import inverse_sigmoid
from mmdet.registry import MODELS
from torch import Tensor, nn

from .dsct_decoder import DSCTDecoder, DSCTDecoderLayer
from .subject_context_fusion import (FusionPlan, make_fusion_plan,
                                     nearest_context_indices)


def follow_context_indices(subject_references: Tensor, context_points: Tensor,
                           num_spatial: int) -> Tensor:
    """The spatial relation of DSCT-Follow: the context tokens nearest to
    the centre of each subject's current reference.

    Args:
        subject_references (Tensor): Normalised points (x, y),
            [bs, num_subject, 2], or boxes (cx, cy, w, h),
            [bs, num_subject, 4].
        context_points (Tensor): Normalised reference points of the
            context tokens, [bs, num_context, 2].
        num_spatial (int): ``K_sp``.

    Returns:
        Tensor: Indices of the ``K_sp`` nearest context tokens, nearest
        first, [bs, num_subject, K_sp].
    """
    return nearest_context_indices(subject_references[..., :2], context_points,
                                   num_spatial)


def scale_references(references: Tensor, valid_ratios: Tensor) -> Tensor:
    """Reference points or boxes as the deformable attention takes them.

    Args:
        references (Tensor): Normalised (x, y) [bs, n, 2] or
            (cx, cy, w, h) [bs, n, 4].
        valid_ratios (Tensor): [bs, num_levels, 2].

    Returns:
        Tensor: [bs, n, num_levels, 2 or 4].
    """
    if references.shape[-1] == 4:
        valid_ratios = torch.cat([valid_ratios, valid_ratios], -1)
    return references[:, :, None] * valid_ratios[:, None]


def refine_references(references: Tensor, box_offsets: Tensor) -> Tensor:
    """One step of Deformable DETR's box refinement.

    Args:
        references (Tensor): Normalised points [bs, n, 2] or boxes
            [bs, n, 4] the layer used.
        box_offsets (Tensor): The layer's box regression (logit space),
            [bs, n, 4].

    Returns:
        Tensor: Normalised boxes (cx, cy, w, h), [bs, n, 4], detached (as
        Deformable DETR: no gradient through the next layer's reference).
    """
    if references.shape[-1] == 4:
        boxes = box_offsets + inverse_sigmoid(references)
    else:
        boxes = torch.cat([
            box_offsets[..., :2] + inverse_sigmoid(references),
            box_offsets[..., 2:]
        ], -1)
    return boxes.sigmoid().detach()


@MODELS.register_module()
class DSCTFollowDecoderLayer(DSCTDecoderLayer):
    """A DSCT decoder layer whose subject tokens attend around their boxes.

    The same modules as :class:`~.DSCTDecoderLayer`; only the
    cross-attention is run twice, once for the context tokens with their
    2-d reference points and once for the subject tokens with their points
    or boxes (deformable attention treats every query on its own, so this
    is the faithful cross-attention for 2-d references on both sides).
    """

    def forward(self,
                query: Tensor,
                query_pos: Tensor,
                value: Tensor,
                key_padding_mask: Optional[Tensor],
                context_reference_points: Tensor,
                subject_reference_points: Tensor,
                num_context_queries: int,
                fusion_plan: Optional[FusionPlan],
                self_attn_mask: Optional[Tensor] = None,
                **kwargs) -> Tuple[Tensor, Tensor, Tensor]:
        """Run the layer.

        Args:
            query (Tensor): Context tokens then subject tokens,
                [bs, num_queries, dim].
            query_pos (Tensor): Their positional queries, same shape.
            value (Tensor): Encoder memory, [bs, num_value, dim].
            key_padding_mask (Tensor, optional): [bs, num_value].
            context_reference_points (Tensor): Scaled by the valid ratios,
                [bs, num_context, num_levels, 2].
            subject_reference_points (Tensor): Scaled by the valid ratios,
                [bs, num_subject, num_levels, 2 or 4].
            num_context_queries (int): How many leading tokens are context
                tokens.
            fusion_plan (FusionPlan, optional): This layer's fusion plan
                (None when the fusion is off).
            self_attn_mask (Tensor, optional): [num_queries, num_queries].
            **kwargs: ``spatial_shapes``, ``level_start_index``,
                ``valid_ratios`` for the deformable cross-attention.

        Returns:
            tuple[Tensor, Tensor, Tensor]: The output tokens
            [bs, num_queries, dim] and the spatial [bs, num_subject, K_sp]
            and semantic [bs, num_subject, K_sm] context indices.
        """
        query = self.self_attn(
            query=query,
            key=query,
            value=query,
            query_pos=query_pos,
            key_pos=query_pos,
            attn_mask=self_attn_mask,
            **kwargs)
        query = self.norms[0](query)
        num_context = num_context_queries
        query = torch.cat([
            self._cross_attend(
                query[:, :num_context], query_pos[:, :num_context], value,
                key_padding_mask, context_reference_points, **kwargs),
            self._cross_attend(
                query[:, num_context:], query_pos[:, num_context:], value,
                key_padding_mask, subject_reference_points, **kwargs)
        ], 1)
        query = self.norms[1](query)
        if fusion_plan is not None:
            query, semantic_indices = self.fusion(query, fusion_plan)
            spatial_indices = fusion_plan.spatial_indices
        else:
            spatial_indices = semantic_indices = query.new_zeros(
                (query.shape[0], query.shape[1] - num_context, 0),
                dtype=torch.long)
        query = self.ffn(query)
        query = self.norms[2](query)
        return query, spatial_indices, semantic_indices

    def _cross_attend(self, query: Tensor, query_pos: Tensor, value: Tensor,
                      key_padding_mask: Optional[Tensor],
                      reference_points: Tensor, **kwargs) -> Tensor:
        """Deformable cross-attention of some of the tokens,
        [bs, n, dim]."""
        return self.cross_attn(
            query=query,
            value=value,
            query_pos=query_pos,
            key_padding_mask=key_padding_mask,
            reference_points=reference_points,
            **kwargs)


class DSCTFollowDecoderOutput(NamedTuple):
    """What :class:`DSCTFollowDecoder` returns.

    Attributes:
        hidden_states (Tensor): Output tokens of every layer (or of the last
            one when ``return_intermediate`` is False),
            [num_out_layers, bs, num_queries, dim].
        subject_references (list[Tensor]): The subject references, normalised:
            the one the first layer used ([bs, num_subject, 2], the
            embedding's points) then the box each layer predicted
            ([bs, num_subject, 4] (cx, cy, w, h)): num_out_layers + 1
            tensors; the layer of ``hidden_states[i]`` used entry ``i``
            (without ``return_intermediate``, the last layer's two).
        spatial_indices (Tensor): Context indices chosen by the spatial
            relation of the last layer, [bs, num_subject, K_sp].
        semantic_indices (Tensor): Those of its semantic relation,
            [bs, num_subject, K_sm].
    """
    hidden_states: Tensor
    subject_references: List[Tensor]
    spatial_indices: Tensor
    semantic_indices: Tensor


@MODELS.register_module()
class DSCTFollowDecoder(DSCTDecoder):
    """Decoder of DSCT-Follow: a stack of :class:`DSCTFollowDecoderLayer`
    with box refinement of the subject queries.

    Args: as :class:`~.DSCTDecoder`.
    """

    layer_type = DSCTFollowDecoderLayer

    def forward(self,
                query: Tensor,
                query_pos: Tensor,
                value: Tensor,
                key_padding_mask: Optional[Tensor],
                reference_points: Tensor,
                spatial_shapes: Tensor,
                level_start_index: Tensor,
                valid_ratios: Tensor,
                num_context_queries: int,
                reg_branches: Optional[nn.ModuleList] = None,
                **kwargs) -> DSCTFollowDecoderOutput:
        """Run all decoder layers, refining the subject boxes.

        Args:
            query (Tensor): Context then subject queries,
                [bs, num_queries, dim].
            query_pos (Tensor): Their positional queries, same shape.
            value (Tensor): Encoder memory, [bs, num_value, dim].
            key_padding_mask (Tensor, optional): [bs, num_value].
            reference_points (Tensor): Normalised reference points (x, y)
                from the query embeddings, [bs, num_queries, 2].
            spatial_shapes (Tensor): [num_levels, 2].
            level_start_index (Tensor): [num_levels].
            valid_ratios (Tensor): [bs, num_levels, 2].
            num_context_queries (int): How many leading queries are context
                queries.
            reg_branches (nn.ModuleList): The head's box branch of every
                layer (maps a subject token [bs, num_subject, dim] to box
                offsets [bs, num_subject, 4]). Required.

        Returns:
            DSCTFollowDecoderOutput: Tokens per layer, subject references
            per layer and the context indices chosen by the last layer.
        """
        if reg_branches is None:
            raise ValueError('DSCTFollowDecoder refines the subject boxes: '
                             'pass the head\'s reg_branches.')
        if reference_points.shape[-1] != 2:
            raise ValueError('DSCTFollowDecoder expects 2-d reference points '
                             f'(x, y), got {reference_points.shape[-1]}-d.')
        num_context = num_context_queries
        context_points = reference_points[:, :num_context]
        context_input = scale_references(context_points, valid_ratios)
        subject_references = [reference_points[:, num_context:]]
        output = query
        intermediate = []
        for layer_id, layer in enumerate(self.layers):
            current = subject_references[-1]
            output, spatial_indices, semantic_indices = layer(
                output,
                query_pos=query_pos,
                value=value,
                key_padding_mask=key_padding_mask,
                context_reference_points=context_input,
                subject_reference_points=scale_references(
                    current, valid_ratios),
                num_context_queries=num_context,
                fusion_plan=self._fusion_plan(current, context_points,
                                              query.dtype),
                spatial_shapes=spatial_shapes,
                level_start_index=level_start_index,
                valid_ratios=valid_ratios,
                **kwargs)
            subject_references.append(
                refine_references(
                    current, reg_branches[layer_id](output[:, num_context:])))
            if self.return_intermediate:
                intermediate.append(output)
        if not self.return_intermediate:
            intermediate.append(output)
            # the last layer's input and output references only
            subject_references = subject_references[-2:]
        return DSCTFollowDecoderOutput(
            torch.stack(intermediate), subject_references, spatial_indices,
            semantic_indices)

    def _fusion_plan(self, subject_references: Tensor, context_points: Tensor,
                     dtype: torch.dtype) -> Optional[FusionPlan]:
        """One layer's fusion plan from the subjects' current references.

        Args:
            subject_references (Tensor): [bs, num_subject, 2 or 4].
            context_points (Tensor): [bs, num_context, 2].
            dtype (torch.dtype): Dtype of the tokens.

        Returns:
            FusionPlan, optional: None when the fusion is off.
        """
        if not self.layers[0].fusion.enabled:
            return None
        spatial_indices = follow_context_indices(subject_references,
                                                 context_points,
                                                 self.num_spatial_context)
        return make_fusion_plan(spatial_indices, context_points.shape[1],
                                self.num_semantic_context, dtype)
