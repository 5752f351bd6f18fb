"""Clip the gradients of named branches apart from the rest of the model."""
from typing import Callable, Dict, Iterable, List, Optional, Sequence

import torch
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.logging import MessageHub
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import Tensor, nn


class PartitionedClipGradNorm:
    """``clip_grad_norm_`` applied to disjoint parts of the parameters.

    Every named part is clipped on its own; the remaining parameters are
    clipped together, as they would be without the named parts. The norm of
    the remaining parameters is returned (the optimizer wrapper logs it as
    ``grad_norm``); the norm of each part is logged as
    ``train/grad_norm.<part>``.

    Args:
        parts (dict[str, set[int]]): For each part's name, the ``id`` of its
            parameters.
        clip_func (callable): The norm clip of one set of parameters.
            Defaults to :func:`torch.nn.utils.clip_grad_norm_`.
    """

    def __init__(self,
                 parts: Dict[str, set],
                 clip_func: Callable = torch.nn.utils.clip_grad_norm_) -> None:
        self.parts = parts
        self.clip_func = clip_func

    def __call__(self, parameters: Iterable[Tensor], **clip_kwargs) -> Tensor:
        """Clip each part, then the rest.

        Args:
            parameters (Iterable[Tensor]): The parameters that have
                gradients.
            **clip_kwargs: ``max_norm``, ``norm_type``... for every part.

        Returns:
            Tensor: The total norm of the remaining parameters' gradients
            (0 when there are none).
        """
        by_part: Dict[str, List[Tensor]] = {name: [] for name in self.parts}
        rest: List[Tensor] = []
        for param in parameters:
            part = next(
                (name for name, ids in self.parts.items() if id(param) in ids),
                None)
            (rest if part is None else by_part[part]).append(param)
        message_hub = MessageHub.get_current_instance()
        for name, params in by_part.items():
            if params:
                norm = self.clip_func(params, **clip_kwargs)
                message_hub.update_scalar(f'train/grad_norm.{name}',
                                          float(norm))
        if not rest:
            return torch.zeros(())
        return self.clip_func(rest, **clip_kwargs)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SeparateClipOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, with some parameters' gradient norm
    clipped apart from the others.

    A gradient-norm clip over all parameters couples them: the gradients of
    an added branch raise the total norm and so shrink every other
    parameter's update. With ``separate_clip`` naming the branch, the other
    parameters are clipped as they are without it, and the branch is
    clipped on its own with the same ``clip_grad`` settings. Together with
    a branch that sends no gradient into the shared layers (for instance
    ``DSCTHead(vad_detach_input=True)``), training the model with the branch
    leaves every other parameter's trajectory exactly as without it.

    Use it in a config as::

        optim_wrapper = dict(
            constructor='SeparateClipOptimWrapperConstructor',
            separate_clip=['bbox_head.vad_branch'])

    Args:
        optim_wrapper_cfg (dict): The optimizer wrapper's config, with
            ``separate_clip`` (list[str]): names of the modules (or
            parameters) whose gradients are clipped on their own, each
            matching at least one parameter of the model.
        paramwise_cfg (dict, optional): As for
            :class:`~mmengine.optim.DefaultOptimWrapperConstructor`.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        optim_wrapper_cfg = dict(optim_wrapper_cfg)
        self.separate_clip = self._check_names(
            optim_wrapper_cfg.pop('separate_clip', None))
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    @staticmethod
    def _check_names(names: Optional[Sequence[str]]) -> List[str]:
        if isinstance(names, str) or not names or not all(
                isinstance(name, str) and name for name in names):
            raise ValueError(
                'SeparateClipOptimWrapperConstructor needs separate_clip, a '
                'non-empty list of module or parameter names, got '
                f'{names!r}.')
        return list(names)

    def __call__(self, model: nn.Module) -> OptimWrapper:
        """Build the wrapper, then split its gradient-norm clip.

        Args:
            model (nn.Module): The model (a DDP wrapper is unwrapped).

        Returns:
            OptimWrapper: The wrapper; without a gradient-norm clip
            (``clip_grad`` unset or a value clip, which is element-wise and
            couples nothing) it is the default constructor's unchanged.

        Raises:
            ValueError: A name of ``separate_clip`` matches no parameter.
        """
        optim_wrapper = super().__call__(model)
        module = model.module if hasattr(model, 'module') else model
        parts = {
            name: self._parameter_ids(module, name)
            for name in self.separate_clip
        }
        if getattr(optim_wrapper, 'clip_func', None) is \
                torch.nn.utils.clip_grad_norm_:
            optim_wrapper.clip_func = PartitionedClipGradNorm(parts)
        return optim_wrapper

    @staticmethod
    def _parameter_ids(module: nn.Module, name: str) -> set:
        ids = {
            id(param)
            for param_name, param in module.named_parameters()
            if param_name == name or param_name.startswith(name + '.')
        }
        if not ids:
            raise ValueError(
                f'separate_clip: {type(module).__name__} has no parameter '
                f'named {name!r} or under it (check the name, and that the '
                'branch is switched on in the model config).')
        return ids
