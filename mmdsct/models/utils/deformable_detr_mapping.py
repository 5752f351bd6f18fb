"""Map a state dict of mmdet's ``DeformableDETR`` onto :class:`DSCT`.

DSCT starts from a COCO-pretrained single-stage Deformable DETR: backbone,
neck, encoder, decoder, level embedding and reference-point projection are
taken as they are; the detector's object queries (``query_embedding``)
become DSCT's context queries (``context_query_embedding``); the COCO head
(``bbox_head.*``: an 80/91-class classifier and a box MLP) is left out, so
that DSCT's subject queries and head start fresh, as in the official code.
"""
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

from torch import Tensor

SOURCE_QUERY_KEY = 'query_embedding.weight'
CONTEXT_QUERY_KEY = 'context_query_embedding.weight'
LEFT_OUT_PREFIXES = ('bbox_head.', )


@dataclass
class MappingReport:
    """Which keys a mapping took, renamed, left out and initialises anew.

    Attributes:
        taken (list[str]): Keys copied under the same name.
        renamed (dict[str, str]): Source key -> DSCT key.
        left_out (list[str]): Source keys not carried over.
        newly_initialised (list[str]): DSCT keys that the mapped state dict
            does not provide (filled only when the DSCT keys are known).
    """
    taken: List[str] = field(default_factory=list)
    renamed: Dict[str, str] = field(default_factory=dict)
    left_out: List[str] = field(default_factory=list)
    newly_initialised: List[str] = field(default_factory=list)

    def add_target_keys(self, target_keys: Iterable[str]) -> None:
        """Record the DSCT keys that the mapping does not provide.

        Args:
            target_keys (Iterable[str]): All keys of DSCT's state dict.
        """
        provided = set(self.taken) | set(self.renamed.values())
        self.newly_initialised = sorted(
            key for key in target_keys
            if key not in provided and not key.endswith('num_batches_tracked'))

    def summary(self) -> str:
        """A readable report, one section per kind of key."""
        renamed = [f'{src} -> {dst}' for src, dst in self.renamed.items()]
        lines = [
            'Deformable DETR -> DSCT: '
            f'{len(self.taken)} keys taken as they are, '
            f'{len(self.renamed)} renamed, {len(self.left_out)} left out, '
            f'{len(self.newly_initialised)} newly initialised.'
        ]
        for title, keys in (('renamed', renamed), ('left out', self.left_out),
                            ('newly initialised', self.newly_initialised)):
            if keys:
                lines.append(f'  {title}: ' + ', '.join(keys))
        return '\n'.join(lines)


def is_deformable_detr_state_dict(state_dict: Mapping[str, Tensor],
                                  prefix: str = '') -> bool:
    """Whether ``state_dict`` comes from DeformableDETR rather than DSCT.

    Args:
        state_dict (Mapping[str, Tensor]): The state dict.
        prefix (str): Prefix of the detector's keys. Defaults to ''.

    Returns:
        bool: True if it has object queries and no context queries.
    """
    return (prefix + SOURCE_QUERY_KEY in state_dict
            and prefix + CONTEXT_QUERY_KEY not in state_dict)


def map_deformable_detr_state_dict(
    state_dict: Mapping[str, Tensor],
    num_context_queries: Optional[int] = None,
    target_keys: Optional[Iterable[str]] = None
) -> Tuple['OrderedDict[str, Tensor]', MappingReport]:
    """Map a DeformableDETR state dict to DSCT's key names.

    Args:
        state_dict (Mapping[str, Tensor]): DeformableDETR's state dict,
            keys without any wrapper prefix.
        num_context_queries (int, optional): DSCT's context-query count. The
            first ``num_context_queries`` object queries are taken when it is
            smaller than the checkpoint's; None takes them all.
        target_keys (Iterable[str], optional): DSCT's state-dict keys, to
            report which ones start fresh.

    Returns:
        tuple[OrderedDict, MappingReport]: The mapped state dict and the
        report.

    Raises:
        KeyError: If ``state_dict`` has no ``query_embedding.weight``.
        ValueError: If ``num_context_queries`` exceeds the checkpoint's.
    """
    if SOURCE_QUERY_KEY not in state_dict:
        raise KeyError(
            f'Not a single-stage Deformable DETR state dict: no '
            f'{SOURCE_QUERY_KEY!r} (two-stage checkpoints have no object '
            'queries to turn into context queries).')
    report = MappingReport()
    mapped: 'OrderedDict[str, Tensor]' = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith(LEFT_OUT_PREFIXES):
            report.left_out.append(key)
        elif key == SOURCE_QUERY_KEY:
            mapped[CONTEXT_QUERY_KEY] = _take_queries(value,
                                                      num_context_queries)
            report.renamed[key] = CONTEXT_QUERY_KEY
        else:
            mapped[key] = value
            report.taken.append(key)
    if target_keys is not None:
        report.add_target_keys(target_keys)
    return mapped, report


def _take_queries(queries: Tensor,
                  num_context_queries: Optional[int]) -> Tensor:
    """The first ``num_context_queries`` rows of the object queries.

    Args:
        queries (Tensor): Object queries, [num_queries, 2 * dim].
        num_context_queries (int, optional): Rows wanted; None for all.

    Returns:
        Tensor: [num_context_queries, 2 * dim].
    """
    available = queries.shape[0]
    if num_context_queries is None or num_context_queries == available:
        return queries
    if num_context_queries > available:
        raise ValueError(
            f'The checkpoint has {available} object queries but DSCT wants '
            f'{num_context_queries} context queries; lower '
            'num_context_queries or start the context queries fresh.')
    return queries[:num_context_queries]
