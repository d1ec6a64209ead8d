"""Decide whether reproduced per-seed values support a paper's claim.

Pure functions: they take the per-seed metric values of a reproduction and return numbers and
verdicts; reports and the CLI decide how to show them. Every rule is a standard frequentist test
so that a verdict can be checked by hand: one-sample t-intervals (TOST for "equals within a
tolerance"), one-sided t bounds for thresholds, and paired or Welch t-tests for comparisons.
Non-finite values (a diverged or crashed seed) are dropped and counted, never silently averaged.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

REPRODUCED = "reproduced"
BELOW = "not reproduced (below)"
ABOVE = "not reproduced (above)"
TIE = "not reproduced (tie: A = B)"
"""A deterministic A = B judged against a strict "A > B" or "A < B": neither side of it."""
INCONCLUSIVE = "inconclusive"
OUTCOMES = (REPRODUCED, BELOW, ABOVE, TIE, INCONCLUSIVE)

BOOTSTRAP_MIN_N = 10
"""From this many finite seeds on, the summary CI is a percentile bootstrap, not a t-interval."""
BOOTSTRAP_RESAMPLES = 9999
BOOTSTRAP_SEED = 0
"""Fixed so the same values always give the same interval (reports must be reproducible)."""

EQUIVALENCE_RULE = (
    "A value claim 'claimed ± tolerance' is reproduced when the 90% t-confidence interval of the "
    "seed mean lies inside [claimed − tolerance, claimed + tolerance] (a TOST equivalence test "
    "at α = 0.05); not reproduced (below/above) when that same interval lies entirely below/above "
    "the band (a one-sided 5% test); otherwise inconclusive, with the number of seeds a power "
    "analysis (80% power, TOST at α = 0.05, observed mean and std taken as true) says would "
    "settle it. One interval decides every verdict: its ends are the one-sided 95% bounds. "
    "Non-finite seed values (a diverged seed) are dropped, and the verdict says how many of "
    "how many seeds diverged; fewer than 2 finite seeds is inconclusive; "
    "when every seed gives the same value and the seeds' runs agree in every recorded metric "
    "the claim is judged on that value against the band, and the report "
    "says that every seed gave it (no interval, no p-value); when the runs differ in another "
    "metric, the claim's metric is too coarse to show their spread: inconclusive, more seeds."
)

THRESHOLD_RULE = (
    "A threshold claim 'metric >= value' is reproduced when the one-sided 95% lower confidence "
    "bound of the seed mean is >= value, not reproduced (below) when the one-sided 95% upper "
    "bound is < value, otherwise inconclusive (mirrored for '<=')."
)

COMPARISON_RULE = (
    "A comparison claim 'A > B' is reproduced when a one-sided t-test (paired over seeds, or "
    "Welch's when unpaired) gives p < 0.05 for A > B, not reproduced when it gives p < 0.05 for "
    "A < B, otherwise inconclusive (mirrored for '<'). An A − B equal on every seed pair, whose "
    "runs agree in every recorded metric, is judged on its sign; a tie is not A > B."
)


# --------------------------------------------------------------------------------------------
# Summary


@dataclass(frozen=True)
class Summary:
    """Descriptive statistics of one metric over seeds, with a CI of the mean."""

    n: int
    n_nan: int
    mean: float
    std: float
    min: float
    max: float
    ci_low: float
    ci_high: float
    ci_method: str  # "t", "bootstrap" or "none"


def summarize(values: Sequence[float], confidence: float = 0.95) -> Summary:
    """Summarize seeds; t-interval for few seeds, bootstrap from 10 on (no normality needed)."""
    _check_level("confidence", confidence)
    x, n_nan = _finite(values)
    n = x.size
    nan = math.nan
    if n == 0:
        return Summary(0, n_nan, nan, nan, nan, nan, nan, nan, "none")
    mean, std = _mean_std(x)
    lo, hi = float(np.min(x)), float(np.max(x))
    if n < 2:
        return Summary(n, n_nan, mean, nan, lo, hi, nan, nan, "none")
    if n >= BOOTSTRAP_MIN_N:
        ci_low, ci_high = _bootstrap_ci(x, mean, std, confidence)
        return Summary(n, n_nan, mean, std, lo, hi, ci_low, ci_high, "bootstrap")
    ci_low, ci_high = t_interval(mean, std, n, confidence)
    return Summary(n, n_nan, mean, std, lo, hi, ci_low, ci_high, "t")


def t_interval(mean: float, std: float, n: int, confidence: float) -> tuple[float, float]:
    """Two-sided t confidence interval of a mean; collapses to the mean when std is 0."""
    if n < 2 or not math.isfinite(std):
        return math.nan, math.nan
    half = float(st.t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n) if std > 0 else 0.0
    return mean - half, mean + half


def _bootstrap_ci(x: np.ndarray, mean: float, std: float, confidence: float) -> tuple[float, float]:
    """Percentile bootstrap of the mean, seeded so repeated reports agree."""
    if std == 0:  # every resample has the same mean; skip scipy's degenerate-data path
        return mean, mean
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    seed_kw = "rng" if "rng" in inspect.signature(st.bootstrap).parameters else "random_state"
    res = st.bootstrap(
        (x,),
        np.mean,
        n_resamples=BOOTSTRAP_RESAMPLES,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        **{seed_kw: rng},
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


# --------------------------------------------------------------------------------------------
# Verdicts


@dataclass(frozen=True)
class Verdict:
    """Whether a claim holds, in one of OUTCOMES, with a one-sentence reason a reader can check."""

    outcome: str
    reason: str
    p_value: float | None = None
    seeds_needed: int | None = None
    deterministic: bool = False  # every seed gave the same value: judged on that value alone
    interval: tuple[float, float] | None = None  # the (1 - 2 alpha) CI the verdict rests on
    undecided_because: str | None = None  # inconclusive: why, e.g. where the mean sits
    resolution: float = math.inf  # the finest difference it rests on: see `digits_for`


def equivalence_verdict(
    values: Sequence[float],
    claimed: float,
    tolerance: float,
    alpha: float = 0.05,
    exact: bool = True,
) -> Verdict:
    """Judge 'metric = claimed ± tolerance' by the rule in EQUIVALENCE_RULE. `exact`: whether
    identical seeds are a deterministic run (see `too_coarse`); the caller knows the runs."""
    _check_alpha(alpha)
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    x, n_nan = _finite(values)
    early = _too_few(x.size, n_nan)
    if early is not None:
        return early
    n, (mean, std) = x.size, _mean_std(x)
    low, high = claimed - tolerance, claimed + tolerance
    if std == 0 and not exact:
        return too_coarse(mean, n, _dropped(n_nan))
    if std == 0:
        return _deterministic_band(mean, n, low, high, tolerance, _dropped(n_nan))
    p_tost = tost_p_value(mean, std, n, low, high)
    dropped = _dropped(n_nan)

    in_lo, in_hi = t_interval(mean, std, n, 1 - 2 * alpha)
    res = resolution(tolerance, *(end - edge for end in (in_lo, in_hi) for edge in (low, high)))
    band = _interval(low, high, res) + unresolved(res, in_lo, in_hi, low, high)
    ci = f"{_pct(1 - 2 * alpha)} CI {_interval(in_lo, in_hi, res)}"
    kw = {"interval": (in_lo, in_hi), "resolution": res}
    if low <= in_lo and in_hi <= high:
        return Verdict(REPRODUCED, f"{ci} lies inside {band}{dropped}", p_tost, **kw)
    if in_hi < low:
        return Verdict(BELOW, f"{ci} lies entirely below {band}{dropped}", p_tost, **kw)
    if in_lo > high:
        return Verdict(ABOVE, f"{ci} lies entirely above {band}{dropped}", p_tost, **kw)
    needed = seeds_needed_for_equivalence(mean, std, low, high, alpha=alpha)
    reason = f"{ci} overlaps the edge of {band}{dropped}"
    return Verdict(INCONCLUSIVE, reason, p_tost, needed, **kw)


def threshold_verdict(
    values: Sequence[float],
    threshold: float,
    direction: str,
    alpha: float = 0.05,
    exact: bool = True,
) -> Verdict:
    """Judge 'metric >= threshold' (or '<=') by one-sided confidence bounds (THRESHOLD_RULE);
    `exact` as in `equivalence_verdict`."""
    _check_alpha(alpha)
    if direction not in (">=", "<="):
        raise ValueError(f"direction must be '>=' or '<=', got {direction!r}")
    x, n_nan = _finite(values)
    early = _too_few(x.size, n_nan)
    if early is not None:
        return early
    n, (mean, std) = x.size, _mean_std(x)
    if std == 0 and not exact:
        return too_coarse(mean, n, _dropped(n_nan))
    if std == 0:
        return _deterministic_threshold(mean, n, threshold, direction, _dropped(n_nan))
    # A one-sided (1 - alpha) bound is one end of the two-sided (1 - 2 alpha) interval.
    lower, upper = t_interval(mean, std, n, 1 - 2 * alpha)
    res = resolution(lower - threshold, upper - threshold)
    thr = fmt(threshold, res) + unresolved(res, lower, upper, threshold)
    dropped = _dropped(n_nan)
    conf = _pct(1 - alpha)
    lower_s = f"{conf} lower bound {fmt(lower, res)}"
    upper_s = f"{conf} upper bound {fmt(upper, res)}"
    kw = {"interval": (lower, upper), "resolution": res}
    if direction == ">=":
        p = _one_sided_p(mean - threshold, std, n)
        if lower >= threshold:
            return Verdict(REPRODUCED, f"{lower_s} is >= {thr}{dropped}", p, **kw)
        if upper < threshold:
            return Verdict(BELOW, f"{upper_s} is < {thr}{dropped}", p, **kw)
    else:
        p = _one_sided_p(threshold - mean, std, n)
        if upper <= threshold:
            return Verdict(REPRODUCED, f"{upper_s} is <= {thr}{dropped}", p, **kw)
        if lower > threshold:
            return Verdict(ABOVE, f"{lower_s} is > {thr}{dropped}", p, **kw)
    needed = seeds_needed_for_one_sample(mean, std, threshold, alpha=alpha)
    reason = f"{conf} bounds {_interval(lower, upper, res)} straddle {thr}{dropped}"
    return Verdict(INCONCLUSIVE, reason, p, needed, **kw)


@dataclass(frozen=True)
class WelchResult:
    """Welch's unequal-variance t-test: statistic, Welch–Satterthwaite df, two-sided p."""

    t: float
    df: float
    p: float


