"""Map state dicts of the authors' code onto :class:`~mmdsct.models.DSCT`.

The authors' DSCT is a fork of the original Deformable DETR code. Both save
``{'model', 'optimizer', 'lr_scheduler', 'epoch', 'args'}``; ``model`` is a
state dict whose weights map one to one onto DSCT's, under other names:

========================================  ==================================
authors' key                              DSCT key
========================================  ==================================
``backbone.0.body.*`` (ResNet)            ``backbone.*``
``input_proj.{0,1,2}.{0,1}.*``            ``neck.convs.{i}.{conv,gn}.*``
``input_proj.3.{0,1}.*``                  ``neck.extra_convs.0.{conv,gn}.*``
``transformer.level_embed``               ``level_embed``
``transformer.reference_points.*``        ``reference_points_fc.*``
``transformer.encoder.layers.i.*``        ``encoder.layers.i.*``
``transformer.decoder.layers.i.*``        ``decoder.layers.i.*``
``query_embed.weight`` [300, 2d]          ``context_query_embedding.weight``
``query_embed_dsct.weight`` [N, 2d]       ``subject_query_embedding.weight``
``class_embed_dsct.{i}.*``                ``bbox_head.cls_branches.{i}.*``
``bbox_embed_dsct.{i}.layers.k.*``        ``bbox_head.reg_branches.{i}.{2k}.*``
========================================  ==================================

(``i`` = 0..5, the decoder layers; ``k`` = 0..2, the box MLP's layers.)

Traps, all handled here:

- The decoder layers order their norms by use, not by number: ``norm2``
  follows self-attention, ``norm1`` cross-attention and ``norm3`` the FFN;
  mmdet's ``norms.0/1/2`` follow the same three steps in that order. The
  encoder's ``norm1`` / ``norm2`` follow attention / FFN.
- The class and box heads are one module shared by the six decoder layers;
  the checkpoint holds six copies, which must be equal.
- The CAER-S class head has 8 rows: 7 emotions and an 8th output that no
  target ever makes positive and that the authors' test script drops. DSCT's
  CAER-S head has the 7 emotion rows; the 8th is left out. The EMOTIC head
  has 26 emotions and the subject logit last, as DSCT's.
- The authors' ResNet uses a frozen batch norm without
  ``num_batches_tracked``; DSCT's batch norms get that counter as 0.
- In both query tables, columns ``0:d`` are the positional part and
  ``d:2d`` the content part, as :meth:`DSCT.pre_decoder` splits them.

The original Deformable DETR COCO checkpoint (single stage, no box
refinement) has the same layout with the COCO heads ``class_embed.*`` /
``bbox_embed.*`` and no subject queries: its object queries become DSCT's
context queries, the COCO heads are left out and the subject queries and
DSCT's head start fresh (:func:`map_official_deformable_detr_state_dict`).
"""
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import (Callable, Dict, Iterable, List, Mapping, Optional,
                    Sequence, Tuple)

import torch
from torch import Tensor

#: The script that converts the authors' checkpoints.
CONVERTER = 'tools/model_converters/dsct_official_to_mmdsct.py'
#: How to convert an authors' DSCT checkpoint.
DSCT_CONVERT_COMMAND = (f'python {CONVERTER} IN.pth OUT.pth '
                        '--dataset emotic|caers')
#: How to convert the original Deformable DETR COCO checkpoint.
DEFORMABLE_DETR_CONVERT_COMMAND = (f'python {CONVERTER} --source '
                                   'deformable-detr IN.pth OUT.pth')

#: Key layouts :func:`official_layout` recognises.
DSCT_LAYOUT = 'dsct'
DEFORMABLE_DETR_LAYOUT = 'deformable-detr'

OFFICIAL_PREFIXES = ('transformer.', 'input_proj.', 'backbone.0.body.',
                     'class_embed.', 'bbox_embed.', 'class_embed_dsct.',
                     'bbox_embed_dsct.')
OFFICIAL_KEYS = ('query_embed.weight', 'query_embed_dsct.weight')
DSCT_MARKERS = ('query_embed_dsct.weight', 'class_embed_dsct.',
                'bbox_embed_dsct.')
CONTEXT_QUERY_KEY = 'context_query_embedding.weight'
SUBJECT_QUERY_KEY = 'subject_query_embedding.weight'

