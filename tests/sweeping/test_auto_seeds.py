"""seeds=auto planning: claims mapped onto Stein's two-stage sizes, per experiment."""

from __future__ import annotations

import json

import pytest

from repro.plugins.paper_spec import PaperSpec
from repro.records import store
from repro.sweeping import auto_seeds


def _spec() -> PaperSpec:
    return PaperSpec.model_validate(
        {
            "id": "toy",
            "title": "t",
            "authors": ["a"],
            "venue": "v",
            "year": 2026,
            "paper_url": "u",
            "module": "model:M",
            "datamodule": "data:D",
            "experiments": {"a": "", "b": "", "c": ""},
            "claims": [
                {
                    "id": "a_acc",
                    "experiment": "a",
                    "metric": "acc",
                    "value": 0.9,
                    "tolerance": 0.01,
                    "source": "T1",
                },
                {
                    "id": "a_beats_b",
                    "kind": "comparison",
                    "experiment": "a",
                    "versus": "b",
                    "direction": ">",
                    "metric": "acc",
                    "source": "T1",
                },
                {
                    "id": "c_floor",
                    "kind": "threshold",
                    "experiment": "c",
                    "metric": "acc",
                    "value": 0.5,
                    "direction": ">=",
                    "source": "T1",
                },
            ],
        }
    )


def _metrics(values: dict[str, list[float]]) -> auto_seeds.PilotMetrics:
    return {e: {s: {"acc": v} for s, v in enumerate(vs)} for e, vs in values.items()}


def test_noisy_value_claim_asks_for_more_seeds_and_its_comparison_partner_follows() -> None:
    metrics = _metrics({"a": [0.90, 0.91, 0.89], "b": [0.5, 0.5, 0.5], "c": [0.7, 0.7, 0.7]})
    plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=30)
    assert plan.seeds["a"] > 3  # spread 0.01 against a ±0.01 band needs more seeds
    assert plan.seeds["c"] == 3  # identical pilot seeds: nothing more to learn
    assert plan.claims["c_floor"].reason.startswith("all 3 pilot seeds identical")
    # b is paired with a: it needs as many seeds as the comparison asks for
    assert plan.seeds["b"] == plan.claims["a_beats_b"].needed


def test_a_need_beyond_the_cap_names_the_claim_as_undecidable() -> None:
    metrics = _metrics({"a": [0.7, 0.9, 1.1], "b": [0.5, 0.5, 0.6], "c": [0.7, 0.7, 0.7]})
    plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=8)
    assert plan.seeds["a"] == 8
    assert "a_acc" in plan.undecidable()
    assert "more than max_seeds=8" in plan.undecidable()["a_acc"]


def test_a_pilot_with_missing_runs_cannot_plan_and_says_so() -> None:
    metrics = _metrics({"a": [0.9], "b": [0.5, 0.5, 0.5], "c": [0.7, 0.7, 0.7]})
    plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3)
    assert "cannot plan" in plan.undecidable()["a_acc"]


def test_a_pilot_run_that_did_not_log_the_metric_is_not_called_not_finite() -> None:
    """a completed pilot run without the claim's metric (a module that logs it
    only sometimes, or a claim naming a metric the module never logs) was planned as 'a pilot
    seed is not finite: two-stage test undefined' (or 'pilot has 0 finite value(s)'), though
    no value diverged: the plan says which seeds did not log it, or did not complete."""
    metrics = _metrics({"a": [0.90, 0.91, 0.89], "b": [0.5, 0.5, 0.5], "c": [0.7, 0.7, 0.7]})
    metrics["a"][1] = {"loss": 0.3}  # completed, without acc
    del metrics["c"][2]  # no completed run
    for seed in range(3):
        metrics["b"][seed] = {"accuracy": 0.5}
    plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3)
    why = plan.undecidable()
    assert why["a_acc"] == "pilot seed 1 of a completed without logging acc: cannot plan"
    assert why["a_beats_b"] == (
        "pilot seed 1 of a and pilot seeds 0–2 of b completed without logging acc: cannot plan"
    )
    assert (
        why["c_floor"]
        == "pilot seed 2 of c has no completed run that trained to its end: cannot plan"
    )
    assert not any("finite" in reason for reason in why.values()), why


def test_plan_round_trips_with_the_procedure_text(tmp_path) -> None:
    metrics = _metrics({"a": [0.90, 0.91, 0.89], "b": [0.5] * 3, "c": [0.7] * 3})
    plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3)
    auto_seeds.save_plan(tmp_path, "toy", plan)
    loaded = auto_seeds.load_plan(tmp_path, "toy")
    assert loaded["n0"] == 3 and loaded["seeds"] == plan.seeds
    assert "Stein" in loaded["procedure"] and "α = 0.05" in loaded["procedure"]
    (tmp_path / "toy" / auto_seeds.PLAN_FILE).write_text("[1, 2")
    assert auto_seeds.load_plan(tmp_path, "toy") is None
    assert json.loads(plan.to_json())["claims"]["a_acc"]["needed"] == plan.claims["a_acc"].needed


@pytest.mark.parametrize(
    "damage",
    [
        {"seeds": None},
        {"seeds": {"a": "four"}},
        {"n0": 0},
        {"n0": 1},
        {"config_hashes": ["a"]},
        {"claims": "x"},
        {"settings": {"a@h": {"n0": 3, "seeds": 5, "needs": {"a_acc": "x"}}}},
        {"settings": {"a@h": {"n0": 3, "seeds": 5, "needs": ["a_acc"]}}},
        {"settings": {"a@h": {"n0": 3, "seeds": 5, "needs": {"a_acc": 9}}}},
    ],
)
def test_a_damaged_plan_is_named_not_a_crash_or_a_test_on_it(tmp_path, damage) -> None:
    """A hand-edited plan without `seeds` crashed the report (KeyError: 'seeds'); `n0: 0`
    was taken as a pilot of none: either is a plan the report cannot use. A
    setting's `needs` that is not claim -> whole number within its seeds crashed the next
    seeds=auto sweep's save (TypeError in max) or planned seeds none would run."""
    metrics = _metrics({"a": [0.90, 0.91, 0.89], "b": [0.5] * 3, "c": [0.7] * 3})
    plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3)
    auto_seeds.save_plan(tmp_path, "toy", plan)
    data = json.loads(auto_seeds.plan_path(tmp_path, "toy").read_text())
    data.update(damage)
    auto_seeds.plan_path(tmp_path, "toy").write_text(json.dumps(data))
    loaded, problem = auto_seeds.read_plan(tmp_path, "toy")
    assert loaded is None and problem is not None
    assert problem.startswith(str(auto_seeds.plan_path(tmp_path, "toy"))), problem
    assert auto_seeds.load_plan(tmp_path, "toy") is None
    assert auto_seeds.read_plan(tmp_path / "none", "toy") == (None, None)


def test_a_damaged_plan_is_not_overwritten_by_the_next_sweeps(tmp_path) -> None:
    """a truncated .seeds_auto.json (a full disk, a hand edit) was read as no plan
    and replaced by the next seeds=auto sweep's without a word, its other settings' plans
    lost for good (their runs then judged as if never planned). The sweep stops instead."""
    from repro.errors import UsageError

    metrics = _metrics({"a": [0.90, 0.91, 0.89], "b": [0.5] * 3, "c": [0.7] * 3})
    first = auto_seeds.plan_seeds(_spec(), metrics, n0=3, experiments=["a", "b"])
    first.config_hashes = {"a": "h", "b": "h"}
    auto_seeds.save_plan(tmp_path, "toy", first)
    path = auto_seeds.plan_path(tmp_path, "toy")
    damaged = path.read_text()[:50]
    path.write_text(damaged)
    later = auto_seeds.plan_seeds(_spec(), metrics, n0=3, experiments=["c"])
    later.config_hashes = {"c": "h"}
    with pytest.raises(UsageError, match=r"unreadable .*repair it, or move it away"):
        auto_seeds.save_plan(tmp_path, "toy", later)
    assert path.read_text() == damaged


def test_a_plan_that_is_a_dead_link_is_not_replaced_by_the_next_sweeps(tmp_path) -> None:
    """a .seeds_auto.json linked to a disk not mounted now was read as no plan: the
    next seeds=auto sweep replaced the link with its own plan, the earlier settings' plans
    gone from the results folder, and the report judged their runs as never planned without
    naming the file. It is named as a dead link, and the sweep stops."""
    from repro.errors import UsageError
    from repro.records import store

    metrics = _metrics({"a": [0.90, 0.91, 0.89], "b": [0.5] * 3, "c": [0.7] * 3})
    path = auto_seeds.plan_path(tmp_path, "toy")
    path.parent.mkdir(parents=True)
    path.symlink_to(tmp_path / "unmounted" / path.name)
    loaded, problem = auto_seeds.read_plan(tmp_path, "toy")
    assert (loaded, problem) == (None, f"{path}: unreadable ({store.DEAD_LINK})")
    later = auto_seeds.plan_seeds(_spec(), metrics, n0=3, experiments=["c"])
    later.config_hashes = {"c": "h"}
    with pytest.raises(UsageError, match=r"unreadable .*repair it, or move it away"):
        auto_seeds.save_plan(tmp_path, "toy", later)
    assert path.is_symlink()


