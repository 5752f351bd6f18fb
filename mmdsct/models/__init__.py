"""Models of mmdsct, grouped as mmdet groups them."""
from . import dense_heads, detectors, layers, losses, task_modules  # noqa: F401
