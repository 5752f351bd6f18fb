"""Each fact of the emotion-label contract is written down once, in
mmdsct.structures; the rest of the package and the tools import it."""
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((REPO_ROOT / 'mmdsct').rglob('*.py')) + sorted(
    (REPO_ROOT / 'tools').rglob('*.py'))

FACTS = {
    'subject label': (r'^\s*SUBJECT_LABEL\s*=', 'emotion_spec.py'),
    'VAD dimension names':
    (r"""['"]valence['"],\s*['"]arousal['"]""", 'emotion_spec.py'),
    'VAD width': (r'^\s*\w*VAD_(VALUES|WIDTH|DIMENSIONS)\s*=\s*(\d|len)',
                  'emotion_spec.py'),
    'logit count': (r'\+\s*int\(\s*[\w.]*multi_label\s*\)', 'emotion_spec.py'),
    'EMOTIC class names': (r'^EMOTIC_CLASSES\s*=', 'emotion_classes.py'),
    'CAER-S class names': (r'^CAERS_CLASSES\s*=', 'emotion_classes.py'),
    'per-subject emotions key':
    (r"""^\w+\s*=\s*['"]emotions['"]""", 'emotion_spec.py'),
    'per-subject VAD key': (r"""^\w+\s*=\s*['"]vad['"]""", 'emotion_spec.py'),
    'single-label field':
    (r"""^\w+\s*=\s*['"]emotion['"]""", 'annotation_format.py'),
    'person category id': (r'^PERSON_CATEGORY_ID\s*=', 'annotation_format.py'),
    'annotation file reading':
    (r'json\.load\(.*\)\s*$', 'annotation_format.py'),
}


def files_matching(pattern):
    regex = re.compile(pattern, re.MULTILINE)
    return [
        path.name for path in SOURCES
        if regex.search(path.read_text(encoding='utf-8'))
    ]


@pytest.mark.parametrize('fact',
                         sorted(set(FACTS) - {'annotation file reading'}))
def test_fact_is_defined_in_one_place(fact):
    pattern, home = FACTS[fact]
    assert files_matching(pattern) == [home]


def test_only_the_parser_and_the_raw_release_readers_load_json():
    """Annotation files of our format are read by the parser alone; the
    other JSON readers read the authors' release, reports or logs."""
    pattern, home = FACTS['annotation file reading']
    readers = set(files_matching(pattern))
    assert home in readers
    assert not readers & {
        'emotion_coco.py', 'label_prevalence.py', 'emotion_coco_writer.py'
    }
