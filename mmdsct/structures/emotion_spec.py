"""The emotion-label contract (docs/annotation_format.md).

What a subject's labels are, and how the datasets, the models and the
evaluation hand them to each other:

- every subject is one detection class, ``'person'``
  (:data:`SUBJECT_CLASSES`), with the detection label :data:`SUBJECT_LABEL`;
- its emotions are C named classes; multi-label data (EMOTIC) gives each
  subject a multi-hot vector, single-label data (CAER-S) a one-hot vector.
  Both travel as the float per-subject field :data:`EMOTIONS_FIELD`,
  [num_subjects, C];
- it may carry the continuous :data:`VAD_FIELD`, [num_subjects, 3], one
  value per name of :data:`VAD_DIMENSIONS`;
- a model scores each subject query with :func:`num_emotion_logits` logits:
  the C emotion logits, then, for multi-label data only, a subject logit.

:class:`EmotionSpec` holds what varies between datasets: the class names,
the label kind and the class groups. A dataset produces it (its metainfo
holds :meth:`EmotionSpec.to_metainfo`); the writer, the transforms, the
head, the match cost, the metric and the visualiser consume it.
"""
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Sequence, Tuple

#: The one detection class: every subject is a person.
SUBJECT_CLASSES = ('person', )
#: The detection label of a subject (its index in :data:`SUBJECT_CLASSES`).
SUBJECT_LABEL = 0
#: Names of the continuous dimensions, in the order of the ``vad`` field.
VAD_DIMENSIONS = ('valence', 'arousal', 'dominance')
#: Width of the ``vad`` field.
NUM_VAD_DIMENSIONS = len(VAD_DIMENSIONS)
#: Per-subject fields of data infos, ``gt_instances`` and
#: ``pred_instances``: emotion targets or probabilities, [n, C].
EMOTIONS_FIELD = 'emotions'
#: Per-subject valence, arousal and dominance, [n, 3].
VAD_FIELD = 'vad'
#: The same fields in the data pipeline's results (mmdet's ``gt_`` names).
GT_EMOTIONS_KEY = f'gt_{EMOTIONS_FIELD}'
GT_VAD_KEY = f'gt_{VAD_FIELD}'
#: The per-subject arrays a pipeline carries beside ``gt_bboxes``.
GT_INSTANCE_KEYS = (GT_EMOTIONS_KEY, GT_VAD_KEY)


def num_emotion_logits(num_classes: int, multi_label: bool) -> int:
    """Logits a model gives each subject query.

    The C emotion logits come first. Multi-label data adds one last logit
    saying "this query is a subject" (an unmatched query may have no
    emotion at all); single-label data reads the subject score off the
    emotion probabilities and has no such logit.

    Args:
        num_classes (int): Number C of emotion classes.
        multi_label (bool): Multi-hot (True) or one-hot (False) targets.

    Returns:
        int: ``C + 1`` for multi-label data, ``C`` for single-label data.
    """
    return num_classes + int(multi_label)


def logits_are_multi_label(num_logits: int, num_classes: int) -> bool:
    """Tell the label kind from the width of a model's logits.

    The inverse of :func:`num_emotion_logits`.

    Args:
        num_logits (int): Logits per subject query.
        num_classes (int): Number C of emotion classes.

    Returns:
        bool: True for ``C + 1`` logits, False for ``C``.

    Raises:
        ValueError: For any other width.
    """
    for multi_label in (True, False):
        if num_logits == num_emotion_logits(num_classes, multi_label):
            return multi_label
    raise ValueError(
        f'{num_logits} logits per query fit neither label kind of '
        f'{num_classes} emotion classes: multi-label data has '
        f'{num_emotion_logits(num_classes, True)}, single-label data '
        f'{num_emotion_logits(num_classes, False)}.')


