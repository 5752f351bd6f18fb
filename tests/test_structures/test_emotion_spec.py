"""EmotionSpec and the facts of the emotion-label contract."""
import pytest

from mmdsct.structures import (EmotionSpec, logits_are_multi_label,
                               num_emotion_logits)

CLASSES = ('Joy', 'Fear', 'Calm')


def test_logit_count_of_each_label_kind():
    assert num_emotion_logits(26, multi_label=True) == 27
    assert num_emotion_logits(7, multi_label=False) == 7
    assert EmotionSpec(CLASSES, multi_label=True).num_logits == 4
    assert EmotionSpec(CLASSES, multi_label=False).num_logits == 3


@pytest.mark.parametrize('num_classes, multi_label', [(26, True), (7, False),
                                                      (1, True), (1, False)])
def test_label_kind_is_read_back_from_the_logit_count(num_classes,
                                                      multi_label):
    num_logits = num_emotion_logits(num_classes, multi_label)
    assert logits_are_multi_label(num_logits, num_classes) is multi_label


def test_other_logit_counts_are_refused():
    with pytest.raises(ValueError, match='5 logits per query fit neither'):
        logits_are_multi_label(5, 3)


def test_metainfo_round_trip_in_plain_types():
    spec = EmotionSpec(['Joy', 'Fear', 'Calm'], False,
                       dict(faces=('Joy', 'Fear')))
    metainfo = spec.to_metainfo()
    assert metainfo == dict(
        emotion_classes=CLASSES,
        multi_label=False,
        emotion_class_groups=dict(faces=['Joy', 'Fear']))
    dataset_meta = dict(metainfo, classes=('person', ))
    assert EmotionSpec.from_metainfo(dataset_meta) == spec
    assert spec.num_classes == 3


@pytest.mark.parametrize('metainfo', [
    None,
    dict(),
    dict(emotion_classes=CLASSES),
    dict(emotion_classes=(), multi_label=True),
    dict(emotion_classes=CLASSES, multi_label=None),
])
def test_incomplete_metainfo_holds_no_spec(metainfo):
    assert EmotionSpec.from_metainfo(metainfo) is None


@pytest.mark.parametrize('classes, multi_label, groups, message', [
    ((), True, {}, 'non-empty list of names'),
    ('Joy', True, {}, 'non-empty list of names'),
    (('Joy', 3), True, {}, 'non-empty list of names'),
    (CLASSES, 'yes', {}, 'multi_label must be True or False'),
    (CLASSES, True, ['Joy'], 'must be an object'),
    (CLASSES, True, dict(g='Joy'), r"\['g'\] must be a list"),
    (CLASSES, True, dict(g=['Rage']), r"names unknown classes \['Rage'\]"),
])
def test_malformed_specs_are_refused(classes, multi_label, groups, message):
    with pytest.raises(ValueError, match=message):
        EmotionSpec(classes, multi_label, groups)
