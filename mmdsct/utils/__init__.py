"""Utilities: safe checkpoint loading, atomic writes, CPU distributed runs."""
from .atomic_backend import (AtomicLocalBackend, atomic_write_bytes,
                             register_atomic_local_backend)
from .checkpoint import (OfficialCheckpointError, UnsafeCheckpointError,
                         load_from_local_weights_only,
                         mmengine_checkpoint_globals,
                         register_weights_only_loader)
from .dist import setup_cpu_distributed
from .run_config import build_runner, load_run_config

__all__ = [
    'AtomicLocalBackend', 'atomic_write_bytes',
    'register_atomic_local_backend', 'OfficialCheckpointError',
    'UnsafeCheckpointError',
    'load_from_local_weights_only', 'mmengine_checkpoint_globals',
    'register_weights_only_loader', 'setup_cpu_distributed', 'build_runner',
    'load_run_config'
]