def check_emotion_classes(emotion_classes: Sequence[str]) -> None:
    """Refuse anything but a non-empty sequence of class names.

    Args:
        emotion_classes (Sequence[str]): The class names to check.

    Raises:
        ValueError: If they are empty, a string, or not all strings.
    """
    if (isinstance(emotion_classes, str)
            or not isinstance(emotion_classes, Sequence) or not emotion_classes
            or not all(isinstance(name, str) for name in emotion_classes)):
        raise ValueError('emotion_classes must be a non-empty list of names, '
                         f'got {emotion_classes!r}.')


@dataclass(frozen=True)
class EmotionSpec:
    """The emotion labels of a dataset.

    Its fields are the dataset metainfo keys that hold them.

    Args:
        emotion_classes (Sequence[str]): The C class names, in label order.
        multi_label (bool): Multi-hot (True, e.g. EMOTIC) or one-hot
            (False, e.g. CAER-S) targets.
        emotion_class_groups (Mapping[str, Sequence[str]]): Named groups of
            classes, each evaluated as one mean AP. Defaults to none.

    Raises:
        ValueError: If the classes are not a non-empty sequence of names, or
            a group is not a list of known class names.
    """
    emotion_classes: Tuple[str, ...]
    multi_label: bool
    emotion_class_groups: Mapping[str,
                                  Tuple[str,
                                        ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_emotion_classes(self.emotion_classes)
        if not isinstance(self.multi_label, bool):
            raise ValueError('multi_label must be True or False, got '
                             f'{self.multi_label!r}.')
        object.__setattr__(self, 'emotion_classes',
                           tuple(self.emotion_classes))
        object.__setattr__(self, 'emotion_class_groups',
                           self._checked_groups(self.emotion_class_groups))

    def _checked_groups(self, groups: Mapping) -> Dict[str, Tuple[str, ...]]:
        """The groups as {name: tuple of names}, each name a known class."""
        if not isinstance(groups, Mapping):
            raise ValueError('emotion_class_groups must be an object, got '
                             f'{groups!r}.')
        for name, members in groups.items():
            if not isinstance(members, (list, tuple)):
                raise ValueError(
                    f'emotion_class_groups[{name!r}] must be a list of '
                    f'class names, got {members!r}.')
            unknown = [m for m in members if m not in self.emotion_classes]
            if unknown:
                raise ValueError(f'emotion_class_groups[{name!r}] names '
                                 f'unknown classes {unknown}.')
        return {name: tuple(members) for name, members in groups.items()}

    @property
    def num_classes(self) -> int:
        """int: Number C of emotion classes."""
        return len(self.emotion_classes)

    @property
    def num_logits(self) -> int:
        """int: Logits per subject query (see :func:`num_emotion_logits`)."""
        return num_emotion_logits(self.num_classes, self.multi_label)

    def to_metainfo(self) -> dict:
        """The dataset metainfo entries of the spec, in plain types.

        Returns:
            dict: ``emotion_classes`` (tuple), ``multi_label`` (bool) and
            ``emotion_class_groups`` ({name: list}); what a checkpoint's
            ``dataset_meta`` keeps.
        """
        return dict(
            emotion_classes=self.emotion_classes,
            multi_label=self.multi_label,
            emotion_class_groups={
                name: list(members)
                for name, members in self.emotion_class_groups.items()
            })

    @classmethod
    def from_metainfo(cls,
                      metainfo: Optional[Mapping]) -> Optional['EmotionSpec']:
        """The spec a dataset's metainfo (or a model's ``dataset_meta``)
        holds.

        Args:
            metainfo (Mapping, optional): Metainfo with ``emotion_classes``
                and ``multi_label``, optionally ``emotion_class_groups``.

        Returns:
            EmotionSpec | None: None when the classes or the label kind are
            not given (e.g. a checkpoint converted from elsewhere).
        """
        metainfo = metainfo or {}
        if not metainfo.get(
                'emotion_classes') or metainfo.get('multi_label') is None:
            return None
        return cls(
            emotion_classes=tuple(metainfo['emotion_classes']),
            multi_label=bool(metainfo['multi_label']),
            emotion_class_groups=metainfo.get('emotion_class_groups') or {})
