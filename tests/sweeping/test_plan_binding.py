"""A seeds=auto plan governs the report only while its pilot's runs are the ones judged."""

from __future__ import annotations

from repro.sweeping import auto_seeds

PILOT = {0: "2026-01-01T10:00:00", 1: "2026-01-01T10:01:00", 2: "2026-01-01T10:02:00"}


def _saved_plan(tmp_path) -> dict:
    plan = auto_seeds.AutoSeedPlan(n0=3, max_seeds=30, alpha=0.05, power=0.8, seeds={"a": 3})
    plan.config_hashes = {"a": "h"}
    plan.pilot_runs = {"a": dict(PILOT)}
    auto_seeds.save_plan(tmp_path, "toy", plan)
    data = auto_seeds.load_plan(tmp_path, "toy")
    assert data is not None
    return data


def test_a_plan_whose_pilot_runs_were_replaced_no_longer_governs_the_report(tmp_path) -> None:
    """A leftover .seeds_auto.json governed a later fixed sweep's report: after a seeds=auto
    sweep planned N=3, the plugin's code changed and `repro sweep seeds=5` retrained seeds 0-4
    (or `rerun=true` did, or the setting's folder was deleted and run again): the report still
    judged them with the old pilot's two-stage test and left seeds 3-4 'not judged', though
    no seed of these runs was chosen from their data. The plan now names its pilot's runs."""
    data = _saved_plan(tmp_path)
    assert data["settings"]["a@h"].get("pilot") == {str(s): t for s, t in PILOT.items()}
    same = {**PILOT, 3: "2026-02-01T00:00:00", 4: "2026-02-01T00:01:00"}  # seeds added later
    assert auto_seeds.planned_settings(data, {"a": "h"}, {"a": same}) == {"a": (3, 3)}
    rerun = {seed: "2026-03-01T00:00:00" for seed in range(5)}
    assert auto_seeds.planned_settings(data, {"a": "h"}, {"a": rerun}) == {}
    assert auto_seeds.replaced_pilots(data, {"a": "h"}, {"a": rerun}) == {"a": (3, 3)}
    assert auto_seeds.replaced_pilots(data, {"a": "h"}, {"a": same}) == {}
    records = {
        ("a", 0): {"status": "completed", "timing": {"finished_at": PILOT[0]}},
        ("a", 1): {"status": "failed", "timing": {"finished_at": PILOT[1]}},
    }
    assert auto_seeds.pilot_runs(records) == {"a": {0: PILOT[0]}}  # what the sweep saves


def test_a_new_pilot_of_the_same_size_does_not_inherit_the_old_plans_seeds(tmp_path) -> None:
    """A seeds=auto sweep after the pilot's runs were replaced plans from the new pilot alone:
    the old plan's larger N came from other data."""
    _saved_plan(tmp_path)
    data = auto_seeds.load_plan(tmp_path, "toy")
    assert data is not None
    data["settings"]["a@h"]["seeds"] = 9  # the old pilot's plan
    data["settings"]["a@h"]["needs"] = {"a_acc": 9}
    auto_seeds.plan_path(tmp_path, "toy").write_text(__import__("json").dumps(data))
    again = auto_seeds.AutoSeedPlan(n0=3, max_seeds=30, alpha=0.05, power=0.8, seeds={"a": 4})
    again.config_hashes = {"a": "h"}
    again.pilot_runs = {"a": {seed: "2026-03-01T00:00:00" for seed in range(3)}}
    auto_seeds.save_plan(tmp_path, "toy", again)
    saved = auto_seeds.load_plan(tmp_path, "toy")
    assert saved is not None and saved["settings"]["a@h"]["seeds"] == 4