BN = r'(?:weight|bias|running_mean|running_var)'
PARAM = r'(weight|bias)'
RESNET_KEY = (r'(conv1\.weight|bn1\.' + BN + r'|layer[1-4]\.\d+\.(?:'
              r'conv[1-3]\.weight|bn[1-3]\.' + BN +
              r'|downsample\.0\.weight|downsample\.1\.' + BN + r'))')
MSDA = r'(sampling_offsets|attention_weights|value_proj|output_proj)'
ENCODER = r'transformer\.encoder\.layers\.(\d+)\.'
DECODER = r'transformer\.decoder\.layers\.(\d+)\.'

# (group, pattern, target): a key that fully matches ``pattern`` becomes
# ``match.expand(target)``; ``group`` names the rule in the report.
RENAME_RULES: Tuple[Tuple[str, str, str], ...] = (
    ('backbone.0.body.* -> backbone.*', r'backbone\.0\.body\.' + RESNET_KEY,
     r'backbone.\1'),
    ('transformer.level_embed -> level_embed', r'transformer\.level_embed',
     'level_embed'),
    ('transformer.reference_points -> reference_points_fc',
     r'transformer\.reference_points\.' + PARAM, r'reference_points_fc.\1'),
    ('encoder attention', ENCODER + r'self_attn\.' + MSDA + r'\.' + PARAM,
     r'encoder.layers.\1.self_attn.\2.\3'),
    ('encoder norm1 (after attention) -> norms.0',
     ENCODER + r'norm1\.' + PARAM, r'encoder.layers.\1.norms.0.\2'),
    ('encoder norm2 (after FFN) -> norms.1', ENCODER + r'norm2\.' + PARAM,
     r'encoder.layers.\1.norms.1.\2'),
    ('encoder linear1/linear2 -> ffn', ENCODER + r'linear1\.' + PARAM,
     r'encoder.layers.\1.ffn.layers.0.0.\2'),
    ('encoder linear1/linear2 -> ffn', ENCODER + r'linear2\.' + PARAM,
     r'encoder.layers.\1.ffn.layers.1.\2'),
    ('decoder self-attention -> self_attn.attn',
     DECODER + r'self_attn\.in_proj_' + PARAM,
     r'decoder.layers.\1.self_attn.attn.in_proj_\2'),
    ('decoder self-attention -> self_attn.attn',
     DECODER + r'self_attn\.out_proj\.' + PARAM,
     r'decoder.layers.\1.self_attn.attn.out_proj.\2'),
    ('decoder cross-attention',
     DECODER + r'cross_attn\.' + MSDA + r'\.' + PARAM,
     r'decoder.layers.\1.cross_attn.\2.\3'),
    ('decoder norm2 (after self-attention) -> norms.0',
     DECODER + r'norm2\.' + PARAM, r'decoder.layers.\1.norms.0.\2'),
    ('decoder norm1 (after cross-attention) -> norms.1',
     DECODER + r'norm1\.' + PARAM, r'decoder.layers.\1.norms.1.\2'),
    ('decoder norm3 (after FFN) -> norms.2', DECODER + r'norm3\.' + PARAM,
     r'decoder.layers.\1.norms.2.\2'),
    ('decoder linear1/linear2 -> ffn', DECODER + r'linear1\.' + PARAM,
     r'decoder.layers.\1.ffn.layers.0.0.\2'),
    ('decoder linear1/linear2 -> ffn', DECODER + r'linear2\.' + PARAM,
     r'decoder.layers.\1.ffn.layers.1.\2'),
    ('query_embed -> context queries', r'query_embed\.weight',
     CONTEXT_QUERY_KEY),
)
NECK_PATTERN = r'input_proj\.(\d+)\.([01])\.' + PARAM
NECK_GROUP = 'input_proj -> neck'
SUBJECT_QUERY_PATTERN = r'query_embed_dsct\.weight'
SUBJECT_QUERY_GROUP = 'query_embed_dsct -> subject queries'
# the shared heads: (kind, copy index, suffix after the copy index)
DSCT_HEAD_PATTERN = (r'(class_embed_dsct|bbox_embed_dsct)\.(\d+)\.'
                     r'((?:layers\.[0-2]\.)?' + PARAM + r')')
