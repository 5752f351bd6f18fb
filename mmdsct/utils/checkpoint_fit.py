"""Whether a checkpoint fits a model, and loading that says which keys do not.

mmengine loads state dicts leniently: keys the model lacks are ignored,
parameters the checkpoint lacks or holds in another shape stay as they were,
and the differences go to a log warning. That is right for fine-tuning
(``load_from`` a detector of another task), and wrong when testing or
resuming, where a checkpoint of another config silently leaves random
parameters behind. :func:`load_state_dict_checked` loads as mmengine does
(the modules' own ``_load_from_state_dict``, so DSCT's on-the-fly mapping of
Deformable DETR checkpoints still applies) and returns the differences;
with ``strict=True`` it raises :class:`CheckpointMismatchError`, which lists
them.
"""
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional, Sequence, Tuple

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseTTAModel, is_model_wrapper
from torch.nn.modules.module import _IncompatibleKeys

#: Keys that may be missing without harm (BatchNorm's step counter).
IGNORED_MISSING = 'num_batches_tracked'
#: How many keys of each kind an error message lists.
MAX_LISTED = 20
#: Start of torch's message for a parameter of the wrong shape.
SIZE_MISMATCH_MESSAGE = 'size mismatch for '
#: mmengine's default key revision: strip a DDP wrapper's prefix.
DEFAULT_REVISE_KEYS: Sequence[Tuple[str, str]] = ((r'^module\.', ''), )


@dataclass
class StateDictMismatch:
    """How a state dict differs from a model.

    Attributes:
        missing (list[str]): Model keys the state dict does not provide.
        unexpected (list[str]): State dict keys the model does not have.
        shape (list[tuple[str, tuple, tuple]]): ``(key, checkpoint shape,
            model shape)`` of parameters present in both with other shapes.
        other_errors (list[str]): Any other message of the modules' loaders.
    """
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    shape: List[Tuple[str, tuple, tuple]] = field(default_factory=list)
    other_errors: List[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.missing or self.unexpected or self.shape
                    or self.other_errors)

    def describe(self) -> str:
        """The differences, one section per kind (the first
        :data:`MAX_LISTED` keys of each)."""
        shapes = [
            f'{key} (checkpoint {list(ckpt)}, model {list(model)})'
            for key, ckpt, model in self.shape
        ]
        lines = []
        for title, items in (('missing in the checkpoint', self.missing),
                             ('not in the model', self.unexpected),
                             ('shape mismatch', shapes), ('other errors',
                                                          self.other_errors)):
            if items:
                listed = ', '.join(items[:MAX_LISTED])
                more = len(items) - MAX_LISTED
                tail = f' ... and {more} more' if more > 0 else ''
                lines.append(f'  {title} ({len(items)}): {listed}{tail}')
        return '\n'.join(lines)


class CheckpointMismatchError(RuntimeError):
    """Raised when a checkpoint's keys or shapes do not fit the model."""

    def __init__(self, source: str, mismatch: StateDictMismatch,
                 hint: str) -> None:
        self.mismatch = mismatch
        super().__init__(f'Checkpoint {source} does not fit the model of the '
                         f'config:\n{mismatch.describe()}\n{hint}')


#: What :func:`load_state_dict_checked` suggests by default.
PARTIAL_LOAD_HINT = ('Check that the checkpoint was trained with this '
                     'config. To load the parameters that fit and keep the '
                     'others as built, ask for a partial load '
                     '(tools/test.py --partial-load, '
                     'init_emotion_model(..., strict=False)).')


def _unwrap(module: nn.Module) -> nn.Module:
    """The model inside DDP-style or test-time-augmentation wrappers."""
    while is_model_wrapper(module) or isinstance(module, BaseTTAModel):
        module = module.module
    return module


def _shape_mismatches(module: nn.Module, state_dict: Mapping[str, Any],
                      prefix: str) -> List[Tuple[str, tuple, tuple]]:
    """Own parameters and buffers of ``module`` whose shape in
    ``state_dict`` differs (``state_dict`` as the module's loader left it,
    i.e. after any key mapping it does)."""
    own = list(module._parameters.items()) + [
        (name, buffer) for name, buffer in module._buffers.items()
        if name not in module._non_persistent_buffers_set
    ]
    found = []
    for name, tensor in own:
        key = prefix + name
        value = state_dict.get(key)
        if tensor is None or not hasattr(value, 'shape'):
            continue
        if tuple(value.shape) != tuple(tensor.shape):
            found.append((key, tuple(value.shape), tuple(tensor.shape)))
    return found


