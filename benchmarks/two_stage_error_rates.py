"""Error rates of seeds=auto (Stein's two-stage procedure) against two tempting shortcuts.

Prints, for simulated value claims `claimed ± tolerance` with normal seed values of random
spread, how often each procedure calls a claim reproduced when it is false (true mean on the
band edge) and how often it reproduces a true claim, with the mean number of seeds used.

    python benchmarks/two_stage_error_rates.py [--simulations 2000]
"""

from __future__ import annotations

import argparse

import numpy as np

from repro import stats
from repro.sweeping import two_stage

CLAIMED, TOLERANCE, N0, MAX_SEEDS, ALPHA = 1.0, 0.1, 3, 30, 0.05


def stein(rng, mean, std):
    pilot = rng.normal(mean, std, N0)
    total = two_stage.target_for(pilot, TOLERANCE, True, MAX_SEEDS, ALPHA).needed or N0
    values = np.concatenate([pilot, rng.normal(mean, std, total - N0)])
    return two_stage.equivalence_verdict(values, N0, CLAIMED, TOLERANCE, ALPHA).outcome, total


def pooled(rng, mean, std):
    """Same N, but the final test re-estimates the spread from all N seeds."""
    pilot = rng.normal(mean, std, N0)
    total = two_stage.target_for(pilot, TOLERANCE, True, MAX_SEEDS, ALPHA).needed or N0
    values = np.concatenate([pilot, rng.normal(mean, std, total - N0)])
    return stats.equivalence_verdict(values, CLAIMED, TOLERANCE, ALPHA).outcome, total


def until_significant(rng, mean, std):
    """Add one seed at a time until the verdict is no longer inconclusive (or MAX_SEEDS)."""
    values = list(rng.normal(mean, std, N0))
    while True:
        outcome = stats.equivalence_verdict(values, CLAIMED, TOLERANCE, ALPHA).outcome
        if outcome != stats.INCONCLUSIVE or len(values) >= MAX_SEEDS:
            return outcome, len(values)
        values.append(rng.normal(mean, std))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--simulations", type=int, default=2000)
    args = parser.parse_args()
    print(f"{args.simulations} simulated claims each; alpha={ALPHA}, n0={N0}, max={MAX_SEEDS}")
    print(f"{'procedure':<20}{'false reproduced':>18}{'true reproduced':>17}{'mean seeds':>12}")
    for name, procedure in (
        ("two-stage (Stein)", stein),
        ("pooled std", pooled),
        ("until significant", until_significant),
    ):
        rows = []
        for true_mean in (CLAIMED - TOLERANCE, CLAIMED):
            rng = np.random.default_rng(0)
            outcomes, seeds = [], []
            for _ in range(args.simulations):
                std = TOLERANCE * rng.uniform(0.3, 3.0)
                outcome, n = procedure(rng, true_mean, std)
                outcomes.append(outcome)
                seeds.append(n)
            rows.append((np.mean(np.asarray(outcomes) == stats.REPRODUCED), np.mean(seeds)))
        (false_rate, _), (true_rate, mean_seeds) = rows
        print(f"{name:<20}{false_rate:>18.3f}{true_rate:>17.3f}{mean_seeds:>12.1f}")


if __name__ == "__main__":
    main()