def test_a_later_plan_never_lowers_a_settings_planned_seeds(tmp_path) -> None:
    """a seeds=auto sweep of `a` alone (its comparison with `b` left out) planned
    fewer seeds for `a` than the earlier sweep of both had run for the comparison; the report
    then said the comparison ran 'more than the 6 planned'."""
    metrics = _metrics({"a": [0.90, 0.91, 0.89], "b": [0.5] * 3, "c": [0.7] * 3})
    both = auto_seeds.plan_seeds(_spec(), metrics, n0=3)
    both.config_hashes = {"a": "h", "b": "h", "c": "h"}
    auto_seeds.save_plan(tmp_path, "toy", both)
    alone = auto_seeds.AutoSeedPlan(n0=3, max_seeds=30, alpha=0.05, power=0.8, seeds={"a": 4})
    alone.config_hashes = {"a": "h"}
    auto_seeds.save_plan(tmp_path, "toy", alone)
    planned = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert planned == {"a": (3, both.seeds["a"])} and both.seeds["a"] > 4


def test_sweep_seeds_auto_runs_a_pilot_then_the_planned_seeds(tmp_path) -> None:
    """`repro sweep seeds=auto max_seeds=4`: 3 pilot seeds, a plan, then the 4th seed the
    (capped) plan asks for; the report then states the procedure."""
    from tests.conftest import repro, write_toy_paper

    folder = write_toy_paper(tmp_path / "plugins")
    paper = folder / "paper.yaml"
    paper.write_text(paper.read_text().replace("tolerance: 0.5", "tolerance: 0.000001"))
    papers = ["--papers-dir", str(tmp_path / "plugins")]
    dry = repro("sweep", *papers, "paper=toy", "seeds=auto", "max_seeds=4", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "seeds=auto: pilot of 3 seeds per experiment" in dry.stdout
    done = repro("sweep", *papers, "paper=toy", "seeds=auto", "max_seeds=4", "logger=none")
    assert done.returncode == 0, done.stderr
    assert "seeds=auto: small needs 4 seeds in all (pilot 3)" in done.stdout
    assert "small_mse may stay undecided" in done.stderr
    assert "stage two: experiment=small seed=3" in done.stdout
    results = tmp_path / "results" / "toy" / "small"
    assert sorted(p.name for p in results.glob("*/seed*")) == ["seed0", "seed1", "seed2", "seed3"]
    plan = auto_seeds.load_plan(tmp_path / "results", "toy")
    assert plan["seeds"] == {"small": 4} and plan["claims"]["small_mse"]["capped"]
    (setting,) = plan["settings"].values()  # its pilot's runs, which the report checks
    assert sorted(setting["pilot"]) == ["0", "1", "2"], setting
    assert sorted(setting["pilot_values"]) == ["0", "1", "2"], setting  # and its claimed values
    assert all(list(v) == ["test/mse"] for v in setting["pilot_values"].values()), setting
    # a rerun of a pilot seed that reproduces its value bit for bit keeps the plan
    rerun = repro("run", *papers, "paper=toy", "experiment=small", "seed=1", "rerun=true")
    assert rerun.returncode == 0, rerun.stderr
    (record,) = results.glob("*/seed1/record.json")
    assert store.finished_at(json.loads(record.read_text())) != setting["pilot"]["1"]
    report = repro("report", *papers, "paper=toy")
    assert report.returncode == 0 and "seeds=auto plan" not in report.stderr, report.stderr
    again = repro("sweep", *papers, "paper=toy", "seeds=auto", "max_seeds=4", "--dry-run")
    # pilot done: the plan, counting the stage-two seed that already ran as done
    assert "seeds=auto: small: 4 seeds in all, 1 beyond the pilot, 0 still to run" in again.stdout
    assert "estimated time of the remaining runs: 0 s" in again.stdout
    reported = repro("report", *papers, "paper=toy")
    assert reported.returncode in (0, 1), reported.stderr
    text = (tmp_path / "reports" / "toy" / "report.md").read_text()
    assert "Stein's two-stage procedure" in text and "small\\_mse" in text
    # a higher max_seeds after the plan's seeds ran would grow N after its verdict
    for flags in (["--dry-run"], ["logger=none"]):
        raised = repro("sweep", *papers, "paper=toy", "seeds=auto", "max_seeds=6", *flags)
        assert raised.returncode == 2, raised.stderr
        last = raised.stderr.strip().splitlines()[-1]
        assert last.startswith("error: seeds=auto: toy/small was planned from this pilot with N=4")
        assert "sweep with max_seeds=4 to keep the plan" in last, last
    assert len(list(results.glob("*/seed*"))) == 4
    # each run a stage trained says so, so a deleted plan is named, not ignored
    sections = {
        p.parent.name: json.loads(p.read_text()).get("seeds_auto")
        for p in results.glob("*/seed*/record.json")
    }
    (setting,) = {s["setting"] for s in sections.values() if s}
    assert sections["seed0"] == {"n0": 3, "max_seeds": 4, "stage": "pilot", "setting": setting}
    assert sections["seed1"] is None  # made again by `repro run`, not by the sweep
    assert sections["seed3"] == {
        "n0": 3,
        "max_seeds": 4,
        "stage": "two",
        "setting": setting,
        "seeds": 4,
        "pilot_values": plan["settings"][setting]["pilot_values"],  # its pilot
    }
    auto_seeds.plan_path(tmp_path / "results", "toy").unlink()
    lost = repro("report", *papers, "paper=toy")
    assert "toy/small: its runs were trained by `repro sweep seeds=auto`" in lost.stderr
    raised = repro("sweep", *papers, "paper=toy", "seeds=auto", "max_seeds=6", "--dry-run")
    assert raised.returncode == 2 and "with N=4" in raised.stderr, raised.stderr
    again = repro("sweep", *papers, "paper=toy", "seeds=auto", "max_seeds=4", "logger=none")
    assert again.returncode == 0, again.stderr
    back = repro("report", *papers, "paper=toy")
    assert "seeds=auto" not in back.stderr, back.stderr


def test_stage_two_trains_every_group_of_experiments_in_one_sweep(
    tmp_path, isolated_env, monkeypatch, capsys
) -> None:
    """Stage two was one sweep per group of experiments sharing their extra seeds, one after
    another (each its own workers, its own table): now one sweep, one table."""
    from repro.cli import app
    from tests.conftest import write_toy_paper

    write_toy_paper(tmp_path / "plugins")
    groups = [(["small"], [3]), (["wide"], [3, 4])]
    monkeypatch.setattr(auto_seeds.AutoSeedPlan, "stage_two", lambda plan: groups)
    arguments = ["--papers-dir", str(tmp_path / "plugins"), "paper=toy", "seeds=auto"]
    code = app(
        ["sweep", *arguments, "max_seeds=5", "experiment=small,wide", "logger=none"],
        standalone_mode=False,
    )
    out = capsys.readouterr().out
    assert not code, out
    line = "seeds=auto: stage two: experiment=small seed=3; experiment=wide seed=3,4: 3 runs"
    assert line in out
    assert out.count(" trained, 0 already completed") == 2, out  # the pilot's table, then one
    assert "3 trained, 0 already completed" in out.split(line)[1]
    records = isolated_env.rglob("seed*/record.json")
    trained = sorted(f"{p.parent.parent.parent.name} {p.parent.name}" for p in records)
    assert trained == [*(f"small seed{s}" for s in range(4)), *(f"wide seed{s}" for s in range(5))]


def test_stage_two_plans_each_group_with_the_pilots_setting(tmp_path, isolated_env) -> None:
    from repro.config.app import plugin_overrides
    from repro.plugins.registry import get_paper
    from repro.sweeping.plan import SweepGrid
    from repro.sweeping.stages import describe, plan_stage_two
    from tests.conftest import write_toy_paper

    write_toy_paper(tmp_path / "plugins")
    plugin = get_paper("toy", [tmp_path / "plugins"])
    pilot = SweepGrid(["small", "wide"], [0, 1, 2], [("trainer.max_steps=7",)])
    groups = [(["small", "wide"], [3]), (["wide"], [4, 5])]
    runs = plan_stage_two("toy", plugin_overrides(plugin.folder), pilot, groups)
    assert [(r.experiment, r.seed) for r in runs] == [
        ("small", 3),
        ("wide", 3),
        ("wide", 4),
        ("wide", 5),
    ]
    assert {r.fixed for r in runs} == {("trainer.max_steps=7",)}
    assert {r.max_steps for r in runs} == {7}
    assert describe(groups) == "experiment=small,wide seed=3; experiment=wide seed=4,5"


@pytest.mark.parametrize("dry_run", [True, False])
def test_seeds_auto_with_several_settings_is_refused_before_any_run(tmp_path, dry_run) -> None:
    """One plan per experiment: several settings were refused only after the pilot had run
    (and the dry run showed a pilot it would never plan from)."""
    from tests.conftest import repro, write_toy_paper

    write_toy_paper(tmp_path / "plugins")
    papers = ["--papers-dir", str(tmp_path / "plugins")]
    flags = ["--dry-run"] if dry_run else []
    refused = repro("sweep", *papers, "paper=toy", "seeds=auto", "optimizer.lr=0.05,0.1", *flags)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.strip().splitlines()[-1] == (
        "error: seeds=auto plans one setting per experiment: sweep no other keys "
        "(here 2 settings: optimizer.lr)"
    )
    assert not list(tmp_path.rglob("record.json"))


def test_a_later_plan_of_the_same_claims_replaces_their_n(tmp_path) -> None:
    """the rule above kept the largest N ever planned, so a later sweep with a lower
    max_seeds (50, then 20, then 30) left N=50, and the report asked for seeds no sweep would
    run. A claim a later sweep plans again takes that sweep's N."""
    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})
    for cap in (50, 20, 30):
        plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=cap, experiments=["a"])
        plan.config_hashes = {"a": "h"}
        auto_seeds.save_plan(tmp_path, "toy", plan)
        saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
        assert saved == {"a": (3, plan.seeds["a"])} and plan.seeds["a"] == cap


