"""The parameter-free fusion equals the formula of docs/method.md."""
import pytest
import torch

from mmdsct.models.layers import subject_context_fusion


def softmax_sum(query, tokens):
    """sum_j softmax_j(query . t_j) t_j, written out."""
    logits = torch.stack([query @ t for t in tokens])
    weights = torch.exp(logits) / torch.exp(logits).sum()
    return sum(w * t for w, t in zip(weights, tokens))


def hand_fusion(subject, context, subject_points, context_points, k_sp,
                k_sm):
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
    context = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.5],
                             [0.3, 0.3], [2.0, -1.0]]])
    subject_points = torch.tensor([[[0.1, 0.1], [0.9, 0.8]]])
    context_points = torch.tensor([[[0.0, 0.0], [0.2, 0.1], [0.5, 0.5],
                                    [0.8, 0.9], [1.0, 1.0]]])
    out = subject_context_fusion(subject, context, subject_points,
                                 context_points, 2, 3)
    expected = hand_fusion(subject[0], context[0], subject_points[0],
                           context_points[0], 2, 3)
    torch.testing.assert_close(out.subject[0], expected)
    # nearest to (0.1, 0.1): context 0 and 1; to (0.9, 0.8): 3 and 4
    assert out.spatial_indices[0].sort(-1).values.tolist() == [[0, 1],
                                                               [3, 4]]
    # largest products of subject 0 = (0.5, -1): context 4, 0, 3
    assert out.semantic_indices[0, 0].tolist() == [4, 0, 3]


def test_a_token_in_both_sets_counts_in_both_sums():
    subject = torch.tensor([[[1.0, 0.0]]])
    context = torch.tensor([[[2.0, 0.0], [0.0, 1.0]]])
    points = torch.zeros(1, 1, 2)
    context_points = torch.tensor([[[0.0, 0.0], [1.0, 1.0]]])
    out = subject_context_fusion(subject, context, points, context_points,
                                 1, 1)
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
    out = subject_context_fusion(subject, context, points, context_points,
                                 6, 0)
    # all six context tokens, and no semantic term
    expected = torch.stack([
        s + softmax_sum(s, list(context[0])) + softmax_sum(s, list(
            subject[0])) for s in subject[0]
    ])
    torch.testing.assert_close(out.subject[0], expected)
    assert out.semantic_indices.shape == (1, 2, 0)


def test_batched_images_do_not_mix():
    subject, context = torch.randn(2, 2, 3), torch.randn(2, 5, 3)
    points, context_points = torch.rand(2, 2, 2), torch.rand(2, 5, 2)
    batched = subject_context_fusion(subject, context, points,
                                     context_points, 2, 2)
    alone = subject_context_fusion(subject[1:], context[1:], points[1:],
                                   context_points[1:], 2, 2)
    torch.testing.assert_close(batched.subject[1:], alone.subject)


def test_k_larger_than_context_is_refused():
    with pytest.raises(ValueError, match='num_spatial=9'):
        subject_context_fusion(
            torch.randn(1, 2, 3), torch.randn(1, 4, 3), torch.rand(1, 2, 2),
            torch.rand(1, 4, 2), 9, 1)
