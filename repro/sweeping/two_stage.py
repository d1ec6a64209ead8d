"""How many seeds a claim needs, decided from the data without spoiling the error rates.

`repro sweep seeds=auto` looks at a pilot of seeds before choosing how many more to run. Looking
at data and then testing on it ("rerun until significant") inflates false verdicts, so the
choice and the final test follow Stein's two-stage procedure (Stein 1945):

1. Run n0 pilot seeds and take their standard deviation s0 (and nothing else from them).
2. Run N(s0) seeds in total, N chosen so the test has the wanted power for the claim's margin.
3. Test with the mean of all N seeds but the pilot's s0, against Student's t with n0 - 1
   degrees of freedom.

Because N depends on the data only through s0, and the mean of normal values is independent of
their sample variance, (mean_N - mu) / (s0 / sqrt(N)) follows t(n0 - 1) exactly, whatever N came
out. Each one-sided test therefore has level alpha exactly, so a claim that is false is called
"reproduced" with probability at most alpha, and a true one "not reproduced" at most alpha
(tests/sweeping/test_two_stage.py checks both by simulation). The assumption is that a metric's seed
values are roughly normal; a diverged seed (non-finite value) is dropped and counted.

Pure functions: numbers in, numbers and verdicts out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats as st

from repro import stats
from repro.stats import ABOVE, BELOW, INCONCLUSIVE, REPRODUCED, Verdict

MIN_PILOT = 3
"""Fewer pilot seeds leave s0 with 1 degree of freedom: t(1) quantiles make N explode."""
DEFAULT_MAX_SEEDS = 30
MAX_SEEDS_LIMIT = 10_000
"""The most seeds seeds=auto plans per experiment: a flat or broken pilot plans max_seeds itself,
so a typo (max_seeds=1000000000000) planned that many runs, shown as a dry run's plan."""
FLAT_PILOT = "the {n0} pilot seeds were identical but later seeds vary"
"""Stein's bound t * s0 / sqrt(N) with s0 = 0 is a zero-width interval the varying later seeds
contradict (another claim of the experiment raised N): the two-stage test is undefined, and
the claim is judged by the fixed-sample test on all its seeds instead."""
UNDEFINED_PREFIX = "a pilot seed is not finite"
"""How a two-stage verdict that could not be made begins (the report's discussion quotes it)."""
DEFAULT_POWER = 0.8
ZERO_TOLERANCE = (
    "tolerance 0: no interval fits inside [c, c], so no number of seeds gives power; a value "
    "claim with tolerance 0 is decided only by identical (deterministic) seeds or by a mean "
    "clearly outside it: no power plan"
)

PROCEDURE = (
    "Seeds chosen by Stein's two-stage procedure: a pilot of n0 seeds gives the spread s0 "
    "(and nothing else); the total number of seeds N is the smallest that gives {power:.0%} "
    "power for the claim's margin at that spread, capped at max_seeds; the final tests use the "
    "mean of all N seeds with the pilot's s0 and Student's t with n0 − 1 degrees of freedom. "
    "Because N depends on the data only through s0, each one-sided test keeps level α = "
    "{alpha:g} exactly (for roughly normal seed values): a false claim is called reproduced, "
    "or a true one not reproduced, with probability at most α."
)


@dataclass(frozen=True)
class SeedTarget:
    """Seeds one claim needs in total, or why it cannot be settled within the cap."""

    needed: int | None  # None: the claim needs no more seeds than the pilot gave (or cannot run)
    capped: bool  # True when the need exceeds max_seeds (the plan runs max_seeds)
    reason: str


def pilot_size(default_seeds: int) -> int:
    """The pilot: the paper's default seed count, and never fewer than MIN_PILOT."""
    return max(int(default_seeds), MIN_PILOT)


