"""The EMOTIC, DSCT-JSON and CAER-S converters on fixtures in the raw
layouts, built in tmp_path."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from PIL import Image

from mmdsct.datasets import (CAERS_CLASSES, EMOTIC_CLASSES, EmotionCocoDataset,
                             emotion_coco_writer)

CONVERTERS = Path(__file__).resolve().parents[2] / 'tools' / \
    'dataset_converters'


def load_tool(name):
    """Import a converter script as a module."""
    spec = importlib.util.spec_from_file_location(name,
                                                  CONVERTERS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_json(path):
    with open(path) as file:
        return json.load(file)


def multi_hot(*names):
    return [int(name in names) for name in EMOTIC_CLASSES]


# ---------------------------------------------------------------- EMOTIC


def struct_array(records):
    """A 1xN MATLAB struct array of ``records`` (dicts with equal keys)."""
    array = np.zeros((1, len(records)),
                     dtype=[(key, object) for key in records[0]])
    for index, record in enumerate(records):
        for key, value in record.items():
            array[0, index][key] = value
    return array


def cell(names):
    """A 1xN MATLAB cell of strings (0x0 when empty)."""
    array = np.empty((1, len(names)) if names else (0, 0), dtype=object)
    for index, name in enumerate(names):
        array[0, index] = name
    return array


def vad_struct(values):
    return struct_array(
        [dict(valence=values[0], arousal=values[1], dominance=values[2])])


def train_person(box, names, vad):
    return dict(
        body_bbox=np.array(box, dtype=float),
        annotations_categories=struct_array([dict(categories=cell(names))]),
        annotations_continuous=vad_struct(vad),
        gender='Female',
        age='Adult')


def eval_person(box, combined, vad, annotators=(('Peace', ), ('Fear', ))):
    return dict(
        body_bbox=np.array(box, dtype=float),
        annotations_categories=struct_array(
            [dict(categories=cell(list(names))) for names in annotators]),
        combined_categories=cell(combined),
        annotations_continuous=struct_array(
            [dict(valence=5, arousal=5, dominance=5) for _ in annotators]),
        combined_continuous=vad_struct(vad),
        gender='Male',
        age='Kid')


def image_entry(filename, folder, size, persons):
    return dict(
        filename=filename,
        folder=folder,
        image_size=struct_array([dict(n_col=size[0], n_row=size[1])]),
        original_database=struct_array([dict(name='mscoco')]),
        person=struct_array(persons))


def emotic_fixture():
    """train: 2 images, 4 people (one without categories, one with a box
    outside the image); val: 1 image, 2 people (one without VAD); test: 1
    image whose only person has no category."""
    train = [
        image_entry('a.jpg', 'mscoco/images', (100, 80), [
            train_person([10, 10, 50, 70], ['Happiness', 'Peace'], [6, 4, 7]),
            train_person([-5, 20, 120, 90], ['Anger'], [2, 8, 3]),
            train_person([1, 1, 5, 5], [], [5, 5, 5]),
        ]),
        image_entry('b.jpg', 'framesdb/images', (60, 40),
                    [train_person([70, 50, 90, 60], ['Fear'], [3, 3, 3])]),
    ]
    val = [
        image_entry('c.jpg', 'ade20k/images', (200, 100), [
            eval_person([0, 0, 50, 50], ['Peace', 'Fear', 'Yearning'],
                        [5.5, 4.5, 6.0]),
            eval_person([60, 0, 90, 50], ['Peace'], [np.nan, 1, 1]),
        ])
    ]
    test = [
        image_entry('d.jpg', 'emodb_small/images', (50, 50),
                    [eval_person([0, 0, 10, 10], [], [5, 5, 5])])
    ]
    return dict(
        train=struct_array(train),
        val=struct_array(val),
        test=struct_array(test))


def test_emotic_converter_boxes_labels_vad_and_counts(tmp_path, capsys):
    tool = load_tool('emotic_to_coco')
    mat_path = tmp_path / 'Annotations.mat'
    scipy.io.savemat(mat_path, emotic_fixture())
    tool.main(['--mat', str(mat_path), '--out-dir', str(tmp_path / 'out')])

    train = read_json(tmp_path / 'out' / 'emotic_train.json')
    assert train['emotion_classes'] == list(EMOTIC_CLASSES)
    assert [i['file_name'] for i in train['images']] == ['mscoco/images/a.jpg']
    assert [a['bbox'] for a in train['annotations']] == [[10, 10, 40, 60],
                                                         [0, 20, 100, 60]]
    assert [a['emotions'] for a in train['annotations']
            ] == [multi_hot('Happiness', 'Peace'),
                  multi_hot('Anger')]
    assert [a['vad'] for a in train['annotations']] == [[6, 4, 7], [2, 8, 3]]
    assert [a['id'] for a in train['annotations']] == [1, 2]

    val = read_json(tmp_path / 'out' / 'emotic_val.json')
    assert len(val['annotations']) == 1
    assert val['annotations'][0]['emotions'] == multi_hot(
        'Peace', 'Fear', 'Yearning')
    assert val['annotations'][0]['vad'] == [5.5, 4.5, 6.0]
    test = read_json(tmp_path / 'out' / 'emotic_test.json')
    assert test['images'] == [] and test['annotations'] == []

    out = capsys.readouterr().out
    assert 'train -> ' in out and 'images: 1' in out and 'subjects: 2' in out
    assert 'skipped people without a categorical label: 1' in out
    assert ('skipped people with a box outside the image or of zero area: 1'
            in out)
    assert 'skipped images left with no person: 1' in out
    assert 'skipped people without a continuous label: 1' in out
    dataset = EmotionCocoDataset(
        ann_file=str(tmp_path / 'out' / 'emotic_train.json'), pipeline=[])
    assert dataset.get_data_info(0)['instances'][1]['vad'] == [2, 8, 3]


def test_emotic_mat_without_expected_keys_fails_clearly(tmp_path):
    tool = load_tool('emotic_to_coco')
    mat_path = tmp_path / 'wrong.mat'
    scipy.io.savemat(mat_path, dict(train=emotic_fixture()['train']))
    with pytest.raises(
            SystemExit,
            match=r"wrong\.mat: lacks the key\(s\) "
            r"\['val', 'test'\]"):
        tool.main(['--mat', str(mat_path), '--out-dir', str(tmp_path)])


def test_emotic_unknown_category_fails_naming_entry(tmp_path):
    tool = load_tool('emotic_to_coco')
    fixture = emotic_fixture()
    fixture['test'] = struct_array([
        image_entry('d.jpg', 'x', (50, 50),
                    [eval_person([0, 0, 10, 10], ['Boredom'], [5, 5, 5])])
    ])
    mat_path = tmp_path / 'Annotations.mat'
    scipy.io.savemat(mat_path, fixture)
    with pytest.raises(
            SystemExit, match=r"test\[0\]: unknown category 'Boredom'"):
        tool.main(['--mat', str(mat_path), '--out-dir', str(tmp_path)])


def test_emotic_missing_or_unreadable_mat_fails(tmp_path):
    tool = load_tool('emotic_to_coco')
    with pytest.raises(SystemExit, match='no such file'):
        tool.main(['--mat', str(tmp_path / 'nope.mat'), '--out-dir', 'x'])
    garbage = tmp_path / 'garbage.mat'
    garbage.write_bytes(b'not a mat file at all')
    with pytest.raises(SystemExit, match='cannot read it as a MATLAB file'):
        tool.main(['--mat', str(garbage), '--out-dir', 'x'])


def test_emotic_person_without_box_field_fails(tmp_path):
    tool = load_tool('emotic_to_coco')
    fixture = emotic_fixture()
    person = train_person([0, 0, 10, 10], ['Fear'], [1, 2, 3])
    person.pop('body_bbox')
    fixture['train'] = struct_array(
        [image_entry('a.jpg', 'x', (50, 50), [person])])
    mat_path = tmp_path / 'Annotations.mat'
    scipy.io.savemat(mat_path, fixture)
    with pytest.raises(
            SystemExit,
            match=r"train\[0\]\.person lacks the field\(s\) "
            r"\['body_bbox'\]"):
        tool.main(['--mat', str(mat_path), '--out-dir', str(tmp_path)])


# -------------------------------------------------------------- DSCT JSON


def dsct_fixture():
    """3 images; 5 subjects: one with label 0, one with a box outside the
    image, one partly outside; annotation ids start at 0 as in the
    release."""

    def ann(ann_id, image_id, bbox, category_id):
        return dict(
            id=ann_id,
            image_id=image_id,
            category_id=category_id,
            bbox=bbox,
            iscrowd=0,
            area=bbox[2] * bbox[3],
            segmentation=[[0, 0, 1, 1]])

    return dict(
        info='emotic',
        license=['none'],
        categories=[],
        images=[
            dict(height=80, width=100, id=1, file_name='mscoco/images/a.jpg'),
            dict(height=50, width=50, id=2, file_name='framesdb/images/b.jpg'),
            dict(height=50, width=50, id=3, file_name='ade20k/images/c.jpg'),
        ],
        annotations=[
            ann(0, 1, [10, 10, 20, 30], 2**25 + 1),  # Affection, Yearning
            ann(1, 1, [90, 70, 20, 20], 2**(25 - 15)),  # Fear, clipped
            ann(2, 2, [5, 5, 10, 10], 0),  # no label
            ann(3, 3, [60, 60, 5, 5], 1),  # outside the image
            ann(4, 2, [1, 2, 3, 4], 2**26 - 1),  # all 26
        ])


def test_dsct_converter_unpacks_bits_and_counts(tmp_path, capsys):
    tool = load_tool('dsct_json_to_coco')
    in_path, out_path = tmp_path / 'in.json', tmp_path / 'out' / 'o.json'
    in_path.write_text(json.dumps(dsct_fixture()))
    tool.main([str(in_path), str(out_path)])
    out = read_json(out_path)
    assert [i['file_name'] for i in out['images']
            ] == ['mscoco/images/a.jpg', 'framesdb/images/b.jpg']
    assert [a['emotions'] for a in out['annotations']] == [
        multi_hot('Affection', 'Yearning'),
        multi_hot('Fear'), [1] * 26
    ]
    assert [a['bbox'] for a in out['annotations']] == [[10, 10, 20, 30],
                                                       [90, 70, 10, 10],
                                                       [1, 2, 3, 4]]
    assert [a['id'] for a in out['annotations']] == [1, 2, 3]
    assert [a['image_id'] for a in out['annotations']] == [1, 1, 2]
    assert 'vad' not in out['annotations'][0]
    printed = capsys.readouterr().out
    assert 'images: 2' in printed and 'subjects: 3' in printed
    assert 'skipped subjects without a label (category_id 0): 1' in printed
    assert ('skipped subjects with a box outside the image or of zero '
            'area: 1') in printed
    assert 'skipped images left with no subject: 1' in printed
    dataset = EmotionCocoDataset(ann_file=str(out_path), pipeline=[])
    assert dataset.metainfo['emotion_classes'] == EMOTIC_CLASSES


def test_unpack_labels_puts_affection_first():
    tool = load_tool('dsct_json_to_coco')
    assert tool.unpack_labels(2**25) == multi_hot('Affection')
    assert tool.unpack_labels(1) == multi_hot('Yearning')
    assert tool.unpack_labels(37773888) == [
        int(bit) for bit in format(37773888, '026b')
    ]


@pytest.mark.parametrize('change, message', [
    (lambda c: c.pop('annotations'), r"lacks the key\(s\) \['annotations'\]"),
    (lambda c: c['annotations'][1].update(category_id=2**26),
     r'annotations\[1\]: category_id must be an int in \[0, 2\*\*26\)'),
    (lambda c: c['annotations'][0].pop('bbox'), r"annotations\[0\] lacks"),
    (lambda c: c['annotations'][0].update(image_id=9),
     'image_id 9 is not among the images'),
    (lambda c: c['images'][0].pop('width'), r"images\[0\] lacks"),
])
def test_dsct_malformed_file_fails_naming_entry(tmp_path, change, message):
    tool = load_tool('dsct_json_to_coco')
    content = dsct_fixture()
    change(content)
    in_path = tmp_path / 'in.json'
    in_path.write_text(json.dumps(content))
    with pytest.raises(SystemExit, match=message) as error:
        tool.main([str(in_path), str(tmp_path / 'o.json')])
    assert 'in.json' in str(error.value)


def test_dsct_not_json_fails(tmp_path):
    tool = load_tool('dsct_json_to_coco')
    in_path = tmp_path / 'in.json'
    in_path.write_text('[1, 2')
    with pytest.raises(SystemExit, match='in.json: cannot read it as JSON'):
        tool.main([str(in_path), str(tmp_path / 'o.json')])


# ----------------------------------------------------------------- CAER-S


def write_png(path, size):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new('RGB', size, (10, 20, 30)).save(path)


def caers_fixture(root):
    """train: Angry/0, Angry/1, Happy/0, Happy/1, Sad/0 (broken file),
    Sad/1 (no box line); test: Fear/0, Neutral/0 (box outside). Box lines
    with a header, a leading root folder, an index label, a repeated
    line and a line for a missing image."""
    for path in [
            'train/Angry/0.png', 'train/Angry/1.png', 'train/Happy/0.png',
            'train/Happy/1.png', 'train/Sad/1.png', 'test/Fear/0.png',
            'test/Neutral/0.png'
    ]:
        write_png(root / path, (40, 30))
    (root / 'train' / 'Sad' / '0.png').write_bytes(b'broken')
    lines = [
        'path,label,x1,y1,x2,y2',
        'CAER-S/train/Angry/0.png,Angry,1,2,11,12',
        'train/Angry/1.png,Anger,-5,-5,10,10',
        'train/Happy/0.png,3,0,0,20,20',
        'train/Happy/1.png,Happy,5,5,15,15',
        'train/Happy/1.png,Happy,6,6,16,16',
        'train/Sad/0.png,Sad,1,1,5,5',
        'test/Fear/0.png,Fear,2,3,30,28',
        'test/Neutral/0.png,Neutral,50,50,60,60',
        'test/Fear/9.png,Fear,1,1,2,2',
    ]
    boxes = root / 'boxes.csv'
    boxes.write_text('\n'.join(lines) + '\n')
    return boxes


def run_caers(tool, root, boxes, out_dir, *extra):
    tool.main([
        '--root',
        str(root), '--boxes',
        str(boxes), '--out-dir',
        str(out_dir), *extra
    ])
    return {
        split: read_json(out_dir / f'caers_{split}.json')
        for split in ('train', 'val', 'test')
    }


def test_caers_converter_boxes_labels_split_and_counts(tmp_path, capsys):
    tool = load_tool('caers_to_coco')
    root = tmp_path / 'CAER-S'
    boxes = caers_fixture(root)
    files = run_caers(tool, root, boxes, tmp_path / 'out', '--val-ratio',
                      '0.25', '--seed', '1')
    train_val = files['train']['images'] + files['val']['images']
    assert sorted(i['file_name'] for i in train_val) == [
        'train/Angry/0.png', 'train/Angry/1.png', 'train/Happy/0.png',
        'train/Happy/1.png'
    ]
    assert len(files['val']['images']) == 1
    by_name = {}
    for split in ('train', 'val', 'test'):
        for image, ann in zip(files[split]['images'],
                              files[split]['annotations']):
            assert ann['image_id'] == image['id']
            by_name[image['file_name']] = ann
    assert by_name['train/Angry/0.png']['bbox'] == [1, 2, 10, 10]
    assert by_name['train/Angry/1.png']['bbox'] == [0, 0, 10, 10]
    assert by_name['train/Happy/1.png']['bbox'] == [5, 5, 10, 10]
    assert by_name['test/Fear/0.png']['bbox'] == [2, 3, 28, 25]
    labels = {name: CAERS_CLASSES[a['emotion']] for name, a in by_name.items()}
    assert labels == {
        'train/Angry/0.png': 'Anger',
        'train/Angry/1.png': 'Anger',
        'train/Happy/0.png': 'Happy',
        'train/Happy/1.png': 'Happy',
        'test/Fear/0.png': 'Fear'
    }
    assert files['test']['images'][0]['width'] == 40
    printed = capsys.readouterr().out
    for expected in [
            'skipped images without a box line: 1',
            'skipped unreadable images: 1',
            'skipped boxes outside the image or of zero area: 1',
            'skipped repeated box lines of an image (first kept): 1',
            'skipped box lines of images not in the tree: 1'
    ]:
        assert expected in printed


def test_caers_whole_image_box_and_label_mismatch(tmp_path, capsys):
    tool = load_tool('caers_to_coco')
    root = tmp_path / 'CAER-S'
    boxes = caers_fixture(root)
    with open(boxes, 'a') as file:
        file.write('train/Sad/1.png,Happy,1,1,5,5\n')
    files = run_caers(tool, root, boxes, tmp_path / 'out', '--val-ratio', '0',
                      '--whole-image-box')
    names = [i['file_name'] for i in files['train']['images']]
    assert 'train/Sad/1.png' not in names
    assert files['val']['images'] == []
    assert ('skipped box lines whose label differs from the folder: 1'
            in capsys.readouterr().out)

    boxes.write_text('train/Angry/0.png,Angry,1,1,5,5\n')
    files = run_caers(tool, root, boxes, tmp_path / 'out2', '--val-ratio', '0',
                      '--whole-image-box')
    by_name = {
        i['file_name']: a
        for i, a in zip(files['train']['images'], files['train']
                        ['annotations'])
    }
    assert by_name['train/Happy/0.png']['bbox'] == [0, 0, 40, 30]
    assert 'train/Sad/0.png' not in by_name  # unreadable, still skipped


@pytest.mark.parametrize('line, message', [
    ('train/Angry/0.png,Angry,1,2,3', r'boxes\.csv:2: expected 6 fields'),
    ('train/Angry/0.png,Angry,1,2,x,4', r'boxes\.csv:2: x1,y1,x2,y2 must be'),
    ('train/Angry/0.png,Bored,1,2,3,4',
     r"boxes\.csv:2: unknown label 'Bored'"),
    ('train/Angry/0.png,7,1,2,3,4', r"boxes\.csv:2: unknown label '7'"),
])
def test_caers_malformed_box_line_fails_naming_line(tmp_path, line, message):
    tool = load_tool('caers_to_coco')
    root = tmp_path / 'CAER-S'
    boxes = caers_fixture(root)
    boxes.write_text('path,label,x1,y1,x2,y2\n' + line + '\n')
    with pytest.raises(SystemExit, match=message):
        run_caers(tool, root, boxes, tmp_path / 'out')


def test_caers_unknown_class_folder_or_missing_split_fails(tmp_path):
    tool = load_tool('caers_to_coco')
    root = tmp_path / 'CAER-S'
    boxes = caers_fixture(root)
    write_png(root / 'test' / 'Bored' / '0.png', (10, 10))
    with pytest.raises(SystemExit, match=r"Bored: unknown class 'Bored'"):
        run_caers(tool, root, boxes, tmp_path / 'out')
    with pytest.raises(SystemExit, match=r'train: no such folder'):
        run_caers(tool, tmp_path / 'empty_root', boxes, tmp_path / 'out')


# ------------------------------------------------ bad values, all-or-nothing


def emotic_mat_with(tmp_path, split, persons, size=(50, 50), **entry):
    """The fixture .mat with ``split`` replaced by one image of
    ``persons``; ``entry`` overrides image fields."""
    fixture = emotic_fixture()
    image = image_entry('x.jpg', 'mscoco/images', size, persons)
    image.update(entry)
    fixture[split] = struct_array([image])
    mat_path = tmp_path / 'Annotations.mat'
    scipy.io.savemat(mat_path, fixture)
    return mat_path


def test_emotic_json_never_holds_nan(tmp_path):
    tool = load_tool('emotic_to_coco')
    mat_path = tmp_path / 'Annotations.mat'
    scipy.io.savemat(mat_path, emotic_fixture())  # val has a NaN valence
    tool.main(['--mat', str(mat_path), '--out-dir', str(tmp_path / 'out')])
    for split in ('train', 'val', 'test'):
        text = (tmp_path / 'out' / f'emotic_{split}.json').read_text()
        assert 'NaN' not in text and 'Infinity' not in text


@pytest.mark.parametrize('person, message', [
    (eval_person([0, np.nan, 10, 10], ['Fear'], [5, 5, 5]),
     r'val\[0\]\.person\[0\]: body_bbox must be 4 finite numbers'),
    (eval_person([0, 0, np.inf, 10], ['Fear'],
                 [5, 5, 5]), 'body_bbox must be 4 finite numbers'),
    (dict(
        eval_person([0, 0, 1, 1], ['Fear'], [5, 5, 5]),
        body_bbox='0 0 10 10'), "body_bbox must be numbers, got '0 0 10 10'"),
    (eval_person([0, 0, 10], ['Fear'],
                 [5, 5, 5]), 'body_bbox must be 4 finite numbers'),
    (eval_person([0, 0, 10, 10], ['Fear'], [np.inf, 5, 5]),
     r'val\[0\]\.person\[0\]: the continuous label \[inf, 5.0, 5.0\] has '
     'an infinite value'),
    (eval_person([0, 0, 10, 10], ['Fear'],
                 ['high', 5, 5]), "valence must be numbers, got 'high'"),
])
def test_emotic_bad_values_fail_naming_the_person(tmp_path, person, message):
    tool = load_tool('emotic_to_coco')
    mat_path = emotic_mat_with(tmp_path, 'val', [person])
    with pytest.raises(SystemExit, match=message) as error:
        tool.main(['--mat', str(mat_path), '--out-dir', str(tmp_path)])
    assert 'Annotations.mat' in str(error.value)
    assert list(tmp_path.glob('*.json')) == []


@pytest.mark.parametrize('entry, message', [
    (dict(image_size=struct_array([dict(n_col='wide', n_row=50)])),
     "image_size.n_col must be numbers, got 'wide'"),
    (dict(image_size=struct_array([dict(n_col=np.nan, n_row=50)])),
     'has image size nanx50; both must be positive integers'),
    (dict(image_size=struct_array([dict(n_col=50.5, n_row=50)])),
     'both must be positive integers'),
    (dict(filename=np.array([1.0, 2.0])), 'filename must be text'),
])
def test_emotic_wrongly_typed_image_fields_fail_naming_the_entry(
        tmp_path, entry, message):
    tool = load_tool('emotic_to_coco')
    person = eval_person([0, 0, 10, 10], ['Fear'], [5, 5, 5])
    mat_path = emotic_mat_with(tmp_path, 'test', [person], **entry)
    with pytest.raises(SystemExit, match=r'test\[0\].*' + message):
        tool.main(['--mat', str(mat_path), '--out-dir', str(tmp_path)])


def test_emotic_failure_in_val_leaves_older_outputs_untouched(tmp_path):
    tool = load_tool('emotic_to_coco')
    out_dir = tmp_path / 'out'
    mat_path = tmp_path / 'Annotations.mat'
    scipy.io.savemat(mat_path, emotic_fixture())
    tool.main(['--mat', str(mat_path), '--out-dir', str(out_dir)])
    before = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    assert sorted(before) == [
        'emotic_test.json', 'emotic_train.json', 'emotic_val.json'
    ]

    fixture = emotic_fixture()
    fixture['train'] = struct_array([
        image_entry('changed.jpg', 'mscoco/images', (50, 50),
                    [train_person([0, 0, 9, 9], ['Fear'], [1, 2, 3])])
    ])
    fixture['val'] = struct_array([
        image_entry('c.jpg', 'ade20k/images', (50, 50),
                    [eval_person([0, 0, np.nan, 5], ['Fear'], [1, 2, 3])])
    ])
    scipy.io.savemat(mat_path, fixture)
    with pytest.raises(SystemExit, match=r'val\[0\]\.person\[0\]'):
        tool.main(['--mat', str(mat_path), '--out-dir', str(out_dir)])
    after = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    assert after == before  # no new train file, no temporary files


def test_failed_write_leaves_no_output_and_older_files(tmp_path, monkeypatch):
    tool = load_tool('emotic_to_coco')
    mat_path = tmp_path / 'Annotations.mat'
    scipy.io.savemat(mat_path, emotic_fixture())
    out_dir = tmp_path / 'out'
    out_dir.mkdir()
    (out_dir / 'emotic_train.json').write_text('older train')
    written = []
    real_write = emotion_coco_writer.atomic_write_bytes

    def fail_on_second(data, path):
        if written:
            raise OSError(28, 'No space left on device')
        written.append(path)
        real_write(data, path)

    monkeypatch.setattr(emotion_coco_writer, 'atomic_write_bytes',
                        fail_on_second)
    with pytest.raises(SystemExit, match='nothing written to .*No space'):
        tool.main(['--mat', str(mat_path), '--out-dir', str(out_dir)])
    assert len(written) == 1
    assert [p.name for p in out_dir.iterdir()] == ['emotic_train.json']
    assert (out_dir / 'emotic_train.json').read_text() == 'older train'


@pytest.mark.parametrize('change, message', [
    (lambda c: c['annotations'][0].update(bbox=[10, np.nan, 20, 30]),
     r'annotations\[0\] \(id 0\) of image 1: bbox must be \[x, y, w, h\], '
     'four finite numbers, got \\[10, nan, 20, 30\\]'),
    (lambda c: c['annotations'][1].update(bbox=[90, 70, np.inf, 20]),
     r'annotations\[1\] \(id 1\) of image 1: bbox must be'),
    (lambda c: c['annotations'][0].update(bbox='10 10 20 30'), 'bbox must be'),
    (lambda c: c['annotations'][0].update(bbox=[10, '10', 20, 30]),
     'bbox must be'),
    (lambda c: c['annotations'][0].update(bbox=dict(x=1)), 'bbox must be'),
    (lambda c: c['annotations'][0].update(image_id='1'),
     r"annotations\[0\] \(id 0\): image_id: an id must be an integer"),
    (lambda c: c['images'][0].update(width='100'),
     r"images\[0\] \(mscoco/images/a.jpg\): width and height must be "
     "positive finite numbers, got '100'x80"),
    (lambda c: c['images'][0].update(height=np.inf), 'got 100xinf'),
    (lambda c: c['images'][1].update(file_name=['b.jpg']),
     r'images\[1\]: file_name must be a non-empty string'),
    (lambda c: c['images'][1].update(id=1), 'image id 1 appears twice'),
    (lambda c: c.update(images=dict(a=1)), 'images must be a list'),
])
def test_dsct_bad_values_fail_naming_entry_and_write_nothing(
        tmp_path, change, message):
    tool = load_tool('dsct_json_to_coco')
    content = dsct_fixture()
    change(content)
    in_path = tmp_path / 'in.json'
    in_path.write_text(json.dumps(content))  # NaN/Infinity as Python does
    out_path = tmp_path / 'out' / 'o.json'
    with pytest.raises(SystemExit, match=message) as error:
        tool.main([str(in_path), str(out_path)])
    assert 'in.json' in str(error.value)
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('coordinates',
                         ['nan,2,11,12', '1,2,inf,12', '1,-inf,11,12'])
def test_caers_non_finite_box_fails_naming_the_line(tmp_path, coordinates):
    tool = load_tool('caers_to_coco')
    root = tmp_path / 'CAER-S'
    boxes = caers_fixture(root)
    lines = boxes.read_text().splitlines()
    lines[1] = f'CAER-S/train/Angry/0.png,Angry,{coordinates}'
    boxes.write_text('\n'.join(lines) + '\n')
    with pytest.raises(
            SystemExit, match=r'boxes\.csv:2: x1,y1,x2,y2 must be finite'):
        run_caers(tool, root, boxes, tmp_path / 'out')
    assert not (tmp_path / 'out').exists()


def test_caers_degenerate_image_is_a_counted_skip(tmp_path, capsys):
    tool = load_tool('caers_to_coco')
    root = tmp_path / 'CAER-S'
    boxes = caers_fixture(root)
    write_png(root / 'test' / 'Fear' / '0.png', (1, 500))
    files = run_caers(tool, root, boxes, tmp_path / 'out')
    names = [i['file_name'] for i in files['test']['images']]
    assert 'test/Fear/0.png' not in names
    assert ('skipped degenerate images (a side under 2 px or thinner than '
            '1:64): 1') in capsys.readouterr().out


def test_caers_failure_leaves_older_outputs_untouched(tmp_path):
    tool = load_tool('caers_to_coco')
    root = tmp_path / 'CAER-S'
    boxes = caers_fixture(root)
    out_dir = tmp_path / 'out'
    run_caers(tool, root, boxes, out_dir)
    before = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    with open(boxes, 'a') as file:
        file.write('train/Happy/0.png,Happy,1,2,3\n')
    with pytest.raises(SystemExit, match='expected 6 fields'):
        run_caers(tool, root, boxes, out_dir)
    assert {p.name: p.read_bytes() for p in out_dir.iterdir()} == before
