"""Models of mmdsct, grouped as mmdet groups them."""
from . import task_modules  # noqa
from . import dense_heads, detectors, layers, losses, utils
from .dense_heads import *  # noqa: F401,F403
from .detectors import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .task_modules import *  # noqa: F401,F403
