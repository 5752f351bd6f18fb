"""The parameter-free fusion equals the formula of docs/method.md."""
import importlib

import pytest
import torch

from mmdsct.models.layers import (SubjectContextFusion, fuse_subject_tokens,
                                  make_fusion_plan, subject_context_fusion)


def softmax_sum(query, tokens):
    """sum_j softmax_j(query . t_j) t_j, written out (0 for no tokens)."""
    if not tokens:
        return torch.zeros_like(query)
    logits = torch.stack([query @ t for t in tokens])
    weights = torch.exp(logits) / torch.exp(logits).sum()
    return sum(w * t for w, t in zip(weights, tokens))


def hand_fusion(subject, context, subject_points, context_points, k_sp, k_sm):
    """The update of docs/method.md for one image, one subject at a time."""
    fused = []
    for s, p in zip(subject, subject_points):
        distances = [(p - q).norm().item() for q in context_points]
        nearest = sorted(range(len(context)), key=distances.__getitem__)
        products = [(s @ c).item() for c in context]
        largest = sorted(
            range(len(context)), key=products.__getitem__, reverse=True)
        spatial = [context[j] for j in nearest[:k_sp]]
        semantic = [context[j] for j in largest[:k_sm]]
        fused.append(s + softmax_sum(s, spatial) + softmax_sum(s, semantic) +
                     softmax_sum(s, list(subject)))
    return torch.stack(fused)


def test_fusion_equals_the_formula_on_hand_made_tensors():
    subject = torch.tensor([[[0.5, -1.0], [1.0, 0.25]]])
    context = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.5], [0.3, 0.3],
                             [2.0, -1.0]]])
    subject_points = torch.tensor([[[0.1, 0.1], [0.9, 0.8]]])
    context_points = torch.tensor([[[0.0, 0.0], [0.2, 0.1], [0.5, 0.5],
                                    [0.8, 0.9], [1.0, 1.0]]])
    out = subject_context_fusion(subject, context, subject_points,
                                 context_points, 2, 3)
    expected = hand_fusion(subject[0], context[0], subject_points[0],
                           context_points[0], 2, 3)
    torch.testing.assert_close(out.subject[0], expected)
    # nearest to (0.1, 0.1): context 0 and 1; to (0.9, 0.8): 3 and 4
    assert out.spatial_indices[0].sort(-1).values.tolist() == [[0, 1], [3, 4]]
    # largest products of subject 0 = (0.5, -1): context 4, 0, 3
    assert out.semantic_indices[0, 0].tolist() == [4, 0, 3]


def test_a_token_in_both_sets_counts_in_both_sums():
    subject = torch.tensor([[[1.0, 0.0]]])
    context = torch.tensor([[[2.0, 0.0], [0.0, 1.0]]])
    points = torch.zeros(1, 1, 2)
    context_points = torch.tensor([[[0.0, 0.0], [1.0, 1.0]]])
    out = subject_context_fusion(subject, context, points, context_points, 1,
                                 1)
    # both relations pick context 0 alone (weight 1); subject term: itself
    torch.testing.assert_close(out.subject,
                               torch.tensor([[[1.0 + 2 + 2 + 1, 0.0]]]))


def test_zero_k_leaves_subject_tokens_unchanged():
    subject = torch.randn(2, 3, 4)
    context = torch.randn(2, 7, 4)
    out = subject_context_fusion(subject, context, torch.rand(2, 3, 2),
                                 torch.rand(2, 7, 2), 0, 0)
    assert out.subject is subject
    assert out.spatial_indices.shape == (2, 3, 0)
    assert out.semantic_indices.shape == (2, 3, 0)


def test_only_spatial_relation_when_k_sm_is_zero():
    subject = torch.randn(1, 2, 3)
    context = torch.randn(1, 6, 3)
    points, context_points = torch.rand(1, 2, 2), torch.rand(1, 6, 2)
    out = subject_context_fusion(subject, context, points, context_points, 6,
                                 0)
    # all six context tokens, and no semantic term
    expected = torch.stack([
        s + softmax_sum(s, list(context[0])) +
        softmax_sum(s, list(subject[0])) for s in subject[0]
    ])
    torch.testing.assert_close(out.subject[0], expected)
    assert out.semantic_indices.shape == (1, 2, 0)


def test_batched_images_do_not_mix():
    subject, context = torch.randn(2, 2, 3), torch.randn(2, 5, 3)
    points, context_points = torch.rand(2, 2, 2), torch.rand(2, 5, 2)
    batched = subject_context_fusion(subject, context, points, context_points,
                                     2, 2)
    alone = subject_context_fusion(subject[1:], context[1:], points[1:],
                                   context_points[1:], 2, 2)
    torch.testing.assert_close(batched.subject[1:], alone.subject)


def test_k_larger_than_context_is_refused():
    with pytest.raises(ValueError, match='num_spatial=9'):
        subject_context_fusion(
            torch.randn(1, 2, 3), torch.randn(1, 4, 3), torch.rand(1, 2, 2),
            torch.rand(1, 4, 2), 9, 1)


def random_case(seed, batch_size, num_subject, num_context, dims):
    """Seeded random tokens and reference points, in float64."""
    generator = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(*shape, generator=generator, dtype=torch.float64)

    def rand(*shape):
        return torch.rand(*shape, generator=generator, dtype=torch.float64)

    return (randn(batch_size, num_subject,
                  dims), randn(batch_size, num_context, dims),
            rand(batch_size, num_subject, 2), rand(batch_size, num_context, 2))


