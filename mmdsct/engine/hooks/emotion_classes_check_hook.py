"""Refuse to test a checkpoint on a dataset with other emotion classes."""
from typing import Optional

from mmdet.registry import HOOKS
from mmengine.hooks import Hook

from mmdsct.utils.checkpoint_fit import (EmotionClassesMismatchError,
                                         emotion_classes_of)


@HOOKS.register_module()
class EmotionClassesCheckHook(Hook):
    """Check, before testing, that the checkpoint was trained on the test
    dataset's emotion classes.

    The emotion scores of a model are only indices into the class list it
    was trained on; evaluated against a dataset whose list differs (other
    names, order or number), every per-class figure is about the wrong
    class. The checkpoint's ``meta['dataset_meta']['emotion_classes']``
    (what mmengine saves during training) is compared with the test
    dataset's ``metainfo['emotion_classes']``; a checkpoint that does not
    record its classes (e.g. converted from elsewhere) is not checked.
    ``tools/test.py`` adds this hook.

    Args:
        checkpoint (str, optional): The checkpoint's name, for the message.
    """
    priority = 'VERY_HIGH'

    def __init__(self, checkpoint: Optional[str] = None) -> None:
        self.checkpoint = checkpoint
        self._checkpoint_classes: Optional[list] = None

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Note the emotion classes the checkpoint records."""
        self._checkpoint_classes = emotion_classes_of(checkpoint)

    def before_test(self, runner) -> None:
        """Compare them with the test dataset's.

        Raises:
            EmotionClassesMismatchError: If both are known and differ.
        """
        dataset = runner.test_loop.dataloader.dataset
        dataset_classes = dataset.metainfo.get('emotion_classes')
        if self._checkpoint_classes is None or dataset_classes is None:
            runner.logger.info(
                'Emotion classes not checked: the checkpoint does not '
                'record them.' if self._checkpoint_classes is None else
                'Emotion classes not checked: the test dataset has none.')
            return
        if list(self._checkpoint_classes) != list(dataset_classes):
            raise EmotionClassesMismatchError(
                self.checkpoint or 'The checkpoint', self._checkpoint_classes,
                getattr(dataset, 'ann_file',
                        type(dataset).__name__), list(dataset_classes))
