"""Plain-Python subjects from a model's ``DetDataSample``."""
from typing import Dict, List, Optional, Sequence, Union

from mmdet.structures import DetDataSample

from ..visualization import emotion_class_names

#: A subject: ``bbox`` [x1, y1, x2, y2] (original-image pixels), ``score``,
#: ``emotions`` {name: probability} in class order, and ``vad`` [v, a, d]
#: when the model predicts it.
Subject = Dict[str, Union[List[float], float, Dict[str, float]]]


def datasample_to_subjects(data_sample: DetDataSample,
                           emotion_classes: Optional[Sequence[str]],
                           score_thr: float = 0.0) -> List[Subject]:
    """The subjects a model predicted for one image, most confident first.

    Args:
        data_sample (DetDataSample): Output of the model's ``predict``, with
            ``pred_instances`` holding ``bboxes`` [n, 4], ``scores`` [n],
            ``emotions`` [n, C] and optionally ``vad`` [n, 3].
        emotion_classes (Sequence[str], optional): The C emotion names; when
            missing or of another length, ``'emotion <i>'`` is used.
        score_thr (float): Keep subjects whose score is at least this.

    Returns:
        list[dict]: One :data:`Subject` per kept prediction, sorted by
        decreasing score.

    Raises:
        KeyError: If the predictions have no ``emotions`` (not an emotion
            model).
    """
    pred = data_sample.pred_instances.cpu()
    if 'emotions' not in pred:
        raise KeyError(
            'The predictions have no `emotions` field: the model is not an '
            'emotion recogniser (expected pred_instances.emotions [n, C]).')
    scores = pred.scores.detach()
    keep = (scores >= score_thr).nonzero().flatten()
    order = keep[scores[keep].argsort(descending=True, stable=True)]
    bboxes = pred.bboxes[order].detach().tolist()
    emotions = pred.emotions[order].detach()  # [n, C]
    names = emotion_class_names(emotion_classes, emotions.shape[-1])
    vads = pred.vad[order].detach().tolist() if 'vad' in pred else None

    subjects = []
    for rank, index in enumerate(order.tolist()):
        subject: Subject = dict(
            bbox=[float(value) for value in bboxes[rank]],
            score=float(scores[index]),
            emotions=dict(zip(names, map(float, emotions[rank].tolist()))))
        if vads is not None:
            subject['vad'] = [float(value) for value in vads[rank]]
        subjects.append(subject)
    return subjects
