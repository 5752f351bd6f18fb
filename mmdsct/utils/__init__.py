"""Utilities: safe checkpoint loading and saving, checkpoint fit checks,
random initialisation, CPU distributed runs."""
from .atomic_backend import (ATOMIC_LOCAL_BACKEND, AtomicLocalBackend,
                             atomic_backend_args, atomic_write_bytes,
                             fsync_directory, register_atomic_local_backend,
                             remove_atomic_write_leftovers)
from .checkpoint import (OfficialCheckpointError, UnsafeCheckpointError,
                         load_bytes_weights_only, load_from_local_weights_only,
                         mmengine_checkpoint_globals)
from .checkpoint_fit import (CheckpointMismatchError,
                             EmotionClassesMismatchError, StateDictMismatch,
                             find_state_dict_mismatch, load_state_dict_checked)
from .dist import destroy_distributed, setup_cpu_distributed
from .random_init import drop_pretrained_init_cfgs, init_random_weights
from .remote_checkpoint import (CheckpointHashError,
                                load_from_http_weights_only,
                                register_weights_only_loader,
                                unsafe_checkpoint_schemes)
from .run_config import build_runner, load_run_config
from .safe_checkpoint_io import (enable_atomic_local_writes,
                                 enable_safe_checkpoint_io,
                                 enable_weights_only_loading)

__all__ = [
    'ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend', 'atomic_backend_args',
    'atomic_write_bytes', 'fsync_directory', 'register_atomic_local_backend',
    'remove_atomic_write_leftovers', 'OfficialCheckpointError',
    'UnsafeCheckpointError', 'CheckpointHashError', 'load_bytes_weights_only',
    'load_from_local_weights_only', 'load_from_http_weights_only',
    'mmengine_checkpoint_globals', 'register_weights_only_loader',
    'unsafe_checkpoint_schemes', 'enable_safe_checkpoint_io',
    'enable_weights_only_loading', 'enable_atomic_local_writes',
    'CheckpointMismatchError', 'EmotionClassesMismatchError',
    'StateDictMismatch', 'find_state_dict_mismatch', 'load_state_dict_checked',
    'destroy_distributed', 'setup_cpu_distributed',
    'drop_pretrained_init_cfgs', 'init_random_weights', 'build_runner',
    'load_run_config'
]