def welch_from_summary(
    mean_a: float, std_a: float, n_a: int, mean_b: float, std_b: float, n_b: int
) -> WelchResult:
    """Welch t-test from means/stds (ddof=1) alone, since papers report only those; nan-safe.

    Invalid input (non-finite, n < 2, negative std) gives all-nan, and so do two stds of 0:
    with no spread on either side there is no t-test, and a p of 0 would claim evidence that
    a coarse metric (or a paper's rounded std) cannot give; see `comparison_verdict`.
    """
    nan = math.nan
    numbers = (mean_a, std_a, mean_b, std_b)
    if not all(math.isfinite(v) for v in numbers) or n_a < 2 or n_b < 2 or min(std_a, std_b) < 0:
        return WelchResult(nan, nan, nan)
    if std_a == 0 and std_b == 0:
        return WelchResult(nan, nan, nan)
    res = st.ttest_ind_from_stats(mean_a, std_a, n_a, mean_b, std_b, n_b, equal_var=False)
    return WelchResult(float(res.statistic), welch_df(std_a, n_a, std_b, n_b), float(res.pvalue))


def welch_df(std_a: float, n_a: int, std_b: float, n_b: int) -> float:
    """Welch–Satterthwaite degrees of freedom (nan when both variances are zero)."""
    va, vb = std_a**2 / n_a, std_b**2 / n_b
    denom = va**2 / (n_a - 1) + vb**2 / (n_b - 1)
    return (va + vb) ** 2 / denom if denom > 0 else math.nan