def find_state_dict_mismatch(
        module: nn.Module, state_dict: Mapping[str, Any]) -> StateDictMismatch:
    """Load ``state_dict`` into ``module`` where it fits; report the rest.

    Every module loads its own part with its ``_load_from_state_dict``, as
    :func:`torch.nn.Module.load_state_dict` and mmengine do, so loaders
    that rename keys (DSCT's Deformable DETR mapping) keep working.

    Args:
        module (nn.Module): The model (wrappers are looked through).
        state_dict (Mapping): Parameters and buffers by key.

    Returns:
        StateDictMismatch: The differences; empty when everything fit.
    """
    metadata = getattr(state_dict, '_metadata', None)
    mismatch = StateDictMismatch()
    errors: List[str] = []

    def load(mod: nn.Module, local: dict, prefix: str) -> None:
        local_metadata = {} if metadata is None else metadata.get(
            prefix[:-1], {})
        mod._load_from_state_dict(local, prefix, local_metadata, True,
                                  mismatch.missing, mismatch.unexpected,
                                  errors)
        mismatch.shape.extend(_shape_mismatches(mod, local, prefix))
        for name, child in mod._modules.items():
            if child is None:
                continue
            child_prefix = f'{prefix}{name}.'
            load(
                child, {
                    key: value
                    for key, value in local.items()
                    if key.startswith(child_prefix)
                }, child_prefix)
        incompatible = _IncompatibleKeys(mismatch.missing, mismatch.unexpected)
        for hook in mod._load_state_dict_post_hooks.values():
            hook(mod, incompatible)

    load(_unwrap(module), dict(state_dict), '')
    mismatch.missing[:] = [
        key for key in mismatch.missing if IGNORED_MISSING not in key
    ]
    mismatch.other_errors = [
        error for error in errors
        if not error.startswith(SIZE_MISMATCH_MESSAGE)
    ]
    return mismatch


def load_state_dict_checked(
        module: nn.Module,
        state_dict: Mapping[str, Any],
        strict: bool,
        source: str,
        hint: str = PARTIAL_LOAD_HINT) -> StateDictMismatch:
    """Load a state dict; refuse it, or log the differences, if it does not
    fit.

    Args:
        module (nn.Module): The model.
        state_dict (Mapping): Parameters and buffers by key.
        strict (bool): Raise if anything does not fit; else log a warning
            naming the keys.
        source (str): Where the state dict came from (for messages).
        hint (str): What the error suggests doing instead.

    Returns:
        StateDictMismatch: The differences (empty when all fit).

    Raises:
        CheckpointMismatchError: If ``strict`` and anything does not fit.
            The parameters that fit have been loaded by then.
    """
    mismatch = find_state_dict_mismatch(module, state_dict)
    if mismatch and strict:
        raise CheckpointMismatchError(source, mismatch, hint)
    if mismatch:
        print_log(
            f'Partial load of {source}: the model and the checkpoint do not '
            f'match exactly; the other parameters keep their values.\n'
            f'{mismatch.describe()}',
            logger='current',
            level=logging.WARNING)
    return mismatch


def state_dict_of(
    checkpoint: Mapping[str, Any],
    revise_keys: Sequence[Tuple[str, str]] = DEFAULT_REVISE_KEYS
) -> 'OrderedDict[str, Any]':
    """The model weights of a loaded checkpoint, keys revised.

    Args:
        checkpoint (Mapping): An mmengine checkpoint (``state_dict`` entry)
            or a plain state dict.
        revise_keys (Sequence[tuple[str, str]]): ``(pattern, replacement)``
            regular expressions applied to every key in turn. Defaults to
            stripping a ``module.`` prefix.

    Returns:
        OrderedDict: The state dict, with the original ``_metadata``.
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    metadata = getattr(state_dict, '_metadata', OrderedDict())
    for pattern, replacement in revise_keys:
        state_dict = OrderedDict((re.sub(pattern, replacement, key), value)
                                 for key, value in state_dict.items())
    state_dict._metadata = metadata
    return state_dict


def emotion_classes_of(checkpoint: Mapping[str, Any]) -> Optional[list]:
    """The emotion class names a checkpoint's meta data records, if any."""
    meta = checkpoint.get('meta') or {}
    dataset_meta = meta.get('dataset_meta') or {}
    classes = dataset_meta.get('emotion_classes')
    return list(classes) if classes is not None else None


class EmotionClassesMismatchError(ValueError):
    """Raised when a checkpoint was trained on other emotion classes than
    the dataset it is evaluated on."""

    def __init__(self, checkpoint: str, checkpoint_classes: Sequence[str],
                 dataset: str, dataset_classes: Sequence[str]) -> None:
        self.checkpoint_classes = list(checkpoint_classes)
        self.dataset_classes = list(dataset_classes)
        super().__init__(
            f'{checkpoint} was trained on the emotion classes '
            f'{self.checkpoint_classes} ({len(self.checkpoint_classes)}), '
            f'but the test dataset {dataset} has '
            f'{self.dataset_classes} ({len(self.dataset_classes)}): every '
            'per-class score would be read as the wrong emotion. Test it '
            'on data with the classes it was trained on.')
