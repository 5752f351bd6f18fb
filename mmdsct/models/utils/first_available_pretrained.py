"""A weight initialiser that loads the first available of several
checkpoints.

The R50 configs start DSCT from a COCO Deformable DETR. The authors start
from the original Deformable DETR checkpoint, which must be downloaded by
hand and converted; mmdet's re-trained one can always be fetched. With

.. code:: python

    model = dict(
        init_cfg=dict(
            type='FirstAvailablePretrained',
            checkpoints=[
                dict(checkpoint='checkpoints/converted.pth',
                     name="the authors' start"),
                dict(checkpoint='https://...', name="mmdet's start"),
            ]))

the model starts from the converted file when it exists and from the URL
otherwise, and the log says which one was used. :class:`DSCT` applies this
initialiser after its own (Deformable DETR) initialisation, so nothing
overwrites the loaded weights; ``load_from`` and ``--resume`` still come
after it.
"""
import os.path as osp
from typing import List, Sequence, Tuple, Union

from mmdet.registry import WEIGHT_INITIALIZERS
from mmengine.logging import print_log
from mmengine.runner.checkpoint import load_checkpoint
from torch import nn

Candidate = Union[str, dict]


def is_remote(checkpoint: str) -> bool:
    """Whether a checkpoint name is a URL or another ``scheme://`` name."""
    return '://' in checkpoint


@WEIGHT_INITIALIZERS.register_module(name='FirstAvailablePretrained')
class FirstAvailablePretrainedInit:
    """Load the first checkpoint of a list that is available.

    A local path is available when the file exists; a ``scheme://`` name
    (URL, ``torchvision://``, ...) always is, and mmengine fetches it. The
    weights are loaded with ``strict=False``, as mmengine's ``Pretrained``
    does: keys the checkpoint lacks keep their initialisation.

    Args:
        checkpoints (Sequence[str | dict]): Candidates, preferred first; a
            path or URL, or ``dict(checkpoint=..., name=...)`` with a name
            for the log.
        map_location (str): Where to load the tensors. Defaults to 'cpu'.

    Raises:
        ValueError: If ``checkpoints`` is empty.
    """

    def __init__(self,
                 checkpoints: Sequence[Candidate],
                 map_location: str = 'cpu') -> None:
        self.candidates = [self._candidate(item) for item in checkpoints]
        if not self.candidates:
            raise ValueError('FirstAvailablePretrained needs at least one '
                             'checkpoint.')
        self.map_location = map_location
        self.chosen = None

    @staticmethod
    def _candidate(item: Candidate) -> Tuple[str, str]:
        """``(checkpoint, name)`` of a list entry."""
        if isinstance(item, str):
            return item, item
        return item['checkpoint'], item.get('name', item['checkpoint'])

    def choose(self) -> Tuple[str, str, List[str]]:
        """Pick the first available checkpoint.

        Returns:
            tuple[str, str, list[str]]: Its path or URL, its name, and the
            local paths skipped because they do not exist.

        Raises:
            FileNotFoundError: If no candidate is available.
        """
        skipped = []
        for checkpoint, name in self.candidates:
            if is_remote(checkpoint) or osp.isfile(checkpoint):
                return checkpoint, name, skipped
            skipped.append(checkpoint)
        raise FileNotFoundError('None of the initial checkpoints exists: ' +
                                ', '.join(skipped))

    def __call__(self, module: nn.Module) -> None:
        """Load the chosen checkpoint into ``module`` and log the choice."""
        checkpoint, name, skipped = self.choose()
        self.chosen = checkpoint
        message = (f'{module.__class__.__name__} starts from {name} '
                   f'({checkpoint})')
        if skipped:
            message += '; not found, so not used: ' + ', '.join(skipped)
        print_log(message, logger='current')
        load_checkpoint(
            module,
            checkpoint,
            map_location=self.map_location,
            strict=False,
            logger='current')

    def _get_init_info(self) -> str:
        """What mmengine's initialisation log records."""
        return f'{self.__class__.__name__}: load from {self.chosen}'
