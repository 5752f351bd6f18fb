"""tools/model_converters/publish_model.py on small hand-made checkpoints."""
import hashlib
import importlib.util
import re
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmdsct.utils import UnsafeCheckpointError, load_from_local_weights_only

TOOL = (
    Path(__file__).resolve().parents[2] / 'tools' / 'model_converters' /
    'publish_model.py')
RUN_TIMESTAMP = '20240102_030405'
SAVE_TIMESTAMP = '20240103_101112'


@pytest.fixture(scope='module')
def publish_tool():
    spec = importlib.util.spec_from_file_location('publish_model', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def training_checkpoint():
    """What mmengine's runner saves, in miniature."""
    return dict(
        meta=dict(
            experiment_name=f'dsct_tiny_synth_{RUN_TIMESTAMP}',
            time=SAVE_TIMESTAMP,
            iter=2,
            dataset_meta=dict(emotion_classes=('Anger', 'Joy'))),
        state_dict=OrderedDict(
            weight=torch.arange(6, dtype=torch.float32).reshape(2, 3),
            bias=torch.ones(2)),
        optimizer=dict(state={}, param_groups=[dict(lr=1e-4, params=[0])]),
        param_schedulers=[dict(milestones={3: 1}, gamma=0.1)],
        message_hub=dict(
            log_scalars={'train/loss': HistoryBuffer([1.0, 0.5], [1, 1])},
            runtime_info=dict(iter=2)))


def save(obj, path):
    torch.save(obj, path)
    return str(path)


def test_publish_strips_training_state_and_names_by_hash(
        publish_tool, tmp_path, capsys):
    source = save(training_checkpoint(), tmp_path / 'iter_2.pth')
    out_dir = tmp_path / 'published'

    path = Path(publish_tool.main([source, str(out_dir / 'dsct_tiny.pth')]))

    assert re.fullmatch(rf'dsct_tiny_{RUN_TIMESTAMP}-[0-9a-f]{{8}}\.pth',
                        path.name), path.name
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert path.name.endswith(f'-{digest[:8]}.pth')
    assert str(path.resolve()) in capsys.readouterr().out
    published = load_from_local_weights_only(str(path))
    assert set(published) == {'meta', 'state_dict'}
    assert published['meta']['dataset_meta']['emotion_classes'] == ('Anger',
                                                                    'Joy')
    assert torch.equal(published['state_dict']['weight'],
                       training_checkpoint()['state_dict']['weight'])
    # written atomically: no temporary file left beside it
    assert sorted(p.name for p in out_dir.iterdir()) == [path.name]


def test_timestamp_falls_back_to_save_time_then_option(publish_tool, tmp_path):
    checkpoint = training_checkpoint()
    del checkpoint['meta']['experiment_name']
    source = save(checkpoint, tmp_path / 'epoch_1.pth')

    from_meta = publish_tool.publish(source, str(tmp_path / 'a.pth'))
    forced = publish_tool.main(
        [source,
         str(tmp_path / 'b.pth'), '--timestamp', '20991231_235959'])

    assert Path(from_meta).name.startswith(f'a_{SAVE_TIMESTAMP}-')
    assert Path(forced).name.startswith('b_20991231_235959-')


def test_bare_state_dict_becomes_state_dict_entry(publish_tool, tmp_path):
    source = save(OrderedDict(weight=torch.zeros(3)), tmp_path / 'weights.pth')

    path = publish_tool.main(
        [source, str(tmp_path / 'm.pth'), '--timestamp', RUN_TIMESTAMP])

    published = load_from_local_weights_only(path)
    assert list(published) == ['state_dict']
    assert torch.equal(published['state_dict']['weight'], torch.zeros(3))


def test_save_keys_keep_what_is_asked(publish_tool, tmp_path):
    source = save(training_checkpoint(), tmp_path / 'iter_2.pth')

    path = publish_tool.main([
        source,
        str(tmp_path / 'm.pth'), '--save-keys', 'state_dict', 'message_hub'
    ])

    assert set(
        load_from_local_weights_only(path)) == {'state_dict', 'message_hub'}


def test_unsafe_checkpoint_is_refused(publish_tool, tmp_path):
    checkpoint = training_checkpoint()
    checkpoint['meta']['callback'] = print  # unpickling it could run code
    source = save(checkpoint, tmp_path / 'evil.pth')

    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        publish_tool.main([source, str(tmp_path / 'm.pth')])
    assert not (tmp_path / 'm.pth').exists()


def test_not_a_checkpoint_and_bad_arguments(publish_tool, tmp_path):
    source = save(dict(meta={}, epoch=3), tmp_path / 'no_weights.pth')
    with pytest.raises(ValueError, match='no "state_dict"'):
        publish_tool.main([source, str(tmp_path / 'm.pth')])
    with pytest.raises(SystemExit):
        publish_tool.main([source, str(tmp_path / 'm.ckpt')])
    with pytest.raises(SystemExit):
        publish_tool.main(
            [source,
             str(tmp_path / 'm.pth'), '--timestamp', '2024-01-02'])
