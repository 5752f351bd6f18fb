"""DSCT: the Decoupled Subject-Context Transformer (docs/method.md)."""
from typing import Dict, List, Tuple

import torch
from mmdet.models.detectors import DeformableDETR
from mmdet.models.layers import (DeformableDetrTransformerEncoder,
                                 SinePositionalEncoding)
from mmdet.registry import MODELS
from mmengine.logging import print_log
from mmengine.model import initialize
from torch import Tensor, nn

from ..utils import (DSCT_LAYOUT, OfficialStateDictError, convert_command,
                     is_deformable_detr_state_dict,
                     map_deformable_detr_state_dict, official_layout)

# init_cfg entries that load weights: DSCT applies them last (see
# DSCT.init_weights).
CHECKPOINT_INIT_TYPES = ('Pretrained', 'FirstAvailablePretrained')
# Entry under which the authors' checkpoints hold their state dict.
OFFICIAL_MODEL_ENTRY = 'model'


@MODELS.register_module()
class DSCT(DeformableDETR):
    r"""Single-stage context-aware emotion recognition with decoupled
    subject and context queries.

    A single-stage Deformable DETR whose decoder runs two kinds of queries
    through the same layers: ``num_context_queries`` context queries
    (initialised from a COCO detector's object queries; no head, no loss)
    and ``num_subject_queries`` subject queries, which alone feed the head
    and which gather context in every layer with the parameter-free fusion
    of :class:`~mmdsct.models.layers.DSCTDecoder`.

    .. code:: text

        pre_transformer -> encoder -> pre_decoder: [context | subject]
        queries -> DSCTDecoder (self-attn, cross-attn, fusion, FFN) ->
        DSCTHead on the subject tokens of every layer

    ``loss``, ``predict`` and ``_forward`` are mmdet's
    ``DetectionTransformer``'s: the head inputs that :meth:`forward_decoder`
    returns also carry the context points the last layer chose, which
    :class:`~mmdsct.models.dense_heads.DSCTHead` predicts in original-image
    pixels (and its ``loss`` and ``forward`` accept and leave aside).

    Loading a state dict of mmdet's ``DeformableDETR`` (``load_from``, or
    ``load_state_dict``) maps it on the fly: see
    :mod:`mmdsct.models.utils.deformable_detr_mapping`. A state dict in the
    key layout of the authors' DSCT or Deformable DETR code is refused with
    :class:`~mmdsct.models.utils.OfficialStateDictError`, which names the
    converter (``tools/model_converters/dsct_official_to_mmdsct.py``).

    ``init_cfg`` entries that load a checkpoint (``Pretrained``,
    ``FirstAvailablePretrained``) are applied after the Deformable DETR
    initialisation, which would otherwise overwrite the transformer.

    Args:
        num_context_queries (int): Number of context queries. Defaults to
            300.
        num_subject_queries (int): Number of subject queries (the most
            subjects one image can yield). Defaults to 4.
        **kwargs: The arguments of :class:`~mmdet.models.DeformableDETR`
            except ``num_queries``; ``with_box_refine`` and ``as_two_stage``
            must stay False. ``decoder`` configures
            :class:`~mmdsct.models.layers.DSCTDecoder` (``type`` may name
            another registered decoder with the same interface).
    """

    #: Deformable DETR switches that must stay False (DSCTFollow refines
    #: boxes).
    unsupported_flags = ('with_box_refine', 'as_two_stage')

    def __init__(self,
                 *args,
                 num_context_queries: int = 300,
                 num_subject_queries: int = 4,
                 **kwargs) -> None:
        if 'num_queries' in kwargs:
            raise TypeError('DSCT takes num_context_queries and '
                            'num_subject_queries instead of num_queries.')
        for name in self.unsupported_flags:
            if kwargs.get(name, False):
                raise ValueError(f'DSCT does not support {name}=True.')
        if num_context_queries < 1 or num_subject_queries < 1:
            raise ValueError('DSCT needs at least one context and one subject '
                             f'query, got {num_context_queries} and '
                             f'{num_subject_queries}.')
        self.num_context_queries = num_context_queries
        self.num_subject_queries = num_subject_queries
        super().__init__(
            *args,
            num_queries=num_context_queries + num_subject_queries,
            **kwargs)

    def init_weights(self) -> None:
        """Initialise as Deformable DETR does, then apply the checkpoint
        entries of ``init_cfg``.

        mmdet's ``DeformableDETR.init_weights`` re-initialises the
        transformer after ``init_cfg`` has been applied; a checkpoint named
        in ``init_cfg`` (``Pretrained``, ``FirstAvailablePretrained``) is
        therefore loaded here, last.
        """
        init_cfg = self.init_cfg
        cfgs = [init_cfg] if isinstance(init_cfg, dict) else list(init_cfg
                                                                  or [])
        loaders = [
            cfg for cfg in cfgs if cfg.get('type') in CHECKPOINT_INIT_TYPES
        ]
        self.init_cfg = [cfg for cfg in cfgs if cfg not in loaders] or None
        try:
            super().init_weights()
        finally:
            self.init_cfg = init_cfg
        if loaders:
            initialize(self, loaders)

    def _init_layers(self) -> None:
        """Build positional encoding, encoder, decoder and queries."""
        self.positional_encoding = SinePositionalEncoding(
            **self.positional_encoding)
        self.encoder = DeformableDetrTransformerEncoder(**self.encoder)
        self.decoder = MODELS.build(
            dict(dict(type='DSCTDecoder'), **self.decoder))
        self.embed_dims = self.encoder.embed_dims
        # each row is split into (query_pos, query) in pre_decoder
        self.context_query_embedding = nn.Embedding(self.num_context_queries,
                                                    self.embed_dims * 2)
        self.subject_query_embedding = nn.Embedding(self.num_subject_queries,
                                                    self.embed_dims * 2)
        num_feats = self.positional_encoding.num_feats
        if num_feats * 2 != self.embed_dims:
            raise ValueError('positional_encoding.num_feats must be half of '
                             f'embed_dims: {num_feats} vs {self.embed_dims}.')
        self.level_embed = nn.Parameter(
            torch.Tensor(self.num_feature_levels, self.embed_dims))
        self.reference_points_fc = nn.Linear(self.embed_dims, 2)

    def pre_decoder(self, memory: Tensor, memory_mask: Tensor,
                    spatial_shapes: Tensor) -> Tuple[Dict, Dict]:
        """Prepare context and subject queries and their reference points.

        Args:
            memory (Tensor): Encoder output, [bs, num_feat_points, dim].
            memory_mask (Tensor): Padding mask, [bs, num_feat_points]
                (unused: no two-stage proposals).
            spatial_shapes (Tensor): [num_levels, 2] (unused).

        Returns:
            tuple[dict, dict]: Decoder inputs (``query``, ``query_pos``,
            ``memory``, ``reference_points``; context queries first) and
            head inputs (``enc_outputs_*`` None while training, else empty).
        """
        batch_size, _, dims = memory.shape
        # [num_context + num_subject, 2 * dim]
        query_embed = torch.cat([
            self.context_query_embedding.weight,
            self.subject_query_embedding.weight
        ])
        query_pos, query = torch.split(query_embed, dims, dim=1)
        query_pos = query_pos.unsqueeze(0).expand(batch_size, -1, -1)
        query = query.unsqueeze(0).expand(batch_size, -1, -1)
        reference_points = self.reference_points_fc(query_pos).sigmoid()
        decoder_inputs_dict = dict(
            query=query,
            query_pos=query_pos,
            memory=memory,
            reference_points=reference_points)
        head_inputs_dict = dict(
            enc_outputs_class=None,
            enc_outputs_coord=None) if self.training else dict()
        return decoder_inputs_dict, head_inputs_dict

    def forward_decoder(self, query: Tensor, query_pos: Tensor, memory: Tensor,
                        memory_mask: Tensor, reference_points: Tensor,
                        spatial_shapes: Tensor, level_start_index: Tensor,
                        valid_ratios: Tensor) -> Dict:
        """Run the decoder; keep the subject tokens for the head.

        Args:
            query (Tensor): [bs, num_queries, dim], context first.
            query_pos (Tensor): [bs, num_queries, dim].
            memory (Tensor): [bs, num_feat_points, dim].
            memory_mask (Tensor): [bs, num_feat_points] or None.
            reference_points (Tensor): [bs, num_queries, 2], normalised.
            spatial_shapes (Tensor): [num_levels, 2].
            level_start_index (Tensor): [num_levels].
            valid_ratios (Tensor): [bs, num_levels, 2].

        Returns:
            dict: The head inputs ``hidden_states``
            [num_layers, bs, num_subject, dim], ``references`` (list of
            num_layers + 1 tensors [bs, num_subject, 2]),
            ``spatial_context_points`` [bs, num_subject, K_sp, 2] and
            ``semantic_context_points`` [bs, num_subject, K_sm, 2]
            (normalised reference points of the context tokens the last
            layer chose).
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
            num_context_queries=self.num_context_queries)
        num_context = self.num_context_queries
        context_points = reference_points[:, :num_context]
        references = [reference_points, *decoded.references]
        return dict(
            hidden_states=decoded.hidden_states[:, :, num_context:],
            references=[ref[:, num_context:] for ref in references],
            spatial_context_points=_gather_points(context_points,
                                                  decoded.spatial_indices),
            semantic_context_points=_gather_points(context_points,
                                                   decoded.semantic_indices))

    def _load_from_state_dict(self, state_dict: dict, prefix: str,
                              local_metadata: dict, strict: bool,
                              missing_keys: List[str],
                              unexpected_keys: List[str],
                              error_msgs: List[str]) -> None:
        """Map a DeformableDETR state dict before loading (see
        :mod:`mmdsct.models.utils.deformable_detr_mapping`) and log which
        keys were taken, left out and newly initialised.

        Raises:
            OfficialStateDictError: If the state dict (or its ``model``
                entry) has the key layout of the authors' code: loading it
                would fill nothing, so the error names the converter.
        """
        _refuse_official_layout(state_dict, prefix)
        if is_deformable_detr_state_dict(state_dict, prefix):
            own = {
                key[len(prefix):]: state_dict.pop(key)
                for key in list(state_dict) if key.startswith(prefix)
            }
            mapped, report = map_deformable_detr_state_dict(
                own, self.num_context_queries,
                self.state_dict().keys())
            state_dict.update(
                {prefix + key: value
                 for key, value in mapped.items()})
            print_log(report.summary(), logger='current')
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)


def _refuse_official_layout(state_dict: dict, prefix: str) -> None:
    """Raise if ``state_dict`` is one of the authors' code, bare or as the
    ``model`` entry of their checkpoint.

    Args:
        state_dict (dict): The state dict handed to DSCT.
        prefix (str): DSCT's key prefix in it.

    Raises:
        OfficialStateDictError: Naming the converter command.
    """
    keys = list(state_dict)
    layout = official_layout(keys, prefix)
    wrapped = state_dict.get(prefix + OFFICIAL_MODEL_ENTRY)
    if layout is None and isinstance(wrapped, dict):
        layout = official_layout(list(wrapped))
        keys = [prefix + key for key in wrapped]
    if layout is None:
        return
    example = next(key for key in keys if official_layout([key], prefix))
    code = 'DSCT' if layout == DSCT_LAYOUT else 'Deformable DETR'
    raise OfficialStateDictError(
        f'DSCT was given weights in the key layout of the authors\' {code} '
        f'code (e.g. {example!r}); loaded as they are, they would fill '
        f'nothing. Convert the checkpoint first: {convert_command(layout)}')


def _gather_points(points: Tensor, indices: Tensor) -> Tensor:
    """Pick points per subject.

    Args:
        points (Tensor): Context reference points, [bs, num_context, 2].
        indices (Tensor): Chosen context tokens, [bs, num_subject, k].

    Returns:
        Tensor: [bs, num_subject, k, 2].
    """
    batch_size, num_subject, k = indices.shape
    flat_indices = indices.reshape(batch_size, num_subject * k, 1)
    # [bs, num_subject * k, 2] -> [bs, num_subject, k, 2]
    picked = points.gather(1, flat_indices.expand(-1, -1, 2))
    return picked.reshape(batch_size, num_subject, k, 2)