def test_a_lower_max_seeds_does_not_cut_a_plan_whose_seeds_already_ran(tmp_path) -> None:
    """A plan of N=50 run in full, its two-stage verdict read, then the same pilot swept again
    with max_seeds=20: the plan's N became 20 and the report judged seeds 0-19 only, the 30
    already run shown as 'added past N', so the user chose where the test stopped after
    seeing every seed. A later plan keeps the N whose seeds already ran past its own."""
    from repro.records import store

    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})
    for cap in (50, 20):
        plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=cap, experiments=["a"])
        plan.config_hashes = {"a": "h"}
        plan.pilot_values = {"a": metrics["a"]}
        auto_seeds.save_plan(tmp_path, "toy", plan)
        for seed in range(3, plan.seeds["a"]):  # stage two runs
            record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
            store.write_record(tmp_path / "toy" / "a" / "h" / f"seed{seed}", record)
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert saved == {"a": (3, 50)}, saved
    assert plan.seeds["a"] == 50  # what the sweep then says it needs


def _stage_two_ran(tmp_path, seeds, total: int | None = None) -> None:
    """Stage two's runs of `seeds`, each recording its plan's N (`total`: the last seed + 1
    unless it stopped before its N)."""
    total = total or max(seeds) + 1
    for seed in seeds:
        record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
        record["seeds_auto"] = {"n0": 3, "max_seeds": 20, "stage": "two", "seeds": total}
        store.write_record(tmp_path / "toy" / "a" / "h" / f"seed{seed}", record)


def test_a_higher_max_seeds_after_the_plans_seeds_ran_is_refused(tmp_path) -> None:
    """a plan of N=20 run in full, its verdict read (inconclusive, say), then the
    same pilot swept again with max_seeds=50: N became 50, stage two ran seeds 20-49 and the
    report judged all 50 with the two-stage test as if planned from the pilot, which is "add
    seeds until it settles" (the cap chosen after seeing the data). Refused, the plan left as
    it was; a raise before any of the plan's seeds past the pilot ran is still a plan of the
    pilot (below)."""
    first_cap = 20
    from repro.errors import UsageError

    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})

    def plan_with(cap: int) -> auto_seeds.AutoSeedPlan:
        plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=cap, experiments=["a"])
        plan.config_hashes = {"a": "h"}
        plan.pilot_values = {"a": metrics["a"]}
        return plan

    auto_seeds.save_plan(tmp_path, "toy", plan_with(first_cap))
    _stage_two_ran(tmp_path, range(3, first_cap))
    before = auto_seeds.plan_path(tmp_path, "toy").read_text()
    with pytest.raises(UsageError) as refused:
        auto_seeds.save_plan(tmp_path, "toy", plan_with(50))
    message = str(refused.value)
    assert message.startswith(f"seeds=auto: toy/a was planned from this pilot with N={first_cap}")
    assert "would raise N to 50" in message and f"max_seeds={first_cap}" in message, message
    assert auto_seeds.plan_path(tmp_path, "toy").read_text() == before
    auto_seeds.save_plan(tmp_path, "toy", plan_with(first_cap))  # the same plan: as it was
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert saved == {"a": (3, first_cap)}, saved


def test_a_higher_max_seeds_over_a_fixed_sweeps_seeds_past_a_pilot_only_plan_is_refused(
    tmp_path,
) -> None:
    """a plan of N=3 (the pilot alone, max_seeds=3), then `seeds=10` (seeds 3-9,
    shown, their fixed-sample verdict read), then max_seeds=20: no seed of the plan past the
    pilot had run, so N rose to 20 and the report judged seeds 3-9 as planned from the pilot
    (a first plan over them is refused). Refused as a raise after seeing them."""
    from repro.errors import UsageError

    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})

    def plan_with(cap: int) -> auto_seeds.AutoSeedPlan:
        plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=cap, experiments=["a"])
        plan.config_hashes = {"a": "h"}
        plan.pilot_values = {"a": metrics["a"]}
        return plan

    auto_seeds.save_plan(tmp_path, "toy", plan_with(3))
    for seed in range(3, 10):  # a fixed sweep's: no seeds_auto section
        record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
        store.write_record(tmp_path / "toy" / "a" / "h" / f"seed{seed}", record)
    with pytest.raises(UsageError) as refused:
        auto_seeds.refuse_after_seeing(tmp_path, "toy", plan_with(20))
    assert "planned from this pilot with N=3 and seeds 3–9 have run" in str(refused.value)


def test_a_higher_max_seeds_is_refused_after_the_plan_file_was_deleted(tmp_path) -> None:
    """with .seeds_auto.json deleted, nothing stopped the raise above; stage two's
    runs record the N they were planned to, which the sweep now checks."""
    from repro.errors import UsageError

    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})
    plans = {}
    for cap in (20, 50):
        plans[cap] = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=cap, experiments=["a"])
        plans[cap].config_hashes = {"a": "h"}
    auto_seeds.save_plan(tmp_path, "toy", plans[20])
    _stage_two_ran(tmp_path, range(3, 20))
    auto_seeds.plan_path(tmp_path, "toy").unlink()
    with pytest.raises(UsageError, match="planned from this pilot with N=20"):
        auto_seeds.refuse_after_seeing(tmp_path, "toy", plans[50])  # the dry run
    with pytest.raises(UsageError, match="sweep with max_seeds=20 to keep the plan"):
        auto_seeds.save_plan(tmp_path, "toy", plans[50])
    auto_seeds.save_plan(tmp_path, "toy", plans[20])  # the plan made again
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert saved == {"a": (3, 20)}, saved


def test_a_first_plan_after_a_fixed_sweep_ran_past_the_pilot_is_refused(tmp_path) -> None:
    """`repro sweep seeds=10`, its fixed-sample verdict read, then `seeds=auto`:
    the plan, made with seeds 3-9 already seen, had the report judge seeds 0..N-1 with the
    two-stage test instead (a second test picked after the first one's verdict). Refused;
    a pilot alone, or seeds stage two of this pilot's plan ran, are planned as before."""
    from repro.errors import UsageError

    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})
    plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=20, experiments=["a"])
    plan.config_hashes = {"a": "h"}
    for seed in range(10):
        record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
        store.write_record(tmp_path / "toy" / "a" / "h" / f"seed{seed}", record)
    with pytest.raises(UsageError, match="toy/a has seeds 3–9 completed past its pilot of 3"):
        auto_seeds.refuse_after_seeing(tmp_path, "toy", plan)  # the dry run
    assert not auto_seeds.plan_path(tmp_path, "toy").exists()
    # the refusal said what the report does, not what the user can do instead
    with pytest.raises(UsageError, match="add seeds with a fixed seeds= sweep"):
        auto_seeds.refuse_after_seeing(tmp_path, "toy", plan)


def test_a_claim_planned_later_does_not_grow_n_past_seeds_already_seen(tmp_path) -> None:
    """`seeds=auto experiment=a` planned a_acc at N=6 and ran it; then `seeds=auto
    experiment=a,b` planned the comparison a_beats_b, which asked for 16, and a's N became 16:
    a_acc, whose verdict at 6 had been read, was judged at 16 by the two-stage test. Refused
    like a higher max_seeds; with the plan's N as max_seeds the comparison is planned there."""
    from repro.errors import UsageError

    metrics = _metrics({"a": [0.90, 0.905, 0.91], "b": [0.90, 0.93, 0.88], "c": [0.7] * 3})

    def plan_of(experiments: list[str], cap: int = 30) -> auto_seeds.AutoSeedPlan:
        plan = auto_seeds.plan_seeds(_spec(), metrics, 3, cap, experiments=experiments)
        plan.config_hashes = dict.fromkeys(experiments, "h")
        plan.pilot_values = {e: metrics[e] for e in experiments}
        return plan

    first = plan_of(["a"])
    auto_seeds.save_plan(tmp_path, "toy", first)
    assert first.seeds == {"a": 6}, first.seeds
    _stage_two_ran(tmp_path, range(3, 6))
    with pytest.raises(UsageError, match=r"would raise N to \d+ \(a_beats_b needs"):
        auto_seeds.save_plan(tmp_path, "toy", plan_of(["a", "b"]))
    auto_seeds.save_plan(tmp_path, "toy", plan_of(["a", "b"], cap=6))
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert saved == {"a": (3, 6)}, saved


