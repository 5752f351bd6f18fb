"""tools/analysis_tools/profile_forward.py and
mmdsct.utils.benchmark.profile."""
import importlib.util

import pytest
import torch
from torch import nn

from mmdsct.utils.benchmark.profile import (PYTHON_OP, ROOT_SCOPE, OpTime,
                                            comparison_tables, default_scopes,
                                            labelled_modules, op_totals,
                                            profile_forward, scope_name,
                                            scope_totals)
from mmdsct.utils.benchmark.subject_boxes import make_subject_batch


@pytest.fixture(scope='module')
def profile_tool(repo_root):
    """The tool's module, imported from its file."""
    path = repo_root / 'tools' / 'analysis_tools' / 'profile_forward.py'
    spec = importlib.util.spec_from_file_location('profile_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TwoSteps(nn.Module):
    """A detector-like module: predict mode runs ``first`` then
    ``second``, each a linear layer with a known operator."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.first = nn.Linear(4, 4)
        self.second = nn.Linear(4, 4)

    def forward(self, inputs, samples, mode='predict'):
        hidden = self.first(inputs.flatten(1)[:, :4])
        return torch.relu(self.second(hidden)).sum()


def test_scope_names_merge_the_layers():
    assert scope_name('decoder.layers.3.fusion') == 'decoder.layers.*.fusion'
    assert scope_name('backbone.layer1.0.conv1') == 'backbone.layer1.0.conv1'


def test_default_scopes_are_children_and_layer_parts():

    class Layer(nn.Module):

        def __init__(self):
            super().__init__()
            self.ffn = nn.Linear(2, 2)
            self.fusion = nn.Identity()

    class Coder(nn.Module):

        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([Layer(), Layer()])

    model = nn.Module()
    model.backbone = nn.Linear(2, 2)
    model.decoder = Coder()
    assert default_scopes(model) == [
        'backbone', 'decoder', 'decoder.layers.0.ffn',
        'decoder.layers.0.fusion', 'decoder.layers.1.ffn',
        'decoder.layers.1.fusion'
    ]


def test_each_operator_is_charged_to_its_innermost_module():
    model = TwoSteps().eval()
    batch = make_subject_batch((2, 2), 1, 1, 'cpu')
    times = profile_forward(model, batch, 2, 'cpu', ['first', 'second'])
    assert set(times) == {'first', 'second', ROOT_SCOPE}
    # each linear layer runs one addmm per pass; relu and sum run outside
    assert times['first']['aten::addmm'].calls == 1
    assert times['second']['aten::addmm'].calls == 1
    assert times['first']['aten::addmm'].top_level_calls == 0
    assert times['first']['aten::linear'].top_level_calls == 1
    assert 'aten::relu' in times[ROOT_SCOPE]
    assert 'aten::relu' not in times['second']
    assert times['first'][PYTHON_OP].calls == 0
    totals = scope_totals(times)
    assert totals['first'].cpu_us > 0
    assert op_totals(times)['aten::addmm'].calls == 2


def test_labels_are_removed_after_profiling():
    model = TwoSteps()
    with labelled_modules(model, ['first']):
        assert len(model.first._forward_pre_hooks) == 1
    assert not model.first._forward_pre_hooks
    assert not model.first._forward_hooks


def test_comparison_tables_show_both_models_and_the_difference():
    times = {
        'A': {
            'decoder': {
                'aten::bmm': OpTime(2, 30.0, 0.0, 2)
            },
            'fusion': {
                'aten::topk': OpTime(1, 10.0, 0.0, 1)
            }
        },
        'B': {
            'decoder': {
                'aten::bmm': OpTime(1, 10.0, 0.0, 1)
            }
        }
    }
    lines = comparison_tables(times, 'A', 'B', focus_scopes=['fusion'])
    text = '\n'.join(lines)
    assert '| `decoder` | 0.030 | 0.010 | 0.020 | 2 (2) | 1 (1) |' in text
    assert '| **total** | **0.040** | **0.010** | **0.030** | | |' in text
    assert '| `aten::bmm` | 2 | 1 | 30.0 | 10.0 | 20.0 |' in text
    assert 'Operators of `fusion`' in text
    assert '| `aten::topk` | 1 (1) | 10.0 | 0 (0) | 0.0 |' in text


def test_tool_writes_the_report_with_the_fusion(tmp_path, profile_tool,
                                                tiny_config, capsys):
    threads = torch.get_num_threads()
    out = tmp_path / 'profile.md'
    try:
        profile_tool.main([
            str(tiny_config), '--shape', '64', '64', '--passes', '1',
            '--warmup', '0', '--threads', '1', '--out',
            str(out)
        ])
    finally:
        torch.set_num_threads(threads)
    text = out.read_text()
    assert text.startswith('# Profile: one forward pass, DSCT against '
                           'DeformableDETR')
    assert 'profile_forward.py' in text and '--passes 1' in text
    assert '| `decoder.layers.*.fusion` |' in text
    assert 'Operators of `decoder.layers.*.fusion`' in text
    # the fusion runs topk (the semantic relation) in every decoder layer
    fusion_rows = text.split('Operators of `decoder.layers.*.fusion`')[1]
    assert '| `aten::topk` | 2 (2) |' in fusion_rows.split('Operators')[0]
    assert 'Wrote' in capsys.readouterr().out


def test_gpu_kernel_time_gets_a_table_of_its_own():
    times = {
        'A': {
            'decoder': {
                'aten::bmm': OpTime(1, 5.0, 40.0, 1)
            }
        },
        'B': {
            'decoder': {
                'aten::bmm': OpTime(1, 5.0, 10.0, 1)
            }
        }
    }
    text = '\n'.join(comparison_tables(times, 'A', 'B'))
    assert '| scope | A GPU ms | B GPU ms | difference ms |' in text
    assert '| `decoder` | 0.040 | 0.010 | 0.030 |' in text
    cpu_only = {
        name: {
            'decoder': {
                'aten::bmm': OpTime(1, 5.0, 0.0, 1)
            }
        }
        for name in 'AB'
    }
    assert 'GPU ms' not in '\n'.join(comparison_tables(cpu_only, 'A', 'B'))
