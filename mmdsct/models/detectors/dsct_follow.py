"""DSCT-Follow: DSCT whose subjects gather the context around where they
stand in this image (our variant, not the paper's; docs/method.md)."""
from typing import Dict

from mmdet.registry import MODELS
from torch import Tensor

from ..layers.dsct_follow_decoder import DSCTFollowDecoder
from .dsct import DSCT, _gather_points


@MODELS.register_module()
class DSCTFollow(DSCT):
    r"""DSCT with subject box refinement and a spatial relation measured
    from each subject's current box.

    In DSCT the reference points, and with them the context tokens the
    spatial relation picks for each subject query, come from the query
    embeddings alone: they are the same for every image. DSCT-Follow
    refines each subject query's reference box layer by layer from its
    predicted box (Deformable DETR's box refinement, with the head's
    per-layer box branches), lets the subject's cross-attention sample
    around that box, and picks the ``K_sp`` context tokens nearest to the
    box's centre anew in every layer
    (:class:`~mmdsct.models.layers.DSCTFollowDecoder`). The context queries,
    the semantic and subject relations, the head and the losses are DSCT's.

    .. code:: text

        layer 1: subject reference = embedding point (as DSCT)
        layer l > 1: subject reference = box of layer l - 1 (detached);
            spatial relation = K_sp context tokens nearest to its centre

    Args:
        with_box_refine (bool): Must be True (the default here): the head
            gets one box and one emotion branch per decoder layer, as
            Deformable DETR's refinement.
        **kwargs: The arguments of :class:`DSCT`; ``decoder`` configures a
            :class:`~mmdsct.models.layers.DSCTFollowDecoder` (its ``type``
            defaults to it, and must be it or a subclass).
    """

    unsupported_flags = ('as_two_stage', )

    def __init__(self, *args, with_box_refine: bool = True, **kwargs) -> None:
        if not with_box_refine:
            raise ValueError('DSCTFollow refines the subject boxes: '
                             'with_box_refine must be True.')
        super().__init__(*args, with_box_refine=True, **kwargs)

    def _init_layers(self) -> None:
        """Build as DSCT, with a :class:`DSCTFollowDecoder`."""
        self.decoder = dict(self.decoder)
        if self.decoder.get('type', 'DSCTDecoder') == 'DSCTDecoder':
            self.decoder['type'] = 'DSCTFollowDecoder'
        super()._init_layers()
        if not isinstance(self.decoder, DSCTFollowDecoder):
            raise TypeError('DSCTFollow needs a DSCTFollowDecoder, got '
                            f'{type(self.decoder).__name__}.')

    def forward_decoder(self, query: Tensor, query_pos: Tensor, memory: Tensor,
                        memory_mask: Tensor, reference_points: Tensor,
                        spatial_shapes: Tensor, level_start_index: Tensor,
                        valid_ratios: Tensor) -> Dict:
        """Run the decoder with box refinement; keep the subject tokens.

        Args:
            query (Tensor): [bs, num_queries, dim], context first.
            query_pos (Tensor): [bs, num_queries, dim].
            memory (Tensor): [bs, num_feat_points, dim].
            memory_mask (Tensor): [bs, num_feat_points] or None.
            reference_points (Tensor): [bs, num_queries, 2], normalised,
                from the query embeddings.
            spatial_shapes (Tensor): [num_levels, 2].
            level_start_index (Tensor): [num_levels].
            valid_ratios (Tensor): [bs, num_levels, 2].

        Returns:
            dict: The head inputs ``hidden_states``
            [num_layers, bs, num_subject, dim], ``references`` (num_layers
            + 1 subject references: the first [bs, num_subject, 2], the
            refined boxes [bs, num_subject, 4]), ``spatial_context_points``
            [bs, num_subject, K_sp, 2] and ``semantic_context_points``
            [bs, num_subject, K_sm, 2] (normalised reference points of the
            context tokens the last layer chose).
        """
        decoded = self.decoder(
            query=query,
            query_pos=query_pos,
            value=memory,
            key_padding_mask=memory_mask,
            reference_points=reference_points,
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index,
            valid_ratios=valid_ratios,
            num_context_queries=self.num_context_queries,
            reg_branches=self.bbox_head.reg_branches)
        num_context = self.num_context_queries
        context_points = reference_points[:, :num_context]
        return dict(
            hidden_states=decoded.hidden_states[:, :, num_context:],
            references=decoded.subject_references,
            spatial_context_points=_gather_points(context_points,
                                                  decoded.spatial_indices),
            semantic_context_points=_gather_points(context_points,
                                                   decoded.semantic_indices))
