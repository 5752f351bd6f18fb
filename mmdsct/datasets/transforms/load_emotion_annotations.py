"""Loading boxes, emotion labels and VAD of the subjects."""
import numpy as np
from mmdet.datasets.transforms import LoadAnnotations
from mmdet.registry import TRANSFORMS

VAD_VALUES = 3


@TRANSFORMS.register_module()
class LoadEmotionAnnotations(LoadAnnotations):
    """mmdet's ``LoadAnnotations`` plus the subjects' emotions and VAD.

    Reads the instances of an :class:`~mmdsct.datasets.EmotionCocoDataset`.

    Added Keys:

    - gt_emotions (np.float32): [num_gt, C], multi-hot (multi-label data)
      or one-hot (single-label data).
    - gt_vad (np.float32): [num_gt, 3], only when the data has VAD.

    Args:
        with_emotion (bool): Load ``gt_emotions``. Defaults to True.
        with_vad (bool): Load ``gt_vad`` when the data has it. Defaults to
            True.
        **kwargs: Arguments of :class:`mmdet.datasets.transforms.
            LoadAnnotations` (``with_bbox``, ``with_label``, ...).
    """

    def __init__(self,
                 with_emotion: bool = True,
                 with_vad: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.with_emotion = with_emotion
        self.with_vad = with_vad

    def transform(self, results: dict) -> dict:
        """Load boxes and labels, then emotions and VAD.

        Args:
            results (dict): Data info of an emotion dataset.

        Returns:
            dict: ``results`` with the added keys.
        """
        results = super().transform(results)
        if self.with_emotion:
            self._load_emotions(results)
        if self.with_vad and self._has_vad(results):
            self._load_vad(results)
        return results

    @staticmethod
    def _instance_rows(results: dict, key: str) -> list:
        """The ``key`` field of every instance, with a clear error."""
        rows = []
        for instance in results.get('instances', []):
            if key not in instance:
                raise KeyError(
                    f'{results.get("img_path")}: an instance has no {key!r}; '
                    'LoadEmotionAnnotations needs the data infos of an '
                    'EmotionCocoDataset.')
            rows.append(instance[key])
        return rows

    def _load_emotions(self, results: dict) -> None:
        """Add ``gt_emotions`` [num_gt, C]."""
        rows = self._instance_rows(results, 'emotions')
        num_classes = results.get('num_emotion_classes',
                                  len(rows[0]) if rows else 0)
        # [num_gt, C]
        results['gt_emotions'] = np.array(
            rows, dtype=np.float32).reshape(-1, num_classes)

    @staticmethod
    def _has_vad(results: dict) -> bool:
        """Whether the data info carries VAD."""
        instances = results.get('instances', [])
        return results.get('has_vad',
                           any('vad' in instance for instance in instances))

    def _load_vad(self, results: dict) -> None:
        """Add ``gt_vad`` [num_gt, 3]."""
        rows = self._instance_rows(results, 'vad')
        # [num_gt, 3]
        results['gt_vad'] = np.array(
            rows, dtype=np.float32).reshape(-1, VAD_VALUES)

    def __repr__(self) -> str:
        return (super().__repr__()[:-1] + f', with_emotion={self.with_emotion}'
                f', with_vad={self.with_vad})')