def seeds_needed(
    pilot_std: float,
    n0: int,
    margin: float | None,
    two_sided_band: bool,
    alpha: float = 0.05,
    power: float = DEFAULT_POWER,
) -> int:
    """Stein's total N for a test at `alpha` with `power` to detect `margin` given spread s0.

    For a value claim (`two_sided_band`), the margin is the tolerance and the power is for a
    true mean at the claimed value (TOST needs both one-sided tests to pass, hence
    t_{1 - beta/2}). For thresholds and comparisons the margin is the smallest effect worth
    detecting; without one it is one pilot standard deviation, so N is then a constant. A value
    claim's zero tolerance is a ValueError: no N gives power there.
    """
    if n0 < 2:
        raise ValueError(f"the pilot needs >= 2 seeds, got {n0}")
    if not math.isfinite(pilot_std) or pilot_std < 0:
        raise ValueError(f"pilot std must be finite and >= 0, got {pilot_std}")
    if pilot_std == 0:
        return n0
    if two_sided_band and margin == 0:
        raise ValueError("a zero-width band has power 0 at any N: no interval fits inside [c, c]")
    df = n0 - 1
    beta = 1 - power
    t_alpha = float(st.t.ppf(1 - alpha, df))
    t_beta = float(st.t.ppf(1 - beta / 2 if two_sided_band else 1 - beta, df))
    effect = margin if margin is not None and margin > 0 else pilot_std
    return max(n0, math.ceil(((t_alpha + t_beta) * pilot_std / effect) ** 2))


def target_for(
    pilot_values: Sequence[float],
    margin: float | None,
    two_sided_band: bool,
    max_seeds: int,
    alpha: float = 0.05,
    power: float = DEFAULT_POWER,
    exact: bool = True,
) -> SeedTarget:
    """Seeds to run for one claim given its pilot values (the seeds 0..n0-1 of the pilot).
    `exact`: whether identical pilot values are a deterministic run (the pilot's runs agree in
    every metric); if not, the metric is too coarse to show s0 and the plan runs max_seeds:
    nothing in the pilot sizes N, and any later seed that differs settles the claim by the
    fixed-sample test on all seeds (`_fixed_sample`); only a metric that never varies wastes
    them, which the pilot cannot tell from one that varied too little to show."""
    raw = np.asarray(pilot_values, dtype=float).ravel()
    x = _finite(raw)
    if x.size < 2:
        return SeedTarget(None, False, f"pilot has {x.size} finite value(s): cannot plan")
    if x.size < raw.size:  # the final test is undefined for this pilot: no N makes it decide
        return SeedTarget(None, False, f"{UNDEFINED_PREFIX}: two-stage test undefined, cannot plan")
    s0 = _std(x)
    if s0 == 0 and not exact:
        return SeedTarget(
            max_seeds,
            False,
            f"all {x.size} pilot seeds gave the same value but their runs differ in other "
            f"metrics: {stats.TOO_COARSE}, so the pilot cannot size N; running max_seeds="
            f"{max_seeds}: a seed that differs lets the fixed-sample test on all seeds decide "
            f"(a flat pilot does not tell a metric that never varies from one that varied too "
            f"little to show); if all {max_seeds} stay equal, it stays inconclusive",
        )
    if two_sided_band and margin == 0 and s0 > 0:
        return SeedTarget(None, False, ZERO_TOLERANCE)
    needed = seeds_needed(s0, x.size, margin, two_sided_band, alpha, power)
    if needed > max_seeds:
        return SeedTarget(
            max_seeds,
            True,
            f"needs {needed} seeds for {power:.0%} power at pilot std {s0:.4g}, "
            f"more than max_seeds={max_seeds}",
        )
    if s0 == 0:
        return SeedTarget(needed, False, f"all {x.size} pilot seeds identical: no more needed")
    return SeedTarget(needed, False, f"{needed} seeds for {power:.0%} power at pilot std {s0:.4g}")


# --------------------------------------------------------------------------------------------
# The final tests


def _where(
    values: np.ndarray, n0: int, alpha: float, against: tuple[float, ...], scale: float = math.inf
) -> tuple[float, float, str, float]:
    """Stein's one-sided (1 - alpha) bounds: mean of all seeds, spread of the pilot's; a
    phrase saying so for the verdict's reason; and the resolution it needs to tell the bounds
    from what they are compared `against` (band ends, a reference) at the claim's `scale`."""
    mean = float(np.mean(values))
    half = float(st.t.ppf(1 - alpha, n0 - 1)) * _std(values[:n0]) / math.sqrt(values.size)
    lower, upper = mean - half, mean + half
    res = stats.resolution(scale, *(end - ref for end in (lower, upper) for ref in against))
    where = (
        f"mean {stats.fmt(mean, res)}, two-stage {1 - alpha:.0%} bounds "
        f"[{stats.fmt(lower, res)}, {stats.fmt(upper, res)}] (n={values.size}, pilot n0={n0})"
        f"{stats.unresolved(res, lower, upper, *against)}"
    )
    return lower, upper, where, res


