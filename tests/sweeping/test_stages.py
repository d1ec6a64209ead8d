"""seeds=auto's stages as the sweep drives them (sweeping.stages)."""

from __future__ import annotations

from repro.sweeping.auto_seeds import AutoSeedPlan
from repro.sweeping.stages import say_claims
from repro.sweeping.two_stage import SeedTarget


def test_each_claim_of_the_plan_is_one_line_a_capped_one_a_warning() -> None:
    """Before, a capped claim's reason was printed as a plan line and again as a warning."""
    plan = AutoSeedPlan(3, 4, 0.05, 0.8)
    plan.claims = {
        "ok": SeedTarget(5, False, "needs 5 seeds"),
        "big": SeedTarget(40, True, "needs 40 seeds; capped at max_seeds=4"),
    }
    said: list[str] = []
    warned: list[str] = []
    say_claims(plan, said.append, warned.append)
    assert said == ["  ok: needs 5 seeds"]
    assert warned == ["seeds=auto: big may stay undecided: needs 40 seeds; capped at max_seeds=4"]
