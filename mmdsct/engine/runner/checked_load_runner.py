"""A runner that refuses checkpoints which do not fit the model."""
from typing import Callable, Sequence, Tuple, Union

from mmdet.registry import RUNNERS
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

from mmdsct.utils.checkpoint_fit import (DEFAULT_REVISE_KEYS,
                                         PARTIAL_LOAD_HINT,
                                         load_state_dict_checked,
                                         state_dict_of)

#: What a refused ``--resume`` suggests.
RESUME_HINT = ('Resume only from a checkpoint of this config; to start '
               'from another model\'s weights, set load_from instead (it '
               'loads what fits and trains from iteration 0).')


@RUNNERS.register_module()
class CheckedLoadRunner(Runner):
    """:class:`~mmengine.runner.Runner` that checks checkpoints against the
    model.

    mmengine loads every checkpoint leniently and only logs the keys that
    did not fit. This runner

    * always refuses, when resuming, a checkpoint whose keys or shapes do
      not fit (:class:`~mmdsct.utils.checkpoint_fit.CheckpointMismatchError`
      lists them) instead of going on with random parameters until the
      optimizer state crashes;
    * refuses such a ``load_from`` checkpoint too when the config sets
      ``strict_load_from=True`` (``tools/test.py`` does, unless given
      ``--partial-load``); otherwise it loads what fits and logs the rest,
      as mmengine does, which fine-tuning needs.

    Models' own loaders still run (DSCT maps Deformable DETR checkpoints
    while loading). ``tools/train.py`` and ``tools/test.py`` build this
    runner unless the config names a ``runner_type``.
    """
    _resuming = False

    @property
    def strict_load_from(self) -> bool:
        """Whether ``load_from`` must fit the model exactly."""
        return bool(self.cfg.get('strict_load_from', False))

    def resume(self,
               filename: str,
               resume_optimizer: bool = True,
               resume_param_scheduler: bool = True,
               map_location: Union[str, Callable] = 'default') -> None:
        """Resume as mmengine does, refusing a checkpoint that does not fit.

        Args:
            filename (str): The checkpoint.
            resume_optimizer (bool): Resume the optimizer state.
            resume_param_scheduler (bool): Resume the schedulers' state.
            map_location (str | Callable): As for :func:`torch.load`;
                ``'default'`` picks the current device.
        """
        self._resuming = True
        try:
            super().resume(filename, resume_optimizer, resume_param_scheduler,
                           map_location)
        finally:
            self._resuming = False

    def load_checkpoint(
            self,
            filename: str,
            map_location: Union[str, Callable] = 'cpu',
            strict: bool = False,
            revise_keys: Sequence[Tuple[str,
                                        str]] = DEFAULT_REVISE_KEYS) -> dict:
        """Load a checkpoint into the model.

        Args:
            filename (str): Local path, URL or other scheme of mmengine's
                ``CheckpointLoader``.
            map_location (str | Callable): As for :func:`torch.load`.
            strict (bool): Refuse a checkpoint that does not fit. Resuming,
                and ``strict_load_from=True`` in the config, make it True.
            revise_keys (Sequence[tuple[str, str]]): ``(pattern,
                replacement)`` applied to the checkpoint's keys.

        Returns:
            dict: The checkpoint.

        Raises:
            CheckpointMismatchError: If strict and anything does not fit.
        """
        strict = strict or self._resuming or self.strict_load_from
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        hint = RESUME_HINT if self._resuming else PARTIAL_LOAD_HINT
        load_state_dict_checked(model, state_dict_of(checkpoint, revise_keys),
                                strict, filename, hint)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint
