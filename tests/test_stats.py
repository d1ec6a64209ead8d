"""repro.stats against numbers computed by hand (the computation is in each comment).

t quantiles used below (from tables): t_{0.95,2} = 2.919986, t_{0.975,2} = 4.302653,
t_{0.975,9} = 2.262157. For df = 2 the t tail has a closed form, which lets p-values be checked
without scipy: P(T > t) = 1/2 - t / (2 sqrt(2 + t^2)).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats as sp_stats

from repro import stats
from repro.stats import (
    ABOVE,
    BELOW,
    EQUIVALENCE_RULE,
    INCONCLUSIVE,
    REPRODUCED,
    comparison_verdict,
    equivalence_verdict,
    seeds_needed_for_equivalence,
    summarize,
    threshold_verdict,
    welch_from_summary,
)

NAN = float("nan")
SQRT3 = math.sqrt(3)


def sf_df2(t: float) -> float:
    """Upper tail of Student's t with 2 df, in closed form."""
    return 0.5 - t / (2 * math.sqrt(2 + t * t))


def t_two_sided_p(t: float, df: float, steps: int = 4000) -> float:
    """Two-sided t p-value by Simpson integration of the t density (no scipy)."""
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def pdf(x: float) -> float:
        return math.exp(log_c - (df + 1) / 2 * math.log1p(x * x / df))

    h = abs(t) / steps
    area = pdf(0) + pdf(abs(t)) + sum((4 if i % 2 else 2) * pdf(i * h) for i in range(1, steps))
    return 1 - 2 * area * h / 3


