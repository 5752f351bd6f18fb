"""The model zoo's index: every metafile, config and README link it names
exists, and the figures of the synthetic models are those of the README."""
import re

import pytest
from mmengine.fileio import load

REQUIRED_MODEL_KEYS = ('Name', 'In Collection', 'Config', 'Metadata',
                       'Results')


@pytest.fixture(scope='module')
def index(repo_root):
    return load(str(repo_root / 'model-index.yml'))


@pytest.fixture(scope='module')
def metafiles(repo_root, index):
    return {path: load(str(repo_root / path)) for path in index['Import']}


def test_index_imports_every_metafile(repo_root, index):
    found = sorted(
        str(p.relative_to(repo_root))
        for p in (repo_root / 'configs').glob('*/metafile.yml'))
    assert sorted(index['Import']) == found


def test_models_are_complete_and_point_at_files(repo_root, metafiles):
    names = []
    for path, meta in metafiles.items():
        collections = {c['Name'] for c in meta['Collections']}
        for collection in meta['Collections']:
            assert (repo_root / collection['README']).is_file(), path
            assert collection['Paper']['URL'].startswith('https://'), path
        for model in meta['Models']:
            for key in REQUIRED_MODEL_KEYS:
                assert key in model, f'{path}: {model.get("Name")} lacks {key}'
            assert model['In Collection'] in collections
            assert (repo_root / model['Config']).is_file(), model['Config']
            for result in model['Results']:
                assert result['Task'] and result['Dataset']
                assert all(
                    isinstance(v, float) for v in result['Metrics'].values())
            names.append(model['Name'])
    assert len(names) == len(set(names)), 'model names must be unique'


def test_weights_are_urls_or_local_files_of_the_readme(repo_root, metafiles):
    readme = (repo_root / 'README.md').read_text(encoding='utf-8')
    zoo = ''.join(
        path.read_text(encoding='utf-8')
        for path in sorted((repo_root / 'configs').glob('*/README.md')))
    for meta in metafiles.values():
        for model in meta['Models']:
            weights = model.get('Weights')
            if weights is None:  # converted models without a public URL
                assert 'Converted From' in model, model['Name']
                continue
            if '://' not in weights:
                # a local file that a documented command writes
                assert weights in readme + zoo, weights


def test_readme_links_of_the_zoo_exist(repo_root):
    readmes = sorted((repo_root / 'configs').glob('*/README.md'))
    assert len(readmes) >= 2
    for readme in readmes:
        text = readme.read_text(encoding='utf-8')
        for link in re.findall(r'\]\(([^)#:]+\.(?:py|md))', text):
            assert readme.parent.joinpath(link).is_file(), \
                f'{readme} links {link}'
