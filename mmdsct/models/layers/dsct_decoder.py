"""The DSCT decoder: Deformable DETR decoder layers with the subject-context
fusion after cross-attention.

Context queries and subject queries run through the same layers: one
self-attention over all of them, one deformable cross-attention to the
encoder memory, then :func:`fuse_subject_tokens` updates the subject
tokens only, then the shared FFN and LayerNorm act on all tokens. In the
token sequence the context tokens come first, the subject tokens after them.
"""
from typing import NamedTuple, Optional, Tuple

import torch
from mmdet.models.layers import (DeformableDetrTransformerDecoder,
                                 DeformableDetrTransformerDecoderLayer)
from mmdet.registry import MODELS
from mmengine.model import ModuleList
from torch import Tensor, nn

from .subject_context_fusion import (FusionPlan, SubjectContextFusion,
                                     make_fusion_plan)


@MODELS.register_module()
class DSCTDecoderLayer(DeformableDetrTransformerDecoderLayer):
    """Decoder layer of DSCT: self-attention, cross-attention, fusion, FFN.

    Args:
        num_spatial_context (int): ``K_sp``: context tokens chosen per subject
            by reference-point distance. Defaults to 100.
        num_semantic_context (int): ``K_sm``: context tokens chosen per
            subject by dot product. Defaults to 50. ``K_sp = K_sm = 0``
            switches the fusion off (see :mod:`.subject_context_fusion`).
        compile_fusion (bool): Run the fusion through ``torch.compile``
            (same function; see the README's "Speed" section for when it
            pays). Defaults to False.
        **kwargs: The arguments of
            :class:`~mmdet.models.layers.DeformableDetrTransformerDecoderLayer`
            (``self_attn_cfg``, ``cross_attn_cfg``, ``ffn_cfg``, ...).
    """

    def __init__(self,
                 *args,
                 num_spatial_context: int = 100,
                 num_semantic_context: int = 50,
                 compile_fusion: bool = False,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fusion = SubjectContextFusion(num_spatial_context,
                                           num_semantic_context,
                                           compile_fusion)

    @property
    def num_spatial_context(self) -> int:
        """``K_sp``."""
        return self.fusion.num_spatial

    @property
    def num_semantic_context(self) -> int:
        """``K_sm``."""
        return self.fusion.num_semantic

    def fusion_plan(self, reference_points: Tensor, num_context_queries: int,
                    dtype: torch.dtype) -> FusionPlan:
        """What the fusion of every layer of one forward pass shares.

        Args:
            reference_points (Tensor): Reference points scaled by the valid
                ratios, [bs, num_queries, num_levels, 2] (level 0 is used).
            num_context_queries (int): How many leading queries are context
                queries.
            dtype (torch.dtype): Dtype of the tokens.

        Returns:
            FusionPlan: With the spatial relation's indices.
        """
        level0_points = reference_points[:, :, 0]  # [bs, num_queries, 2]
        return self.fusion.plan(level0_points[:, num_context_queries:],
                                level0_points[:, :num_context_queries], dtype)

    def forward(self,
                query: Tensor,
                query_pos: Tensor,
                value: Tensor,
                key_padding_mask: Optional[Tensor],
                reference_points: Tensor,
                num_context_queries: int,
                self_attn_mask: Optional[Tensor] = None,
                spatial_indices: Optional[Tensor] = None,
                fusion_plan: Optional[FusionPlan] = None,
                **kwargs) -> Tuple[Tensor, Tensor, Tensor]:
        """Run the layer.

        Args:
            query (Tensor): Context tokens then subject tokens,
                [bs, num_queries, dim].
            query_pos (Tensor): Their positional queries, same shape.
            value (Tensor): Encoder memory, [bs, num_value, dim].
            key_padding_mask (Tensor, optional): Padding mask of the memory,
                [bs, num_value].
            reference_points (Tensor): Reference points scaled by the valid
                ratios, [bs, num_queries, num_levels, 2].
            num_context_queries (int): How many leading tokens are context
                tokens.
            self_attn_mask (Tensor, optional): Mask of the self-attention,
                [num_queries, num_queries].
            spatial_indices (Tensor, optional): The spatial relation's
                context indices, [bs, num_subject, K_sp], if the caller
                computed them once for all layers; else computed here.
            fusion_plan (FusionPlan, optional): What the fusion of every
                layer shares (:meth:`fusion_plan`), if the caller built it
                once for all layers; else built here (from
                ``spatial_indices`` when given).
            **kwargs: ``spatial_shapes``, ``level_start_index``,
                ``valid_ratios`` for the deformable cross-attention.

        Returns:
            tuple[Tensor, Tensor, Tensor]: The output tokens
            [bs, num_queries, dim], and the context indices chosen by the
            spatial [bs, num_subject, K_sp] and semantic
            [bs, num_subject, K_sm] relations.
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
        query = self.cross_attn(
            query=query,
            value=value,
            query_pos=query_pos,
            key_padding_mask=key_padding_mask,
            reference_points=reference_points,
            **kwargs)
        query = self.norms[1](query)
        if self.fusion.enabled:
            if fusion_plan is None:
                fusion_plan = self._own_fusion_plan(query, reference_points,
                                                    num_context_queries,
                                                    spatial_indices)
            query, semantic_indices = self.fusion(query, fusion_plan)
            spatial_indices = fusion_plan.spatial_indices
        else:
            spatial_indices = semantic_indices = query.new_zeros(
                (query.shape[0], query.shape[1] - num_context_queries, 0),
                dtype=torch.long)
        query = self.ffn(query)
        query = self.norms[2](query)
        return query, spatial_indices, semantic_indices

    def _own_fusion_plan(self, query: Tensor, reference_points: Tensor,
                         num_context_queries: int,
                         spatial_indices: Optional[Tensor]) -> FusionPlan:
        """The fusion plan of a layer run on its own (see
        :meth:`forward`)."""
        if spatial_indices is None:
            return self.fusion_plan(reference_points, num_context_queries,
                                    query.dtype)
        return make_fusion_plan(spatial_indices, num_context_queries,
                                self.num_semantic_context, query.dtype)


class DSCTDecoderOutput(NamedTuple):
    """What :class:`DSCTDecoder` returns.

    Attributes:
        hidden_states (Tensor): Output tokens of every layer (or of the last
            one when ``return_intermediate`` is False),
            [num_out_layers, bs, num_queries, dim].
        references (Tensor): The reference points each layer used (static:
            DSCT has no box refinement), [num_out_layers, bs, num_queries, 2].
        spatial_indices (Tensor): Context indices chosen by the spatial
            relation of the last layer, [bs, num_subject, K_sp].
        semantic_indices (Tensor): Context indices chosen by the semantic
            relation of the last layer, [bs, num_subject, K_sm].
    """
    hidden_states: Tensor
    references: Tensor
    spatial_indices: Tensor
    semantic_indices: Tensor


@MODELS.register_module()
class DSCTDecoder(DeformableDetrTransformerDecoder):
    """Decoder of DSCT: a stack of :class:`DSCTDecoderLayer`.

    Args:
        num_layers (int): Number of decoder layers.
        layer_cfg (dict): Arguments of every :class:`DSCTDecoderLayer`.
        num_spatial_context (int): ``K_sp`` of every layer. Defaults to 100.
        num_semantic_context (int): ``K_sm`` of every layer. Defaults to 50.
        compile_fusion (bool): Every layer runs the fusion through
            ``torch.compile`` (same outputs). Defaults to False.
        **kwargs: Other arguments of
            :class:`~mmdet.models.layers.DeformableDetrTransformerDecoder`
            (``return_intermediate``; ``post_norm_cfg`` must stay None,
            its default here).
    """

    def __init__(self,
                 *args,
                 num_spatial_context: int = 100,
                 num_semantic_context: int = 50,
                 compile_fusion: bool = False,
                 **kwargs) -> None:
        self.num_spatial_context = num_spatial_context
        self.num_semantic_context = num_semantic_context
        self.compile_fusion = compile_fusion
        kwargs.setdefault('post_norm_cfg', None)
        super().__init__(*args, **kwargs)

    #: The class of the decoder layers (a subclass may use its own).
    layer_type = DSCTDecoderLayer

    def _init_layers(self) -> None:
        """Build the decoder layers."""
        self.layers = ModuleList([
            self.layer_type(
                **self.layer_cfg,
                num_spatial_context=self.num_spatial_context,
                num_semantic_context=self.num_semantic_context,
                compile_fusion=self.compile_fusion)
            for _ in range(self.num_layers)
        ])
        self.embed_dims = self.layers[0].embed_dims
        if self.post_norm_cfg is not None:
            raise ValueError(f'{self._get_name()} has no post norm; set '
                             'post_norm_cfg=None.')

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
                reg_branches: Optional[nn.Module] = None,
                **kwargs) -> DSCTDecoderOutput:
        """Run all decoder layers.

        Args:
            query (Tensor): Context then subject queries,
                [bs, num_queries, dim].
            query_pos (Tensor): Their positional queries, same shape.
            value (Tensor): Encoder memory, [bs, num_value, dim].
            key_padding_mask (Tensor, optional): Padding mask of the memory,
                [bs, num_value].
            reference_points (Tensor): Normalised reference points (x, y),
                [bs, num_queries, 2].
            spatial_shapes (Tensor): (h, w) of each level, [num_levels, 2].
            level_start_index (Tensor): Start of each level in the memory,
                [num_levels].
            valid_ratios (Tensor): Valid (unpadded) fraction of each level,
                [bs, num_levels, 2].
            num_context_queries (int): How many leading queries are context
                queries.
            reg_branches (nn.Module, optional): Must be None: DSCT does not
                refine boxes in the decoder.

        Returns:
            DSCTDecoderOutput: Tokens and references per layer, and the
            context indices chosen by the last layer.
        """
        if reg_branches is not None:
            raise ValueError('DSCTDecoder does not support box refinement '
                             '(reg_branches must be None).')
        if reference_points.shape[-1] != 2:
            raise ValueError('DSCTDecoder expects 2-d reference points '
                             f'(x, y), got {reference_points.shape[-1]}-d.')
        # [bs, num_queries, num_levels, 2]
        reference_points_input = \
            reference_points[:, :, None] * valid_ratios[:, None]
        # the same in every layer: no box refinement, fixed references
        plan = self.layers[0].fusion_plan(
            reference_points_input, num_context_queries,
            query.dtype) if self.layers[0].fusion.enabled else None
        output = query
        intermediate = []
        for layer in self.layers:
            output, spatial_indices, semantic_indices = layer(
                output,
                query_pos=query_pos,
                value=value,
                key_padding_mask=key_padding_mask,
                reference_points=reference_points_input,
                num_context_queries=num_context_queries,
                spatial_shapes=spatial_shapes,
                level_start_index=level_start_index,
                valid_ratios=valid_ratios,
                fusion_plan=plan,
                **kwargs)
            if self.return_intermediate:
                intermediate.append(output)
        if not self.return_intermediate:
            intermediate.append(output)
        hidden_states = torch.stack(intermediate)
        references = reference_points[None].expand(
            len(intermediate), -1, -1, -1)
        return DSCTDecoderOutput(hidden_states, references, spatial_indices,
                                 semantic_indices)
