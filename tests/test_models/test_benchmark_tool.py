"""tools/analysis_tools/benchmark.py measures DSCT beside DeformableDETR."""
import csv


def test_benchmark_writes_both_models_side_by_side(tmp_path, repo_root,
                                                   tiny_config,
                                                   python_runner):
    out = tmp_path / 'bench.csv'
    proc = python_runner([
        repo_root / 'tools' / 'analysis_tools' / 'benchmark.py', tiny_config,
        '--shape', 64, 64, '--repeat', 1, '--warmup', 0, '--out', out
    ], cwd=repo_root)
    assert 'DSCT / DeformableDETR forward time (median)' in proc.stdout
    rows = {row['model']: row for row in csv.DictReader(out.open())}
    assert set(rows) == {'DSCT', 'DeformableDETR'}
    assert float(rows['DeformableDETR']['time_vs_deformable_detr']) == 1.0
    for row in rows.values():
        assert float(row['median_ms']) > 0
        assert int(row['params_trainable']) <= int(row['params_total'])
    # same transformer; DSCT's head and extra queries are smaller than an
    # 80-class COCO head on every object query
    assert int(rows['DSCT']['params_total']) < \
        int(rows['DeformableDETR']['params_total'])