COCO_HEAD_PATTERN = (r'(?:class_embed\.\d+\.|bbox_embed\.\d+\.layers\.'
                     r'[0-2]\.)' + PARAM)
# hints for keys of variants DSCT does not implement
UNSUPPORTED_HINTS = (
    ('transformer.decoder.bbox_embed', 'box refinement'),
    ('transformer.decoder.class_embed', 'two-stage Deformable DETR'),
    ('transformer.enc_output', 'two-stage Deformable DETR'),
    ('transformer.pos_trans', 'two-stage Deformable DETR'),
)


class OfficialStateDictError(ValueError):
    """A state dict in the authors' key layout was handed to DSCT as it is;
    the message names the command that converts it."""


class OfficialKeyError(ValueError):
    """An authors' checkpoint holds keys (or values) the converter does not
    know how to map; the message names them."""


@dataclass(frozen=True)
class OfficialRecipe:
    """How an authors' DSCT recipe's class head maps onto DSCTHead.

    Attributes:
        name (str): ``'emotic'`` or ``'caers'``.
        official_logits (int): Rows of the authors' class head.
        kept_logits (int): Leading rows that DSCTHead has (the rest are left
            out).
        dropped_rows_note (str): Why rows are left out ('' if none).
    """
    name: str
    official_logits: int
    kept_logits: int
    dropped_rows_note: str = ''


OFFICIAL_RECIPES: Dict[str, OfficialRecipe] = {
    'emotic':
    OfficialRecipe('emotic', official_logits=27, kept_logits=27),
    'caers':
    OfficialRecipe(
        'caers',
        official_logits=8,
        kept_logits=7,
        dropped_rows_note=(
            'class head: 8 rows -> 7; the 8th output of the authors\' '
            'CAER-S head is never a positive target and their test script '
            'drops it (softmax over the first 7)')),
}


@dataclass
class OfficialMappingReport:
    """What a mapping of an authors' state dict did.

    Attributes:
        source (str): :data:`DSCT_LAYOUT` or :data:`DEFORMABLE_DETR_LAYOUT`.
        recipe (str, optional): ``'emotic'`` / ``'caers'`` (DSCT layout).
        renamed (dict[str, str]): Authors' key -> DSCT key (for the shared
            heads: copy 0 -> DSCT's first branch).
        groups (Counter): Number of authors' keys per rule.
        left_out (dict[str, str]): Authors' key -> why it is not carried.
        added (list[str]): DSCT keys the mapping makes up (batch-norm
            counters).
        notes (list[str]): Shape changes and checks (heads, rows).
        newly_initialised (list[str]): DSCT keys the mapping does not
            provide (filled by :meth:`add_target_keys`).
    """
    source: str
    recipe: Optional[str] = None
    renamed: Dict[str, str] = field(default_factory=dict)
    groups: Counter = field(default_factory=Counter)
    left_out: Dict[str, str] = field(default_factory=dict)
    added: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    newly_initialised: List[str] = field(default_factory=list)

    def rename(self, group: str, src: str, dst: str) -> None:
        """Record one renamed key."""
        self.renamed[src] = dst
        self.groups[group] += 1

    def add_target_keys(self, mapped_keys: Iterable[str],
                        target_keys: Iterable[str]) -> None:
        """Record the DSCT keys that the mapped state dict lacks.

        Args:
            mapped_keys (Iterable[str]): Keys of the mapped state dict.
            target_keys (Iterable[str]): Keys of DSCT's state dict.
        """
        provided = set(mapped_keys)
        self.newly_initialised = sorted(key for key in target_keys
                                        if key not in provided)

    def summary(self, verbose: bool = False) -> str:
        """A readable report.

        Args:
            verbose (bool): List every renamed key, not only the rules.

        Returns:
            str: The report, several lines.
        """
        source = ('authors\' DSCT' +
                  (f' ({self.recipe})' if self.recipe else '') if self.source
                  == DSCT_LAYOUT else 'original Deformable DETR')
        lines = [
            f'{source} -> mmdsct DSCT: {len(self.renamed)} keys mapped, '
            f'{len(self.left_out)} left out, {len(self.added)} added, '
            f'{len(self.newly_initialised)} newly initialised.',
            '  mapped, per rule:'
        ]
        lines += [
            f'    {count:4d}  {group}' for group, count in self.groups.items()
        ]
        if verbose:
            lines.append('  every mapped key:')
            lines += [
                f'    {src} -> {dst}' for src, dst in self.renamed.items()
            ]
        if self.notes:
            lines.append('  shape notes:')
            lines += [f'    {note}' for note in self.notes]
        if self.left_out:
            lines.append('  left out:')
            lines += _grouped_reasons(self.left_out)
        if self.added:
            lines.append(f'  added: {len(self.added)} batch-norm '
                         'num_batches_tracked counters (set to 0; the '
                         'authors\' frozen batch norm has none)')
        if self.newly_initialised:
            lines.append('  newly initialised (not in the checkpoint):')
            lines += [f'    {key}' for key in self.newly_initialised]
        return '\n'.join(lines)