def _usable(values: Sequence[float], n0: int) -> tuple[np.ndarray | None, Verdict | None]:
    raw = np.asarray(values, dtype=float).ravel()
    if not np.all(np.isfinite(raw[:n0])):
        return None, Verdict(INCONCLUSIVE, f"{UNDEFINED_PREFIX}: two-stage test undefined")
    x = raw[np.isfinite(raw)]
    if n0 < 2 or x.size < n0:
        return None, Verdict(INCONCLUSIVE, f"needs the {n0} pilot seeds, got {x.size}")
    return x, None


def _say_dropped(verdict: Verdict, values: Sequence[float], n0: int) -> Verdict:
    """The reason ends with the non-finite later seeds left out of the mean and n, as the
    fixed-sample rules' reasons do (a diverged seed is never dropped silently)."""
    later = np.asarray(values, dtype=float).ravel()[n0:]
    n_drop = int(later.size - np.isfinite(later).sum())
    if not n_drop or stats.DIVERGED_WORD in verdict.reason or UNDEFINED_PREFIX in verdict.reason:
        return verdict  # a non-finite pilot seed: the reason says the test is undefined
    return replace(verdict, reason=verdict.reason + stats._dropped(n_drop))


def equivalence_verdict(
    values: Sequence[float],
    n0: int,
    claimed: float,
    tolerance: float,
    alpha: float = 0.05,
    exact: bool = True,
) -> Verdict:
    """'metric = claimed ± tolerance' on two-stage data (values in seed order, pilot first);
    `exact` as in stats.equivalence_verdict."""
    verdict = _equivalence(values, n0, claimed, tolerance, alpha, exact)
    return _say_dropped(verdict, values, n0)


def _equivalence(
    values: Sequence[float],
    n0: int,
    claimed: float,
    tolerance: float,
    alpha: float,
    exact: bool,
) -> Verdict:
    x, early = _usable(values, n0)
    if early is not None:
        return early
    if np.ptp(x) == 0:  # every seed identical: judged on the value, said to be deterministic
        return stats.equivalence_verdict(x, claimed, tolerance, alpha, exact)
    if _std(x[:n0]) == 0:
        return _fixed_sample(stats.equivalence_verdict(x, claimed, tolerance, alpha), n0, values)
    low, high = claimed - tolerance, claimed + tolerance
    lower, upper, where, res = _where(x, n0, alpha, (low, high), tolerance)
    band = f"[{stats.fmt(low, res)}, {stats.fmt(high, res)}]"
    kw = {"interval": (lower, upper), "resolution": res}
    if low <= lower and upper <= high:
        return Verdict(REPRODUCED, f"{where} lie inside {band}", **kw)
    if upper < low:
        return Verdict(BELOW, f"{where}: upper bound below {band}", **kw)
    if lower > high:
        return Verdict(ABOVE, f"{where}: lower bound above {band}", **kw)
    position = _distance_to_band(float(np.mean(x)), low, high, res)
    return Verdict(
        INCONCLUSIVE,
        f"{where} overlap the edge of {band}: {position}; N was planned for a true value at "
        f"the claimed {stats.fmt(claimed, res)}{ADDING_VOIDS}",
        **kw,
        undecided_because=f"{position}, and N was planned for a true value at the claim",
    )


ADDING_VOIDS = ", and adding seeds after seeing these would void the procedure's error rates"
"""How an undecided verdict on the planned seeds ends; not said of one short of its plan
(interim: the plan's own seeds are still to come), which the report says instead."""


