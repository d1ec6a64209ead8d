"""The Permutation-Optimisation (PO) module of Zhang, Hare & Prügel-Bennett (ICLR 2019).

A set of N elements is turned into a sequence by gradient descent on a soft permutation matrix
`A` (N × N, `A[i, q]` = how much element `i` goes to position `q`). The total cost of an
ordering is built from a learned pairwise comparator `C[i, j] = F(x_i, x_j)`, antisymmetric by
construction (`F(a, b) = f(a, b) − f(b, a)`):

    c(A) = Σ_{i,j} C[i, j] Σ_q A[i, q] (Σ_{k>q} A[j, k] − Σ_{k<q} A[j, k])

i.e. element `i` placed before element `j` costs `C[i, j]`. Because `C` is antisymmetric the
gradient is `∂c/∂A = 2 C W` with `W[j, q] = Σ_{k>q} A[j, k] − Σ_{k<q} A[j, k]`, which
`assignment_cost_grad` computes in closed form. Each inner step takes that gradient at the
Sinkhorn-normalised matrix and descends on the unnormalised logits, as the authors do.

Every function here is pure (tensors in, tensors out) so that each piece is unit-tested.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import nn


def sinkhorn(logits: torch.Tensor, temperature: float = 1.0, iterations: int = 4) -> torch.Tensor:
    """Soft permutation from logits: a softmax over positions, then alternate row and column
    normalisation. After the last iteration columns sum to 1 exactly, rows approximately."""
    a = torch.softmax(logits / temperature, dim=-1)
    for _ in range(iterations):
        a = a / a.sum(dim=-1, keepdim=True).clamp_min(1e-12)
        a = a / a.sum(dim=-2, keepdim=True).clamp_min(1e-12)
    return a


def ordering_cost(assignment: torch.Tensor, cost: torch.Tensor) -> torch.Tensor:
    """c(A) per set (the objective the inner loop minimises), for tests and diagnostics."""
    later = assignment.flip(-1).cumsum(-1).flip(-1) - assignment  # Σ_{k>q} A[j, k]
    earlier = assignment.cumsum(-1) - assignment  # Σ_{k<q} A[j, k]
    return torch.einsum("bij,biq,bjq->b", cost, assignment, later - earlier)


def assignment_cost_grad(assignment: torch.Tensor, cost: torch.Tensor) -> torch.Tensor:
    """Closed-form ∂c/∂A for an antisymmetric cost: 2 C W, W = (later mass − earlier mass)."""
    cumulative = assignment.cumsum(-1)
    later = assignment.sum(-1, keepdim=True) - cumulative  # Σ_{k>q} A[j, k]
    earlier = cumulative - assignment  # Σ_{k<q} A[j, k]
    return 2 * torch.bmm(cost, later - earlier)


def optimise_assignment(
    cost: torch.Tensor,
    steps: int,
    lr: torch.Tensor | float,
    temperature: float = 1.0,
    sinkhorn_iterations: int = 4,
) -> torch.Tensor:
    """Run `steps` gradient steps from the uniform assignment; returns the normalised matrix.

    The cost matrix is first scaled to unit Frobenius norm per set (only its direction matters),
    so one inner learning rate suits every set size and input range.
    """
    scale = cost.flatten(1).norm(dim=1).clamp_min(1e-10)
    cost = cost / scale[:, None, None]
    logits = cost.new_zeros(cost.shape)
    for _ in range(steps):
        soft = sinkhorn(logits, temperature, sinkhorn_iterations)
        logits = logits - lr * assignment_cost_grad(soft, cost)
    return sinkhorn(logits, temperature, sinkhorn_iterations)


def apply_assignment(x: torch.Tensor, assignment: torch.Tensor) -> torch.Tensor:
    """Reorder a batch of sets of scalars: position q receives Σ_i A[i, q] x_i."""
    return torch.einsum("biq,bi->bq", assignment, x)


def hungarian_round(assignment: torch.Tensor) -> torch.Tensor:
    """Nearest hard permutation per set (maximum total weight); returns, for each position q,
    the index of the element placed there (shape batch × N, on the input's device)."""
    weights = assignment.detach().to("cpu", torch.float64).numpy()
    orders = []
    for matrix in weights:
        # rows are positions, columns elements: the result is the element at each position
        _, element = linear_sum_assignment(-matrix.T)
        orders.append(element)
    return torch.as_tensor(np.stack(orders), device=assignment.device)


def sorted_exactly(order: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Per set: does the rounded order equal the ascending sort of x? (bool tensor)."""
    return (order == x.argsort(dim=-1)).all(dim=-1)


class PairwiseComparator(nn.Module):
    """F(a, b) = f(a, b) − f(b, a) for every ordered pair of a set of scalars.

    f is two 1×1 convolutions over the pair channels (2 → hidden → 1) with a ReLU between,
    the authors' comparator; F is antisymmetric by construction. f is evaluated once per pair
    and F read off as f − fᵀ, which is the same function as evaluating f twice.
    """

    def __init__(self, hidden: int = 16) -> None:
        super().__init__()
        self.f = nn.Sequential(nn.Conv1d(2, hidden, 1), nn.ReLU(), nn.Conv1d(hidden, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, n = x.shape
        first = x[:, :, None].expand(batch, n, n)
        second = x[:, None, :].expand(batch, n, n)
        pairs = torch.stack([first, second], dim=1).reshape(batch, 2, n * n)
        f = self.f(pairs).view(batch, n, n)  # f[b, i, j] = f(x_i, x_j)
        return f - f.transpose(1, 2)


class PermutationOptimiser(nn.Module):
    """Comparator + inner gradient descent: a set of scalars in, a soft permutation out.

    The inner learning rate is a learned parameter (used as its absolute value), initialised at
    `inner_lr`, as in the authors' train.py.
    """

    def __init__(
        self,
        steps: int = 6,
        inner_lr: float = 1.0,
        learn_inner_lr: bool = True,
        temperature: float = 1.0,
        sinkhorn_iterations: int = 4,
        hidden: int = 16,
    ) -> None:
        super().__init__()
        self.steps = steps
        self.temperature = temperature
        self.sinkhorn_iterations = sinkhorn_iterations
        self.comparator = PairwiseComparator(hidden)
        self.inner_lr = nn.Parameter(torch.tensor([float(inner_lr)]), requires_grad=learn_inner_lr)
        for module in self.modules():
            if isinstance(module, nn.Conv1d):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cost = self.comparator(x)
        return optimise_assignment(
            cost, self.steps, self.inner_lr.abs(), self.temperature, self.sinkhorn_iterations
        )