@pytest.mark.parametrize("first_cap", [20, 3])
def test_a_higher_max_seeds_before_the_plans_seeds_ran_raises_n(tmp_path, first_cap) -> None:
    """Nothing past the pilot has run yet: N is still a function of the pilot alone (with
    max_seeds equal to the pilot, only the pilot's verdict was seen: as when a first plan
    follows a fixed sweep of the pilot's seeds)."""
    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})
    for cap in (first_cap, 50):
        plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=cap, experiments=["a"])
        plan.config_hashes = {"a": "h"}
        plan.pilot_values = {"a": metrics["a"]}
        auto_seeds.save_plan(tmp_path, "toy", plan)
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert saved == {"a": (3, 50)}, saved


def test_a_lower_max_seeds_does_not_cut_a_plan_whose_interim_seeds_ran(tmp_path) -> None:
    """a plan of N=20 stopped at seed 9, its interim verdict read (the report
    shows one: "interim: 10 of the 20 planned seeds"), then the same pilot swept again with
    max_seeds=10: N became 10 and the interim verdict the final one, so the user chose where
    the test stopped after seeing the seeds before the cut ("stop once it looks settled").
    Only seeds past the cut were checked; once any seed past the pilot ran, N stays."""
    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})
    for cap in (20, 10):
        plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=cap, experiments=["a"])
        plan.config_hashes = {"a": "h"}
        plan.pilot_values = {"a": metrics["a"]}
        auto_seeds.save_plan(tmp_path, "toy", plan)
        if cap == 20:
            _stage_two_ran(tmp_path, range(3, 10), total=20)  # stopped there
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert saved == {"a": (3, 20)}, saved
    assert plan.seeds["a"] == 20  # what the sweep then says it needs


def test_the_default_cap_is_never_below_the_pilot() -> None:
    """a paper with default_seeds 40 could not run seeds=auto without max_seeds
    ('max_seeds must be >= the pilot's 40 seeds ..., got 30', a value never given)."""
    from repro.errors import UsageError
    from repro.sweeping import stages

    assert stages.cap_for(None, 5) == 30 and stages.cap_for(None, 40) == 40
    assert stages.cap_for(12, 5) == 12
    with pytest.raises(UsageError, match="max_seeds must be >= the pilot's 5 seeds"):
        stages.cap_for(4, 5)


def test_two_sweeps_saving_plans_at_once_keep_both(tmp_path, monkeypatch) -> None:
    """Two seeds=auto sweeps of one paper (experiment a in one terminal, c in another) each
    read the plan file, added their setting and wrote it back: the later write dropped the
    other's setting, whose seeds the report then judged as fixed-sample data."""
    import threading
    import time

    read = auto_seeds.read_plan

    def slow_read(*args):
        found = read(*args)
        time.sleep(0.3)  # both read before either writes, without a lock
        return found

    monkeypatch.setattr(auto_seeds, "read_plan", slow_read)
    metrics = _metrics({"a": [0.90, 0.91, 0.89], "b": [0.5] * 3, "c": [0.7] * 3})
    plans = []
    for experiment in ("a", "c"):
        plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, experiments=[experiment])
        plan.config_hashes = {experiment: "h"}
        plans.append(plan)
    threads = [
        threading.Thread(target=auto_seeds.save_plan, args=(tmp_path, "toy", plan))
        for plan in plans
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saved = auto_seeds.load_plan(tmp_path, "toy")
    assert set(auto_seeds.planned_settings(saved, {"a": "h", "c": "h"})) == {"a", "c"}


def test_an_identical_pilot_is_deterministic_only_when_its_runs_agree_in_every_metric() -> None:
    """b's accuracies are equal but its losses differ: A − B is too coarse to size N from, so
    the cap is planned (before: 'no more needed'); a's and c's runs are identical throughout."""
    metrics = _metrics({"a": [0.9] * 3, "b": [0.5] * 3, "c": [0.7] * 3})
    for seed in range(3):
        metrics["b"][seed]["loss"] = 0.1 + 0.01 * seed
        metrics["c"][seed]["loss"] = 0.1
    plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=12)
    assert plan.claims["c_floor"].needed == plan.claims["a_acc"].needed == 3
    assert plan.claims["a_beats_b"].needed == 12 and "too coarse" in plan.claims["a_beats_b"].reason
    assert plan.seeds == {"a": 12, "b": 12, "c": 3}


def test_a_metric_one_pilot_seed_did_not_log_does_not_make_its_runs_differ() -> None:
    """a metric missing from one seed counted as 'different', so identical pilots
    planned the cap (30 seeds) instead of 'no more needed'."""
    metrics = _metrics({"a": [0.9] * 3, "b": [0.5] * 3, "c": [0.7] * 3})
    for seed in (1, 2):
        metrics["c"][seed]["loss"] = 0.1
    plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=12)
    assert plan.claims["c_floor"].needed == 3, plan.claims["c_floor"].reason


def test_a_lower_max_seeds_does_not_cut_a_plan_whose_file_was_deleted(tmp_path) -> None:
    """a plan of N=20 run in full, its verdict read, .seeds_auto.json deleted (or
    moved away, as the damaged-plan error says), then the same pilot swept with max_seeds=10:
    the plan saved N=10 and the report judged seeds 0-9 by the two-stage test, the user having
    chosen where the test stops after seeing every seed. Stage two's runs still say N=20."""
    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})
    plans = {}
    for cap in (20, 10):
        plans[cap] = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=cap, experiments=["a"])
        plans[cap].config_hashes = {"a": "h"}
        plans[cap].pilot_values = {"a": metrics["a"]}
    auto_seeds.save_plan(tmp_path, "toy", plans[20])
    assert plans[20].seeds["a"] == 20
    _stage_two_ran(tmp_path, range(3, 20))
    auto_seeds.plan_path(tmp_path, "toy").unlink()
    auto_seeds.refuse_after_seeing(tmp_path, "toy", plans[10])  # a lower cap: not refused
    auto_seeds.save_plan(tmp_path, "toy", plans[10])
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert saved == {"a": (3, 20)}, saved
    assert plans[10].seeds["a"] == 20  # what the sweep then says it needs


def _filed(folder, config: dict, seed: int, seeds_auto: dict | None = None) -> None:
    """A completed run of `config`'s seed in `folder`'s seed folder, with its config.yaml."""
    record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
    record.update(config_hash=store.config_hash(config), seeds_auto=seeds_auto)
    store.write_record(folder / f"seed{seed}", record)
    (folder / f"seed{seed}" / store.CONFIG_FILE).write_text(json.dumps({**config, "seed": seed}))


def test_a_pilot_filed_under_an_older_hash_still_binds_its_plan(tmp_path) -> None:
    """a pilot an older repro filed under another hash of the setting (run with
    trainer.accelerator=gpu while it still counted) keys the plan by that folder, while stage
    two's seeds are trained into today's: a higher max_seeds after they ran looked for them in
    the pilot's folder alone, found none, and raised N (the report judging the larger N by the
    two-stage test), and a first plan after a fixed sweep past the pilot was not refused."""
    from repro.errors import UsageError

    config = {"paper": "toy", "experiment_name": "a", "model": {"h": 2}}
    config["trainer"] = {"accelerator": "gpu", "devices": 1, "precision": "32-true"}
    old = store.legacy_config_hash(config)
    today = store.config_hash(config)
    assert old != today
    experiment_dir = tmp_path / "toy" / "a"
    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})
    for seed in range(3):
        _filed(experiment_dir / old, config, seed)

    def plan_with(cap: int) -> auto_seeds.AutoSeedPlan:
        plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=cap, experiments=["a"])
        plan.config_hashes = {"a": old}
        plan.pilot_values = {"a": metrics["a"]}
        return plan

    for seed in range(3, 10):  # a fixed sweep of seeds=10 first
        _filed(experiment_dir / today, config, seed)
    with pytest.raises(UsageError, match="toy/a has seeds 3–9 completed past its pilot"):
        auto_seeds.refuse_after_seeing(tmp_path, "toy", plan_with(20))
    for seed in range(3, 10):
        (experiment_dir / today / f"seed{seed}" / "record.json").unlink()

    auto_seeds.save_plan(tmp_path, "toy", plan_with(20))
    for seed in range(3, 20):  # stage two, in today's folder
        mark = {"n0": 3, "max_seeds": 20, "stage": "two", "seeds": 20}
        _filed(experiment_dir / today, config, seed, mark)
    with pytest.raises(UsageError, match="planned from this pilot with N=20"):
        auto_seeds.refuse_after_seeing(tmp_path, "toy", plan_with(50))
    with pytest.raises(UsageError, match="planned from this pilot with N=20"):
        auto_seeds.save_plan(tmp_path, "toy", plan_with(50))
    auto_seeds.plan_path(tmp_path, "toy").unlink()  # lost: stage two's runs still say N
    with pytest.raises(UsageError, match="planned from this pilot with N=20"):
        auto_seeds.save_plan(tmp_path, "toy", plan_with(50))
    auto_seeds.save_plan(tmp_path, "toy", plan_with(10))  # a lower cap keeps N
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": old})
    assert saved == {"a": (3, 20)}, saved


