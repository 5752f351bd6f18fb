"""Weights-only loading for every scheme of mmengine's ``CheckpointLoader``.

mmengine 0.10.7 loads ``http(s)://`` URLs, ``torchvision://``,
``open-mmlab://``, ``mmcls://``, ``pavi://`` and ``s3://``-style paths with
``torch.load(weights_only=False)``: a downloaded checkpoint can run code.
:func:`register_weights_only_loader` replaces each of these loaders with one
that fetches the file as mmengine does (URLs into the torch hub cache,
``<TORCH_HOME>/hub/checkpoints``) and then unpickles it with the allow-list
of :mod:`mmdsct.utils.checkpoint`. A downloaded file that is refused is
deleted from the cache, so that no later, less careful loader finds it
there. A file name that carries a SHA-256 prefix, as OpenMMLab's and
torchvision's do (``name-<8 or more hex digits>.pth``), is checked against
the file's content on every load.

``load_from``, ``resume``, ``tools/test.py``, ``init_cfg=dict(
type='Pretrained', checkpoint=...)`` and :func:`mmdet.apis.init_detector`
all go through ``CheckpointLoader``, and so through these loaders.
"""
import hashlib
import os
import os.path as osp
import re
from tempfile import TemporaryDirectory
from typing import Any, Dict, List, Optional, Sequence
from urllib.parse import urlparse

import mmengine
import torch
from mmengine.dist import get_dist_info
from mmengine.fileio import get_file_backend
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader
from mmengine.runner import checkpoint as mmengine_checkpoint

from .checkpoint import (UnsafeCheckpointError, load_bytes_weights_only,
                         load_from_local_weights_only,
                         supports_weights_only_allow_list)

#: ``name-<sha256 prefix>.ext``: at least 8 hex digits before the extension.
HASH_PREFIX_PATTERN = re.compile(r'-([0-9a-f]{8,64})\.[A-Za-z0-9]+$')
#: mmengine's table of torchvision URLs, used when torchvision is absent.
TORCHVISION_URL_TABLE = 'hub/torchvision_0.12.json'
#: Bytes read at a time when hashing a file.
HASH_CHUNK = 1 << 20


class CheckpointHashError(UnsafeCheckpointError):
    """Raised when a file's SHA-256 does not start with the prefix in its
    name."""


def hash_prefix_of(filename: str) -> Optional[str]:
    """The SHA-256 prefix an OpenMMLab-style file name carries.

    Args:
        filename (str): A file name, path or URL.

    Returns:
        str | None: The lower-case hex prefix, or None if the name has none.
    """
    found = HASH_PREFIX_PATTERN.search(osp.basename(urlparse(filename).path))
    return found.group(1) if found else None


def verify_hash_prefix(path: str, origin: str) -> None:
    """Check a file's content against the hash prefix in its name.

    Args:
        path (str): The local file.
        origin (str): Where it came from (for the message).

    Raises:
        CheckpointHashError: If the name has a prefix and the file's
            SHA-256 does not start with it.
    """
    expected = hash_prefix_of(origin) or hash_prefix_of(path)
    if expected is None:
        return
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(HASH_CHUNK), b''):
            digest.update(chunk)
    actual = digest.hexdigest()
    if not actual.startswith(expected):
        raise CheckpointHashError(
            f'Refusing to load checkpoint {origin}: its name promises a '
            f'SHA-256 starting with {expected}, but the file {path} has '
            f'{actual[:len(expected)]} (a corrupt or substituted download).')


def hub_checkpoint_dir() -> str:
    """The torch hub cache of checkpoints (``<hub dir>/checkpoints``), where
    mmengine and torch keep downloaded weights."""
    return osp.join(torch.hub.get_dir(), 'checkpoints')


def download_to_cache(url: str,
                      model_dir: Optional[str] = None,
                      progress: bool = False) -> str:
    """Download ``url`` into the hub cache unless it is there already.

    Args:
        url (str): An ``http(s)://`` URL.
        model_dir (str, optional): The cache directory. Defaults to
            :func:`hub_checkpoint_dir`.
        progress (bool): Show a progress bar. Defaults to False.

    Returns:
        str: Path of the cached file.
    """
    model_dir = model_dir or hub_checkpoint_dir()
    os.makedirs(model_dir, exist_ok=True)
    cached = osp.join(model_dir, osp.basename(urlparse(url).path))
    if not osp.isfile(cached):
        print_log(f'Downloading {url} to {cached}', logger='current')
        # torch writes to a temporary file and renames it when complete.
        torch.hub.download_url_to_file(url, cached, None, progress=progress)
    return cached


def load_cached_weights_only(path: str,
                             origin: str,
                             map_location: Optional[Any] = None) -> Any:
    """Verify and load a downloaded checkpoint; delete it if refused.

    Args:
        path (str): The cached file.
        origin (str): The URL it came from.
        map_location: As for :func:`torch.load`.

    Returns:
        The unpickled checkpoint.

    Raises:
        UnsafeCheckpointError: If the hash prefix does not match or the
            file holds types outside the allow-list; the file is removed.
    """
    try:
        verify_hash_prefix(path, origin)
        return load_from_local_weights_only(path, map_location)
    except UnsafeCheckpointError as err:
        os.remove(path)
        raise type(err)(f'{err} The downloaded file {path} (from {origin}) '
                        'was deleted from the cache.') from err