def comparison_verdict(
    a_values: Sequence[float],
    b_values: Sequence[float],
    direction: str = ">",
    paired: bool = True,
    alpha: float = 0.05,
    exact: bool = True,
) -> Verdict:
    """Judge 'A > B' (or '<') with a one-sided paired t-test over seeds, or Welch's if unpaired.

    Pairing (same seed for A and B) removes seed-to-seed noise shared by both, so it is the
    default; a pair with a non-finite member is dropped whole. `exact`: whether equal A − B
    on every seed is a deterministic run (see `too_coarse`); unpaired, whether a side whose
    seeds all gave one value is: if not, its spread is unknown and Welch's test has none.
    """
    _check_alpha(alpha)
    if direction not in (">", "<"):
        raise ValueError(f"direction must be '>' or '<', got {direction!r}")
    if paired:
        if len(a_values) != len(b_values):
            raise ValueError(
                f"paired comparison needs one A and one B value per seed, "
                f"got {len(a_values)} and {len(b_values)}"
            )
        a = np.asarray(a_values, dtype=float)
        b = np.asarray(b_values, dtype=float)
        keep = np.isfinite(a) & np.isfinite(b)
        d = a[keep] - b[keep]
        n_drop = int(a.size - d.size)
        early = _too_few(d.size, n_drop, what="seed pairs", drop_word="pair")
        if early is not None:
            return early
        n, (diff, std) = d.size, _mean_std(d)
        if std == 0 and not exact:
            return too_coarse(
                diff,
                n,
                _dropped(n_drop, "pair"),
                "seed pairs give A − B =",
                "their runs differ from seed to seed",
            )
        if std == 0:
            return _deterministic_difference(diff, n, direction, _dropped(n_drop, "pair"))
        # H1: mean(A - B) > 0; identical A and B on every seed is no evidence either way.
        p_greater = 0.5 if std == 0 and diff == 0 else _one_sided_p(diff, std, n)
        test = f"paired t-test over {n} seeds"
        interval = t_interval(diff, std, n, 1 - 2 * alpha)
        dropped = _dropped(n_drop, "pair")
        needed_if_unsettled = seeds_needed_for_one_sample(diff, std, 0.0, alpha=alpha)
    else:
        a, na_drop = _finite(a_values)
        b, nb_drop = _finite(b_values)
        if min(a.size, b.size) < 2:
            dropped = _dropped(na_drop + nb_drop)
            return Verdict(
                INCONCLUSIVE, f"needs >= 2 seeds per side (got {a.size} and {b.size}){dropped}"
            )
        (mean_a, std_a), (mean_b, std_b) = _mean_std(a), _mean_std(b)
        diff = mean_a - mean_b
        if std_a == 0 and std_b == 0:  # no spread: nothing to infer, as for equal pairs
            n, dropped = a.size + b.size, _dropped(na_drop + nb_drop)
            gave = "seeds give one value per side, A − B ="
            if not exact:
                return too_coarse(diff, n, dropped, gave, "their runs differ from seed to seed")
            return _deterministic_difference(diff, n, direction, dropped, gave)
        if not exact and min(std_a, std_b) == 0:  # that side's spread is unknown, not 0
            side, x = ("A", a) if std_a == 0 else ("B", b)
            dropped = _dropped(na_drop if side == "A" else nb_drop)
            gave = f"{side} seeds gave"
            return too_coarse(float(x[0]), x.size, dropped, gave, "their runs differ")
        w = welch_from_summary(mean_a, std_a, a.size, mean_b, std_b, b.size)  # a std is > 0
        p_greater = float(st.t.sf(w.t, w.df))
        test = f"Welch t-test ({a.size} vs {b.size} seeds)"
        se = math.sqrt(std_a**2 / a.size + std_b**2 / b.size)
        half = float(st.t.ppf(1 - alpha, w.df)) * se
        interval = (diff - half, diff + half)
        dropped = _dropped(na_drop + nb_drop)
        needed_if_unsettled = seeds_needed_for_welch(diff, std_a, std_b, alpha=alpha)

    p_claim = p_greater if direction == ">" else 1.0 - p_greater
    p_opposite = 1.0 - p_claim
    opposite = "<" if direction == ">" else ">"
    mean_diff = f"mean A − B = {fmt(diff)}"
    floor = min(P_FLOOR, alpha / 10)  # "p < floor < alpha" stays true for a tiny alpha

    def p_of(p: float) -> str:
        return p_text(p, floor, alpha)

    if p_claim < alpha:
        reason = f"{test}: one-sided {p_of(p_claim)} < {alpha:g} for A {direction} B"
        return Verdict(REPRODUCED, f"{reason} ({mean_diff}){dropped}", p_claim, interval=interval)
    if p_opposite < alpha:
        reason = f"{test}: one-sided {p_of(p_opposite)} < {alpha:g} for A {opposite} B"
        outcome = BELOW if direction == ">" else ABOVE
        return Verdict(outcome, f"{reason} ({mean_diff}){dropped}", p_claim, interval=interval)
    reason = f"{test}: one-sided {p_of(p_claim)} >= {alpha:g} for A {direction} B"
    return Verdict(
        INCONCLUSIVE,
        f"{reason} ({mean_diff}){dropped}",
        p_claim,
        needed_if_unsettled,
        interval=interval,
    )