def _grouped_reasons(left_out: Mapping[str, str]) -> List[str]:
    """One line per reason, with the keys it covers."""
    by_reason: Dict[str, List[str]] = {}
    for key, reason in left_out.items():
        by_reason.setdefault(reason, []).append(key)
    return [
        f'    {len(keys)} key(s), {reason}: ' + _short_list(keys)
        for reason, keys in by_reason.items()
    ]


def _short_list(keys: Sequence[str], limit: int = 12) -> str:
    """``keys`` joined, at most ``limit`` of them named."""
    named = ', '.join(keys[:limit])
    if len(keys) > limit:
        named += f', ... ({len(keys) - limit} more)'
    return named


def official_layout(keys: Iterable[str], prefix: str = '') -> Optional[str]:
    """Which authors' key layout a state dict has, if any.

    Args:
        keys (Iterable[str]): The state dict's keys.
        prefix (str): Only keys under this prefix count, compared without
            it. Defaults to ''.

    Returns:
        str or None: :data:`DSCT_LAYOUT` (the authors' DSCT),
        :data:`DEFORMABLE_DETR_LAYOUT` (the original Deformable DETR) or
        None (no key of the authors' layout).
    """
    own = [key[len(prefix):] for key in keys if key.startswith(prefix)]
    official = [
        key for key in own
        if key.startswith(OFFICIAL_PREFIXES) or key in OFFICIAL_KEYS
    ]
    if not official:
        return None
    if any(key.startswith(DSCT_MARKERS) for key in official):
        return DSCT_LAYOUT
    return DEFORMABLE_DETR_LAYOUT


def convert_command(layout: str) -> str:
    """The command that converts a checkpoint of ``layout``."""
    if layout == DEFORMABLE_DETR_LAYOUT:
        return DEFORMABLE_DETR_CONVERT_COMMAND
    return DSCT_CONVERT_COMMAND


def infer_official_recipe(state_dict: Mapping[str, Tensor]) -> str:
    """The recipe of an authors' DSCT state dict, from its class head.

    Args:
        state_dict (Mapping[str, Tensor]): The authors' state dict.

    Returns:
        str: ``'emotic'`` (27 class rows) or ``'caers'`` (8 rows).

    Raises:
        OfficialKeyError: If there is no class head or its row count is
            neither.
    """
    key = 'class_embed_dsct.0.weight'
    if key not in state_dict:
        raise OfficialKeyError(f'No {key!r}: not an authors\' DSCT state '
                               'dict, or one without its class head.')
    rows = state_dict[key].shape[0]
    for name, recipe in OFFICIAL_RECIPES.items():
        if recipe.official_logits == rows:
            return name
    known = ', '.join(f'{recipe.official_logits} ({name})'
                      for name, recipe in OFFICIAL_RECIPES.items())
    raise OfficialKeyError(
        f'{key} has {rows} rows; the released recipes have {known}.')


def _map_neck_key(match: 're.Match', num_backbone_levels: int) -> str:
    """``input_proj.<level>.<0|1>.<param>`` -> the neck key."""
    level, part, param = int(match.group(1)), match.group(2), match.group(3)
    layer = 'conv' if part == '0' else 'gn'
    if level < num_backbone_levels:
        return f'neck.convs.{level}.{layer}.{param}'
    return f'neck.extra_convs.{level - num_backbone_levels}.{layer}.{param}'