def test_a_larger_pilot_over_seeds_a_plan_already_ran_is_refused(tmp_path) -> None:
    """a plan of n0=3, N=20 run in full and its verdict read; then default_seeds
    raised to 5 and seeds=auto again: the 'other pilot' (seeds 0-4, two of them the plan's
    stage two, already seen) replaced the plan without a word and chose a new N, seeds 5-19
    having been seen: the report's two-stage test at an N picked after its verdict. Refused
    as a first plan after seeds past its pilot ran; a pilot retrained (other values, the same
    size) is still another pilot."""
    from repro.errors import UsageError

    values = [0.90, 0.99, 0.80, 0.95, 0.85]
    metrics = _metrics({"a": values, "b": [0.5] * 5, "c": [0.7] * 5})
    first = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=20, experiments=["a"])
    first.config_hashes = {"a": "h"}
    first.pilot_values = {"a": {s: {"acc": v} for s, v in enumerate(values[:3])}}
    auto_seeds.save_plan(tmp_path, "toy", first)
    _stage_two_ran(tmp_path, range(3, 20))
    larger = auto_seeds.plan_seeds(_spec(), metrics, n0=5, max_seeds=20, experiments=["a"])
    larger.config_hashes = {"a": "h"}
    larger.pilot_values = {"a": {s: {"acc": v} for s, v in enumerate(values)}}
    with pytest.raises(UsageError, match="toy/a has seeds 5–19 completed past its pilot of 5"):
        auto_seeds.refuse_after_seeing(tmp_path, "toy", larger)
    with pytest.raises(UsageError, match="its plan from a pilot of 3 still judges it"):
        auto_seeds.refuse_after_seeing(tmp_path, "toy", larger)
    retrained = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=20, experiments=["a"])
    retrained.config_hashes = {"a": "h"}
    retrained.pilot_values = {"a": {s: {"acc": v + 0.001} for s, v in enumerate(values[:3])}}
    auto_seeds.refuse_after_seeing(tmp_path, "toy", retrained)


def test_a_pilot_made_again_does_not_replan_seeds_already_seen(tmp_path) -> None:
    """a plan of N=20 run in full, its verdict read; then the pilot seeds made again
    (`repro run ... rerun=true`, a GPU's other values) and seeds=auto swept again: the new
    pilot's plan (N=10, say) replaced the old one without a word, and the report judged seeds
    0-9, seeds 3-9 the ones already seen, by the two-stage test: rerun the pilot until N
    suits. Refused while those seeds are of the same code; stale ones train again (allowed),
    and a rerun=true sweep (which trains stage two again) does not ask."""
    from repro.errors import UsageError

    def record(seed: int, digest: str, day: int, value: float = 0.9) -> dict:
        return {
            "status": "completed",
            "paper": "toy",
            "experiment": "a",
            "seed": seed,
            "metrics": {"acc": value},
            "code": {"plugin": {"digest": digest}},
            "timing": {"finished_at": f"2026-01-0{day}T10:00:00+00:00"},
        }

    def plan_of(values: list[float], day: int) -> tuple[auto_seeds.AutoSeedPlan, dict]:
        records = {("a", s): record(s, "d1", day, v) for s, v in enumerate(values)}
        metrics = auto_seeds.pilot_metrics(records)
        plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=20, experiments=["a"])
        plan.config_hashes = {"a": "h"}
        auto_seeds.bind_pilot(plan, _spec(), records)
        return plan, records

    first, _ = plan_of([0.90, 0.99, 0.80], 1)
    auto_seeds.save_plan(tmp_path, "toy", first)
    assert first.seeds["a"] == 20, first.seeds
    for seed in range(3, 20):
        store.write_record(tmp_path / "toy" / "a" / "h" / f"seed{seed}", record(seed, "d1", 2))
    again, records = plan_of([0.90, 0.91, 0.92], 3)
    with pytest.raises(UsageError, match="pilot seeds were made again with other values"):
        auto_seeds.refuse_a_new_pilot_over_seen_seeds(tmp_path, "toy", again, records)
    same, same_records = plan_of([0.90, 0.99, 0.80], 3)  # made again, the same values
    auto_seeds.refuse_a_new_pilot_over_seen_seeds(tmp_path, "toy", same, same_records)
    for seed in range(3, 20):  # stale: stage two trains them again
        store.write_record(tmp_path / "toy" / "a" / "h" / f"seed{seed}", record(seed, "d0", 2))
    auto_seeds.refuse_a_new_pilot_over_seen_seeds(tmp_path, "toy", again, records)


def test_a_restored_plan_with_a_lower_n_than_stage_two_recorded_keeps_the_runs_n(
    tmp_path,
) -> None:
    """a plan of N=20 run in full, then .seeds_auto.json restored from an older
    copy (or edited) saying N=10: the same sweep again was refused, told to use max_seeds=10
    (which cut the plan to 10 after all 20 were seen), and a lower max_seeds cut it there.
    Stage two's runs say N=20; the plan is read at that N."""
    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})
    plans = {}
    for cap in (20, 10):
        plans[cap] = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=cap, experiments=["a"])
        plans[cap].config_hashes = {"a": "h"}
        plans[cap].pilot_values = {"a": metrics["a"]}
    auto_seeds.save_plan(tmp_path, "toy", plans[20])
    _stage_two_ran(tmp_path, range(3, 20))
    path = auto_seeds.plan_path(tmp_path, "toy")
    data = json.loads(path.read_text())
    data["settings"]["a@h"].update(seeds=10, needs={"a_acc": 10})
    path.write_text(json.dumps(data))
    auto_seeds.refuse_after_seeing(tmp_path, "toy", plans[20])  # the same sweep again
    auto_seeds.save_plan(tmp_path, "toy", plans[20])
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert saved == {"a": (3, 20)}, saved
    path.write_text(json.dumps(data))
    auto_seeds.refuse_after_seeing(tmp_path, "toy", plans[10])
    auto_seeds.save_plan(tmp_path, "toy", plans[10])
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert saved == {"a": (3, 20)}, saved
    assert plans[10].seeds["a"] == 20


def test_a_first_plan_after_a_fixed_sweep_of_older_code_is_not_refused(tmp_path) -> None:
    """`repro sweep seeds=5`, then the plugin's code changed (a bug fixed) and
    `seeds=auto` swept: the pilot was trained again by the new code, then the sweep was
    refused ('seeds 3-4 completed past its pilot'), rerun=true too, though those seeds are
    another setting to the report (other code, never pooled) and stage two trains them again;
    the user had no way on but deleting them. Seeds of the pilot's code still refuse it."""
    from repro.errors import UsageError

    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})
    plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=20, experiments=["a"])
    plan.config_hashes = {"a": "h"}
    for seed in range(5):
        record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
        record["code"] = {"plugin": {"digest": "new" if seed < 3 else "old"}}
        store.write_record(tmp_path / "toy" / "a" / "h" / f"seed{seed}", record)
    auto_seeds.refuse_after_seeing(tmp_path, "toy", plan)
    record["code"] = {"plugin": {"digest": "new"}}  # seed 4 of the pilot's code
    store.write_record(tmp_path / "toy" / "a" / "h" / "seed4", record)
    with pytest.raises(UsageError, match="toy/a has seeds 4 completed past its pilot of 3"):
        auto_seeds.refuse_after_seeing(tmp_path, "toy", plan)


@pytest.mark.parametrize("cap", [10, 50])
def test_stage_two_runs_of_older_code_do_not_bind_a_plan_whose_file_is_gone(tmp_path, cap) -> None:
    """a plan of N=20 run, the plugin's code changed (a bug fixed), the plan file
    deleted to start again, and seeds=auto swept: its pilot trained again by the new code,
    the old code's stage two (which trains again, stale) was taken for this pilot's plan: a
    higher max_seeds was refused ('planned from this pilot with N=20'), and a lower one kept
    N=20. Only stage-two runs of the pilot's code say what its plan was."""
    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})
    plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=cap, experiments=["a"])
    plan.config_hashes = {"a": "h"}
    assert plan.seeds["a"] == cap, plan.seeds
    for seed in range(20):
        record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
        record["code"] = {"plugin": {"digest": "new" if seed < 3 else "old"}}
        if seed >= 3:
            record["seeds_auto"] = {"n0": 3, "max_seeds": 20, "stage": "two", "seeds": 20}
        store.write_record(tmp_path / "toy" / "a" / "h" / f"seed{seed}", record)
    auto_seeds.refuse_after_seeing(tmp_path, "toy", plan)
    auto_seeds.save_plan(tmp_path, "toy", plan)
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert saved == {"a": (3, cap)}, saved