# --------------------------------------------------------------------------------------------
# Every seed identical (a deterministic setting, or a saturated metric)
#
# A t-interval of zero width and "p = 0" would dress one number up as statistical evidence.
# With no spread there is nothing to infer: the verdict compares the value with the band or
# threshold and says so.


def _identical(n: int) -> str:
    """What was seen, not why: a saturated metric gives one value as well as a deterministic
    setting does."""
    return f"all {n} seeds gave the same value"


def same_values(values: Sequence[object]) -> bool:
    """Every value equal (NaN equal to NaN: a metric no seed logged, or all diverged)."""

    def key(value: object) -> object:
        return "nan" if isinstance(value, float) and math.isnan(value) else value

    return len({key(v) for v in values}) <= 1


TOO_COARSE = "the metric is too coarse to show the seeds' spread"


def too_coarse(
    value: float,
    n: int,
    dropped: str,
    gave: str = "seeds gave",
    differ: str = "their runs differ in other metrics",
) -> Verdict:
    """Identical seeds whose runs differ in another metric: a rounded or saturated metric gives
    n equal values by chance (an accuracy to 0.01), so they are no evidence of an exact value.
    Nothing to infer from no spread: inconclusive until more seeds show it. `differ`: how
    the runs are known to differ (a comparison's A − B may be equal while A and B vary)."""
    reason = (
        f"all {n} {gave} {fmt(value)}, but {differ}: {TOO_COARSE}; more seeds are needed{dropped}"
    )
    return Verdict(INCONCLUSIVE, reason)


