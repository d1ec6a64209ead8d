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


def test_a_stage_two_run_of_a_kept_n_records_the_cap_it_was_planned_at() -> None:
    """a plan of N=20 kept after a sweep with max_seeds=10 (its seeds past the
    pilot ran) marked its stage-two runs `max_seeds: 10, seeds: 20`, a cap below the N it
    trained; a lost plan's warning then said `max_seeds=10, N=20`. The run records the cap
    its N was planned at."""
    from repro.records import store
    from repro.sweeping.stages import marking

    with marking(True, 3, 10, [(["a"], list(range(3, 20))), (["b"], list(range(3, 8)))]):
        kept = store.seeds_auto_section("a", "h")
        cut = store.seeds_auto_section("b", "h")
    assert kept is not None and (kept["seeds"], kept["max_seeds"]) == (20, 20), kept
    assert cut is not None and (cut["seeds"], cut["max_seeds"]) == (8, 10), cut
