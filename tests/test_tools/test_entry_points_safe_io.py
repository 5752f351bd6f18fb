"""tools/train.py, tools/test.py and tools/infer.py switch on the safe
checkpoint I/O before they do anything else."""
import importlib.util
import sys
from types import SimpleNamespace

import pytest

#: Entry point and the function its ``main`` runs after the switch.
ENTRY_POINTS = {
    'train.py': 'run_training',
    'test.py': 'run_test',
    'infer.py': 'check_inputs',
}


class Stop(Exception):
    """Raised by the stand-in for the tool's work."""


def load_tool(repo_root, name):
    path = repo_root / 'tools' / name
    spec = importlib.util.spec_from_file_location(f'entry_point_{path.stem}',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('name', sorted(ENTRY_POINTS))
def test_main_switches_safe_io_on_first(name, repo_root, monkeypatch):
    tool = load_tool(repo_root, name)
    calls = []

    def work(*args, **kwargs):
        calls.append('work')
        raise Stop

    monkeypatch.setattr(tool, 'enable_safe_checkpoint_io',
                        lambda: calls.append('enable_safe_checkpoint_io'))
    monkeypatch.setattr(tool, ENTRY_POINTS[name], work)
    monkeypatch.setattr(tool, 'parse_args',
                        lambda: SimpleNamespace(inputs='image.png'))
    monkeypatch.setattr(sys, 'argv', [name])
    with pytest.raises(Stop):
        tool.main()
    assert calls == ['enable_safe_checkpoint_io', 'work']
