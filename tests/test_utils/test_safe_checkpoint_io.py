"""What ``import mmdsct`` changes in mmengine, and what the explicit
switches add. Each check runs in a fresh interpreter: in this one, other
tests may have switched things on already."""
import json

#: Prints what import and the switches leave in mmengine's registries.
PROBE = '''
import json
from mmengine.fileio import get_file_backend
from mmengine.fileio.backends import registry_utils
from mmengine.runner import CheckpointLoader


def state():
    return dict(
        backends={k: v.__name__ for k, v in registry_utils.backends.items()},
        prefixes={k: v.__name__
                  for k, v in registry_utils.prefix_to_backends.items()},
        schemes={k: v.__name__ for k, v in CheckpointLoader._schemes.items()},
        local=type(get_file_backend('x.pth')).__name__)


before = state()
import mmdsct  # noqa: E402
from mmdsct.utils import (enable_safe_checkpoint_io,  # noqa: E402
                          unsafe_checkpoint_schemes)
after_import = dict(state(), unsafe=unsafe_checkpoint_schemes())
enable_safe_checkpoint_io()
after_enable = state()
enable_safe_checkpoint_io()
print(json.dumps(dict(before=before, after_import=after_import,
                      after_enable=after_enable, again=state())))
'''


def probe(python_runner, tmp_path) -> dict:
    """Run :data:`PROBE` in a fresh interpreter; return its findings."""
    script = tmp_path / 'probe.py'
    script.write_text(PROBE)
    proc = python_runner([script], cwd=tmp_path)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_changes_only_the_checkpoint_loaders(python_runner, tmp_path):
    found = probe(python_runner, tmp_path)
    before, after = found['before'], found['after_import']
    # mmengine's file backends stay; one backend is added under a new name
    assert after['local'] == before['local'] == 'LocalBackend'
    assert after['prefixes'] == before['prefixes']
    added = set(after['backends']) - set(before['backends'])
    assert added == {'atomic_local'}
    assert after['backends']['atomic_local'] == 'AtomicLocalBackend'
    assert {k: after['backends'][k] for k in before['backends']} == \
        before['backends']
    # every checkpoint scheme mmengine had now loads weights only
    assert set(after['schemes']) == set(before['schemes'])
    assert after['unsafe'] == []
    assert all(
        name.endswith('_weights_only') for name in after['schemes'].values())
    assert not any(
        name.endswith('_weights_only') for name in before['schemes'].values())


def test_tools_switch_turns_on_atomic_local_writes_idempotently(
        python_runner, tmp_path):
    found = probe(python_runner, tmp_path)
    enabled = found['after_enable']
    assert enabled['local'] == 'AtomicLocalBackend'
    assert enabled['backends']['local'] == 'AtomicLocalBackend'
    assert enabled['schemes'] == found['after_import']['schemes']
    assert found['again'] == enabled
