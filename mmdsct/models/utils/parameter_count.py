"""Parameter counts, including the one the official DSCT code reports."""
from typing import Dict

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


def is_frozen_norm(module: nn.Module) -> bool:
    """Whether ``module`` is a batch norm whose affine parameters are frozen.

    Args:
        module (nn.Module): Any module.

    Returns:
        bool: True for a batch norm with parameters, none of them trained.
    """
    params = list(module.parameters(recurse=False))
    return isinstance(module,
                      _BatchNorm) and bool(params) and not any(p.requires_grad
                                                               for p in params)


def count_parameters(model: nn.Module) -> Dict[str, int]:
    """Count the parameters of a model (shared modules once).

    The official DSCT / Deformable DETR code freezes the ResNet's batch
    norms as buffers (``FrozenBatchNorm2d``), so its count leaves them out
    but includes the frozen stem and first stage; mmdet keeps frozen batch
    norms as parameters with ``requires_grad=False``. ``params_official``
    is the count that matches the released number (40,055,265 for the R50
    EMOTIC model).

    Args:
        model (nn.Module): The model.

    Returns:
        dict[str, int]: ``params_total`` (every ``nn.Parameter``),
        ``params_official`` (without frozen batch-norm parameters) and
        ``params_trainable`` (``requires_grad`` only).
    """
    params = list(model.parameters())
    frozen_norm = sum(p.numel() for module in model.modules()
                      if is_frozen_norm(module)
                      for p in module.parameters(recurse=False))
    total = sum(p.numel() for p in params)
    return dict(
        params_total=total,
        params_official=total - frozen_norm,
        params_trainable=sum(p.numel() for p in params if p.requires_grad))
