"""Heads of mmdsct."""
from .dsct_head import DSCTHead

__all__ = ['DSCTHead']
