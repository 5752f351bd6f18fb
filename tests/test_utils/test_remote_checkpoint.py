"""Every scheme of mmengine's CheckpointLoader loads weights only; refused
downloads leave the torch hub cache; hash prefixes in names are checked."""
import hashlib
import sys
import types

import pytest
import torch
from mmengine.model import BaseModule
from mmengine.runner import CheckpointLoader
from mmengine.runner.checkpoint import _load_checkpoint

import mmdsct  # noqa: F401  (installs the loaders)
from mmdsct.utils import (CheckpointHashError, UnsafeCheckpointError,
                          remote_checkpoint, unsafe_checkpoint_schemes)
from mmdsct.utils.remote_checkpoint import hash_prefix_of

#: A prefix of mmengine 0.10.7's every scheme, and the loader it must reach.
SCHEME_EXAMPLES = {
    'work_dirs/x.pth': 'load_from_local_weights_only',
    'http://host/x.pth': 'load_from_http_weights_only',
    'https://host/x.pth': 'load_from_http_weights_only',
    'torchvision://resnet50': 'load_from_torchvision_weights_only',
    'modelzoo://resnet50': 'load_from_torchvision_weights_only',
    'open-mmlab://resnet50_v1c': 'load_from_openmmlab_weights_only',
    'openmmlab://resnet50_v1c': 'load_from_openmmlab_weights_only',
    'mmcls://resnet50': 'load_from_mmcls_weights_only',
    'pavi://model/x.pth': 'load_from_pavi_weights_only',
    's3://bucket/x.pth': 'load_from_ceph_weights_only',
    'cluster1:s3://bucket/x.pth': 'load_from_ceph_weights_only',
    'petrel://bucket/x.pth': 'load_from_ceph_weights_only',
}


def _good_checkpoint(path):
    torch.save(
        dict(state_dict={'weight': torch.arange(4.)}, meta=dict(iter=3)), path)


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_no_scheme_keeps_an_unsafe_loader():
    assert unsafe_checkpoint_schemes() == []
    for path, loader in SCHEME_EXAMPLES.items():
        found = CheckpointLoader._get_checkpoint_loader(path)
        assert found.__name__ == loader, path


def test_hostile_pickle_over_http_is_refused_and_deleted(
        http_url, hostile_checkpoint, torch_home):
    name, marker = hostile_checkpoint
    with pytest.raises(UnsafeCheckpointError) as err:
        _load_checkpoint(f'{http_url}/{name}', map_location='cpu')
    assert 'open' in str(err.value)
    assert 'deleted from the cache' in str(err.value)
    assert not marker.exists()
    assert not (torch_home / name).exists()


def test_hostile_file_already_in_the_cache_is_refused(http_url, http_root,
                                                      hostile_checkpoint,
                                                      torch_home):
    """A file cached by an earlier, unsafe loader is checked too."""
    name, marker = hostile_checkpoint
    torch_home.mkdir(parents=True)
    (torch_home / name).write_bytes((http_root / name).read_bytes())
    (http_root / name).unlink()  # it can only come from the cache
    with pytest.raises(UnsafeCheckpointError):
        _load_checkpoint(f'{http_url}/{name}')
    assert not marker.exists()
    assert not (torch_home / name).exists()


def test_good_checkpoint_over_http_loads_and_stays_cached(
        http_url, http_root, torch_home):
    _good_checkpoint(http_root / 'good.pth')
    loaded = _load_checkpoint(f'{http_url}/good.pth', map_location='cpu')
    assert torch.equal(loaded['state_dict']['weight'], torch.arange(4.))
    assert (torch_home / 'good.pth').is_file()


def test_hash_prefix_in_the_name_is_verified(http_url, http_root, torch_home):
    source = http_root / 'source.pth'
    _good_checkpoint(source)
    digest = _sha256(source)
    good_name = f'model_20240101-{digest[:8]}.pth'
    source.rename(http_root / good_name)
    loaded = _load_checkpoint(f'{http_url}/{good_name}')
    assert loaded['meta']['iter'] == 3

    wrong = '0' * 8 if not digest.startswith('0' * 8) else '1' * 8
    bad_name = f'model_20240101-{wrong}.pth'
    (http_root / bad_name).write_bytes((http_root / good_name).read_bytes())
    with pytest.raises(CheckpointHashError, match=wrong):
        _load_checkpoint(f'{http_url}/{bad_name}')
    assert not (torch_home / bad_name).exists()
    assert (torch_home / good_name).exists()


