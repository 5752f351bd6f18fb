"""Datasets of mmdsct."""
from . import transforms  # noqa: F401
