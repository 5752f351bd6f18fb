"""Valence, arousal and dominance of a synthetic subject (multi-label data).

Every subject of the multi-label rule set gets a ``vad`` of three values on
EMOTIC's 1-10 scale, computed without any randomness from the cues that
already set its emotion classes: the generator draws nothing more, so the
images, boxes and classes of a seed are the same with or without VAD. Each
dimension is a base value plus a *subject* part (cues inside the subject's
box) plus a *context* part (cues outside every subject box):

=========  ====  ===================================  ========================
dimension  base  subject part                         context part
=========  ====  ===================================  ========================
valence    5.0   +2.5 yellow face, -1.5 red body      +1.5 balloon, -2.5 fire
arousal    4.0   +2.5 raised arms, +1.0 red body      +2.0 fire, -1.5 night
dominance  5.0   +2.5 black hat, +1.0 raised arms     -2.0 fire, +1.0 tree
=========  ====  ===================================  ========================

"balloon", "fire" and "tree" mean the object lies next to the subject (as
for the classes); "night" is the night sky over the scene. Every value lies
in [1, 10] without clipping. Since the pixels inside a subject box do not
depend on the context (see :mod:`.scene`), a model that sees only the box
crop can learn the subject part but not the context part.
"""
from typing import Dict, List, NamedTuple, Tuple

from .rules import Appearance, Context

#: EMOTIC's scale of the continuous dimensions.
VAD_RANGE = (1.0, 10.0)


class VadRule(NamedTuple):
    """How one dimension is computed.

    Args:
        name (str): ``'valence'``, ``'arousal'`` or ``'dominance'``.
        base (float): The value without any cue.
        subject (dict[str, float]): Weight of each subject cue (an
            :class:`~.rules.Appearance` field) that is present.
        context (dict[str, float]): Weight of each context cue (an object
            kind next to the subject, or ``'night'``) that is present.
    """
    name: str
    base: float
    subject: Dict[str, float]
    context: Dict[str, float]


#: The rules, in the order of ``mmdsct.structures.VAD_DIMENSIONS``.
VAD_RULES = (
    VadRule('valence', 5.0, dict(face_yellow=2.5, body_red=-1.5),
            dict(balloon=1.5, fire=-2.5)),
    VadRule('arousal', 4.0, dict(arms_up=2.5, body_red=1.0),
            dict(fire=2.0, night=-1.5)),
    VadRule('dominance', 5.0, dict(hat=2.5, arms_up=1.0),
            dict(fire=-2.0, tree=1.0)),
)


def vad_parts(appearance: Appearance, context: Context,
              night: bool) -> Tuple[List[float], List[float]]:
    """The subject and context parts of a subject's VAD.

    Args:
        appearance (Appearance): The subject's look.
        context (Context): The objects next to it.
        night (bool): Whether the scene is at night.

    Returns:
        tuple[list[float], list[float]]: Subject parts (base included) and
        context parts, 3 values each, (valence, arousal, dominance).
    """
    context_cues = set(context.object_kinds)
    if night:
        context_cues.add('night')
    subject_parts, context_parts = [], []
    for rule in VAD_RULES:
        present = [
            w for cue, w in rule.subject.items() if getattr(appearance, cue)
        ]
        subject_parts.append(rule.base + sum(present))
        context_parts.append(
            sum(w for cue, w in rule.context.items() if cue in context_cues))
    return subject_parts, context_parts


def subject_vad(appearance: Appearance, context: Context,
                night: bool) -> List[float]:
    """(valence, arousal, dominance) of one subject, each in [1, 10].

    Args:
        appearance (Appearance): The subject's look.
        context (Context): The objects next to it.
        night (bool): Whether the scene is at night.

    Returns:
        list[float]: The 3 values (see the module docstring).
    """
    subject_parts, context_parts = vad_parts(appearance, context, night)
    return [s + c for s, c in zip(subject_parts, context_parts)]


def vad_rule_document() -> Dict[str, object]:
    """The ``vad`` entry of the JSON's ``synthetic_rules``.

    Returns:
        dict: ``range``, and per dimension its ``base``, ``subject`` and
        ``context`` weights.
    """
    return dict(
        range=list(VAD_RANGE),
        dimensions={
            rule.name:
            dict(base=rule.base, subject=rule.subject, context=rule.context)
            for rule in VAD_RULES
        },
        rule=('value = base + the weights of the cues present; subject '
              'cues lie inside the subject box, context cues (objects '
              'next to the subject, the night sky) outside every box'))