@pytest.mark.parametrize('name, prefix', [
    ('deformable-detr_r50_16xb2-50e_coco_20221029_210934-6bc7d21b.pth',
     '6bc7d21b'),
    ('resnet50-19c8e357.pth', '19c8e357'),
    ('swin_tiny_patch4_window7_224.pth', None),
    ('model-50e.pth', None),
])
def test_hash_prefix_of_openmmlab_names(name, prefix):
    assert hash_prefix_of(f'https://download.example/a/{name}') == prefix


def test_pretrained_init_cfg_goes_through_the_safe_loader(
        http_url, hostile_checkpoint, torch_home):
    name, marker = hostile_checkpoint
    module = BaseModule(
        init_cfg=dict(type='Pretrained', checkpoint=f'{http_url}/{name}'))
    module.layer = torch.nn.Linear(1, 1)
    with pytest.raises(UnsafeCheckpointError):
        module.init_weights()
    assert not marker.exists()
    assert not (torch_home / name).exists()


def _capture_urls(monkeypatch) -> list:
    """Replace the HTTP loader; return the list of URLs it is asked for."""
    urls = []

    def fake_http(url, map_location=None, **kwargs):
        urls.append(url)
        return dict(state_dict={
            'backbone.conv.weight': torch.ones(1),
            'head.fc.weight': torch.ones(1)
        })

    monkeypatch.setattr(remote_checkpoint, 'load_from_http_weights_only',
                        fake_http)
    return urls


def test_model_zoo_names_resolve_to_urls(monkeypatch):
    urls = _capture_urls(monkeypatch)
    _load_checkpoint('torchvision://resnet50')
    _load_checkpoint('open-mmlab://resnet50_v1c')
    mmcls = _load_checkpoint('mmcls://resnet50')
    assert 'resnet50-' in urls[0] and urls[0].startswith('https://')
    assert 'resnet50_v1c' in urls[1]
    assert urls[2].startswith('https://')
    # mmcls checkpoints keep the backbone only, without its prefix
    assert list(mmcls['state_dict']) == ['conv.weight']
    with pytest.raises(KeyError, match='no_such_model'):
        _load_checkpoint('torchvision://no_such_model')


def test_openmmlab_local_entry_is_weights_only(monkeypatch, tmp_path,
                                               hostile_checkpoint, http_root):
    name, marker = hostile_checkpoint
    (tmp_path / name).write_bytes((http_root / name).read_bytes())
    monkeypatch.setenv('MMENGINE_HOME', str(tmp_path))
    monkeypatch.setattr(remote_checkpoint.mmengine_checkpoint,
                        'get_external_models', lambda: {'mine': name})
    with pytest.raises(UnsafeCheckpointError):
        _load_checkpoint('open-mmlab://mine')
    assert not marker.exists()


def test_storage_backend_bytes_are_weights_only(monkeypatch,
                                                hostile_checkpoint, http_root):
    name, marker = hostile_checkpoint
    data = (http_root / name).read_bytes()

    class FakeBackend:

        def get(self, filepath):
            return data

    monkeypatch.setattr(remote_checkpoint, 'get_file_backend',
                        lambda *args, **kwargs: FakeBackend())
    with pytest.raises(UnsafeCheckpointError, match='s3://bucket/evil.pth'):
        _load_checkpoint('s3://bucket/evil.pth')
    assert not marker.exists()


def test_pavi_download_is_weights_only(monkeypatch, hostile_checkpoint,
                                       http_root):
    name, marker = hostile_checkpoint
    data = (http_root / name).read_bytes()

    class FakeModel:
        name = 'evil.pth'

        def download(self, path):
            with open(path, 'wb') as f:
                f.write(data)

    pavi = types.ModuleType('pavi')
    pavi.modelcloud = types.SimpleNamespace(get=lambda path: FakeModel())
    monkeypatch.setitem(sys.modules, 'pavi', pavi)
    with pytest.raises(UnsafeCheckpointError):
        _load_checkpoint('pavi://project/evil.pth')
    assert not marker.exists()
