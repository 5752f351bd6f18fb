"""The text of a subject's label block: who it is, how sure, which emotions.

Pure functions on numbers and names, kept apart from the drawing so that the
wording can be tested (and reused by tools) without a canvas.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np

#: A multi-hot (or one-hot) target at or above this value marks a positive
#: ground-truth emotion.
POSITIVE_TARGET_THR = 0.5
#: Digits after the decimal point of scores and probabilities.
PROBABILITY_DIGITS = 2
#: Digits after the decimal point of valence, arousal and dominance.
VAD_DIGITS = 1


def emotion_class_names(emotion_classes: Optional[Sequence[str]],
                        num_classes: int) -> List[str]:
    """Names of the ``num_classes`` emotion classes, in model output order.

    Args:
        emotion_classes (Sequence[str], optional): Names from the dataset's
            metainfo (``emotion_classes``); None if unknown.
        num_classes (int): C, the width of the model's emotion output.

    Returns:
        list[str]: ``emotion_classes`` when it has C names, otherwise
        ``['emotion 0', ..., 'emotion C-1']``.
    """
    if emotion_classes is not None and len(emotion_classes) == num_classes:
        return [str(name) for name in emotion_classes]
    return [f'emotion {index}' for index in range(num_classes)]


def top_emotions(probabilities: np.ndarray, names: Sequence[str], topk: int,
                 prob_thr: float) -> List[Tuple[str, float]]:
    """The ``topk`` most probable emotions whose probability is ≥ prob_thr.

    Args:
        probabilities (np.ndarray): Per-class probabilities, shape [C].
        names (Sequence[str]): The C class names.
        topk (int): At most this many emotions.
        prob_thr (float): Emotions below this probability are left out.

    Returns:
        list[tuple[str, float]]: ``(name, probability)``, most probable first.
    """
    order = np.argsort(-probabilities, kind='stable')[:max(topk, 0)]
    return [(names[index], float(probabilities[index])) for index in order
            if probabilities[index] >= prob_thr]


def positive_emotions(targets: np.ndarray, names: Sequence[str]) -> List[str]:
    """Names of the positive classes of a multi-hot or one-hot target.

    Args:
        targets (np.ndarray): Target of one subject, shape [C].
        names (Sequence[str]): The C class names.

    Returns:
        list[str]: Names of the classes whose target is ≥ 0.5, in class order.
    """
    return [
        names[index]
        for index in np.flatnonzero(targets >= POSITIVE_TARGET_THR)
    ]


def format_vad(vad: Sequence[float]) -> str:
    """One line for valence, arousal and dominance, e.g. ``VAD 6.0/4.5/7.0``.

    Args:
        vad (Sequence[float]): ``[valence, arousal, dominance]``.

    Returns:
        str: The formatted line.
    """
    return 'VAD ' + '/'.join(f'{float(value):.{VAD_DIGITS}f}' for value in vad)


def subject_label(class_name: str,
                  score: Optional[float],
                  emotions: Sequence[Tuple[str, float]],
                  vad: Optional[Sequence[float]] = None) -> str:
    """The label block of a predicted subject, one item per line.

    Args:
        class_name (str): Name of the detection class (``'person'``).
        score (float, optional): Subject score; None leaves it out.
        emotions (Sequence[tuple[str, float]]): ``(name, probability)``
            pairs, as :func:`top_emotions` returns them.
        vad (Sequence[float], optional): Predicted valence, arousal and
            dominance.

    Returns:
        str: e.g. ``'person 0.93\\nHappiness 0.81\\nSurprise 0.42'``.
    """
    header = class_name if score is None else \
        f'{class_name} {score:.{PROBABILITY_DIGITS}f}'
    lines = [header]
    lines += [
        f'{name} {prob:.{PROBABILITY_DIGITS}f}' for name, prob in emotions
    ]
    if vad is not None:
        lines.append(format_vad(vad))
    return '\n'.join(lines)


def ground_truth_label(class_name: str,
                       emotions: Sequence[str],
                       vad: Optional[Sequence[float]] = None) -> str:
    """The label block of a ground-truth subject, one item per line.

    Args:
        class_name (str): Name of the detection class (``'person'``).
        emotions (Sequence[str]): Names of its positive emotions.
        vad (Sequence[float], optional): Annotated valence, arousal and
            dominance.

    Returns:
        str: e.g. ``'person\\nAnger\\nFear'``.
    """
    lines = [class_name, *emotions]
    if vad is not None:
        lines.append(format_vad(vad))
    return '\n'.join(lines)
