"""Which cue gives which emotion class in the synthetic data.

Two rule sets, both documented in the generated JSON (``synthetic_rules``
and ``emotion_class_groups``):

Multi-label (default), 8 classes, every label an independent coin flip:

======================  ===============  ====================================
class                   group            cue
======================  ===============  ====================================
Happiness               subject_only     the subject's face is yellow
Excitement              subject_only     the subject's arms are raised
Confidence              subject_only     the subject wears a black hat
Anger                   subject_only     the subject's body is red
Affection               context_only     a pink balloon next to the subject
Fear                    context_only     a fire next to the subject
Peace                   context_only     a tree next to the subject
Fatigue                 context_only     night sky (dark band at the top)
======================  ===============  ====================================

Single-label (``--single-label``), the 7 classes of CAER-S. Each subject
draws one subject cue (none, yellow face, red body, raised arms; 1/4 each)
and, independently, at most one context object (none 4/7; fire, green slime,
rain cloud 1/7 each). A context object decides the class (fire: Fear, slime:
Disgust, cloud: Sad: group ``context_only``); without one the subject cue
decides (yellow face: Happy, red body: Anger, raised arms: Surprise: group
``subject_only``); with neither the class is Neutral. Every class then has
probability 1/7, and the crop of a subject tells nothing about the context
classes. Hats and the night sky are distractors here.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Tuple, Union

import numpy as np

SUBJECT_ONLY = 'subject_only'
CONTEXT_ONLY = 'context_only'


@dataclass
class Appearance:
    """How a subject looks; all the subject-side cues.

    Args:
        face_yellow (bool): Yellow face instead of a skin tone.
        body_red (bool): Red body instead of another colour.
        arms_up (bool): Raised arms instead of lowered ones.
        hat (bool): A black hat.
        skin_tone (int): Index of the skin tone (when the face is not
            yellow).
        body_colour (int): Index of the non-red body colour.
        leg_colour (int): Index of the leg colour.
    """
    face_yellow: bool
    body_red: bool
    arms_up: bool
    hat: bool
    skin_tone: int
    body_colour: int
    leg_colour: int


@dataclass
class Context:
    """What surrounds one subject: the kinds of the objects next to it.

    Args:
        object_kinds (tuple[str]): Kinds of the objects placed next to the
            subject (outside its box), at most one per kind.
    """
    object_kinds: Tuple[str, ...] = field(default_factory=tuple)


NUM_SKIN_TONES = 4
NUM_BODY_COLOURS = 4
NUM_LEG_COLOURS = 3


def sample_look(rng: np.random.Generator, face_yellow: bool, body_red: bool,
                arms_up: bool, hat: bool) -> Appearance:
    """Fill an :class:`Appearance` with random non-cue colours."""
    return Appearance(
        face_yellow=face_yellow,
        body_red=body_red,
        arms_up=arms_up,
        hat=hat,
        skin_tone=int(rng.integers(NUM_SKIN_TONES)),
        body_colour=int(rng.integers(NUM_BODY_COLOURS)),
        leg_colour=int(rng.integers(NUM_LEG_COLOURS)))


class MultiLabelRules:
    """The 8-class multi-label rule set (see the module docstring).

    Args:
        subject_prob (float): Probability of each subject cue.
        context_prob (float): Probability of each context object.
        night_prob (float): Probability of a night scene.
    """

    multi_label = True
    classes = ('Happiness', 'Excitement', 'Confidence', 'Anger', 'Affection',
               'Fear', 'Peace', 'Fatigue')
    groups = {
        SUBJECT_ONLY: ['Happiness', 'Excitement', 'Confidence', 'Anger'],
        CONTEXT_ONLY: ['Affection', 'Fear', 'Peace', 'Fatigue'],
    }
    object_kinds = ('balloon', 'fire', 'tree')
    descriptions = {
        'Happiness': "the subject's face is yellow",
        'Excitement': "the subject's arms are raised",
        'Confidence': 'the subject wears a black hat',
        'Anger': "the subject's body is red",
        'Affection': 'a pink balloon lies next to the subject',
        'Fear': 'a fire lies next to the subject',
        'Peace': 'a tree lies next to the subject',
        'Fatigue': 'the scene is at night (dark sky band at the top)',
    }
    _object_class = {'balloon': 'Affection', 'fire': 'Fear', 'tree': 'Peace'}

    def __init__(self,
                 subject_prob: float = 0.4,
                 context_prob: float = 0.35,
                 night_prob: float = 0.4) -> None:
        self.subject_prob = subject_prob
        self.context_prob = context_prob
        self.night_prob = night_prob

    def sample_appearance(self, rng: np.random.Generator) -> Appearance:
        """Draw the four subject cues independently."""
        cues = rng.random(4) < self.subject_prob
        return sample_look(rng, *(bool(cue) for cue in cues))

    def sample_context(self, rng: np.random.Generator) -> Context:
        """Draw each context object independently."""
        present = rng.random(len(self.object_kinds)) < self.context_prob
        kinds = tuple(kind for kind, on in zip(self.object_kinds, present)
                      if on)
        return Context(object_kinds=kinds)

    def sample_night(self, rng: np.random.Generator) -> bool:
        """Draw whether the scene is at night."""
        return bool(rng.random() < self.night_prob)

    def label(self, appearance: Appearance, context: Context,
              night: bool) -> List[int]:
        """Multi-hot label of one subject.

        Args:
            appearance (Appearance): The subject's look.
            context (Context): The objects next to it.
            night (bool): Whether the scene is at night.

        Returns:
            list[int]: C values 0/1 in the order of :attr:`classes`.
        """
        on = {
            'Happiness': appearance.face_yellow,
            'Excitement': appearance.arms_up,
            'Confidence': appearance.hat,
            'Anger': appearance.body_red,
            'Fatigue': night,
        }
        for kind in context.object_kinds:
            on[self._object_class[kind]] = True
        return [int(bool(on.get(name, False))) for name in self.classes]


class SingleLabelRules:
    """The 7-class single-label rule set (see the module docstring).

    Args:
        hat_prob (float): Probability of a (meaningless) hat.
        night_prob (float): Probability of a (meaningless) night sky.
    """

    multi_label = False
    classes = ('Anger', 'Disgust', 'Fear', 'Happy', 'Neutral', 'Sad',
               'Surprise')
    groups = {
        SUBJECT_ONLY: ['Anger', 'Happy', 'Surprise'],
        CONTEXT_ONLY: ['Disgust', 'Fear', 'Sad'],
    }
    object_kinds = ('fire', 'slime', 'cloud')
    descriptions = {
        'Fear': 'a fire lies next to the subject',
        'Disgust': 'a green slime blob lies next to the subject',
        'Sad': 'a rain cloud lies next to the subject',
        'Happy': "no context object, and the subject's face is yellow",
        'Anger': "no context object, and the subject's body is red",
        'Surprise': "no context object, and the subject's arms are raised",
        'Neutral': 'no context object and no subject cue',
    }
    subject_cues = (None, 'face_yellow', 'body_red', 'arms_up')
    _cue_class = {
        'face_yellow': 'Happy',
        'body_red': 'Anger',
        'arms_up': 'Surprise'
    }
    _object_class = {'fire': 'Fear', 'slime': 'Disgust', 'cloud': 'Sad'}

    def __init__(self, hat_prob: float = 0.35, night_prob: float = 0.4):
        self.hat_prob = hat_prob
        self.night_prob = night_prob

    def sample_appearance(self, rng: np.random.Generator) -> Appearance:
        """Draw at most one subject cue (uniform over none and the three)."""
        cue = self.subject_cues[int(rng.integers(len(self.subject_cues)))]
        hat = bool(rng.random() < self.hat_prob)
        return sample_look(rng, cue == 'face_yellow', cue == 'body_red',
                           cue == 'arms_up', hat)

    def sample_context(self, rng: np.random.Generator) -> Context:
        """Draw no object (4/7) or one of the three kinds (1/7 each)."""
        num_classes = len(self.classes)
        choice = int(rng.integers(num_classes))
        if choice >= len(self.object_kinds):
            return Context()
        return Context(object_kinds=(self.object_kinds[choice], ))

    def sample_night(self, rng: np.random.Generator) -> bool:
        """Draw a night sky (a distractor in this rule set)."""
        return bool(rng.random() < self.night_prob)

    def label(self, appearance: Appearance, context: Context,
              night: bool) -> int:
        """Class index of one subject.

        Args:
            appearance (Appearance): The subject's look.
            context (Context): The objects next to it.
            night (bool): Unused (a distractor).

        Returns:
            int: Index into :attr:`classes`.
        """
        name = self._class_name(appearance, context)
        return self.classes.index(name)

    def _class_name(self, appearance: Appearance, context: Context) -> str:
        """Context object first, then the subject cue, else Neutral."""
        if context.object_kinds:
            return self._object_class[context.object_kinds[0]]
        for cue, name in self._cue_class.items():
            if getattr(appearance, cue):
                return name
        return 'Neutral'


def rules_for(single_label: bool) -> Union[MultiLabelRules, SingleLabelRules]:
    """The rule set for a label kind (with its default probabilities)."""
    return SingleLabelRules() if single_label else MultiLabelRules()


def rule_document(rules) -> Dict[str, object]:
    """The ``synthetic_rules`` entry of the JSON: how every class is set.

    Args:
        rules: :class:`MultiLabelRules` or :class:`SingleLabelRules`.

    Returns:
        dict: ``classes`` ({name: cue}), ``near_rule`` (what "next to"
        means) and ``independence`` (why crops carry no context label).
    """
    return dict(
        classes={name: rules.descriptions[name]
                 for name in rules.classes},
        near_rule=('an object is next to a subject when it lies outside '
                   "every subject's box, within near_px pixels of this "
                   "subject's box and at least separation_px pixels from "
                   'every other box; decoy objects lie at least '
                   'separation_px pixels from every box and label nobody'),
        independence=('context objects and the sky are drawn only outside '
                      'every subject box, and the pixels inside a box do '
                      'not depend on them; subject placement reserves room '
                      'for objects whether or not they are drawn'))
