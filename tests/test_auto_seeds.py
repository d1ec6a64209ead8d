"""seeds=auto planning: claims mapped onto Stein's two-stage sizes, per experiment."""

from __future__ import annotations

import json

from repro import auto_seeds
from repro.paper_spec import PaperSpec


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
                {"id": "a_acc", "experiment": "a", "metric": "acc", "value": 0.9,
                 "tolerance": 0.01, "source": "T1"},
                {"id": "a_beats_b", "kind": "comparison", "experiment": "a", "versus": "b",
                 "direction": ">", "metric": "acc", "source": "T1"},
                {"id": "c_floor", "kind": "threshold", "experiment": "c", "metric": "acc",
                 "value": 0.5, "direction": ">=", "source": "T1"},
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
