"""EmotionMetric in a 2-process (gloo, CPU) evaluation: each rank sees half
of the images, rank 0 gathers them and must report what one process
reports on all of them."""
import json
import os
import pickle
import socket
import subprocess
import sys

import pytest

from mmdsct.evaluation import EmotionMetric

WORLD_SIZE = 2
WORKER = '''
import json, pickle, sys
import torch.distributed as dist
from mmengine.dist import get_rank, get_world_size
from mmdsct.evaluation import EmotionMetric

dist.init_process_group('gloo')
with open(sys.argv[1], 'rb') as f:
    samples, meta = pickle.load(f)
metric = EmotionMetric(out_dir=sys.argv[2])
metric.dataset_meta = meta
# the order of mmengine's DefaultSampler without shuffling
metric.process({}, samples[get_rank()::get_world_size()])
figures = metric.evaluate(len(samples))
with open(f'{sys.argv[2]}/figures_rank{get_rank()}.json', 'w') as f:
    json.dump(figures, f)
dist.destroy_process_group()
'''


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def rank_env(rank, port):
    """The environment torchrun would give rank ``rank``."""
    return dict(
        os.environ,
        OMP_NUM_THREADS='1',
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(port),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(WORLD_SIZE))


def test_two_ranks_report_what_one_process_reports(tmp_path,
                                                   multi_label_samples,
                                                   multi_label_meta):
    samples = [sample.to_dict() for sample in multi_label_samples]
    single = EmotionMetric(out_dir=str(tmp_path / 'single'))
    single.dataset_meta = multi_label_meta
    single.process({}, samples)
    expected = single.evaluate(len(samples))

    (tmp_path / 'worker.py').write_text(WORKER)
    with open(tmp_path / 'samples.pkl', 'wb') as f:
        pickle.dump((samples, multi_label_meta), f)
    out_dir = tmp_path / 'dist'
    out_dir.mkdir()
    port = free_port()
    procs = [
        subprocess.Popen([
            sys.executable,
            str(tmp_path / 'worker.py'),
            str(tmp_path / 'samples.pkl'),
            str(out_dir)
        ],
                         env=rank_env(rank, port),
                         stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT,
                         text=True) for rank in range(WORLD_SIZE)
    ]
    for proc in procs:
        output, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, output[-3000:]
    for rank in range(WORLD_SIZE):  # rank 0 computes and broadcasts
        figures = json.loads(
            (out_dir / f'figures_rank{rank}.json').read_text())
        assert figures.keys() == expected.keys()
        for key, value in expected.items():
            assert figures[key] == pytest.approx(value, nan_ok=True), key
    report = json.loads((out_dir / 'emotion_metrics.json').read_text())
    assert report['counts']['images'] == len(samples)