FLOAT32_MAX = float(np.finfo(np.float32).max)


def at_float32(value: float, bound: float, tolerance: float = math.inf) -> float:
    """`bound` when `value` is it at float32 precision, else `value`. Metrics are logged in
    float32 and stored widened (0.36 comes back as 0.36000001430511475): every seed giving
    the bound itself is on it, not outside by 1e-8. Not for a claim whose `tolerance` float32
    cannot resolve at `bound`: its metric was logged finer, or it could not be judged at all."""
    if not max(abs(value), abs(bound)) < FLOAT32_MAX:
        return value
    if 0 < tolerance < float(np.spacing(np.float32(bound))):
        return value
    return bound if np.float32(value) == np.float32(bound) else value


def _deterministic_band(
    value: float, n: int, low: float, high: float, tolerance: float, dropped: str
) -> Verdict:
    on_low, on_high = at_float32(value, low, tolerance), at_float32(value, high, tolerance)
    if on_low < low:
        outcome, where = BELOW, "below"
    elif on_high > high:
        outcome, where = ABOVE, "above"
    else:
        outcome, where = REPRODUCED, "inside"
    res = resolution(tolerance, on_low - low, on_high - high)
    band = _interval(low, high, res)
    note = unresolved(res, value, low, high)
    reason = f"{_identical(n)}: the value {fmt(value, res)} lies {where} {band}{note}{dropped}"
    return Verdict(outcome, reason, deterministic=True, resolution=res)


