"""A checkpoint hook that never loses the last good checkpoint."""
import os.path as osp
from typing import Any, List, Optional, Set

from mmdet.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from mmdsct.utils.atomic_backend import (atomic_backend_args,
                                         atomic_write_bytes,
                                         remove_atomic_write_leftovers)

#: The file in the work directory that names the latest checkpoint.
LAST_CHECKPOINT_FILE = 'last_checkpoint'


class _DeferredRemovals:
    """A file backend whose ``remove``/``rmtree`` only note the path.

    Everything else is passed to the wrapped backend.
    """

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.paths: List[str] = []

    def remove(self, path: str) -> None:
        self.paths.append(str(path))

    def rmtree(self, path: str) -> None:
        self.paths.append(str(path))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """:class:`~mmengine.hooks.CheckpointHook` that saves in a safe order.

    mmengine deletes the oldest checkpoint (``max_keep_ckpts``) and the
    previous best one before it writes the new file, and rewrites
    ``last_checkpoint`` in place: a run killed at the wrong moment has no
    checkpoint left, or an empty ``last_checkpoint``, and ``--resume``
    fails. This hook, with the same arguments, saves in the order

    1. write the new checkpoint (atomically: to a local directory, the hook
       saves through mmdsct's ``'atomic_local'`` file backend, which writes
       a temporary file and renames it, unless ``backend_args`` or
       ``file_client_args`` name another backend),
    2. point ``last_checkpoint`` at it (the same atomic rename),
    3. only then delete checkpoints that are no longer kept, and the
       previous best checkpoint of ``save_best``,

    so that a kill at any moment leaves ``last_checkpoint`` naming a whole,
    existing checkpoint. (A kill between 2 and 3 leaves an old file behind
    that nothing deletes later; it is never the one resumed from.) When
    training starts, the temporary files of writes that a kill interrupted
    (``.<name>.<8 characters>.tmp``) are deleted from the work and output
    directories, and their number is logged.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if (self.backend_args is None and self.file_client_args is None
                and '://' not in str(self.out_dir or '')):
            self.backend_args = atomic_backend_args()

    def before_train(self, runner) -> None:
        """Prepare as mmengine does, then delete leftover temporary files.

        Args:
            runner (Runner): The runner of the training process.
        """
        super().before_train(runner)
        if is_main_process():
            self._remove_leftovers(runner)

    def _remove_leftovers(self, runner) -> None:
        """Delete the temporary files of interrupted atomic writes."""
        directories = {osp.abspath(runner.work_dir)}
        if isinstance(self.file_backend, LocalBackend):
            directories.add(osp.abspath(str(self.out_dir)))
        removed = []
        for directory in sorted(directories):
            removed.extend(remove_atomic_write_leftovers(directory))
        if removed:
            runner.logger.info(
                f'Removed {len(removed)} temporary file(s) left by '
                'interrupted checkpoint writes: ' +
                ', '.join(osp.basename(path) for path in removed))

    def _save_checkpoint_with_step(self, runner, step: int,
                                   meta: dict) -> None:
        """Save ``filename_tmpl.format(step)``, repoint ``last_checkpoint``,
        then delete the checkpoints ``max_keep_ckpts`` no longer keeps.

        Args:
            runner (Runner): The runner.
            step (int): Epoch or iteration the file is named after.
            meta (dict): ``epoch`` and ``iter`` to store.
        """
        outdated = self._rotate_kept_steps(runner, step)
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        self._point_last_checkpoint(runner)
        for old_step in outdated:
            old_name = self.filename_tmpl.format(old_step)
            self._remove(self.file_backend.join_path(self.out_dir, old_name))

    def _rotate_kept_steps(self, runner, step: int) -> List[int]:
        """Add ``step`` to the kept checkpoints; return the steps dropped.

        The list stored in the message hub (and so in the new checkpoint)
        already leaves the dropped steps out; their files are deleted only
        after the new checkpoint is safe.
        """
        if self.max_keep_ckpts <= 0:
            return []
        if self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step:
            return []  # saved again in the same step (a new best score)
        outdated = []
        while len(self.keep_ckpt_ids) >= self.max_keep_ckpts:
            outdated.append(self.keep_ckpt_ids.popleft())
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids',
                                       list(self.keep_ckpt_ids))
        return outdated

    def _point_last_checkpoint(self, runner) -> None:
        """Atomically write the new checkpoint's path to
        ``<work_dir>/last_checkpoint``."""
        atomic_write_bytes(
            str(self.last_ckpt).encode('utf-8'),
            osp.join(runner.work_dir, LAST_CHECKPOINT_FILE))

    def _remove(self, path: str) -> None:
        """Delete a checkpoint file (or a directory, as DeepSpeed saves)."""
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            self.file_backend.rmtree(path)

    def _save_best_checkpoint(self, runner, metrics: dict) -> None:
        """Save a new best checkpoint as mmengine does, but delete the
        previous best one only after the new one and ``last_checkpoint``
        are written.

        Args:
            runner (Runner): The runner.
            metrics (dict): Evaluation results.
        """
        backend = self.file_backend
        deferred = _DeferredRemovals(backend)
        self.file_backend = deferred
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        in_use = self._checkpoints_in_use()
        for path in deferred.paths:
            if path not in in_use:
                self._remove(path)

    def _checkpoints_in_use(self) -> Set[str]:
        """Paths of the latest and the current best checkpoints."""
        paths: Set[Optional[str]] = {self.last_ckpt}
        paths.add(getattr(self, 'best_ckpt_path', None))
        paths.update(getattr(self, 'best_ckpt_path_dict', {}).values())
        return {str(path) for path in paths if path is not None}