def test_a_plan_edited_to_a_higher_n_than_stage_two_recorded_keeps_the_runs_n(tmp_path) -> None:
    """a plan of N=10 run in full, then .seeds_auto.json edited (or restored from
    another copy) to say N=20: the same sweep again kept the file's 20 as "a plan whose seeds
    ran" and trained seeds 10-19 under a plan no sweep made, and the report judged all 20 by
    the two-stage test. Stage two's runs say N=10; the plan is read at that N."""
    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})
    plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=10, experiments=["a"])
    plan.config_hashes = {"a": "h"}
    plan.pilot_values = {"a": metrics["a"]}
    auto_seeds.save_plan(tmp_path, "toy", plan)
    _stage_two_ran(tmp_path, range(3, 10))
    path = auto_seeds.plan_path(tmp_path, "toy")
    data = json.loads(path.read_text())
    data["settings"]["a@h"].update(seeds=20, needs={"a_acc": 20, "a_beats_b": 20})
    path.write_text(json.dumps(data))
    entry = auto_seeds.load_plan(tmp_path, "toy")["settings"]["a@h"]
    marks = auto_seeds._stage_two_marks(tmp_path, "toy", "a", "h")
    assert auto_seeds.recorded_n(entry, marks) == 10  # what the report judges at
    auto_seeds.refuse_after_seeing(tmp_path, "toy", plan)  # the same sweep again
    auto_seeds.save_plan(tmp_path, "toy", plan)
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert saved == {"a": (3, 10)}, saved
    assert plan.seeds["a"] == 10 and plan.stage_two() == [(["a"], list(range(3, 10)))]


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_first_plan_over_a_fixed_sweeps_seeds_is_refused_before_the_pilot(
    tmp_path, dry_run
) -> None:
    """`repro sweep seed=3,4` then `seeds=auto`: the sweep trained the pilot (as
    long as any run) and only then refused the plan over seeds 3-4, which was known before
    any training; the dry run showed the pilot with no word of the refusal."""
    from tests.conftest import repro, write_toy_paper

    write_toy_paper(tmp_path / "plugins")
    papers = ["--papers-dir", str(tmp_path / "plugins"), "paper=toy", "experiment=small"]
    fixed = repro("sweep", *papers, "seed=3,4", "logger=none")
    assert fixed.returncode == 0, fixed.stderr
    flags = ["--dry-run"] if dry_run else ["logger=none"]
    refused = repro("sweep", *papers, "seeds=auto", *flags)
    assert refused.returncode == 2, refused.stderr
    last = refused.stderr.strip().splitlines()[-1]
    assert last.startswith("error: seeds=auto: toy/small has seeds 3–4 completed past its pilot")
    results = tmp_path / "results" / "toy" / "small"
    assert sorted(p.name for p in results.glob("*/seed*")) == ["seed3", "seed4"]
    assert not auto_seeds.plan_path(tmp_path / "results", "toy").exists()


@pytest.mark.parametrize("dry_run", [True, False])
def test_seeds_past_the_pilot_of_an_experiment_no_claim_plans_are_no_refusal(
    tmp_path, dry_run
) -> None:
    """`seed=3,4` of toy's `wide` (no claim names it), then `seeds=auto
    experiment=small,wide`: refused as a plan over seen seeds, though no claim sizes wide's
    N (it is the pilot's, whatever the data) and nothing judges its seeds."""
    from tests.conftest import repro, write_toy_paper

    write_toy_paper(tmp_path / "plugins")
    papers = ["--papers-dir", str(tmp_path / "plugins"), "paper=toy"]
    fixed = repro("sweep", *papers, "experiment=wide", "seed=3,4", "logger=none")
    assert fixed.returncode == 0, fixed.stderr
    flags = ["--dry-run"] if dry_run else ["logger=none"]
    auto = repro("sweep", *papers, "experiment=small,wide", "seeds=auto", "max_seeds=3", *flags)
    assert auto.returncode == 0, auto.stderr
    if not dry_run:
        assert auto_seeds.load_plan(tmp_path / "results", "toy")["seeds"] == {
            "small": 3,
            "wide": 3,
        }


def test_a_new_pilot_over_a_fixed_sweeps_seeds_is_refused_though_an_old_plan_is_there(
    tmp_path,
) -> None:
    """a plan of toy/small, then the code changed and `seeds=5` retrained seeds
    0-4, then `seeds=auto`: the old plan's entry (same pilot size, another pilot) exempted
    it from the first-plan refusal, so N was chosen from the new pilot after seeds 3-4's
    fixed-sample verdict could be read and the report judged them as planned."""
    from tests.conftest import repro, write_toy_paper

    folder = write_toy_paper(tmp_path / "plugins")
    papers = ["--papers-dir", str(tmp_path / "plugins"), "paper=toy", "experiment=small"]
    assert repro("sweep", *papers, "seeds=auto", "logger=none").returncode == 0
    model = folder / "model.py"
    model.write_text(model.read_text().replace("lr=self.lr)", "lr=self.lr * 0.8)"))
    fixed = repro("sweep", *papers, "seeds=5", "logger=none")
    assert fixed.returncode == 0, fixed.stderr
    refused = repro("sweep", *papers, "seeds=auto", "logger=none")
    assert refused.returncode == 2, refused.stdout
    last = refused.stderr.strip().splitlines()[-1]
    assert last.startswith("error: seeds=auto: toy/small has seeds 3–4 completed past its pilot")


def test_a_kept_n_after_a_lower_max_seeds_does_not_say_the_lower_cap(tmp_path) -> None:
    """a plan of N=20 stopped at seed 9, then the same pilot swept with
    max_seeds=10: N stayed 20 (seeds past the pilot ran), yet the claim's reason, printed by
    the sweep and stated by the report, said it needs more than max_seeds=10 and may stay
    undecided, a cap the 20 seeds it is judged on do not have. Its reason is the kept N's."""
    from types import SimpleNamespace

    from repro.sweeping import stages

    values = [0.90, 0.99, 0.80]
    planned = []
    for seed, value in enumerate(values):
        folder = tmp_path / "toy" / "a" / "h" / f"seed{seed}"
        record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
        store.write_record(folder, {**record, "metrics": {"acc": value}})
        planned.append(SimpleNamespace(experiment="a", seed=seed, record_dir=folder, rerun=False))
        planned[-1].state = "done"
    grid = SimpleNamespace(seeds=[0, 1, 2], experiments=["a"])
    said: list[str] = []
    for cap in (20, 10):
        stage_two = stages.plan_after_pilot(
            "toy", _spec(), grid, planned, tmp_path, cap, said.append, said.append
        )
        if cap == 20:
            _stage_two_ran(tmp_path, range(3, 10), total=20)  # stopped there
            said.clear()
    assert stage_two == [(["a"], list(range(3, 20)))]
    claims = [line for line in said if "keeps its plan's N" not in line]  # why
    assert not any("max_seeds=10" in line for line in claims), said
    reason = auto_seeds.load_plan(tmp_path, "toy")["claims"]["a_acc"]["reason"]
    assert "max_seeds=20" in reason and "max_seeds=10" not in reason, reason
    saved = auto_seeds.load_plan(tmp_path, "toy")  # top-level max_seeds=10, N=20
    assert (saved["max_seeds"], saved["kept_seeds"]) == (10, {"a": 20}), saved
    for run in planned:
        run.needs_training = False
    dry = stages.dry_run_lines(_spec(), grid, planned, {}, 10, tmp_path / "plugin")
    assert dry[0].startswith("seeds=auto: a: 20 seeds in all, 17 beyond the pilot"), dry
    assert not any("max_seeds=10" in line for line in dry if "keeps its plan's N" not in line)


def test_a_kept_n_says_why_the_lower_max_seeds_did_not_apply(tmp_path) -> None:
    """a plan of N=20 stopped at seed 9, then the same pilot swept with
    max_seeds=10: the sweep and its dry run said 'a needs 20 seeds in all' and nothing of why
    the max_seeds=10 just given was not applied. Each says the earlier N is kept, and why."""
    from types import SimpleNamespace

    from repro.sweeping import stages

    planned = []
    for seed, value in enumerate([0.90, 0.99, 0.80]):
        folder = tmp_path / "toy" / "a" / "h" / f"seed{seed}"
        record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
        store.write_record(folder, {**record, "metrics": {"acc": value}})
        planned.append(SimpleNamespace(experiment="a", seed=seed, record_dir=folder, rerun=False))
        planned[-1].state = "done"
    grid = SimpleNamespace(seeds=[0, 1, 2], experiments=["a"])
    said: list[str] = []
    stages.plan_after_pilot("toy", _spec(), grid, planned, tmp_path, 20, said.append, said.append)
    _stage_two_ran(tmp_path, range(3, 10), total=20)
    assert not any("kept" in line for line in said), said
    said.clear()
    stages.plan_after_pilot("toy", _spec(), grid, planned, tmp_path, 10, said.append, said.append)
    kept = "seeds=auto: a keeps its plan's N=20 above max_seeds=10"
    assert any(line.startswith(kept) for line in said), said
    for run in planned:
        run.needs_training = False
    dry = stages.dry_run_lines(_spec(), grid, planned, {}, 10, tmp_path / "plugin")
    assert any(line.startswith(kept) for line in dry), dry


