"""Distributed runs on machines without CUDA.

mmengine's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` and
wraps the model in DDP with ``device_ids=[LOCAL_RANK]``; both fail with a CPU
build of torch. :func:`setup_cpu_distributed` opens a gloo process group
before the runner is built (mmengine then skips its own ``init_dist``) and
asks for a DDP wrapper without device ids, so ``tools/dist_train.sh CONFIG 2``
runs on a laptop exactly as it runs on 8 GPUs with NCCL.
"""
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config, launcher: str) -> bool:
    """Prepare a CPU (gloo) distributed run when CUDA is unavailable.

    Args:
        cfg (Config): The run's config; its ``model_wrapper_cfg`` is updated.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.

    Returns:
        bool: True if a gloo process group was opened here.

    Raises:
        RuntimeError: For a launcher other than ``'pytorch'`` without CUDA.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher != 'pytorch':
        raise RuntimeError(
            f'--launcher {launcher} needs CUDA; on a machine without GPUs '
            'use tools/dist_train.sh (torchrun, --launcher pytorch).')
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    wrapper_cfg = dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper_cfg.update(cfg.get('model_wrapper_cfg') or {})
    wrapper_cfg['device_ids'] = None  # CPU modules take no device ids
    cfg.model_wrapper_cfg = wrapper_cfg
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    return True


def destroy_distributed() -> None:
    """Close the default process group after a successful run, if one is
    open.

    All ranks first meet at a barrier (none exits while another still
    talks to it), then the group is destroyed while the interpreter is
    fully alive. A gloo group left to the interpreter's exit is torn down
    with its worker threads still holding work objects, and the process
    can then abort with ``terminate called without an active exception``
    (SIGABRT) although the job succeeded.

    The tools call this only when the run succeeded: after an error,
    another rank may still wait in a collective, and both the barrier and
    the destruction could then block; the failing process exits with an
    error anyway (and torchrun stops the others).
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
