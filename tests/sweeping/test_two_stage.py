"""Stein's two-stage seed procedure: sizes, verdicts, and its error rates by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from repro.stats import ABOVE, BELOW, INCONCLUSIVE, REPRODUCED
from repro.sweeping import two_stage

SIMULATIONS = 2000
ALPHA = 0.05
# Binomial slack: 3 standard errors of a rate alpha over SIMULATIONS draws.
SLACK = 3 * math.sqrt(ALPHA * (1 - ALPHA) / SIMULATIONS)


def _simulate(mean: float, std: float, n0: int, margin: float, max_seeds: int, rng) -> np.ndarray:
    """One seeds=auto run: pilot, N from the pilot's std, then the remaining seeds."""
    pilot = rng.normal(mean, std, n0)
    target = two_stage.target_for(pilot, margin, True, max_seeds, ALPHA)
    total = max(n0, target.needed or n0)
    return np.concatenate([pilot, rng.normal(mean, std, total - n0)])


def _rates(true_mean: float, claimed: float, tolerance: float, max_seeds: int, seed: int):
    rng = np.random.default_rng(seed)
    outcomes = []
    for _ in range(SIMULATIONS):
        std = tolerance * rng.uniform(0.3, 3.0)  # spreads from easy to hopeless
        values = _simulate(true_mean, std, 3, tolerance, max_seeds, rng)
        outcomes.append(two_stage.equivalence_verdict(values, 3, claimed, tolerance, ALPHA).outcome)
    outcomes = np.asarray(outcomes)
    return {o: float(np.mean(outcomes == o)) for o in (REPRODUCED, BELOW, ABOVE, INCONCLUSIVE)}


@pytest.mark.parametrize("max_seeds", [30, 10_000])
def test_false_reproduced_rate_stays_below_alpha_at_the_band_edge(max_seeds: int) -> None:
    """A claim that is false (true mean on the band's edge, the worst case) is called
    reproduced at most alpha of the time, although N was chosen from the data."""
    rates = _rates(true_mean=0.9, claimed=1.0, tolerance=0.1, max_seeds=max_seeds, seed=1)
    assert rates[REPRODUCED] <= ALPHA + SLACK, rates


def test_false_not_reproduced_rate_stays_below_alpha_when_the_claim_is_true() -> None:
    rates = _rates(true_mean=1.0, claimed=1.0, tolerance=0.1, max_seeds=10_000, seed=2)
    assert rates[BELOW] + rates[ABOVE] <= ALPHA + SLACK, rates


def test_uncapped_plans_reach_the_promised_power() -> None:
    """With the seeds it asks for, a true claim is reproduced about 80% of the time or more."""
    rates = _rates(true_mean=1.0, claimed=1.0, tolerance=0.1, max_seeds=10_000, seed=3)
    assert rates[REPRODUCED] >= two_stage.DEFAULT_POWER - 3 * SLACK, rates


def test_one_sided_false_reproduced_rate_stays_below_alpha() -> None:
    rng = np.random.default_rng(4)
    hits = 0
    for _ in range(SIMULATIONS):
        std = rng.uniform(0.1, 2.0)
        pilot = rng.normal(0.5, std, 3)
        total = two_stage.target_for(pilot, None, False, 30, ALPHA).needed or 3
        values = np.concatenate([pilot, rng.normal(0.5, std, total - 3)])
        hits += two_stage.one_sided_verdict(values, 3, 0.5, ">", ALPHA).outcome == REPRODUCED
    assert hits / SIMULATIONS <= ALPHA + SLACK


def test_seeds_needed_grows_with_spread_and_shrinks_with_margin() -> None:
    few = two_stage.seeds_needed(0.01, 3, 0.1, True)
    many = two_stage.seeds_needed(0.05, 3, 0.1, True)
    wide = two_stage.seeds_needed(0.05, 3, 0.2, True)
    assert 3 <= few < many and wide < many


def test_identical_pilot_seeds_need_no_more() -> None:
    target = two_stage.target_for([0.7, 0.7, 0.7], 0.05, True, 30)
    assert target.needed == 3 and not target.capped
    assert "identical" in target.reason


def test_a_need_beyond_max_seeds_is_capped_and_says_why() -> None:
    target = two_stage.target_for([0.0, 1.0, 2.0], 0.01, True, 30)
    assert target.capped and target.needed == 30
    assert "more than max_seeds=30" in target.reason


def test_pilot_size_is_at_least_three() -> None:
    assert two_stage.pilot_size(1) == 3 and two_stage.pilot_size(5) == 5


def test_verdicts_use_the_pilot_spread_not_the_later_seeds() -> None:
    """The later seeds move the mean, never the interval's width (that is the procedure)."""
    pilot = [0.99, 1.01, 1.0]
    tight = two_stage.equivalence_verdict([*pilot, 1.0, 1.0, 1.0], 3, 1.0, 0.1)
    wild = two_stage.equivalence_verdict([*pilot, 0.5, 1.5, 1.0], 3, 1.0, 0.1)
    assert tight.outcome == wild.outcome == REPRODUCED