def test_a_plan_that_names_no_pilot_is_not_bound_by_an_earlier_pilots_stage_two(
    tmp_path,
) -> None:
    """a plan entry saved before plans named their pilot (no `pilot` times) took
    every stage-two run's N as its own: the stage two of an earlier pilot's plan of N=20
    (finished before today's pilot ran) made the report judge seeds 0-19 by today's pilot's
    two-stage test, and a sweep keep N=20. Runs finished before the setting's pilot are not
    of its plan."""
    for seed in range(3):  # today's pilot, after the earlier plan's stage two
        record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
        record["timing"] = {"finished_at": "2026-03-01T00:00:00"}
        store.write_record(tmp_path / "toy" / "a" / "h" / f"seed{seed}", record)
    for seed in range(3, 20):
        record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
        record["timing"] = {"finished_at": "2026-01-01T00:00:00"}
        record["seeds_auto"] = {"n0": 3, "max_seeds": 20, "stage": "two", "seeds": 20}
        store.write_record(tmp_path / "toy" / "a" / "h" / f"seed{seed}", record)
    entry = {"n0": 3, "seeds": 5}
    assert auto_seeds._as_recorded(tmp_path, "toy", "a", "h", entry) == entry  # the sweep
    marks = auto_seeds._stage_two_marks(tmp_path, "toy", "a", "h")
    assert auto_seeds.recorded_n(entry, marks, "2026-03-01T00:00:00") is None  # the report
    assert auto_seeds.recorded_n(entry, marks) == 20  # a pilot of unknown age: as before


def test_a_claim_moved_to_another_metric_does_not_make_the_pilot_another(tmp_path) -> None:
    """a plan of N=5 whose seeds 3-4 ran, then paper.yaml's claim moved to another
    metric (or a claim on a new metric added): the saved pilot values (of the old metric) no
    longer had the same metrics as the new plan's, so the same pilot counted as another one
    and `max_seeds=8` raised N to 8 after seeds 3-4 were seen, which the same sweep without
    the edit refuses. The pilot is compared on the metrics both know (else by its runs)."""
    from repro.errors import UsageError

    pilot_at = {seed: f"2026-01-01T10:0{seed}:00" for seed in range(3)}

    def plan_of(metric: str, cap: int) -> auto_seeds.AutoSeedPlan:
        values = {s: {metric: v} for s, v in enumerate([0.90, 0.99, 0.80])}
        plan = auto_seeds.AutoSeedPlan(n0=3, max_seeds=cap, alpha=0.05, power=0.8)
        plan.seeds = {"a": cap}
        plan.claims = {"a_acc": auto_seeds.two_stage.SeedTarget(cap, True, "capped")}
        plan.claim_experiments = {"a_acc": ["a"]}
        plan.config_hashes = {"a": "h"}
        plan.pilot_runs = {"a": dict(pilot_at)}
        plan.pilot_values = {"a": values}
        return plan

    auto_seeds.save_plan(tmp_path, "toy", plan_of("acc", 5))
    _stage_two_ran(tmp_path, range(3, 5))
    with pytest.raises(UsageError, match="planned from this pilot with N=5"):
        auto_seeds.refuse_after_seeing(tmp_path, "toy", plan_of("loss", 8))
    with pytest.raises(UsageError, match="planned from this pilot with N=5"):
        auto_seeds.save_plan(tmp_path, "toy", plan_of("loss", 8))


@pytest.mark.parametrize("cap", [20, 8])
def test_a_pilot_made_again_after_its_plan_file_was_lost_does_not_replan_seen_seeds(
    tmp_path, cap
) -> None:
    """a plan of N=20 run in full, .seeds_auto.json deleted, the pilot seeds made
    again with other values (`repro run ... rerun=true`, nondeterministic), then seeds=auto:
    refused as 'planned from this pilot with N=20' (not this pilot), advised max_seeds=20,
    which saved the new pilot's plan with the old N and the report judged seeds 3-19, run
    under the old pilot's plan and seen, by the two-stage test with the new pilot's spread
    (a lower need kept N=20 without a word). With the file there this is refused as a new
    pilot over seen seeds; stage two's runs now say their pilot's values, so it is without
    it too. An identical rerun is still the same pilot."""
    from types import SimpleNamespace

    from repro.errors import UsageError
    from repro.sweeping import stages

    def pilot(values: list[float], day: int) -> list[SimpleNamespace]:
        planned = []
        for seed, value in enumerate(values):
            folder = tmp_path / "toy" / "a" / "h" / f"seed{seed}"
            record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
            record.update(metrics={"acc": value}, code={"plugin": {"digest": "d1"}})
            record["timing"] = {"finished_at": f"2026-01-0{day}T10:00:00+00:00"}
            store.write_record(folder, record)
            run = SimpleNamespace(experiment="a", seed=seed, record_dir=folder, rerun=False)
            run.state = "done"
            planned.append(run)
        return planned

    grid = SimpleNamespace(seeds=[0, 1, 2], experiments=["a"])
    said: list[str] = []
    first = pilot([0.90, 0.99, 0.80], 1)
    says = [said.append] * 2
    stage_two = stages.plan_after_pilot("toy", _spec(), grid, first, tmp_path, 20, *says)
    assert stage_two == [(["a"], list(range(3, 20)))]
    with stages.marking(True, 3, 20, stage_two, stage_two.pilot_values):
        for seed in range(3, 20):
            record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
            record.update(metrics={"acc": 0.9}, code={"plugin": {"digest": "d1"}})
            record["timing"] = {"finished_at": "2026-01-02T10:00:00+00:00"}
            record["seeds_auto"] = store.seeds_auto_section("a", "h")
            store.write_record(tmp_path / "toy" / "a" / "h" / f"seed{seed}", record)
    auto_seeds.plan_path(tmp_path, "toy").unlink()
    again = pilot([0.90, 0.91, 0.915], 3)  # made again: other values
    with pytest.raises(UsageError, match="pilot seeds were made again with other values"):
        stages.plan_after_pilot("toy", _spec(), grid, again, tmp_path, cap, *says)
    assert not auto_seeds.plan_path(tmp_path, "toy").exists()
    for run in again:
        run.needs_training = False
    with pytest.raises(UsageError, match="pilot seeds were made again with other values"):
        stages.dry_run_lines(_spec(), grid, again, {}, cap, tmp_path / "plugin")
    same = pilot([0.90, 0.99, 0.80], 3)  # an identical rerun: the same pilot, its plan kept
    stages.plan_after_pilot("toy", _spec(), grid, same, tmp_path, 20, *says)
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert saved == {"a": (3, 20)}, saved


def test_a_plan_edited_to_a_higher_n_than_its_pilot_gives_is_not_kept_by_the_sweep(
    tmp_path,
) -> None:
    """a plan of N=19 saved, its stage two never run, the file edited to N=30,
    then a fixed `seeds=30` sweep: the next seeds=auto sweep (and its dry run) kept N=30 as
    'a plan whose seeds past the pilot ran' and said 'needs 30 seeds in all', an N no pilot
    chose. The pilot gives at most 19 at any max_seeds: that is the plan it keeps."""
    metrics = _metrics({"a": [0.90, 0.909, 0.891], "b": [0.5] * 3, "c": [0.7] * 3})

    def plan_with(cap: int) -> auto_seeds.AutoSeedPlan:
        plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=cap, experiments=["a"])
        plan.config_hashes = {"a": "h"}
        plan.pilot_values = {"a": metrics["a"]}
        return plan

    assert plan_with(10000).seeds["a"] == 19  # all the pilot asks for
    auto_seeds.save_plan(tmp_path, "toy", plan_with(50))
    path = auto_seeds.plan_path(tmp_path, "toy")
    data = json.loads(path.read_text())
    data["settings"]["a@h"].update(seeds=30, needs={"a_acc": 30})
    path.write_text(json.dumps(data))
    for seed in range(30):  # a fixed sweep's: no stage two
        record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
        store.write_record(tmp_path / "toy" / "a" / "h" / f"seed{seed}", record)
    again = plan_with(50)
    auto_seeds.refuse_after_seeing(tmp_path, "toy", again)
    assert auto_seeds.kept_seeds(tmp_path, "toy", again) == {}
    auto_seeds.save_plan(tmp_path, "toy", again)
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert saved == {"a": (3, 19)}, saved
    assert again.seeds["a"] == 19
    # a plan saved before `needs` does not say which claims sized it (a comparison's other
    # side may have): not cut
    assert auto_seeds._unbacked({"n0": 3, "seeds": 30}, again, "a") is None
    assert auto_seeds._unbacked({"n0": 3, "seeds": 30, "needs": {"a_acc": 30}}, again, "a") == 19