def _deterministic_threshold(
    value: float, n: int, threshold: float, direction: str, dropped: str
) -> Verdict:
    on_it = at_float32(value, threshold)
    margin = on_it - threshold if direction == ">=" else threshold - on_it
    holds = margin >= 0
    outcome = REPRODUCED if holds else (BELOW if direction == ">=" else ABOVE)
    relation = direction if holds else ("<" if direction == ">=" else ">")
    res = resolution(margin)
    reason = (
        f"{_identical(n)}: the value {fmt(value, res)} is {relation} {fmt(threshold, res)} "
        f"(margin {signed(margin)}){dropped}"
    )
    return Verdict(outcome, reason, deterministic=True, resolution=res)


def _deterministic_difference(
    diff: float, n: int, direction: str, dropped: str, gave: str = "seed pairs give A − B ="
) -> Verdict:
    """A deterministic A − B: A > B holds when it is > 0; a tie (0) is not A > B either."""
    holds = diff > 0 if direction == ">" else diff < 0
    outcome = REPRODUCED if holds else (BELOW if direction == ">" else ABOVE)
    if diff == 0:  # not A < B, as BELOW would read: a tie
        outcome = TIE
    tie = f": A = B, so A {direction} B does not hold" if diff == 0 else ""
    reason = f"all {n} {gave} {fmt(diff)}{tie}{dropped}"
    return Verdict(outcome, reason, deterministic=True)


# --------------------------------------------------------------------------------------------
# p-values and power


def tost_p_value(mean: float, std: float, n: int, low: float, high: float) -> float:
    """TOST p for 'true mean inside [low, high]': the larger of the two one-sided t-test p's."""
    return max(_one_sided_p(mean - low, std, n), _one_sided_p(high - mean, std, n))


def seeds_needed_for_equivalence(
    mean: float,
    std: float,
    low: float,
    high: float,
    alpha: float = 0.05,
    power: float = 0.8,
    max_n: int = 10_000,
) -> int | None:
    """Smallest n whose TOST at alpha reaches `power` if the truth is (mean, std); else None.

    Tells the user how many seeds would settle an inconclusive value claim. Power uses the
    standard noncentral-t approximation P(T_low > t_c) + P(T_high < -t_c) - 1, which never
    overstates TOST power, so n is on the safe side. None when the mean is not strictly inside
    the band (no n makes equivalence likely) or n would exceed max_n.
    """
    _check_alpha(alpha)
    _check_level("power", power)
    if not all(math.isfinite(v) for v in (mean, std, low, high)) or std < 0:
        return None
    if std == 0:
        return 2 if low <= mean <= high else None
    if not low < mean < high:
        return None

    def tost_power(n: int) -> float:
        df, se = n - 1, std / math.sqrt(n)
        t_crit = float(st.t.ppf(1 - alpha, df))
        p_low_side = float(st.nct.sf(t_crit, df, (mean - low) / se))
        p_high_side = float(st.nct.sf(t_crit, df, (high - mean) / se))
        return p_low_side + p_high_side - 1.0

    return _smallest_n(tost_power, power, max_n)


def seeds_needed_for_one_sample(
    mean: float,
    std: float,
    reference: float,
    alpha: float = 0.05,
    power: float = 0.8,
    max_n: int = 10_000,
) -> int | None:
    """Smallest n for which a one-sided t-test at alpha separates mean from reference with `power`.

    Used for thresholds and paired comparisons: whichever side the mean is on, that many seeds
    would likely settle the claim. None when mean == reference or n would exceed max_n.
    """
    return _seeds_for_one_sided_test(
        mean - reference, (std,), alpha, power, max_n, lambda n: (std / math.sqrt(n), n - 1)
    )