def test_non_finite_pilot_is_inconclusive() -> None:
    verdict = two_stage.equivalence_verdict([1.0, math.nan, 1.0, 1.0], 3, 1.0, 0.1)
    assert verdict.outcome == INCONCLUSIVE and "pilot" in verdict.reason


def test_clear_misses_are_not_reproduced_on_the_right_side() -> None:
    assert two_stage.equivalence_verdict([0.5, 0.51, 0.49], 3, 1.0, 0.1).outcome == BELOW
    assert two_stage.one_sided_verdict([0.5, 0.51, 0.49], 3, 0.9, ">=").outcome == BELOW
    assert two_stage.one_sided_verdict([0.5, 0.51, 0.49], 3, 0.1, "<=").outcome == ABOVE


def test_identical_seeds_are_deterministic_under_the_two_stage_test_too() -> None:
    verdict = two_stage.one_sided_verdict([1.0, 1.0, 1.0], 3, 0.9, ">=")
    assert verdict.outcome == REPRODUCED and verdict.deterministic and verdict.interval is None
    paired = two_stage.one_sided_verdict([-0.19] * 3, 3, 0.0, "<")
    assert paired.outcome == REPRODUCED and paired.deterministic
    assert two_stage.equivalence_verdict([0.5] * 4, 3, 0.5, 0.1).deterministic


def test_an_undecided_value_claim_says_where_its_mean_sits_and_why_no_more_seeds_now() -> None:
    """Like mnist1d's mlp_acc after seeds=auto: the mean sits just below the band's lower edge."""
    values = [0.621, 0.647, 0.655, 0.627, 0.664, 0.659, 0.644, 0.626, 0.669, 0.66]
    verdict = two_stage.equivalence_verdict(values, n0=5, claimed=0.68, tolerance=0.03)
    assert verdict.outcome == INCONCLUSIVE
    assert "the mean sits 0.0028 below the lower edge 0.65" in verdict.reason
    assert "planned for a true value at the claimed 0.68" in verdict.reason


def test_an_undecided_threshold_says_how_far_its_mean_is_from_the_reference() -> None:
    values = [0.88, 0.93, 0.90, 0.95, 0.87, 0.91]
    verdict = two_stage.one_sided_verdict(values, n0=3, reference=0.9, direction=">=")
    assert verdict.outcome == INCONCLUSIVE
    assert "the mean sits 0.0067 above 0.9" in verdict.reason


def test_two_stage_reasons_show_the_digits_their_verdict_rests_on() -> None:
    """two-stage reasons printed 4 significant digits too, so a band of ± 0.05
    around 123.45 read '[123.5, 123.5] ... above [123.4, 123.5]'."""
    seeds = [123.52, 123.53, 123.54, 123.53]
    above = two_stage.equivalence_verdict(seeds, 3, 123.45, 0.05)
    assert above.outcome == ABOVE
    assert "mean 123.53, two-stage 95% bounds [123.52, 123.54]" in above.reason, above.reason
    assert "lower bound above [123.4, 123.5]" in above.reason
    ceiling = two_stage.one_sided_verdict(seeds, 3, 123.51, "<=")
    assert ceiling.outcome == ABOVE and "lower bound above 123.51" in ceiling.reason


def test_a_pilot_of_zero_spread_with_varying_later_seeds_falls_back_to_the_fixed_sample_test():
    """Another claim raised N: a pilot of identical seeds gives s0 = 0, a zero-width Stein
    interval that the later, varying seeds contradict. Before: 'not reproduced (below)' on
    bounds [0.9944, 0.9944]; after: the fixed-sample test on all seeds, and the reason says so."""
    values = [1, 1, 1, 0.99, 1, 0.98, 1, 1, 0.97, 1, 1, 0.99, 1, 1, 0.98, 1]
    verdict = two_stage.equivalence_verdict(values, 3, 1.0, 0.005)
    assert verdict.outcome == INCONCLUSIVE
    assert "pilot" in verdict.reason and "fixed-sample" in verdict.reason
    assert "90% CI" in verdict.reason  # the fixed-sample interval, [0.9902, 0.9986]
    threshold = two_stage.one_sided_verdict(values, 3, 0.995, ">=")
    assert threshold.outcome == INCONCLUSIVE and "fixed-sample" in threshold.reason
    differences = [0, 0, 0, 0.01, -0.02, 0.03, 0.01, -0.01]
    paired = two_stage.one_sided_verdict(differences, 3, 0.0, ">")
    assert paired.outcome == INCONCLUSIVE and "paired t-test" in paired.reason