def load_from_http_weights_only(filename: str,
                                map_location: Optional[Any] = None,
                                model_dir: Optional[str] = None,
                                progress: Optional[bool] = None) -> Any:
    """Load a checkpoint from an ``http(s)://`` URL, weights only.

    In a distributed run, rank 0 downloads and checks the file first; the
    other ranks load it once rank 0 has passed a barrier.

    Args:
        filename (str): The URL.
        map_location: As for :func:`torch.load`.
        model_dir (str, optional): Cache directory. Defaults to
            :func:`hub_checkpoint_dir`.
        progress (bool, optional): Show a download progress bar. Defaults
            to whether the standard input is a terminal.

    Returns:
        The unpickled checkpoint.
    """
    if progress is None:
        progress = os.isatty(0)
    rank, world_size = get_dist_info()
    if rank == 0:
        cached = download_to_cache(filename, model_dir, progress)
        checkpoint = load_cached_weights_only(cached, filename, map_location)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            cached = download_to_cache(filename, model_dir, progress)
            checkpoint = load_cached_weights_only(cached, filename,
                                                  map_location)
    return checkpoint


def _torchvision_urls() -> Dict[str, str]:
    """torchvision's model URLs; mmengine's table without torchvision."""
    try:
        return mmengine_checkpoint.get_torchvision_models()
    except ImportError:
        return mmengine.load(
            osp.join(mmengine.__path__[0], TORCHVISION_URL_TABLE))


def _lookup(table: Dict[str, str], name: str, filename: str) -> str:
    """``table[name]``, or a KeyError naming the checkpoint."""
    if name not in table:
        raise KeyError(f'{filename}: unknown model name {name!r}.')
    return table[name]


def load_from_torchvision_weights_only(filename: str,
                                       map_location: Optional[Any] = None
                                       ) -> Any:
    """Load ``torchvision://NAME`` (or the old ``modelzoo://NAME``)."""
    name = filename.split('://', 1)[1]
    url = _lookup(_torchvision_urls(), name, filename)
    return load_from_http_weights_only(url, map_location=map_location)


def load_from_openmmlab_weights_only(filename: str,
                                     map_location: Optional[Any] = None
                                     ) -> Any:
    """Load ``open-mmlab://NAME`` or ``openmmlab://NAME``.

    The name is looked up in mmengine's model zoo table (and the user's
    ``open_mmlab.json`` in mmengine's home); deprecated names are mapped to
    their successors as mmengine does.
    """
    name = filename.split('://', 1)[1]
    deprecated = mmengine_checkpoint.get_deprecated_model_names()
    if name in deprecated:
        print_log(
            f'{filename} is deprecated in favour of {deprecated[name]}',
            logger='current')
        name = deprecated[name]
    url = _lookup(mmengine_checkpoint.get_external_models(), name, filename)
    if url.startswith(('http://', 'https://')):
        return load_from_http_weights_only(url, map_location=map_location)
    local = osp.join(mmengine_checkpoint._get_mmengine_home(), url)
    return load_from_local_weights_only(local, map_location)


def load_from_mmcls_weights_only(filename: str,
                                 map_location: Optional[Any] = None) -> Any:
    """Load ``mmcls://NAME``: the backbone weights of an mmcls model."""
    name = filename.split('://', 1)[1]
    url = _lookup(mmengine_checkpoint.get_mmcls_models(), name, filename)
    checkpoint = load_from_http_weights_only(url, map_location=map_location)
    return mmengine_checkpoint._process_mmcls_checkpoint(checkpoint)


def load_from_pavi_weights_only(filename: str,
                                map_location: Optional[Any] = None) -> Any:
    """Load ``pavi://PATH`` from PAVI's model cloud, weights only."""
    try:
        from pavi import modelcloud
    except ImportError as err:
        raise ImportError(
            f'{filename}: install pavi to load checkpoints from its model '
            'cloud.') from err
    model = modelcloud.get(filename[len('pavi://'):])
    with TemporaryDirectory() as tmp_dir:
        downloaded = osp.join(tmp_dir, model.name)
        model.download(downloaded)
        return load_from_local_weights_only(downloaded, map_location)


def load_from_ceph_weights_only(filename: str,
                                map_location: Optional[Any] = None,
                                backend: str = 'petrel') -> Any:
    """Load ``s3://`` or ``petrel://`` paths through mmengine's storage
    backend, weights only."""
    file_backend = get_file_backend(
        filename, backend_args={'backend': backend})
    return load_bytes_weights_only(
        file_backend.get(filename), filename, map_location)


#: mmengine 0.10.7's checkpoint schemes and their weights-only loaders.
SAFE_CHECKPOINT_LOADERS: Sequence = (
    ('', load_from_local_weights_only),
    (('http://', 'https://'), load_from_http_weights_only),
    (('modelzoo://', 'torchvision://'), load_from_torchvision_weights_only),
    (('open-mmlab://', 'openmmlab://'), load_from_openmmlab_weights_only),
    ('mmcls://', load_from_mmcls_weights_only),
    ('pavi://', load_from_pavi_weights_only),
    ((r'(\S+\:)?s3://', r'(\S+\:)?petrel://'), load_from_ceph_weights_only),
)


def register_weights_only_loader() -> None:
    """Make every scheme of ``CheckpointLoader`` load weights only.

    On torch < 2.4, which cannot allow-list types, mmengine's own loaders
    are kept (those versions load with ``weights_only=False`` by default).
    """
    if not supports_weights_only_allow_list():
        return
    for prefixes, loader in SAFE_CHECKPOINT_LOADERS:
        CheckpointLoader.register_scheme(
            prefixes=prefixes, loader=loader, force=True)


def unsafe_checkpoint_schemes() -> List[str]:
    """Prefixes of ``CheckpointLoader`` not served by a loader of ours.

    Returns:
        list[str]: Empty once :func:`register_weights_only_loader` ran,
        unless another package registered a scheme of its own since.
    """
    ours = {loader for _, loader in SAFE_CHECKPOINT_LOADERS}
    return [
        prefix for prefix, loader in CheckpointLoader._schemes.items()
        if loader not in ours
    ]
