"""Where DSCT training starts: the authors' Deformable DETR when its
converted file exists, else mmdet's (``FirstAvailablePretrained``)."""
import io
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

from mmdsct.models.utils import FirstAvailablePretrainedInit
from mmdsct.models.utils import first_available_pretrained as start_module

REPO_ROOT = Path(__file__).resolve().parents[2]
AUTHORS_START = 'checkpoints/r50_deformable_detr_dsct-init.pth'
MMDET_START = ('https://download.openmmlab.com/mmdetection/v3.0/'
               'deformable_detr/deformable-detr_r50_16xb2-50e_coco/')


def save_checkpoint(model, path):
    buffer = io.BytesIO()
    torch.save(dict(state_dict=model.state_dict(), meta={}), buffer)
    path.write_bytes(buffer.getvalue())


def test_first_existing_local_file_wins(tmp_path):
    present = tmp_path / 'present.pth'
    present.write_bytes(b'')
    init = FirstAvailablePretrainedInit(checkpoints=[
        dict(checkpoint=str(tmp_path / 'missing.pth'), name='missing'),
        dict(checkpoint=str(present), name='present'),
        'https://example.org/never.pth'
    ])
    checkpoint, name, skipped = init.choose()
    assert (checkpoint, name) == (str(present), 'present')
    assert skipped == [str(tmp_path / 'missing.pth')]


def test_a_url_is_taken_when_no_local_file_exists(tmp_path):
    missing = str(tmp_path / 'missing.pth')
    init = FirstAvailablePretrainedInit(
        checkpoints=[missing, 'https://example.org/start.pth'])
    checkpoint, name, skipped = init.choose()
    assert checkpoint == name == 'https://example.org/start.pth'
    assert skipped == [missing]


def test_nothing_available_names_every_candidate(tmp_path):
    init = FirstAvailablePretrainedInit(
        checkpoints=[str(tmp_path / 'a.pth'),
                     str(tmp_path / 'b.pth')])
    with pytest.raises(FileNotFoundError, match=r'a\.pth.*b\.pth'):
        init.choose()
    with pytest.raises(ValueError):
        FirstAvailablePretrainedInit(checkpoints=[])


def test_dsct_loads_the_chosen_start_after_its_own_init(
        dsct_cfg, tmp_path, monkeypatch):
    """Deformable DETR's init_weights re-initialises the transformer after
    init_cfg; DSCT must load the start checkpoint last, or the encoder and
    decoder would not keep the loaded weights."""
    torch.manual_seed(1)
    source = MODELS.build(dsct_cfg())
    source.init_weights()
    start = tmp_path / 'start.pth'
    save_checkpoint(source, start)

    logged = []
    monkeypatch.setattr(start_module, 'print_log',
                        lambda message, **kwargs: logged.append(message))
    cfg = dsct_cfg()
    cfg['init_cfg'] = dict(
        type='FirstAvailablePretrained',
        checkpoints=[
            dict(checkpoint=str(tmp_path / 'authors.pth'), name='authors'),
            dict(checkpoint=str(start), name='fallback')
        ])
    torch.manual_seed(2)
    model = MODELS.build(cfg)
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    assert len(logged) == 1
    assert 'fallback' in logged[0] and str(start) in logged[0]
    assert 'authors.pth' in logged[0]  # named as not found
    assert model.init_cfg == cfg['init_cfg']


@pytest.mark.parametrize('name', ['dsct_r50_emotic.py', 'dsct_r50_caers.py'])
def test_r50_configs_prefer_the_authors_start(name):
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / 'dsct' / name))
    assert cfg.load_from is None
    init = cfg.model.init_cfg
    assert init.type == 'FirstAvailablePretrained'
    checkpoints = [item.checkpoint for item in init.checkpoints]
    assert checkpoints[0] == AUTHORS_START
    assert checkpoints[1].startswith(MMDET_START)
    assert cfg.model.bbox_head.get('loss_normalizer', 'num_gt') == 'num_gt'