@pytest.mark.parametrize('k_sp,k_sm', [(3, 2), (0, 4), (5, 0), (7, 7), (1, 1),
                                       (2, 7)])
@pytest.mark.parametrize('num_subject', [1, 4, 9])
def test_fusion_equals_the_formula_for_every_set_size(k_sp, k_sm, num_subject):
    """Sets shorter and longer than the subject set (the padded slots),
    either relation switched off, one image after another."""
    subject, context, points, context_points = random_case(
        k_sp * 100 + k_sm * 10 + num_subject, 2, num_subject, 7, 5)
    out = subject_context_fusion(subject, context, points, context_points,
                                 k_sp, k_sm)
    for image in range(2):
        expected = hand_fusion(subject[image], context[image], points[image],
                               context_points[image], k_sp, k_sm)
        torch.testing.assert_close(out.subject[image], expected)
    assert out.spatial_indices.shape == (2, num_subject, k_sp)
    assert out.semantic_indices.shape == (2, num_subject, k_sm)


def test_gradients_equal_those_of_the_formula():
    """Training goes through the same function: the gradients with
    respect to both token sets equal those of the written-out formula."""
    subject, context, points, context_points = random_case(3, 1, 3, 8, 4)
    subject.requires_grad_(True)
    context.requires_grad_(True)
    weights = torch.linspace(-1, 1, 3 * 4, dtype=torch.float64).view(3, 4)
    out = subject_context_fusion(subject, context, points, context_points, 3,
                                 2)
    grads = torch.autograd.grad((out.subject[0] * weights).sum(),
                                (subject, context))
    expected = hand_fusion(subject[0], context[0], points[0],
                           context_points[0], 3, 2)
    expected_grads = torch.autograd.grad((expected * weights).sum(),
                                         (subject, context))
    for grad, expected_grad in zip(grads, expected_grads):
        torch.testing.assert_close(grad, expected_grad)


def test_large_dot_products_stay_finite():
    """Each set subtracts its own maximum: the spatial set's logits lying
    far below the semantic set's does not underflow to 0 / 0."""
    subject = torch.tensor([[[10.0, 0.0]]])
    # the nearest context token has a dot product 300 below the largest
    context = torch.tensor([[[-20.0, 0.0], [10.0, 0.0], [-21.0, 0.0]]])
    points = torch.zeros(1, 1, 2)
    context_points = torch.tensor([[[0.0, 0.0], [1.0, 1.0], [0.1, 0.0]]])
    out = subject_context_fusion(subject, context, points, context_points, 1,
                                 1)
    # spatial: context 0 alone (weight 1); semantic: context 1 alone
    torch.testing.assert_close(out.subject,
                               torch.tensor([[[10.0 - 20 + 10 + 10, 0.0]]]))


def test_plan_lays_out_the_sets_in_padded_slots():
    spatial = torch.tensor([[[4, 2, 0]]])
    plan = make_fusion_plan(spatial, 5, 2, torch.float32)
    # slot length 3 (largest set); the semantic indices go in between
    assert plan.segment == 3
    assert plan.index_before.tolist() == [[[4, 2, 0]]]
    # semantic padding, then the subject set (token 5) and its padding
    assert plan.index_after.tolist() == [[[0, 5, 0, 0]]]
    inf = float('-inf')
    assert plan.pad_bias.tolist() == [0, 0, 0, 0, 0, inf, 0, inf, inf]


def test_fusion_module_is_parameter_free_and_checks_k():
    module = SubjectContextFusion(4, 2)
    assert list(module.parameters()) == [] and module.state_dict() == {}
    assert not SubjectContextFusion(0, 0).enabled
    with pytest.raises(ValueError, match='num_semantic_context'):
        SubjectContextFusion(1, -1)


def test_fusion_module_equals_the_function():
    subject, context, points, context_points = random_case(5, 2, 3, 9, 6)
    module = SubjectContextFusion(4, 3)
    plan = module.plan(points, context_points, subject.dtype)
    tokens, semantic = module(torch.cat([context, subject], 1), plan)
    out = subject_context_fusion(subject, context, points, context_points, 4,
                                 3)
    torch.testing.assert_close(tokens[:, 9:], out.subject)
    assert torch.equal(tokens[:, :9], context)
    assert torch.equal(semantic, out.semantic_indices)
    assert torch.equal(plan.spatial_indices, out.spatial_indices)


def test_compile_option_runs_the_fusion_through_torch_compile(monkeypatch):
    """``compile=True`` hands :func:`fuse_subject_tokens` to
    ``torch.compile`` once and calls the result (compiling itself takes
    tens of seconds on a CPU, so torch.compile is replaced here)."""
    module_file = importlib.import_module(
        'mmdsct.models.layers.subject_context_fusion')
    compiled = []

    def fake_compile(fn, **kwargs):
        compiled.append((fn, kwargs))
        return fn

    monkeypatch.setattr(module_file, '_COMPILED', None)
    monkeypatch.setattr(torch, 'compile', fake_compile)
    subject, context, points, context_points = random_case(6, 1, 2, 6, 4)
    module = SubjectContextFusion(2, 2, compile=True)
    plan = module.plan(points, context_points, subject.dtype)
    tokens = torch.cat([context, subject], 1)
    module(tokens, plan)
    module(tokens, plan)
    assert compiled == [(fuse_subject_tokens, dict(dynamic=False))]
