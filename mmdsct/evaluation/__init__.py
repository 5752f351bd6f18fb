"""Evaluation of mmdsct."""
from . import functional, metrics  # noqa: F401