def _rename_common(key: str,
                   num_backbone_levels: int) -> Optional[Tuple[str, str]]:
    """``(group, DSCT key)`` for a key outside the heads, else None."""
    for group, pattern, target in RENAME_RULES:
        match = re.fullmatch(pattern, key)
        if match:
            return group, match.expand(target)
    match = re.fullmatch(NECK_PATTERN, key)
    if match:
        return NECK_GROUP, _map_neck_key(match, num_backbone_levels)
    return None


def _unknown_keys_error(keys: Sequence[str], layout: str) -> OfficialKeyError:
    """The error for keys no rule maps, with hints where known."""
    hints = sorted({
        hint
        for key in keys for prefix, hint in UNSUPPORTED_HINTS
        if key.startswith(prefix)
    })
    message = (f'{len(keys)} key(s) of the {layout} checkpoint have no '
               f'mapping onto DSCT: {_short_list(keys)}.')
    if hints:
        message += (' They belong to ' + ' and '.join(hints) +
                    ', which DSCT does not implement (it is single-stage, '
                    'without box refinement).')
    return OfficialKeyError(message)


def _add_batch_norm_counters(mapped: 'OrderedDict[str, Tensor]',
                             report: OfficialMappingReport) -> None:
    """Give every mapped batch norm a ``num_batches_tracked`` of 0."""
    for key in [k for k in mapped if k.endswith('.running_var')]:
        counter = key[:-len('running_var')] + 'num_batches_tracked'
        mapped[counter] = torch.tensor(0, dtype=torch.long)
        report.added.append(counter)


def _shared_head(state_dict: Mapping[str, Tensor],
                 kind: str) -> Tuple[int, Dict[str, Tensor]]:
    """Check the copies of a shared head are equal; return one.

    Args:
        state_dict (Mapping[str, Tensor]): The authors' state dict.
        kind (str): ``'class_embed_dsct'`` or ``'bbox_embed_dsct'``.

    Returns:
        tuple[int, dict[str, Tensor]]: The number of copies and copy 0 as
        ``{suffix: tensor}`` (suffix e.g. ``'weight'``,
        ``'layers.2.bias'``).

    Raises:
        OfficialKeyError: If the copies are not numbered 0..n-1, differ in
            their keys, or differ in value.
    """
    copies: Dict[int, Dict[str, Tensor]] = {}
    for key, value in state_dict.items():
        match = re.fullmatch(DSCT_HEAD_PATTERN, key)
        if match and match.group(1) == kind:
            copies.setdefault(int(match.group(2)), {})[match.group(3)] = value
    if not copies:
        raise OfficialKeyError(f'The checkpoint has no {kind}.* weights.')
    if sorted(copies) != list(range(len(copies))):
        raise OfficialKeyError(f'{kind} copies are numbered '
                               f'{sorted(copies)}; expected 0..n-1.')
    first = copies[0]
    for index, copy in copies.items():
        if set(copy) != set(first):
            raise OfficialKeyError(
                f'{kind}.{index} has the keys {sorted(copy)}, '
                f'{kind}.0 has {sorted(first)}.')
        for suffix, value in copy.items():
            if not torch.equal(value, first[suffix]):
                raise OfficialKeyError(
                    f'{kind}.{index}.{suffix} differs from '
                    f'{kind}.0.{suffix}: the authors\' heads are one module '
                    'shared by all decoder layers, so a checkpoint of theirs '
                    'holds equal copies (per-layer heads would mean box '
                    'refinement, which DSCT does not implement).')
    return len(copies), first


