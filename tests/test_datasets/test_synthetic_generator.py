"""generate_dataset writes both splits together: a failed run leaves an
older dataset as it was and no temporary files."""
import json

import pytest

from mmdsct.datasets.synthetic import generate_dataset, generator


def snapshot(root):
    """{relative path: bytes} of every file under ``root``."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob('*')) if path.is_file()
    }


def test_new_run_replaces_the_older_dataset(tmp_path):
    generate_dataset(str(tmp_path), 3, 2, seed=0, image_size=64)
    generate_dataset(str(tmp_path), 2, 1, seed=1, image_size=64)
    files = snapshot(tmp_path)
    assert sorted(files) == [
        'annotations/synth_test.json', 'annotations/synth_train.json',
        'images/test/000000.png', 'images/train/000000.png',
        'images/train/000001.png'
    ]
    train = json.loads(files['annotations/synth_train.json'])
    assert train['info']['seed'] == 1


def test_failure_in_the_test_split_leaves_the_older_dataset(
        tmp_path, monkeypatch):
    generate_dataset(str(tmp_path), 3, 2, seed=0, image_size=64)
    before = snapshot(tmp_path)
    real_split = generator.generate_split

    def fail_on_test(out_dir, split, *args, **kwargs):
        if split == 'test':
            raise OSError(28, 'No space left on device')
        return real_split(out_dir, split, *args, **kwargs)

    monkeypatch.setattr(generator, 'generate_split', fail_on_test)
    with pytest.raises(OSError, match='No space'):
        generate_dataset(str(tmp_path), 4, 2, seed=5, image_size=64)
    assert snapshot(tmp_path) == before
    assert sorted(p.name
                  for p in tmp_path.iterdir()) == ['annotations', 'images']


def test_failure_on_a_fresh_folder_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(generator, 'render_scene', _raise_interrupt)
    with pytest.raises(KeyboardInterrupt):
        generate_dataset(str(tmp_path / 'synth'), 2, 1, seed=0, image_size=64)
    assert list((tmp_path / 'synth').iterdir()) == []


def _raise_interrupt(*args, **kwargs):
    raise KeyboardInterrupt