def seeds_needed_for_welch(
    diff: float,
    std_a: float,
    std_b: float,
    alpha: float = 0.05,
    power: float = 0.8,
    max_n: int = 10_000,
) -> int | None:
    """Seeds per side (equal for A and B) for a one-sided Welch test to detect `diff` with power."""

    def se_and_df(n: int) -> tuple[float, float]:
        return math.sqrt((std_a**2 + std_b**2) / n), welch_df(std_a, n, std_b, n)

    return _seeds_for_one_sided_test(diff, (std_a, std_b), alpha, power, max_n, se_and_df)


def _seeds_for_one_sided_test(
    effect: float,
    stds: tuple[float, ...],
    alpha: float,
    power: float,
    max_n: int,
    se_and_df: Callable[[int], tuple[float, float]],
) -> int | None:
    """Smallest n at which a one-sided t-test at alpha detects |effect| with `power`, given the
    standard error and degrees of freedom at n; None for no effect or beyond max_n."""
    _check_alpha(alpha)
    _check_level("power", power)
    if not all(math.isfinite(v) for v in (effect, *stds)) or min(stds) < 0:
        return None
    if effect == 0:
        return None
    if max(stds) == 0:
        return 2

    def power_at(n: int) -> float:
        se, df = se_and_df(n)
        return float(st.nct.sf(st.t.ppf(1 - alpha, df), df, abs(effect) / se))

    return _smallest_n(power_at, power, max_n)


def _smallest_n(power_at: Callable[[int], float], target: float, max_n: int) -> int | None:
    """Smallest n in [2, max_n] with power_at(n) >= target (power rises with n), else None."""
    if max_n < 2 or power_at(max_n) < target:
        return None
    lo, hi = 2, max_n  # invariant: power_at(hi) >= target
    if power_at(lo) >= target:
        return lo
    while hi - lo > 1:  # invariant: power_at(lo) < target <= power_at(hi)
        mid = (lo + hi) // 2
        if power_at(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def _one_sided_p(effect: float, std: float, n: int) -> float:
    """p of a one-sample t-test of H0 'true effect <= 0' vs H1 '> 0' (effect = mean - ref).

    With zero spread the data are exact: p is 0 when effect >= 0 and 1 otherwise, matching the
    collapsed confidence interval (boundary included) and avoiding a 0/0.
    """
    if std == 0:
        return 0.0 if effect >= 0 else 1.0
    return float(st.t.sf(effect / (std / math.sqrt(n)), n - 1))


# --------------------------------------------------------------------------------------------
# Helpers


def _finite(values: Sequence[float]) -> tuple[np.ndarray, int]:
    """Finite values as floats, and how many non-finite ones (NaN, ±inf) were dropped."""
    x = np.asarray(values, dtype=float).ravel()
    keep = np.isfinite(x)
    return x[keep], int(x.size - keep.sum())


def _mean_std(x: np.ndarray) -> tuple[float, float]:
    """Mean and std (ddof=1; nan for one value); identical values give exactly (value, 0.0).

    Without this, float rounding makes [0.7] * 12 look like std 1e-16 with a mean of
    0.7000000000000001, and zero-spread seeds would not be recognised as exact.
    """
    if x.size and np.ptp(x) == 0:
        return float(x[0]), 0.0 if x.size > 1 else math.nan
    return float(np.mean(x)), float(np.std(x, ddof=1)) if x.size > 1 else math.nan


def _too_few(n: int, n_drop: int, what: str = "seeds", drop_word: str = "value") -> Verdict | None:
    """The inconclusive verdict for fewer than 2 usable values, or None when there are enough."""
    if n == 0:
        return Verdict(INCONCLUSIVE, f"no finite values{_dropped(n_drop, drop_word)}")
    if n < 2:
        return Verdict(INCONCLUSIVE, f"needs >= 2 {what}, got 1{_dropped(n_drop, drop_word)}")
    return None


def _dropped(n_drop: int, word: str = "value") -> str:
    """` (2 diverged seeds dropped)`: a NaN or inf value is a seed that diverged, the word the
    report's verdict cell uses for it (a pair: one with a side that did)."""
    if n_drop == 0:
        return ""
    unit = "seed pair" if word == "pair" else "seed"
    return f" ({n_drop} {DIVERGED_WORD} {unit}{'s' if n_drop != 1 else ''} dropped)"


DIVERGED_WORD = "diverged"
"""What a reason calls a NaN or inf value it dropped (`_dropped`): found in it, it was said."""


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha}")