def _map_dsct_heads(state_dict: Mapping[str, Tensor], recipe: OfficialRecipe,
                    mapped: 'OrderedDict[str, Tensor]',
                    report: OfficialMappingReport) -> None:
    """Map the shared class and box heads onto every DSCTHead branch."""
    num_cls, cls_head = _shared_head(state_dict, 'class_embed_dsct')
    num_reg, reg_head = _shared_head(state_dict, 'bbox_embed_dsct')
    rows = cls_head['weight'].shape[0]
    if rows != recipe.official_logits:
        raise OfficialKeyError(
            f'class_embed_dsct has {rows} rows but the {recipe.name} recipe '
            f'has {recipe.official_logits} (--dataset {recipe.name}); the '
            f'checkpoint looks like {infer_official_recipe(state_dict)}.')
    if recipe.kept_logits < rows:
        report.notes.append(recipe.dropped_rows_note)
    report.notes.append(
        f'class_embed_dsct.0..{num_cls - 1} and bbox_embed_dsct.0..'
        f'{num_reg - 1}: {num_cls} and {num_reg} equal copies of one shared '
        'module (checked); copy 0 goes to every DSCTHead branch')
    for suffix, value in cls_head.items():
        kept = value[:recipe.kept_logits].clone()
        for branch in range(num_cls):
            mapped[f'bbox_head.cls_branches.{branch}.{suffix}'] = kept
        for index in range(num_cls):
            src = f'class_embed_dsct.{index}.{suffix}'
            if index == 0:
                report.rename('class_embed_dsct -> bbox_head.cls_branches',
                              src, f'bbox_head.cls_branches.0.{suffix}')
            else:
                report.left_out[src] = 'equal copy of class_embed_dsct.0'
    for suffix, value in reg_head.items():
        _, layer, param = suffix.split('.')
        target = f'{2 * int(layer)}.{param}'  # Linear, ReLU, Linear, ...
        for branch in range(num_reg):
            mapped[f'bbox_head.reg_branches.{branch}.{target}'] = value
        for index in range(num_reg):
            src = f'bbox_embed_dsct.{index}.{suffix}'
            if index == 0:
                report.rename('bbox_embed_dsct -> bbox_head.reg_branches', src,
                              f'bbox_head.reg_branches.0.{target}')
            else:
                report.left_out[src] = 'equal copy of bbox_embed_dsct.0'


def _map_layout(state_dict: Mapping[str, Tensor], layout: str,
                num_backbone_levels: int, keep: Callable[[str], Optional[str]],
                report: OfficialMappingReport) -> 'OrderedDict[str, Tensor]':
    """Rename every key outside the DSCT heads; refuse unknown keys.

    Args:
        state_dict (Mapping[str, Tensor]): The authors' state dict.
        layout (str): Its layout (for messages).
        num_backbone_levels (int): Neck inputs taken from the backbone.
        keep (Callable): For a key no common rule maps: a reason to leave
            it out, or None if it is unknown.
        report (OfficialMappingReport): Filled in place.

    Returns:
        OrderedDict[str, Tensor]: The renamed tensors.
    """
    mapped: 'OrderedDict[str, Tensor]' = OrderedDict()
    unknown = []
    for key, value in state_dict.items():
        if not isinstance(value, Tensor):
            raise OfficialKeyError(f'{key} holds a {type(value).__name__}, '
                                   'not a tensor.')
        renamed = _rename_common(key, num_backbone_levels)
        if renamed is not None:
            group, target = renamed
            mapped[target] = value
            report.rename(group, key, target)
            continue
        match = re.fullmatch(SUBJECT_QUERY_PATTERN, key)
        if match and layout == DSCT_LAYOUT:
            mapped[SUBJECT_QUERY_KEY] = value
            report.rename(SUBJECT_QUERY_GROUP, key, SUBJECT_QUERY_KEY)
            continue
        reason = keep(key)
        if reason is None:
            unknown.append(key)
        elif reason:
            report.left_out[key] = reason
    if unknown:
        raise _unknown_keys_error(unknown, layout)
    return mapped


