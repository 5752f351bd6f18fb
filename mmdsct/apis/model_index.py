"""Find a model of the zoo by name, as OpenMMLab's inferencers do.

The zoo is described the way mmdet describes its own: ``model-index.yml``
lists metafiles under ``Import``; each metafile lists ``Models``, each with
a ``Name`` (and optional ``Alias`` names), a ``Config`` and ``Weights`` (a
URL or a file), paths relative to the directory of ``model-index.yml``. In
a source checkout that file sits at the repository's root; an installed
copy carries it in ``mmdsct/.mim/``.
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Tuple

from mmengine.fileio import load

#: Name of the index file.
MODEL_INDEX_FILE = 'model-index.yml'
#: How many model names an error message lists.
MAX_LISTED_NAMES = 20


@dataclass(frozen=True)
class ModelEntry:
    """One model of the zoo.

    Attributes:
        name (str): Its ``Name``.
        config (str): Path of its config file.
        weights (str, optional): URL or path of its checkpoint.
        aliases (tuple[str]): Other names it answers to (``Alias``).
        metafile (str): The metafile that lists it.
    """
    name: str
    config: str
    weights: Optional[str] = None
    aliases: Tuple[str, ...] = field(default_factory=tuple)
    metafile: str = ''


def is_url(path: str) -> bool:
    """Whether ``path`` is a URL (``scheme://...``) rather than a file."""
    return '://' in str(path)


def default_model_index() -> str:
    """The zoo's ``model-index.yml``: the source checkout's, else the one
    installed in ``mmdsct/.mim/``.

    Returns:
        str: Path of the file.

    Raises:
        FileNotFoundError: If neither exists.
    """
    package_dir = osp.dirname(osp.dirname(osp.abspath(__file__)))
    candidates = (osp.join(osp.dirname(package_dir), MODEL_INDEX_FILE),
                  osp.join(package_dir, '.mim', MODEL_INDEX_FILE))
    for candidate in candidates:
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f'No {MODEL_INDEX_FILE} found (looked at {", ".join(candidates)}); '
        'pass a config file instead of a model name.')


def _resolve(path: str, root: str) -> str:
    """A path from a metafile: kept if absolute or a URL, else taken
    relative to the index's directory."""
    if is_url(path) or osp.isabs(path):
        return path
    return osp.join(root, path)


def _entry(model: dict, metafile: str, root: str) -> ModelEntry:
    """One ``Models`` item as a :class:`ModelEntry`."""
    if not isinstance(model, dict) or not model.get('Name') or \
            not model.get('Config'):
        raise ValueError(f'{metafile}: every entry of Models needs a Name '
                         f'and a Config, got {model!r}')
    weights = model.get('Weights')
    if isinstance(weights, (list, tuple)):
        weights = weights[0] if weights else None
    aliases = model.get('Alias') or ()
    if isinstance(aliases, str):
        aliases = (aliases, )
    return ModelEntry(
        name=str(model['Name']),
        config=_resolve(str(model['Config']), root),
        weights=_resolve(str(weights), root) if weights else None,
        aliases=tuple(map(str, aliases)),
        metafile=metafile)


def iter_models(index_file: Optional[str] = None) -> Iterator[ModelEntry]:
    """Every model of the zoo, in index order.

    Args:
        index_file (str, optional): A ``model-index.yml``; defaults to
            :func:`default_model_index`.

    Yields:
        ModelEntry: The models of each imported metafile.

    Raises:
        FileNotFoundError: If the index or a metafile it imports is missing.
        ValueError: If a file is not laid out as described above.
    """
    index_file = index_file or default_model_index()
    if not osp.isfile(index_file):
        raise FileNotFoundError(f'Model index {index_file} does not exist.')
    root = osp.dirname(osp.abspath(index_file))
    index = load(index_file) or {}
    imports = index.get('Import') if isinstance(index, dict) else None
    if not isinstance(imports, list):
        raise ValueError(f'{index_file} has no Import list of metafiles.')
    for relative in imports:
        metafile = osp.join(root, str(relative))
        if not osp.isfile(metafile):
            raise FileNotFoundError(
                f'{index_file} imports {relative}, which does not exist.')
        models = (load(metafile) or {}).get('Models') or []
        for model in models:
            yield _entry(model, metafile, root)


def list_model_names(index_file: Optional[str] = None) -> List[str]:
    """Names of the zoo's models, in index order."""
    return [entry.name for entry in iter_models(index_file)]


def find_model(name: str, index_file: Optional[str] = None) -> ModelEntry:
    """Look a model up by its ``Name`` or an ``Alias`` (any case).

    Args:
        name (str): The model's name.
        index_file (str, optional): A ``model-index.yml``; defaults to
            :func:`default_model_index`.

    Returns:
        ModelEntry: The model.

    Raises:
        ValueError: If no model has that name (the message lists some).
    """
    wanted = name.lower()
    entries = list(iter_models(index_file))
    for entry in entries:
        if wanted in (known.lower() for known in (entry.name, *entry.aliases)):
            return entry
    names = [entry.name for entry in entries]
    listed = ', '.join(names[:MAX_LISTED_NAMES])
    more = len(names) - MAX_LISTED_NAMES
    raise ValueError(f'No model named {name!r} in the model index '
                     f'({index_file or default_model_index()}); known models: '
                     f'{listed or "none"}' +
                     (f' and {more} more' if more > 0 else '') +
                     '. A config file path is accepted too.')