def _check_level(name: str, level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"{name} must be in (0, 1), got {level}")


MIN_DIGITS = 4
MAX_DIGITS = 15
"""A double holds 15 significant decimal digits for sure; more would show its binary noise."""


def resolution(*differences: float) -> float:
    """The finest nonzero difference a verdict rests on (inf when none): the numbers it
    prints must tell apart what it compared, e.g. a CI end from a band end."""
    sizes = [abs(d) for d in differences if math.isfinite(d) and d != 0]
    return min(sizes, default=math.inf)


def digits_for(value: float, resolution: float = math.inf, at_least: int = MIN_DIGITS) -> int:
    """Significant digits that show `value` down to the leading digit of `resolution`: a
    difference a verdict rests on must not round away (123.53 vs 123.5 at ± 0.05 needs 5).
    At least `at_least`, so what 4 digits already resolve reads as before; at most 15."""
    if not (math.isfinite(value) and value and 0 < resolution < math.inf):
        return at_least
    needed = math.floor(math.log10(abs(value))) - math.floor(math.log10(resolution)) + 1
    return max(at_least, min(MAX_DIGITS, needed))


def unresolved(resolution: float, *values: float) -> str:
    """A note for a reason whose numbers cannot show the difference it rests on: beyond
    MAX_DIGITS a CI end and a band end print alike ('lies above [.., 1.000000001]' next to
    1.000000001), which reads as a contradiction; empty when the digits do show it."""
    if not 0 < resolution < math.inf:
        return ""
    for value in values:
        if math.isfinite(value) and value:
            needed = math.floor(math.log10(abs(value))) - math.floor(math.log10(resolution)) + 1
            if needed > MAX_DIGITS:
                return f" (equal to {MAX_DIGITS} significant digits; they differ beyond)"
    return ""


def fmt(value: float, resolution: float = math.inf) -> str:
    """A number for a reason or a report cell, with the digits `digits_for` gives it."""
    return f"{value:.{digits_for(value, resolution)}g}"


def signed(value: float, resolution: float = math.inf) -> str:
    """A difference with its sign (`+0.02`, `-0.1`), digits as `fmt`; exactly 0 as `0`: a
    sign says which side of the claim, and a mean on it is on neither (`+0` read as above)."""
    if value == 0:
        return "0"
    return f"{value:+.{digits_for(value, resolution)}g}"


P_FLOOR = 1e-6
"""p-values below this print as `p < 1e-6`: a t-test's tail is never exactly 0 (far out it
underflows to 0.0 and printed as `p = 0`), and digits that far out mean nothing."""


def p_text(p: float, floor: float = P_FLOOR, against: float | None = None) -> str:
    """`p = 0.0123`, or `p < 1e-6` below `floor` (never `p = 0`); `p = –` when undefined.

    With `against` (the alpha a reason compares p with), as many digits as keep that
    comparison true in print: 0.04999 is not `p = 0.05 < 0.05`."""
    if not math.isfinite(p):
        return "p = –"
    if p < floor:
        return "p < " + f"{floor:.0e}".replace("e-0", "e-")
    digits = 3
    while against is not None and digits < MAX_DIGITS and _sides_differ(p, digits, against):
        digits += 1
    return f"p = {p:.{digits}g}"


def _sides_differ(p: float, digits: int, against: float) -> bool:
    """Whether p rounded to `digits` compares with `against` differently from p itself."""
    shown = float(f"{p:.{digits}g}")
    return (shown < against, shown == against) != (p < against, p == against)


def _interval(low: float, high: float, res: float = math.inf) -> str:
    return f"[{fmt(low, res)}, {fmt(high, res)}]"


def _pct(level: float) -> str:
    return f"{level * 100:g}%"