def map_official_dsct_state_dict(
    state_dict: Mapping[str, Tensor],
    recipe: Optional[str] = None,
    num_backbone_levels: int = 3
) -> Tuple['OrderedDict[str, Tensor]', OfficialMappingReport]:
    """Map an authors' DSCT state dict onto DSCT's keys.

    Args:
        state_dict (Mapping[str, Tensor]): ``checkpoint['model']`` of the
            authors' code.
        recipe (str, optional): ``'emotic'`` or ``'caers'``; None infers it
            from the class head (:func:`infer_official_recipe`).
        num_backbone_levels (int): Feature levels taken from the backbone
            (the rest are extra stride-2 convs). Defaults to 3.

    Returns:
        tuple[OrderedDict, OfficialMappingReport]: DSCT's state dict (with
        every branch of the shared heads and the batch-norm counters) and
        the report.

    Raises:
        OfficialKeyError: On a key no rule maps (all of them are named), a
            non-tensor value, unequal head copies or a class head that does
            not fit ``recipe``.
    """
    if recipe is None:
        recipe = infer_official_recipe(state_dict)
    if recipe not in OFFICIAL_RECIPES:
        raise OfficialKeyError(f'Unknown recipe {recipe!r}; expected one of '
                               f'{sorted(OFFICIAL_RECIPES)}.')
    report = OfficialMappingReport(source=DSCT_LAYOUT, recipe=recipe)

    def keep(key: str) -> Optional[str]:
        # the shared heads are mapped below
        return '' if re.fullmatch(DSCT_HEAD_PATTERN, key) else None

    mapped = _map_layout(state_dict, DSCT_LAYOUT, num_backbone_levels, keep,
                         report)
    _map_dsct_heads(state_dict, OFFICIAL_RECIPES[recipe], mapped, report)
    _add_batch_norm_counters(mapped, report)
    return mapped, report


def map_official_deformable_detr_state_dict(
    state_dict: Mapping[str, Tensor],
    num_context_queries: Optional[int] = None,
    num_backbone_levels: int = 3
) -> Tuple['OrderedDict[str, Tensor]', OfficialMappingReport]:
    """Map the original Deformable DETR state dict to DSCT's initial weights.

    Backbone, input projections, encoder, decoder, level embedding and
    reference-point projection are renamed as for the authors' DSCT; the
    300 object queries become the context queries; the COCO heads
    (``class_embed.*``, ``bbox_embed.*``) are left out, so that the subject
    queries and DSCT's head start fresh, as the authors' training does.

    Args:
        state_dict (Mapping[str, Tensor]): ``checkpoint['model']`` of the
            original Deformable DETR code (single stage, no box refinement).
        num_context_queries (int, optional): Keep the first N object
            queries; None keeps them all.
        num_backbone_levels (int): Feature levels taken from the backbone.
            Defaults to 3.

    Returns:
        tuple[OrderedDict, OfficialMappingReport]: The partial DSCT state
        dict and the report.

    Raises:
        OfficialKeyError: On a key no rule maps, a non-tensor value, or
            fewer object queries than ``num_context_queries``.
    """
    report = OfficialMappingReport(source=DEFORMABLE_DETR_LAYOUT)

    def keep(key: str) -> Optional[str]:
        if re.fullmatch(COCO_HEAD_PATTERN, key):
            return 'COCO detection head (DSCT\'s head starts fresh)'
        return None

    mapped = _map_layout(state_dict, DEFORMABLE_DETR_LAYOUT,
                         num_backbone_levels, keep, report)
    if CONTEXT_QUERY_KEY not in mapped:
        raise OfficialKeyError('The checkpoint has no query_embed.weight '
                               '(object queries for the context queries).')
    queries = mapped[CONTEXT_QUERY_KEY]
    if num_context_queries is not None and \
            num_context_queries != queries.shape[0]:
        if num_context_queries > queries.shape[0]:
            raise OfficialKeyError(
                f'The checkpoint has {queries.shape[0]} object queries; '
                f'DSCT wants {num_context_queries} context queries.')
        mapped[CONTEXT_QUERY_KEY] = queries[:num_context_queries].clone()
        report.notes.append(f'query_embed: first {num_context_queries} of '
                            f'{queries.shape[0]} object queries kept')
    _add_batch_norm_counters(mapped, report)
    return mapped, report


def shape_mismatches(mapped: Mapping[str, Tensor],
                     target_shapes: Mapping[str, torch.Size]) -> List[str]:
    """Describe every mapped key whose shape or name DSCT does not have.

    Args:
        mapped (Mapping[str, Tensor]): A mapped state dict.
        target_shapes (Mapping[str, torch.Size]): DSCT's state-dict shapes.

    Returns:
        list[str]: One line per mapped key that DSCT lacks or shapes
        differently.
    """
    problems = []
    for key, value in mapped.items():
        if key not in target_shapes:
            problems.append(f'{key}: not in the DSCT model')
        elif tuple(value.shape) != tuple(target_shapes[key]):
            problems.append(f'{key}: checkpoint {tuple(value.shape)} vs '
                            f'model {tuple(target_shapes[key])}')
    return problems