def _distance_to_band(mean: float, low: float, high: float, res: float) -> str:
    """Where an undecided mean sits: outside an edge, or inside near the closer one."""
    if mean < low:
        return f"the mean sits {low - mean:.2g} below the lower edge {stats.fmt(low, res)}"
    if mean > high:
        return f"the mean sits {mean - high:.2g} above the upper edge {stats.fmt(high, res)}"
    edge, name = (low, "lower") if mean - low <= high - mean else (high, "upper")
    distance = f"{abs(mean - edge):.2g}"
    return f"the mean sits inside, {distance} from the {name} edge {stats.fmt(edge, res)}"


def one_sided_verdict(
    values: Sequence[float],
    n0: int,
    reference: float,
    direction: str,
    alpha: float = 0.05,
    exact: bool = True,
) -> Verdict:
    """'metric >= reference' / '<=' (thresholds) or a paired difference '> 0' / '< 0';
    `exact` as in stats.threshold_verdict."""
    if direction not in (">=", ">", "<=", "<"):
        raise ValueError(f"direction must be one of >=, >, <=, <; got {direction!r}")
    return _say_dropped(_one_sided(values, n0, reference, direction, alpha, exact), values, n0)


def _one_sided(
    values: Sequence[float],
    n0: int,
    reference: float,
    direction: str,
    alpha: float,
    exact: bool,
) -> Verdict:
    x, early = _usable(values, n0)
    if early is not None:
        return early
    if np.ptp(x) == 0:  # every seed identical: judged on the value, said to be deterministic
        if direction in (">=", "<="):
            return stats.threshold_verdict(x, reference, direction, alpha, exact)
        reference_side = np.full_like(x, reference)
        return stats.comparison_verdict(x, reference_side, direction, True, alpha, exact)
    if _std(x[:n0]) == 0:
        if direction in (">=", "<="):
            return _fixed_sample(
                stats.threshold_verdict(x, reference, direction, alpha), n0, values
            )
        fixed = stats.comparison_verdict(x, np.full_like(x, reference), direction, True, alpha)
        return _fixed_sample(fixed, n0, values)
    lower, upper, where, res = _where(x, n0, alpha, (reference,))
    ref = stats.fmt(reference, res)
    greater = direction.startswith(">")
    strict = direction in (">", "<")
    passes = (
        (lower > reference if strict else lower >= reference)
        if greater
        else (upper < reference if strict else upper <= reference)
    )
    kw = {"interval": (lower, upper), "resolution": res}
    if passes:
        return Verdict(REPRODUCED, f"{where} {direction} {ref}", **kw)
    if greater and upper < reference:
        return Verdict(BELOW, f"{where}: upper bound below {ref}", **kw)
    if not greater and lower > reference:
        return Verdict(ABOVE, f"{where}: lower bound above {ref}", **kw)
    mean = float(np.mean(x))
    side = "above" if mean >= reference else "below"
    position = f"the mean sits {abs(mean - reference):.2g} {side} {ref}"
    return Verdict(
        INCONCLUSIVE,
        f"{where} straddle {ref}: {position}",
        **kw,
        undecided_because=position,
    )


FALLBACK = "two-stage test undefined; fixed-sample test"
"""How a flat pilot's verdict names the test that replaced the two-stage one (the report's
note on seeds past N names the same test)."""


def _fixed_sample(verdict: Verdict, n0: int, values: Sequence[float]) -> Verdict:
    """A fixed-sample verdict on the planned seeds (`values`: those the claim judges), its
    reason saying why it replaced the two-stage one."""
    finite = int(np.isfinite(np.asarray(values, dtype=float)).sum())
    seeds = f"the {len(values)} planned seeds"
    if finite < len(values):  # a diverged seed: not one the test had (the reason ends so)
        seeds = f"{finite} of the {len(values)} planned seeds"
    why = f"{FLAT_PILOT.format(n0=n0)}: {FALLBACK} on {seeds}"
    return replace(verdict, reason=f"{why}: {verdict.reason}")


def _finite(values: Sequence[float]) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    return x[np.isfinite(x)]


def _std(x: np.ndarray) -> float:
    """Sample std (ddof=1); exactly 0.0 for identical values (no rounding noise)."""
    if x.size < 2:
        return math.nan
    return 0.0 if np.ptp(x) == 0 else float(np.std(x, ddof=1))