def test_a_non_finite_pilot_seed_is_not_planned_since_the_test_on_it_is_undefined():
    """Before: '20 seeds for 80% power' planned, then the test said the two-stage test is
    undefined for that very pilot; now the plan says so too and lists it as undecidable."""
    target = two_stage.target_for([0.31, float("nan"), 0.33], 0.03, True, 30)
    assert target.needed is None and not target.capped
    assert target.reason.startswith(two_stage.UNDEFINED_PREFIX)
    verdict = two_stage.equivalence_verdict([0.31, float("nan"), 0.33, 0.32], 3, 0.32, 0.03)
    assert verdict.reason.startswith(two_stage.UNDEFINED_PREFIX)


def test_a_value_claim_with_tolerance_zero_gets_no_power_plan():
    """A CI never fits inside [c, c] (power 0). Before: '24 seeds for 80% power' (the margin
    0 was replaced by the pilot's std); now no plan, and the reason says what can decide it."""
    target = two_stage.target_for([0.31, 0.32, 0.33], 0.0, True, 30)
    assert target.needed is None and not target.capped
    assert "tolerance 0" in target.reason and "identical" in target.reason
    with pytest.raises(ValueError, match="zero-width"):
        two_stage.seeds_needed(0.01, 3, 0.0, True)
    assert two_stage.target_for([0.32] * 3, 0.0, True, 30).needed == 3  # deterministic: as before


def test_an_identical_pilot_of_runs_that_differ_elsewhere_plans_the_cap_not_zero_more():
    """Before: 'all 3 pilot seeds identical: no more needed' for a metric too coarse to show
    the spread; now the plan runs max_seeds and says why, and the verdict is not exact."""
    target = two_stage.target_for([0.32] * 3, 0.03, True, 30, exact=False)
    assert target.needed == 30 and "too coarse" in target.reason
    assert two_stage.target_for([0.32] * 3, 0.03, True, 30).needed == 3
    verdict = two_stage.equivalence_verdict([0.32] * 3, 3, 0.32, 0.03, exact=False)
    assert verdict.outcome == INCONCLUSIVE and "too coarse" in verdict.reason
    verdict = two_stage.one_sided_verdict([0.0] * 3, 3, 0.0, ">", exact=False)
    assert verdict.outcome == INCONCLUSIVE and "too coarse" in verdict.reason


def test_a_too_coarse_pilot_plans_the_cap_because_a_seed_that_differs_decides_the_claim():
    """Why max_seeds for a flat pilot of runs that differ elsewhere: the pilot cannot tell a
    metric that never varies from one that varied by chance too little to show, and once any
    seed differs, the fixed-sample test on all seeds decides (accuracy rounded to 0.01, seed
    std 0.002 or 0.004: 85% and 100% of flat pilots decided at 30 seeds; std 0.001: 3%). The
    plan's line said only 'running max_seeds'; it now says what more seeds can and cannot do."""
    target = two_stage.target_for([0.94] * 3, 0.03, True, 30, exact=False)
    assert target.needed == 30
    assert "a seed that differs lets the fixed-sample test on all seeds decide" in target.reason
    assert "if all 30 stay equal, it stays inconclusive" in target.reason
    later = [0.94, 0.95, 0.94, 0.94, 0.93, 0.94, 0.95, 0.94, 0.94, 0.93, 0.94, 0.94]
    verdict = two_stage.equivalence_verdict([0.94] * 3 + later, 3, 0.94, 0.03, exact=False)
    assert verdict.outcome == REPRODUCED and "fixed-sample" in verdict.reason


def test_a_diverged_later_seed_is_said_to_be_dropped() -> None:
    """The fixed-sample rules say '(1 diverged seed dropped)'; the two-stage ones dropped a
    diverged later seed from the mean and n without a word in the reason."""
    values = [0.94, 0.935, 0.945, float("nan"), 0.94, 0.942]
    value = two_stage.equivalence_verdict(values, 3, 0.94, 0.03)
    threshold = two_stage.one_sided_verdict(values, 3, 0.9, ">=")
    for verdict in (value, threshold):
        assert verdict.reason.endswith("(1 diverged seed dropped)"), verdict.reason
        assert "(n=5, pilot n0=3)" in verdict.reason, verdict.reason
    assert "dropped" not in two_stage.equivalence_verdict(values[:3], 3, 0.94, 0.03).reason


def test_a_flat_pilots_fallback_does_not_count_a_diverged_seed_among_those_it_tested() -> None:
    """a flat pilot's fixed-sample fallback on 6 planned seeds, one of them
    diverged, said 'fixed-sample test on the 6 planned seeds: 90% CI ...' though the test
    had 5 values."""
    values = [0.94, 0.94, 0.94, 0.95, math.nan, 0.93]
    verdict = two_stage.equivalence_verdict(values, 3, 0.94, 0.03, exact=False)
    assert "on the 6 planned seeds" not in verdict.reason, verdict.reason
    assert "fixed-sample test on 5 of the 6 planned seeds" in verdict.reason, verdict.reason
    assert verdict.reason.count("diverged") == 1, verdict.reason
