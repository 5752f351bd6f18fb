"""EmotionCocoWriter never writes NaN; several files are written together,
all or none."""
import json
import math

import numpy as np
import pytest

from mmdsct.datasets import (EmotionCocoWriter, clip_box_xyxy,
                             emotion_coco_writer, write_annotation_files)


def make_writer(name='a.png'):
    writer = EmotionCocoWriter(['Joy', 'Fear'], multi_label=True)
    image_id = writer.add_image(name, 40, 30)
    writer.add_subject(
        image_id, (1, 2, 11, 12), emotions=[1, 0], vad=[1, 2, 3])
    return writer


@pytest.mark.parametrize('box', [(math.nan, 0, 5, 5), (0, 0, math.inf, 5),
                                 (0, -math.inf, 5, 5)])
def test_non_finite_boxes_are_errors_not_clipped(box):
    with pytest.raises(ValueError, match='non-finite'):
        clip_box_xyxy(box, 40, 30)
    writer = make_writer()
    with pytest.raises(ValueError, match='of image 1 has a non-finite'):
        writer.add_subject(1, box, emotions=[0, 1])


def test_non_finite_vad_and_sizes_are_refused():
    writer = make_writer()
    with pytest.raises(ValueError, match='VAD .* non-finite'):
        writer.add_subject(
            1, (0, 0, 5, 5), emotions=[0, 1], vad=[math.nan, 1, 2])
    with pytest.raises(ValueError, match='size nanx30'):
        writer.add_image('b.png', math.nan, 30)
    assert writer.add_image('c.png', np.int64(40), np.int64(30)) == 2


def test_json_never_holds_nan(tmp_path):
    writer = make_writer()
    writer.extra_fields['info'] = dict(score=math.nan)
    with pytest.raises(ValueError, match='not JSON compliant'):
        write_annotation_files({str(tmp_path / 'a.json'): writer})
    assert list(tmp_path.iterdir()) == []


def test_files_are_written_together(tmp_path):
    paths = [tmp_path / 'out' / f'{split}.json' for split in ('a', 'b')]
    write_annotation_files({str(path): make_writer() for path in paths})
    for path in paths:
        assert json.loads(
            path.read_text())['images'][0]['file_name'] == ('a.png')
    assert sorted(
        p.name for p in (tmp_path / 'out').iterdir()) == ['a.json', 'b.json']


def test_failed_write_keeps_older_files_and_leaves_no_temporaries(
        tmp_path, monkeypatch):
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'a.json').write_text('older a')
    calls = []
    real_write = emotion_coco_writer.atomic_write_bytes

    def fail_on_second(data, path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, 'No space left on device')
        real_write(data, path)

    monkeypatch.setattr(emotion_coco_writer, 'atomic_write_bytes',
                        fail_on_second)
    with pytest.raises(OSError, match='No space'):
        write_annotation_files({
            str(out / 'a.json'): make_writer('new.png'),
            str(out / 'b.json'): make_writer('new.png')
        })
    assert [p.name for p in out.iterdir()] == ['a.json']
    assert (out / 'a.json').read_text() == 'older a'


def test_dump_is_one_file_of_the_same(tmp_path):
    path = tmp_path / 'deep' / 'x.json'
    make_writer().dump(str(path))
    assert json.loads(path.read_text())['annotations'][0]['vad'] == [1, 2, 3]
    assert [p.name for p in path.parent.iterdir()] == ['x.json']