@pytest.fixture(autouse=True)
def warnings_are_errors():
    """Zero variance or NaN must not leak divide-by-zero / degenerate-data warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ----------------------------------------------------------------------------------------------
# summarize


def test_summarize_t_interval():
    # [1, 2, 3]: mean 2, sd 1, se 1/sqrt3 = 0.577350; 95% CI = 2 ± 4.302653 * 0.577350
    #   = 2 ± 2.484138 -> [-0.484138, 4.484138]
    s = summarize([1, 2, 3])
    assert (s.n, s.n_nan, s.mean, s.std, s.min, s.max) == (3, 0, 2.0, 1.0, 1.0, 3.0)
    assert s.ci_method == "t"
    assert s.ci_low == pytest.approx(-0.484138, abs=1e-6)
    assert s.ci_high == pytest.approx(4.484138, abs=1e-6)


def test_summarize_drops_non_finite():
    # [1, nan, 3, inf] -> finite [1, 3]: mean 2, sd sqrt2; 2 values dropped
    s = summarize([1, NAN, 3, math.inf])
    assert (s.n, s.n_nan) == (2, 2)
    assert s.mean == 2.0
    assert s.std == pytest.approx(math.sqrt(2))


def test_summarize_one_and_zero_values():
    one = summarize([0.5])
    assert (one.n, one.mean, one.ci_method) == (1, 0.5, "none")
    assert math.isnan(one.std) and math.isnan(one.ci_low) and math.isnan(one.ci_high)
    empty = summarize([NAN, NAN])
    assert (empty.n, empty.n_nan, empty.ci_method) == (0, 2, "none")
    assert math.isnan(empty.mean)


def test_summarize_bootstrap_from_ten_seeds():
    # 0..9: mean 4.5. Bootstrap means have sd = pop. sd / sqrt n = 2.872281 / 3.162278 = 0.908295,
    # so the percentile 95% CI is about 4.5 ± 1.96 * 0.908295 = [2.72, 6.28]; the t-interval
    # would be 4.5 ± 2.262157 * 3.027650 / sqrt10 = 4.5 ± 2.165852 = [2.334, 6.666] (wider).
    # Resampled means are multiples of 0.1, and the fixed seed gives exactly [2.7, 6.3].
    s = summarize(list(range(10)))
    assert s.ci_method == "bootstrap"
    assert s.ci_low == pytest.approx(2.72, abs=0.1)
    assert s.ci_high == pytest.approx(6.28, abs=0.1)
    assert (s.ci_low, s.ci_high) == pytest.approx((2.7, 6.3))
    assert summarize(list(range(10))) == s  # deterministic
    assert summarize(list(range(9))).ci_method == "t"


def test_summarize_bootstrap_zero_variance():
    s = summarize([0.7] * 12)
    assert (s.ci_method, s.ci_low, s.ci_high, s.std) == ("bootstrap", 0.7, 0.7, 0.0)


# ----------------------------------------------------------------------------------------------
# equivalence_verdict


def test_rule_is_printable():
    assert "90%" in EQUIVALENCE_RULE and "one-sided 5%" in EQUIVALENCE_RULE
    assert "TOST" in EQUIVALENCE_RULE


def test_equivalence_mean_exactly_equal_to_claim():
    # [0.93, 0.94, 0.95]: mean 0.94, sd 0.01, se 0.01/sqrt3 = 0.0057735;
    # 90% CI = 0.94 ± 2.919986 * 0.0057735 = 0.94 ± 0.016859 -> [0.923141, 0.956859] in [0.92, 0.96]
    # TOST: both t = 0.02 / se = 2 sqrt3 = 3.464102, p = sf_df2(3.464102) = 0.5 - sqrt(3/14)
    #   = 0.037090
    v = equivalence_verdict([0.93, 0.94, 0.95], claimed=0.94, tolerance=0.02)
    assert v.outcome == REPRODUCED
    assert v.reason == "90% CI [0.9231, 0.9569] lies inside [0.92, 0.96]"
    assert v.p_value == pytest.approx(0.5 - math.sqrt(3 / 14), rel=1e-6)
    assert v.p_value == pytest.approx(sf_df2(2 * SQRT3), rel=1e-6)
    assert v.seeds_needed is None


def test_equivalence_inside_band_off_centre():
    # [1, 2, 3], claim 2.2 ± 2 -> band [0.2, 4.2]; 90% CI = 2 ± 2.919986/sqrt3 = 2 ± 1.685855
    #   -> [0.314145, 3.685855] inside. TOST p = max(sf(1.8/se), sf(2.2/se)) = sf_df2(3.117691)
    #   = 0.5 - 3.117691 / (2 sqrt(11.72)) = 0.044656
    v = equivalence_verdict([1, 2, 3], claimed=2.2, tolerance=2)
    assert v.outcome == REPRODUCED
    assert v.p_value == pytest.approx(sf_df2(1.8 * SQRT3), rel=1e-6)
    assert v.p_value == pytest.approx(0.044656, abs=1e-6)
    # Same data, band [0.5, 4.5]: 0.314 < 0.5 and the 95% CI [-0.484, 4.484] overlaps the band.
    assert equivalence_verdict([1, 2, 3], claimed=2.5, tolerance=2).outcome == INCONCLUSIVE


def test_equivalence_far_below_and_above():
    # One interval decides every verdict (issue #13.3): the 90% CI, whose ends are the
    # one-sided 95% bounds. [0.80, 0.81, 0.82]: 90% CI = 0.81 ± 2.919986 * 0.0057735
    #   = [0.793141, 0.826859], entirely below [0.92, 0.96]
    below = equivalence_verdict([0.80, 0.81, 0.82], claimed=0.94, tolerance=0.02)
    assert below.outcome == BELOW
    assert below.reason == "90% CI [0.7931, 0.8269] lies entirely below [0.92, 0.96]"
    assert below.interval == pytest.approx((0.793141, 0.826859), abs=1e-6)
    # TOST p is the low side: t = (0.81 - 0.92)/se = -19.052559, p = sf_df2(-19.05) = 0.998628
    assert below.p_value == pytest.approx(sf_df2(-0.11 / 0.01 * SQRT3), rel=1e-6)
    above = equivalence_verdict([1.00, 1.01, 1.02], claimed=0.94, tolerance=0.02)
    assert above.outcome == ABOVE
    assert above.reason == "90% CI [0.9931, 1.027] lies entirely above [0.92, 0.96]"


def test_between_the_old_95_and_the_new_90_percent_rule_a_miss_is_called():
    # [0.84, 0.87, 0.90]: 90% CI [0.8194, 0.9206] lies below [0.93, 0.97], while the 95% CI
    # [0.7955, 0.9445] overlaps it: a one-sided 5% test, as every other verdict uses.
    verdict = equivalence_verdict([0.84, 0.87, 0.90], claimed=0.95, tolerance=0.02)
    assert verdict.outcome == BELOW


def test_equivalence_single_seed():
    v = equivalence_verdict([0.94], claimed=0.94, tolerance=0.02)
    assert v.outcome == INCONCLUSIVE
    assert "needs >= 2 seeds" in v.reason
    assert v.p_value is None and v.seeds_needed is None


def test_equivalence_nan_values_dropped_and_counted():
    v = equivalence_verdict([0.93, NAN, 0.94, 0.95], claimed=0.94, tolerance=0.02)
    assert v.outcome == REPRODUCED
    assert v.reason.endswith("(1 diverged seed dropped)")  # the report's word: diverged
    assert v.p_value == pytest.approx(0.5 - math.sqrt(3 / 14), rel=1e-6)
    all_nan = equivalence_verdict([NAN, NAN], claimed=0.94, tolerance=0.02)
    assert all_nan.outcome == INCONCLUSIVE
    assert all_nan.reason.startswith("no finite values")
    # one finite value left -> still too few
    assert "needs >= 2 seeds" in equivalence_verdict([NAN, 0.94], 0.94, 0.02).reason


def test_equivalence_zero_variance():
    # Identical seeds: judged on the value itself, no interval or p (no 0/0 warnings either).
    inside = equivalence_verdict([0.94] * 3, claimed=0.95, tolerance=0.02)
    assert inside.outcome == REPRODUCED and inside.p_value is None
    assert inside.reason == (
        "all 3 seeds gave the same value: the value 0.94 lies inside [0.93, 0.97]"
    )
    below = equivalence_verdict([0.90] * 3, claimed=0.95, tolerance=0.02)
    assert below.outcome == BELOW and below.p_value is None
    assert equivalence_verdict([1.0] * 3, claimed=0.95, tolerance=0.02).outcome == ABOVE


def test_equivalence_inconclusive_gets_finite_seeds_needed():
    # [0.90, 0.94, 0.98]: mean 0.94, sd 0.04, se 0.023094; 90% CI 0.94 ± 0.067434 is wider than
    # [0.92, 0.96] and the 95% CI [0.840634, 1.039366] overlaps it -> inconclusive.
    # TOST p = sf_df2(0.02/0.023094 = 0.866025) = 0.5 - 0.866025/(2 sqrt 2.75) = 0.238884.
    # Seeds: margin/sd = 0.5 on each side. TOST power ≈ 1 - 2 * (miss rate of one side), so 80%
    # needs 90% per side; normal approximation n ≈ ((z_0.95 + z_0.90) / 0.5)^2
    # = ((1.644854 + 1.281552) / 0.5)^2 = 34.3; t quantiles add ~2 -> 36.
    v = equivalence_verdict([0.90, 0.94, 0.98], claimed=0.94, tolerance=0.02)
    assert v.outcome == INCONCLUSIVE
    assert v.p_value == pytest.approx(0.238884, abs=1e-6)
    assert v.seeds_needed == 36


def test_seeds_needed_matches_simulated_tost_power():
    # Monte Carlo check, independent of the noncentral-t formula: with true mean 0.94, sd 0.04,
    # TOST at n = 36 succeeds ~80% of the time, at n = 18 far less often.
    n = seeds_needed_for_equivalence(0.94, 0.04, 0.92, 0.96)
    assert n == 36
    rng = np.random.default_rng(123)
    t_crit = {36: 1.689572, 18: 1.739607}  # t_{0.95,35}, t_{0.95,17}
    power = {}
    for size, tc in t_crit.items():
        x = rng.normal(0.94, 0.04, size=(20_000, size))
        m, se = x.mean(axis=1), x.std(axis=1, ddof=1) / math.sqrt(size)
        power[size] = float(np.mean((m - tc * se >= 0.92) & (m + tc * se <= 0.96)))
    assert power[36] == pytest.approx(0.80, abs=0.02)
    assert power[18] < 0.5


def test_seeds_needed_grows_with_std_and_gives_up_outside_band():
    sizes = [seeds_needed_for_equivalence(0.94, sd, 0.92, 0.96) for sd in (0.01, 0.02, 0.04, 0.08)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 4
    assert sizes[2] == 36
    assert seeds_needed_for_equivalence(0.97, 0.01, 0.92, 0.96) is None  # mean outside band
    assert seeds_needed_for_equivalence(0.94, 10.0, 0.92, 0.96, max_n=1000) is None  # too many
    assert seeds_needed_for_equivalence(0.94, 0.0, 0.92, 0.96) == 2


# ----------------------------------------------------------------------------------------------
# welch_from_summary


def test_welch_against_hand_computation_df2():
    # mean 1 vs 3, sd 1 and 1, n 2 and 2: se = sqrt(1/2 + 1/2) = 1, t = -2,
    # df = 1^2 / (2 * (1/2)^2 / 1) = 2, two-sided p = 2 sf_df2(2) = 1 - 2/sqrt6 = 0.183503
    w = welch_from_summary(1, 1, 2, 3, 1, 2)
    assert w.t == pytest.approx(-2.0)
    assert w.df == pytest.approx(2.0)
    assert w.p == pytest.approx(1 - 2 / math.sqrt(6), rel=1e-9)


def test_welch_against_hand_computation_unequal():
    # 0.96 (sd 0.01, n 3) vs 0.93 (sd 0.02, n 5): va = 1e-4/3 = 3.3333e-5, vb = 4e-4/5 = 8e-5,
    # se = sqrt(1.133333e-4) = 0.0106458, t = 0.03 / se = 2.818009,
    # df = (1.133333e-4)^2 / ((3.3333e-5)^2/2 + (8e-5)^2/4) = 1.284444e-8 / 2.155556e-9 = 5.958763
    va, vb = 1e-4 / 3, 4e-4 / 5
    t_hand = 0.03 / math.sqrt(va + vb)
    df_hand = (va + vb) ** 2 / (va**2 / 2 + vb**2 / 4)
    w = welch_from_summary(0.96, 0.01, 3, 0.93, 0.02, 5)
    assert w.t == pytest.approx(2.818009, abs=1e-6) == pytest.approx(t_hand)
    assert w.df == pytest.approx(5.958763, abs=1e-6) == pytest.approx(df_hand)
    assert w.p == pytest.approx(t_two_sided_p(t_hand, df_hand), abs=1e-7)
    assert w.p == pytest.approx(0.030661, abs=1e-5)


def test_welch_is_nan_safe():
    for args in [(NAN, 1, 3, 0, 1, 3), (0, 1, 1, 0, 1, 3), (1, 0, 3, 1, 0, 3)]:
        w = welch_from_summary(*args)
        assert math.isnan(w.t) and math.isnan(w.p)


def test_welch_of_two_constant_sides_is_no_test():
    """both stds 0 gave t = -inf, df = nan, p = 0.0, printed `t = –, df = –, p < 1e-6`:
    with no spread on either side there is no t-test (nor evidence that p is tiny)."""
    for args in [(2, 0, 3, 1, 0, 3), (0.9, 0, 5, 0.94, 0, 5)]:
        w = welch_from_summary(*args)
        assert math.isnan(w.t) and math.isnan(w.df) and math.isnan(w.p)


# ----------------------------------------------------------------------------------------------
# threshold_verdict

VALUES = [0.93, 0.94, 0.95]  # one-sided 95% bounds: 0.94 ± 0.016859 -> [0.923141, 0.956859]


def test_threshold_at_least():
    # >= 0.9: lower bound 0.923141 >= 0.9. p = sf_df2(0.04/se = 4 sqrt3 = 6.928203)
    #   = 0.5 - 6.928203/(2 sqrt50) = 0.010102
    v = threshold_verdict(VALUES, 0.9, ">=")
    assert v.outcome == REPRODUCED
    assert v.reason == "95% lower bound 0.9231 is >= 0.9"
    assert v.p_value == pytest.approx(0.010102, abs=1e-6)
    # >= 1.0: upper bound 0.956859 < 1.0
    assert threshold_verdict(VALUES, 1.0, ">=").outcome == BELOW
    # >= 0.95: bounds straddle 0.95 -> inconclusive, with a seed count
    mid = threshold_verdict(VALUES, 0.95, ">=")
    assert mid.outcome == INCONCLUSIVE and mid.seeds_needed is not None and mid.seeds_needed > 3


def test_threshold_at_most():
    # <= 0.96: upper bound 0.956859 <= 0.96; p = sf_df2(0.02/se = 2 sqrt3) = 0.037090
    v = threshold_verdict(VALUES, 0.96, "<=")
    assert v.outcome == REPRODUCED
    assert v.p_value == pytest.approx(0.5 - math.sqrt(3 / 14), rel=1e-6)
    # <= 0.9: lower bound 0.923141 > 0.9
    assert threshold_verdict(VALUES, 0.9, "<=").outcome == ABOVE


def test_threshold_small_and_constant_samples():
    assert threshold_verdict([0.95], 0.9, ">=").outcome == INCONCLUSIVE
    assert threshold_verdict([0.95, 0.95], 0.9, ">=").outcome == REPRODUCED
    assert threshold_verdict([0.85, 0.85], 0.9, ">=").outcome == BELOW
    with pytest.raises(ValueError):
        threshold_verdict(VALUES, 0.9, ">")


# ----------------------------------------------------------------------------------------------
# comparison_verdict

A = [0.90, 0.95, 1.00]
B = [0.88, 0.94, 0.99]


def test_paired_comparison():
    # differences [0.02, 0.01, 0.01]: mean 0.013333, sd 0.0057735, se 0.0033333, t = 4.0,
    # one-sided p = sf_df2(4) = 0.5 - 4/(2 sqrt18) = 0.028595 < 0.05
    v = comparison_verdict(A, B, ">")
    assert v.outcome == REPRODUCED
    assert v.p_value == pytest.approx(sf_df2(4.0), rel=1e-9)
    assert v.p_value == pytest.approx(0.028595, abs=1e-6)
    # Claim "A < B" on the same data: A > B is significant -> not reproduced (above).
    mirrored = comparison_verdict(A, B, "<")
    assert mirrored.outcome == ABOVE
    assert mirrored.p_value == pytest.approx(1 - 0.028595, abs=1e-6)
    # Swap roles: claim "B > A" -> B is significantly lower -> not reproduced (below).
    assert comparison_verdict(B, A, ">").outcome == BELOW


def test_unpaired_comparison_loses_the_shared_seed_noise():
    # Welch: means 0.95 vs 0.936667, sds 0.05 vs 0.055076, n 3 and 3:
    # se = sqrt((0.0025 + 0.0030333)/3) = 0.042947, t = 0.013333/0.042947 = 0.310460 -> p ~ 0.39
    v = comparison_verdict(A, B, ">", paired=False)
    assert v.outcome == INCONCLUSIVE
    assert v.p_value == pytest.approx(0.385926, abs=1e-5)
    assert v.seeds_needed is not None and v.seeds_needed > 3


def test_an_unpaired_comparison_of_constant_sides_is_no_p_value():
    """with every seed of each side equal, Welch's branch ignored `exact` and
    called A > B reproduced at 'p < 1e-6' though the runs differed in other metrics (a metric
    too coarse to show the spread, which the paired branch calls inconclusive); and a
    deterministic one was dressed up as a t-test, not judged on its value as the rule says."""
    coarse = comparison_verdict([0.9] * 3, [0.8] * 3, ">", paired=False, exact=False)
    assert coarse.outcome == INCONCLUSIVE and stats.TOO_COARSE in coarse.reason
    assert coarse.p_value is None
    exact = comparison_verdict([0.9] * 3, [0.8] * 3, ">", paired=False)
    assert exact.outcome == REPRODUCED and exact.deterministic and exact.p_value is None
    tie = comparison_verdict([0.9] * 3, [0.9] * 2, ">", paired=False)
    assert tie.outcome == stats.TIE


def test_an_unpaired_comparison_with_one_coarse_constant_side_is_no_p_value():
    """one side's seeds all equal while their runs differ in other metrics: its spread is
    unknown, not 0, yet Welch's test took it as 0 and called A < B reproduced at p = 0.000112
    (scipy's ttest_ind of the same values); with a deterministic side it stays a Welch test."""
    b = [0.94, 0.95, 0.93, 0.94, 0.94]
    coarse = comparison_verdict([0.9] * 5, b, "<", paired=False, exact=False)
    assert coarse.outcome == INCONCLUSIVE and stats.TOO_COARSE in coarse.reason
    assert coarse.p_value is None and "0.9" in coarse.reason
    mirrored = comparison_verdict(b, [0.9] * 5, ">", paired=False, exact=False)
    assert mirrored.outcome == INCONCLUSIVE and mirrored.p_value is None
    exact = comparison_verdict([0.9] * 5, b, "<", paired=False)
    std_b = float(np.std(b, ddof=1))  # 0.00707...: one side's spread, the other exactly 0
    expected = sp_stats.ttest_ind_from_stats(0.9, 0.0, 5, 0.94, std_b, 5, equal_var=False)
    assert float(expected.pvalue) / 2 == pytest.approx(0.000112, rel=1e-2)
    assert exact.outcome == REPRODUCED
    assert exact.p_value == pytest.approx(float(expected.pvalue) / 2, rel=1e-6)


def test_paired_comparison_edge_cases():
    with pytest.raises(ValueError, match="paired"):
        comparison_verdict([1, 2, 3], [1, 2])
    assert comparison_verdict([1.0], [0.5]).outcome == INCONCLUSIVE
    # pair 2 has a NaN and is dropped whole; remaining differences [0.02, 0.01, 0.01] as above
    v = comparison_verdict([0.90, NAN, 0.95, 1.00], [0.88, 0.5, 0.94, 0.99])
    assert v.outcome == REPRODUCED
    assert v.p_value == pytest.approx(sf_df2(4.0), rel=1e-9)
    assert v.reason.endswith("(1 diverged seed pair dropped)")
    # constant differences: exact, no warnings
    assert comparison_verdict([1.0, 2.0], [0.5, 1.5]).outcome == REPRODUCED
    # a deterministic tie (runs identical in every metric, the default) is not A > B: a tie
    assert comparison_verdict([1.0, 2.0], [1.0, 2.0]).outcome == stats.TIE
    assert comparison_verdict([1.0, 2.0], [1.0, 2.0], exact=False).outcome == INCONCLUSIVE


# Degenerate data (issue #13.3): identical seeds are stated as such, never as "p = 0".


def test_identical_seeds_inside_the_band_say_deterministic_without_a_p_value() -> None:
    verdict = stats.equivalence_verdict([0.7] * 5, 0.7, 0.01)
    assert verdict.outcome == stats.REPRODUCED
    assert verdict.deterministic and verdict.p_value is None
    assert verdict.reason.startswith("all 5 seeds gave the same value")
    assert "inside [0.69, 0.71]" in verdict.reason


def test_identical_seeds_outside_the_band_are_judged_on_the_value() -> None:
    verdict = stats.equivalence_verdict([0.5] * 3, 0.7, 0.01)
    assert verdict.outcome == stats.BELOW and verdict.deterministic
    assert "below [0.69, 0.71]" in verdict.reason


def test_identical_seeds_against_a_threshold_state_the_margin() -> None:
    verdict = stats.threshold_verdict([1.0] * 4, 0.9, ">=")
    assert verdict.outcome == stats.REPRODUCED and verdict.p_value is None
    assert "margin +0.1" in verdict.reason and "gave the same value" in verdict.reason
    failed = stats.threshold_verdict([-1.0] * 4, -0.9, "<=")
    assert failed.outcome == stats.REPRODUCED and "margin +0.1" in failed.reason
    missed = stats.threshold_verdict([0.8] * 4, 0.9, ">=")
    assert missed.outcome == stats.BELOW and "margin -0.1" in missed.reason


def test_identical_paired_differences_are_deterministic() -> None:
    verdict = stats.comparison_verdict([2.0] * 3, [1.0] * 3, ">")
    assert verdict.outcome == stats.REPRODUCED and verdict.deterministic
    assert verdict.p_value is None and "p =" not in verdict.reason


def test_every_verdict_carries_the_one_interval_it_rests_on() -> None:
    # 90% CI of [0.93, 0.94, 0.95] is 0.94 ± 0.016859: the same numbers for every claim kind
    expected = pytest.approx((0.923141, 0.956859), abs=1e-6)
    assert equivalence_verdict([0.93, 0.94, 0.95], 0.94, 0.02).interval == expected
    assert threshold_verdict([0.93, 0.94, 0.95], 0.9, ">=").interval == expected
    paired = comparison_verdict([1.93, 1.94, 1.95], [1.0, 1.0, 1.0], ">")
    assert paired.interval == expected
    assert stats.equivalence_verdict([0.7] * 3, 0.7, 0.1).interval is None  # deterministic


def test_identical_seeds_on_the_bound_at_float32_precision_are_on_it() -> None:
    """Metrics are logged in float32 and stored widened: 0.36 comes back as
    0.36000001430511475 and 0.9 as 0.8999999761581421. Every seed giving the bound itself is
    on the bound, not outside it."""
    edge = float(np.float32(0.36))
    band = stats.equivalence_verdict([edge] * 5, 0.32, 0.04)
    assert band.outcome == stats.REPRODUCED and "inside [0.28, 0.36]" in band.reason
    low = stats.equivalence_verdict([float(np.float32(0.28))] * 5, 0.32, 0.04)
    assert low.outcome == stats.REPRODUCED
    threshold = stats.threshold_verdict([float(np.float32(0.9))] * 5, 0.9, ">=")
    assert threshold.outcome == stats.REPRODUCED and "(margin 0)" in threshold.reason
    at_most = stats.threshold_verdict([float(np.float32(0.1))] * 5, 0.1, "<=")
    assert at_most.outcome == stats.REPRODUCED
    # one float32 step past the bound is past it
    past = float(np.nextafter(np.float32(0.36), np.float32(1)))
    assert stats.equivalence_verdict([past] * 5, 0.32, 0.04).outcome == stats.ABOVE
    below = float(np.nextafter(np.float32(0.9), np.float32(0)))
    assert stats.threshold_verdict([below] * 5, 0.9, ">=").outcome == stats.BELOW


def test_reasons_show_the_digits_their_verdict_rests_on() -> None:
    """at 4 significant digits a claim of 123.45 ± 0.05 read '90% CI [123.5, 123.5]
    lies entirely above [123.4, 123.5]', and a reproduced metric printed the same interval."""
    above = stats.equivalence_verdict([123.52, 123.53, 123.54], 123.45, 0.05)
    inside = stats.equivalence_verdict([123.46, 123.47, 123.48], 123.45, 0.05)
    assert above.outcome == stats.ABOVE and inside.outcome == stats.REPRODUCED
    assert above.reason == "90% CI [123.51, 123.55] lies entirely above [123.4, 123.5]"
    assert inside.reason == "90% CI [123.45, 123.49] lies inside [123.4, 123.5]"
    ceiling = stats.threshold_verdict([123.52, 123.53, 123.54], 123.51, "<=")
    assert ceiling.reason == "95% lower bound 123.513 is > 123.51"
    claimed = 0.1234567890123
    tiny = stats.equivalence_verdict([claimed - 1e-13, claimed, claimed + 1e-13], claimed, 1e-12)
    assert tiny.reason == "90% CI [0.1234567890121, 0.1234567890125] lies inside " + (
        "[0.1234567890113, 0.1234567890133]"
    )
    assert stats.equivalence_verdict([0.941, 0.939, 0.942], 0.94, 0.03).reason == (
        "90% CI [0.9381, 0.9432] lies inside [0.91, 0.97]"  # 4 digits resolve it: unchanged
    )


def test_digits_for_resolves_the_place_that_decides_and_no_more() -> None:
    assert stats.digits_for(123.53, 0.05) == 5 and stats.digits_for(0.94, 0.03) == 4
    assert stats.digits_for(0.1234567890123, 1e-13) == 13
    assert stats.digits_for(1e300, 1e-300) == 15  # capped: a double has no more to show
    assert stats.digits_for(123.5, math.inf) == stats.digits_for(0.0, 0.01) == 4


def test_identical_seeds_finer_than_float32_are_not_moved_onto_the_band() -> None:
    """A tolerance finer than float32 can resolve means the metric was not logged in float32:
    a value 5e-12 above a band 1e-12 wide is above it, not on its edge."""
    claimed = 0.1234567890123
    verdict = stats.equivalence_verdict([claimed + 5e-12] * 3, claimed, 1e-12)
    assert verdict.outcome == stats.ABOVE, verdict.reason
    assert "the value 0.123456789017 lies above [0.123456789011, 0.123456789013]" in (
        verdict.reason
    )


# 60 seeds a clear 0.45 apart: the t tail underflows to 0.0, which printed as `p = 0`.
FAR_A = [0.95 + 1e-6 * (i % 3) for i in range(60)]
FAR_B = [0.5 + 1e-6 * (i % 5) for i in range(60)]


@pytest.mark.parametrize("paired", [True, False])
def test_a_p_value_that_underflows_is_never_printed_as_0(paired: bool) -> None:
    verdict = comparison_verdict(FAR_A, FAR_B, paired=paired)
    assert verdict.outcome == REPRODUCED and verdict.p_value == 0.0  # what scipy gives
    assert "p = 0 " not in verdict.reason
    assert "one-sided p < 1e-6 < 0.05 for A > B" in verdict.reason


def test_p_text_floors_tiny_p_values() -> None:
    assert stats.p_text(0.0123) == "p = 0.0123" and stats.p_text(3.2e-5) == "p = 3.2e-05"
    assert stats.p_text(0.0) == "p < 1e-6" and stats.p_text(4e-223) == "p < 1e-6"
    assert stats.p_text(NAN) == "p = –"
    assert stats.p_text(0.0, floor=1e-9) == "p < 1e-9"  # a comparison's floor stays below α


def test_a_p_value_just_below_alpha_prints_digits_that_keep_the_comparison_true():
    """Before: p = 0.04999 printed 'one-sided p = 0.05 < 0.05' (3 significant digits); now
    as many digits as make the printed comparison with alpha true."""
    assert stats.p_text(0.04999, against=0.05) == "p = 0.04999"
    assert stats.p_text(0.0123, against=0.05) == "p = 0.0123"
    assert stats.p_text(0.05, against=0.05) == "p = 0.05"
    t_crit = float(sp_stats.t.isf(0.04999, 4))
    spread = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    diffs = 1.0 + spread * (1.0 / t_crit) * math.sqrt(5) / np.std(spread, ddof=1)
    verdict = stats.comparison_verdict(diffs, np.zeros(5), ">")
    assert verdict.outcome == stats.REPRODUCED and verdict.p_value < 0.05
    printed = float(verdict.reason.split("one-sided p = ")[1].split(" ")[0])
    assert printed < 0.05, verdict.reason


def test_identical_seeds_of_runs_that_differ_elsewhere_are_not_taken_as_exact():
    """A rounded metric gives n equal seeds by chance (band [0.29, 0.35], true mean 0.285,
    accuracy to 0.01: 'reproduced' 21% at n=2). Before: always judged as deterministic; now only
    when the runs are identical in every metric (exact=True), else inconclusive, saying why."""
    exact = stats.equivalence_verdict([0.32] * 3, 0.32, 0.03)
    assert exact.outcome == stats.REPRODUCED and exact.deterministic
    for verdict in (
        stats.equivalence_verdict([0.32] * 3, 0.32, 0.03, exact=False),
        stats.threshold_verdict([0.9] * 3, 0.9, ">=", exact=False),
        stats.comparison_verdict([0.9] * 3, [0.8] * 3, ">", exact=False),
    ):
        assert verdict.outcome == stats.INCONCLUSIVE and not verdict.deterministic
        assert "too coarse" in verdict.reason and verdict.seeds_needed is None
        differ = "from seed to seed" if "A − B" in verdict.reason else "in other metrics"
        assert f"their runs differ {differ}" in verdict.reason  # A, B may vary: not A − B


def test_a_deterministic_tie_does_not_reproduce_a_strict_comparison():
    """A == B on every seed of runs identical in every metric: 'A > B' does not hold. Before:
    inconclusive; now not reproduced, as a tie ('below' read as A < B)."""
    assert stats.comparison_verdict([0.5] * 5, [0.5] * 5, ">").outcome == stats.TIE
    assert stats.comparison_verdict([0.5] * 5, [0.5] * 5, "<").outcome == stats.TIE
    tie = stats.comparison_verdict([0.5] * 5, [0.5] * 5, ">", exact=False)
    assert tie.outcome == stats.INCONCLUSIVE


def test_a_difference_beyond_fifteen_digits_is_said_not_printed_as_a_contradiction():
    """1 ulp above the band: before, 'the value 1.000000001 lies above [0.999999999,
    1.000000001]' (equal numbers); now the reason says they are equal to 15 digits."""
    value = math.nextafter(1.0 + 1e-9, 2.0)
    verdict = stats.equivalence_verdict([value] * 3, 1.0, 1e-9)
    assert verdict.outcome == stats.ABOVE
    assert "equal to 15 significant digits" in verdict.reason
    assert "equal to" not in stats.equivalence_verdict([1.02] * 3, 1.0, 0.01).reason


def test_a_dropped_value_is_said_to_have_diverged_as_the_report_says() -> None:
    """the reason said "(2 non-finite values dropped)" beside a verdict cell that says "2 of
    6 seeds diverged": two words for one thing. Every dropped count now says diverged."""
    value = equivalence_verdict([0.93, NAN, 0.94, math.inf, 0.95], claimed=0.94, tolerance=0.02)
    none = equivalence_verdict([NAN, NAN], claimed=0.94, tolerance=0.02)
    pair = comparison_verdict([0.90, NAN, 0.95, 1.00], [0.88, 0.5, 0.94, 0.99])
    welch = comparison_verdict([0.90, NAN, 0.95], [0.88, 0.5, 0.94, 0.99], paired=False)
    for verdict in (value, none, pair, welch):
        assert "non-finite" not in verdict.reason and "diverged" in verdict.reason, verdict
    assert value.reason.endswith("(2 diverged seeds dropped)"), value.reason