def test_a_plan_edited_to_another_pilot_size_does_not_let_a_lower_cap_cut_it(tmp_path) -> None:
    """a plan of N=20 run in full, then .seeds_auto.json edited to say n0=2: the
    entry looked like another pilot's, so a sweep with max_seeds=10 cut the plan to 10 after
    all 20 were seen. Stage two's runs say their pilot was of 3: the plan is read as that."""
    metrics = _metrics({"a": [0.90, 0.99, 0.80], "b": [0.5] * 3, "c": [0.7] * 3})
    plans = {}
    for cap in (20, 10):
        plans[cap] = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=cap, experiments=["a"])
        plans[cap].config_hashes = {"a": "h"}
        plans[cap].pilot_values = {"a": metrics["a"]}
    auto_seeds.save_plan(tmp_path, "toy", plans[20])
    _stage_two_ran(tmp_path, range(3, 20))
    path = auto_seeds.plan_path(tmp_path, "toy")
    data = json.loads(path.read_text())
    data["settings"]["a@h"]["n0"] = 2
    path.write_text(json.dumps(data))
    auto_seeds.refuse_after_seeing(tmp_path, "toy", plans[10])
    auto_seeds.save_plan(tmp_path, "toy", plans[10])
    saved = auto_seeds.planned_settings(auto_seeds.load_plan(tmp_path, "toy"), {"a": "h"})
    assert saved == {"a": (3, 20)}, saved


def test_a_pilot_seed_max_time_stopped_short_does_not_feed_the_plan() -> None:
    """a completed pilot record whose training `trainer.max_time` ended short of
    its setting (`timing.stopped_by: max_time`) is left out of every verdict by the report,
    but its values still sized N: the plan rested on a run the test would not count."""

    def record(acc: float, stopped_by: str = "max_steps") -> dict:
        timing = {"finished_at": f"2026-01-01T00:00:0{int(acc * 10)}", "stopped_by": stopped_by}
        return {"status": store.STATUS_COMPLETED, "metrics": {"acc": acc}, "timing": timing}

    records = {("a", 0): record(0.90), ("a", 1): record(0.3, "max_time"), ("a", 2): record(0.9)}
    metrics = auto_seeds.pilot_metrics(records)
    assert 1 not in metrics["a"]
    assert 1 not in auto_seeds.pilot_runs(records)["a"]
    plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, experiments=["a"])
    assert "pilot seed 1 of a" in plan.undecidable()["a_acc"]
    assert "no completed run that trained to its end" in plan.undecidable()["a_acc"]


def test_a_pilot_seed_max_time_stopped_short_is_given_its_rerun_command(tmp_path) -> None:
    """pilot seed 1 stopped by trainer.max_time: the sweep said only 'pilot seed 1 of a
    has no completed run that trained to its end: cannot plan', with no remedy, and the sweep
    skips that seed as completed. It gives the seed's own command with rerun=true."""
    from types import SimpleNamespace

    from repro.sweeping import stages

    command = "repro run paper=toy experiment=a seed=1 +trainer.max_time=00:00:01:00"
    planned = []
    for seed, value in enumerate([0.90, 0.3, 0.80]):
        folder = tmp_path / "toy" / "a" / "h" / f"seed{seed}"
        record = {"status": "completed", "paper": "toy", "experiment": "a", "seed": seed}
        stopped_by = "max_time" if seed == 1 else "max_steps"
        record |= {
            "timing": {"stopped_by": stopped_by},
            "command": command.replace("1 +", f"{seed} +"),
        }
        store.write_record(folder, {**record, "metrics": {"acc": value}})
        planned.append(SimpleNamespace(experiment="a", seed=seed, record_dir=folder, rerun=False))
        planned[-1].state = "done"
        planned[-1].needs_training = False
    grid = SimpleNamespace(seeds=[0, 1, 2], experiments=["a"])
    said: list[str] = []
    stages.plan_after_pilot("toy", _spec(), grid, planned, tmp_path, 20, said.append, said.append)
    dry = stages.dry_run_lines(_spec(), grid, planned, {}, 20, tmp_path / "plugin")
    for lines in (said, dry):
        assert any("cannot plan" in line for line in lines), lines
        (remedy,) = [line for line in lines if "rerun=true" in line]
        assert f"`{command} rerun=true`" in remedy, remedy
        assert "pilot seed 1 of a" in remedy and "trainer.max_time" in remedy, remedy


def test_an_older_settings_caps_are_not_read_from_a_later_plan_of_another_setting(
    tmp_path,
) -> None:
    """a setting saved without `caps` (an older plan) has its claims' caps inferred from
    the plan's `claims` (`entry_caps`), which are keyed by claim, not by setting: a later plan
    of another setting of the same claim replaced them, and a claim the older plan had capped
    at max_seeds=8 read as uncapped, so the report said its pilot gives more than the file (as
    if edited) and judged it with seeds no sweep planned. The older setting keeps what it read."""
    path = auto_seeds.plan_path(tmp_path, "toy")
    old = auto_seeds.plan_seeds(
        _spec(), _metrics({"a": [0.7, 0.9, 1.1]}), n0=3, max_seeds=8, experiments=["a"]
    )
    old.config_hashes = {"a": "h1"}
    auto_seeds.save_plan(tmp_path, "toy", old)
    data = json.loads(path.read_text())
    del data["settings"]["a@h1"]["caps"]  # saved before caps
    path.write_text(json.dumps(data))
    assert auto_seeds.entry_caps(data["settings"]["a@h1"], data["claims"]) == {"a_acc": 8}
    later = auto_seeds.plan_seeds(
        _spec(), _metrics({"a": [0.90, 0.91, 0.89]}), n0=3, max_seeds=30, experiments=["a"]
    )
    later.config_hashes = {"a": "h2"}
    auto_seeds.save_plan(tmp_path, "toy", later)
    data = json.loads(path.read_text())
    assert data["claims"]["a_acc"]["capped"] is False  # the later setting's
    assert auto_seeds.entry_caps(data["settings"]["a@h1"], data["claims"]) == {"a_acc": 8}
    auto_seeds.save_plan(tmp_path, "toy", later)  # and keeps it through later saves
    data = json.loads(path.read_text())
    assert auto_seeds.entry_caps(data["settings"]["a@h1"], data["claims"]) == {"a_acc": 8}
    assert "claims" not in data["settings"]["a@h2"]  # its caps are saved


def test_the_sweep_sizes_a_setting_saved_without_caps_at_the_caps_its_claims_imply() -> None:
    """the sweep's side of `entry_caps` (`_given`, which `save_plan` asks before it
    merges a plan of the same pilot): a setting saved without caps, edited to a lower N, is
    given the N its pilot gives uncapped unless the plan's claims (or its own kept ones) say
    its claim was capped at that need; with caps, at them; another pilot gives nothing."""
    metrics = _metrics({"a": [0.90, 0.91, 0.89]})
    plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=30, experiments=["a"])
    plan.pilot_values = metrics
    total = plan.seeds["a"]
    assert not plan.claims["a_acc"].capped and 4 < total < 30
    claims = json.loads(plan.to_json())["claims"]
    lower = total - 1
    entry = {"n0": 3, "seeds": lower, "needs": {"a_acc": lower}}  # no caps; edited
    assert auto_seeds._given(entry, plan, "a", claims) == total
    assert auto_seeds._given(entry, plan, "a", None) == total  # no claims saved: uncapped
    assert auto_seeds._given({**entry, "caps": {"a_acc": 30}}, plan, "a", claims) == total
    assert auto_seeds._given({**entry, "caps": {"a_acc": lower}}, plan, "a", claims) is None
    capped = {"a_acc": {**claims["a_acc"], "needed": lower, "capped": True}}
    assert auto_seeds._given(entry, plan, "a", capped) is None  # a lower max_seeds
    assert auto_seeds._given({**entry, "claims": capped}, plan, "a", claims) is None
    assert auto_seeds._given({**entry, "seeds": total}, plan, "a", claims) is None  # not lower
    other = {str(s): {"acc": 0.5 + s / 10} for s in range(3)}
    assert auto_seeds._given({**entry, "pilot_values": other}, plan, "a", claims) is None
    assert auto_seeds._given({**entry, "n0": 4, "seeds": 5}, plan, "a", claims) is None


def test_a_setting_without_caps_edited_below_its_capped_need_is_sized_at_the_saved_cap() -> None:
    """a setting saved without `caps` whose claim its plan capped (or ran at max_seeds,
    its flat pilot too coarse to size N), edited to a lower N: the too-coarse one was trusted
    at the edited N (its reason alone taken as 'capped there'), the capped one sized with no
    cap at all (an N no sweep planned). The saved claim's `needed` is the max_seeds it ran."""
    noisy = _metrics({"a": [0.7, 0.9, 1.1]})
    flat = {"a": {s: {"acc": 0.9, "loss": 0.1 * s} for s in range(3)}}
    for metrics in (noisy, flat):
        plan = auto_seeds.plan_seeds(_spec(), metrics, n0=3, max_seeds=8, experiments=["a"])
        plan.pilot_values = {"a": {s: {"acc": v["acc"]} for s, v in metrics["a"].items()}}
        claims = json.loads(plan.to_json())["claims"]
        assert plan.seeds["a"] == claims["a_acc"]["needed"] == 8, claims
        entry = {"n0": 3, "seeds": 5, "needs": {"a_acc": 5}}  # edited from 8, no caps
        assert auto_seeds.entry_caps(entry, claims) == {"a_acc": 8}
        assert auto_seeds._given(entry, plan, "a", claims) == 8
        assert (
            auto_seeds._given({**entry, "seeds": 8, "needs": {"a_acc": 8}}, plan, "a", claims)
            is None
        )
