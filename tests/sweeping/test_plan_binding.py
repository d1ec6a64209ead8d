"""A seeds=auto plan governs the report only while its pilot's runs are the ones judged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from repro.sweeping import auto_seeds
from tests.records.test_table import write_run

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
    changed = auto_seeds.pilot_changes(data, {"a": "h"}, {"a": rerun})
    assert changed == {"a": auto_seeds.PilotChange(3, 3, rerun=(0, 1, 2))}
    assert auto_seeds.pilot_changes(data, {"a": "h"}, {"a": same}) == {}
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


def _pilot_report(results: Path, tmp_path: Path) -> tuple[list[str], str]:
    """A real `repro report paper=mnist1d` (in-process): its warnings about the seeds=auto
    plan, and report.md."""
    from repro.reporting.build import build_report, requests_from_cli

    (request,), _ = requests_from_cli(
        ["paper=mnist1d"], None, False, tmp_path / "out", results, None, None
    )
    outcome = build_report(request)
    text = (tmp_path / "out" / "report.md").read_text()
    return [w for w in outcome.warnings if "seeds=auto plan" in w], text


def _planned_pilot(results: Path) -> tuple[int, dict[int, Path]]:
    """mnist1d/cnn's pilot of 3 seeds, planned and saved as `repro sweep seeds=auto` does,
    then the planned seeds and one more past N (a later fixed sweep): (N, seed -> folder)."""
    from repro.plugins.registry import get_paper

    values = {0: 0.90, 1: 0.935, 2: 0.915}
    folders = {
        s: write_run(
            results,
            "cnn",
            s,
            {"test/acc": v},
            composed=True,
            finished_at=f"2026-01-01T10:0{s}:00+00:00",
        )
        for s, v in values.items()
    }
    spec = get_paper("mnist1d").spec()
    records = {("cnn", s): json.loads((f / "record.json").read_text()) for s, f in folders.items()}
    plan = auto_seeds.plan_seeds(spec, auto_seeds.pilot_metrics(records), 3, experiments=["cnn"])
    plan.config_hashes = {"cnn": folders[0].parent.name}
    auto_seeds.bind_pilot(plan, spec, records)
    auto_seeds.save_plan(results, "mnist1d", plan)
    total = plan.seeds["cnn"]
    assert 3 < total < 30, plan
    for seed in range(3, total + 1):
        folders[seed] = write_run(results, "cnn", seed, {"test/acc": 0.92}, composed=True)
    return total, folders


def test_an_identical_rerun_of_a_pilot_seed_keeps_the_plan(
    isolated_env: Path, tmp_path: Path
) -> None:
    """`rerun=true` of one pilot seed that reproduced its value bit for bit turned the plan
    off (its finish time changed): the report judged every seed, those past N too, by the
    fixed-sample test (one command escaped the two-stage test), and said its seeds 'were not
    chosen from these runs'. The plan is bound to the pilot's values of the claimed metrics."""
    total, _ = _planned_pilot(isolated_env)
    assert _pilot_report(isolated_env, tmp_path)[0] == []
    write_run(
        isolated_env,
        "cnn",
        1,
        {"test/acc": 0.935},
        composed=True,
        finished_at="2026-05-01T00:00:00+00:00",
    )
    warnings, text = _pilot_report(isolated_env, tmp_path)
    assert warnings == [] and "Experiments planned this way: cnn" in text, warnings

    write_run(isolated_env, "cnn", 1, {"test/acc": 0.95}, composed=True)  # really changed
    warnings, text = _pilot_report(isolated_env, tmp_path)
    (line,) = warnings
    assert f"(pilot n0=3, N={total})" in line, line
    assert "pilot seed 1's value of test/acc changed since the plan was made" in line, line
    assert "not chosen from these runs" not in line and "Experiments planned" not in text


def test_a_deleted_pilot_run_is_called_missing_not_replaced(
    isolated_env: Path, tmp_path: Path
) -> None:
    """`rm -rf .../seed2` of a pilot run was reported as 'pilot runs that have since been
    replaced (run again)'."""
    total, folders = _planned_pilot(isolated_env)
    shutil.rmtree(folders[2])
    (line,) = _pilot_report(isolated_env, tmp_path)[0]
    assert f"the seeds=auto plan (pilot n0=3, N={total})" in line, line
    assert "pilot seed 2's run is missing" in line and "replaced" not in line, line
    # it said the fixed-sample test was 'on its planned seeds 0–N−1', seed 2 too
    assert f"on its planned seeds 0–{total - 1}" not in line, line
    assert f"on {total - 1} of its {total} planned seeds" in line, line


def test_a_changed_pilot_seed_does_not_let_the_seeds_past_the_plan_be_judged(
    isolated_env: Path, tmp_path: Path
) -> None:
    """One pilot seed's value changed (a nondeterministic `rerun=true`): the plan stopped
    governing and the fixed-sample test judged every seed, the one a later fixed sweep added
    past N after seeing the two-stage verdict too, so one rerun let "add seeds until it
    settles" count. The seeds past N stay shown, not judged, and the report says which it
    judged; a setting retrained in full (every pilot seed changed) is new data, judged whole."""
    total, _ = _planned_pilot(isolated_env)
    write_run(isolated_env, "cnn", 1, {"test/acc": 0.95}, composed=True)  # really changed
    (line,), text = _pilot_report(isolated_env, tmp_path)
    assert f"fixed-sample test on its planned seeds 0–{total - 1}" in line, line
    claim = next(x for x in text.splitlines() if x.startswith("- `cnn_acc`"))
    assert f"seed {total} is shown but not judged (0.92)" in claim, claim
    assert "fixed-sample test is on the" in claim and "two-stage" not in claim, claim
    row = next(x for x in text.splitlines() if x.startswith("| `cnn_acc`"))
    assert f"(n={total})" in row, row
    seeds = next(x for x in text.splitlines() if x.startswith("- **Seeds:**"))
    assert f"seeds ≥ {total} shown, not judged" in seeds, seeds

    for seed in (0, 2):  # the whole pilot retrained: the seeds there are one new sample
        write_run(isolated_env, "cnn", seed, {"test/acc": 0.91 + seed / 100}, composed=True)
    (line,), text = _pilot_report(isolated_env, tmp_path)
    assert f"fixed-sample test on all its seeds (0–{total})" in line, line
    row = next(x for x in text.splitlines() if x.startswith("| `cnn_acc`"))
    assert f"(n={total + 1})" in row and "not judged" not in text, row

    # every pilot seed rerun later, the seed past N left as it was: still the one added after
    # the plan's verdict, so three reruns do not let it count either
    for seed in range(3):
        later = f"2026-06-01T00:0{seed}:00+00:00"
        write_run(
            isolated_env,
            "cnn",
            seed,
            {"test/acc": 0.901 + seed / 50},
            composed=True,
            finished_at=later,
        )
    (line,), text = _pilot_report(isolated_env, tmp_path)
    assert f"fixed-sample test on its planned seeds 0–{total - 1}" in line, line
    assert f"seed {total} is shown but not judged" in text


def test_a_comparison_with_a_changed_plan_on_one_side_is_cut_at_the_smaller_n(
    tmp_path: Path,
) -> None:
    """cnn's plan no longer governs (N=4), mlp's still does (N=3): the comparison falls to the
    fixed-sample test, on the pairs below both plans' N, never on seeds added past either."""
    from repro.plugins.registry import get_paper
    from repro.records.table import load_records
    from repro.reporting import aggregate

    for seed in range(6):
        write_run(tmp_path, "cnn", seed, {"test/acc": 0.94 + seed / 1000})
        write_run(tmp_path, "mlp", seed, {"test/acc": 0.68 + seed / 700})
    frame = load_records(tmp_path).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (claim,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_beats_mlp"]
    (result,) = aggregate.evaluate_claims(
        frame, [claim], choices, 0.05, {"mlp": 3}, {"mlp": 3}, fixed_sample_totals={"cnn": 4}
    )
    assert result.summary is not None and result.summary.n == 3, result.summary
    assert "seeds 3–5 are shown but not judged" in result.verdict.reason, result.verdict
    assert "fixed-sample test is on the 3 planned seeds" in result.verdict.reason
    assert result.judged_below == 3


def test_a_flat_pilots_fallback_names_one_test_for_the_seeds_past_n(tmp_path: Path) -> None:
    """a flat pilot (another claim raised N) falls back to the fixed-sample test;
    with a seed past N the reason said both 'fixed-sample test on all seeds' and 'the
    two-stage test is on the 5 planned seeds'. It names the test it used, on the planned
    seeds."""
    from repro.plugins.registry import get_paper
    from repro.records.table import load_records
    from repro.reporting import aggregate

    for seed, value in enumerate([0.94, 0.94, 0.94, 0.93, 0.95, 0.5]):
        write_run(tmp_path, "cnn", seed, {"test/acc": value})
    frame = load_records(tmp_path).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (claim,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (result,) = aggregate.evaluate_claims(frame, [claim], choices, 0.05, {"cnn": 3}, {"cnn": 5})
    reason = result.verdict.reason
    assert result.summary is not None and result.summary.n == 5, result.summary
    assert "fixed-sample test on the 5 planned seeds" in reason, reason
    assert "seed 5 is shown but not judged (0.5)" in reason, reason
    assert "two-stage test is on" not in reason and "on all seeds" not in reason, reason


def test_a_setting_retrained_in_part_does_not_let_the_seeds_past_the_plan_be_judged(
    isolated_env: Path, tmp_path: Path
) -> None:
    """Every pilot seed rerun, then the seeds past N made after those reruns, while the plan's
    stage-two seeds stayed as they were: the report called it retrained as a whole and judged
    every seed, those a sweep added after the plan's verdict too. Retrained as a whole means
    every seed from n0 on was made again after the pilot's reruns, stage two's too."""
    total, _ = _planned_pilot(isolated_env)
    for seed in range(3):  # the pilot rerun (nondeterministic: every value changed)
        at = f"2026-06-01T00:0{seed}:00+00:00"
        write_run(
            isolated_env,
            "cnn",
            seed,
            {"test/acc": 0.901 + seed / 50},
            composed=True,
            finished_at=at,
        )
    for seed in (total, total + 1):  # then seeds past N, added after seeing the verdict
        at = "2026-07-01T00:00:00+00:00"
        write_run(isolated_env, "cnn", seed, {"test/acc": 0.92}, composed=True, finished_at=at)
    (line,), text = _pilot_report(isolated_env, tmp_path)
    assert f"fixed-sample test on its planned seeds 0–{total - 1}" in line, line
    row = next(x for x in text.splitlines() if x.startswith("| `cnn_acc`"))
    assert f"(n={total})" in row, row


def _filed_as_written(folder: Path) -> Path:
    """Move a `trainer.precision=32` run to the folder an older repro filed it under (the
    precision hashed as written, before ae0533e), its record saying that hash: (new folder)."""
    import yaml

    from repro.records import store

    config = yaml.safe_load((folder / store.CONFIG_FILE).read_text())
    old = store._digest(store._at_execution_defaults(config))
    assert old != folder.parent.name
    moved = folder.parent.parent / old / folder.name
    moved.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(folder, moved)
    record = json.loads((moved / store.RECORD_FILE).read_text())
    store.write_record(moved, {**record, "config_hash": old})
    return moved


def test_a_plan_saved_under_an_older_hash_of_its_setting_still_governs(
    isolated_env: Path, tmp_path: Path
) -> None:
    """A seeds=auto sweep of `trainer.precision=32` before that was hashed as `32-true` saved
    its plan under the folder its pilot was filed in; its records now join today's hash, and
    the report, looking the plan up by today's hash only, dropped it without a word: the
    fixed-sample test judged every seed, those a later sweep added past N too."""
    from repro.plugins.registry import get_paper

    spec = get_paper("mnist1d").spec()
    folders = {}
    for seed, value in {0: 0.90, 1: 0.935, 2: 0.915}.items():
        at = f"2026-01-01T10:0{seed}:00+00:00"
        written = write_run(
            isolated_env,
            "cnn",
            seed,
            {"test/acc": value},
            composed=True,
            finished_at=at,
            **{"trainer.precision": 32},
        )
        folders[seed] = _filed_as_written(written)
    records = {("cnn", s): json.loads((f / "record.json").read_text()) for s, f in folders.items()}
    plan = auto_seeds.plan_seeds(spec, auto_seeds.pilot_metrics(records), 3, experiments=["cnn"])
    plan.config_hashes = {"cnn": folders[0].parent.name}  # as the sweep keys it: the folder
    auto_seeds.bind_pilot(plan, spec, records)
    auto_seeds.save_plan(isolated_env, "mnist1d", plan)
    total = plan.seeds["cnn"]
    for seed in range(3, total + 1):  # stage two, then one seed past N, filed today
        write_run(
            isolated_env,
            "cnn",
            seed,
            {"test/acc": 0.92},
            composed=True,
            **{"trainer.precision": 32},
        )
    warnings, text = _pilot_report(isolated_env, tmp_path)
    assert warnings == [] and "Experiments planned this way: cnn" in text, warnings
    row = next(x for x in text.splitlines() if x.startswith("| `cnn_acc`"))
    assert f"(n={total})" in row, row
    assert f"seed {total} is shown but not judged" in text


def test_the_seeds_line_names_as_unjudged_only_seeds_no_claim_judged(tmp_path: Path) -> None:
    """cnn's plan no longer governs (N=4), mlp's still does (N=3): cnn_acc judged cnn's seeds
    0-3 (n=4), the comparison pairs 0-2, yet the methodology's Seeds line took the smallest
    cut and said cnn's 'seeds ≥ 3 shown, not judged'. Only seeds past every claim's cut are."""
    from types import SimpleNamespace

    from repro.plugins.registry import get_paper
    from repro.records.table import load_records
    from repro.reporting import aggregate
    from repro.reporting.render import seeds_text

    for seed in range(6):
        write_run(tmp_path, "cnn", seed, {"test/acc": 0.94 + seed / 1000})
        write_run(tmp_path, "mlp", seed, {"test/acc": 0.68 + seed / 700})
    frame = load_records(tmp_path).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    claims = [c for c in get_paper("mnist1d").spec().claims if c.id in ("cnn_acc", "cnn_beats_mlp")]
    results = aggregate.evaluate_claims(
        frame, claims, choices, 0.05, {"mlp": 3}, {"mlp": 3}, fixed_sample_totals={"cnn": 4}
    )
    cnn_acc = next(r for r in results if r.claim.id == "cnn_acc")
    assert cnn_acc.summary is not None and cnn_acc.summary.n == 4
    report = SimpleNamespace(choices=choices, results=results, diverged_seeds={})
    line = seeds_text(report)  # type: ignore[arg-type]
    assert "cnn; seeds ≥ 4 shown, not judged" in line, line


def test_a_cut_plan_with_a_missing_seed_says_how_many_it_judged(tmp_path: Path) -> None:
    """A plan that no longer governs because pilot seed 2's run is missing (N=4): the claim
    line said 'the fixed-sample test is on the 4 planned seeds' beside n=3 in the table."""
    from repro.plugins.registry import get_paper
    from repro.records.table import load_records
    from repro.reporting import aggregate

    for seed in (0, 1, 3, 4, 5):
        write_run(tmp_path, "cnn", seed, {"test/acc": 0.94 + seed / 1000})
    frame = load_records(tmp_path).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (claim,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (result,) = aggregate.evaluate_claims(
        frame, [claim], choices, 0.05, fixed_sample_totals={"cnn": 4}
    )
    assert result.summary is not None and result.summary.n == 3
    reason = result.verdict.reason
    assert "seeds 4–5 are shown but not judged" in reason, reason
    assert "on the 4 planned seeds" not in reason, reason
    assert "3 of the 4 planned seeds (seed 2 has no completed run)" in reason, reason


def test_seeds_past_n_that_are_not_one_run_are_named_as_they_are(tmp_path: Path) -> None:
    """seeds 8 and 12 past N=5 were worded 'seeds 8–12 are shown but not judged',
    naming nine seeds for two."""
    from repro.plugins.registry import get_paper
    from repro.records.table import load_records
    from repro.reporting import aggregate

    for seed in (0, 1, 2, 3, 4, 8, 12):
        write_run(tmp_path, "cnn", seed, {"test/acc": 0.94 + seed / 1000})
    frame = load_records(tmp_path).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (claim,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (result,) = aggregate.evaluate_claims(frame, [claim], choices, 0.05, {"cnn": 3}, {"cnn": 5})
    assert "seeds 8, 12 are shown but not judged" in result.verdict.reason, result.verdict


def test_a_comparison_of_plans_with_other_pilots_is_cut_at_the_smaller_n(tmp_path: Path) -> None:
    """cnn planned from a pilot of 3 (N=4), mlp from a pilot of 5 (N=6, a later
    sweep after default_seeds changed): the comparison fell to the fixed-sample test on every
    pair, those a fixed sweep added past both plans' N after seeing the verdicts too, and
    without a word. No one pilot planned the pairs, so the two-stage test does not apply:
    the fixed-sample test judges the pairs below the smaller N, and the reason says why."""
    from repro.plugins.registry import get_paper
    from repro.records.table import load_records
    from repro.reporting import aggregate

    for seed in range(8):
        write_run(tmp_path, "cnn", seed, {"test/acc": 0.94 + seed / 1000})
        write_run(tmp_path, "mlp", seed, {"test/acc": 0.68 + seed / 700})
    frame = load_records(tmp_path).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (claim,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_beats_mlp"]
    (result,) = aggregate.evaluate_claims(
        frame, [claim], choices, 0.05, {"cnn": 3, "mlp": 5}, {"cnn": 4, "mlp": 6}
    )
    assert result.summary is not None and result.summary.n == 4, result.summary
    reason = result.verdict.reason
    assert "seeds 4–7 are shown but not judged" in reason, reason
    assert "fixed-sample test is on the 4 planned seeds" in reason, reason
    assert "pilots of other sizes (cnn n0=3, mlp n0=5)" in reason, reason
    assert result.judged_below == 4


def test_a_comparison_with_one_side_planned_is_cut_at_that_sides_n(tmp_path: Path) -> None:
    """cnn planned by seeds=auto (pilot 3, N=4), mlp by a fixed sweep: the
    comparison was judged on every pair, those a fixed sweep added past cnn's N after its
    verdicts were read too (the ones cnn's own claims show, not judged), and without a word
    that no pilot planned the pairs. The fixed-sample test judges the pairs below cnn's N,
    and the reason says why."""
    from repro.plugins.registry import get_paper
    from repro.records.table import load_records
    from repro.reporting import aggregate

    for seed in range(8):
        write_run(tmp_path, "cnn", seed, {"test/acc": 0.94 + seed / 1000})
        write_run(tmp_path, "mlp", seed, {"test/acc": 0.68 + seed / 700})
    frame = load_records(tmp_path).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (claim,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_beats_mlp"]
    (result,) = aggregate.evaluate_claims(frame, [claim], choices, 0.05, {"cnn": 3}, {"cnn": 4})
    assert result.summary is not None and result.summary.n == 4, result.summary
    reason = result.verdict.reason
    assert "seeds 4–7 are shown but not judged" in reason, reason
    assert "only cnn's seeds were planned by seeds=auto (n0=3, N=4)" in reason, reason
    assert result.judged_below == 4


def _mark_as_seeds_auto(folders: dict[int, Path], total: int) -> None:
    """The records as a seeds=auto sweep leaves them: pilot seeds 0-2, stage two to N."""
    for seed, folder in folders.items():
        if seed >= total:
            continue  # a later fixed sweep's
        path = folder / "record.json"
        record = json.loads(path.read_text())
        stage = {"n0": 3, "max_seeds": 30, "stage": "pilot" if seed < 3 else "two"}
        if seed >= 3:
            stage["seeds"] = total
        record["seeds_auto"] = {**stage, "setting": f"cnn@{folder.parent.name}"}
        path.write_text(json.dumps(record))


@pytest.mark.parametrize("damage", ["deleted", "truncated", "other setting"])
def test_a_missing_plan_is_said_not_a_silent_change_of_test(
    isolated_env: Path, tmp_path: Path, damage: str
) -> None:
    """`rm results/mnist1d/.seeds_auto.json` after a seeds=auto sweep made the
    report judge its seeds by the fixed-sample test on all of them, those a later sweep added
    past N too, as if no plan had existed, and without a word (a truncated plan: one line
    that it was ignored; a plan of other settings only: nothing). Its runs say they were a
    seeds=auto sweep's: the report says the plan is missing, which test it used on which
    seeds (the planned ones, up to the N stage two recorded), and how to make it again."""
    total, folders = _planned_pilot(isolated_env)
    _mark_as_seeds_auto(folders, total)
    path = auto_seeds.plan_path(isolated_env, "mnist1d")
    if damage == "deleted":
        path.unlink()
    elif damage == "truncated":
        path.write_text(path.read_text()[:40])
    else:
        data = json.loads(path.read_text())
        data["settings"] = {f"{k}x": v for k, v in data["settings"].items()}
        path.write_text(json.dumps(data))
    warnings, text = _pilot_report(isolated_env, tmp_path)
    (line,) = [w for w in warnings if "trained by `repro sweep seeds=auto`" in w]
    assert f"(pilot n0=3, max_seeds=30, N={total})" in line, line
    assert str(path) in line, line
    assert f"fixed-sample test on its planned seeds 0–{total - 1}" in line, line
    assert "seeds=auto max_seeds=30" in line, line  # what makes the plan again
    assert "Experiments planned this way" not in text
    assert "trained by `repro sweep seeds=auto`" in text  # the caution, not only the terminal
    claim = next(x for x in text.splitlines() if x.startswith("- `cnn_acc`"))
    assert f"seed {total} is shown but not judged (0.92)" in claim, claim
    row = next(x for x in text.splitlines() if x.startswith("| `cnn_acc`"))
    assert f"(n={total})" in row, row


def test_a_missing_plan_whose_pilot_was_made_again_is_not_said_to_be_made_again(
    isolated_env: Path, tmp_path: Path
) -> None:
    """the plan file deleted, then a pilot seed made again with another value
    (`repro run ... rerun=true`, nondeterministic): the report said `repro sweep ...
    seeds=auto max_seeds=30` "makes the plan again from the same pilot", a pilot that is
    gone, and that sweep is refused (its stage two ran before the new pilot). Stage two's
    runs say their pilot's values: the report names the pilot seed that changed and the
    sweep that trains a new plan (rerun=true)."""
    total, folders = _planned_pilot(isolated_env)
    _mark_as_seeds_auto(folders, total)
    pilot = auto_seeds.load_plan(isolated_env, "mnist1d")
    (entry,) = pilot["settings"].values()
    for seed in range(3, total):  # what stage two's runs record of their plan's pilot
        path = folders[seed] / "record.json"
        record = json.loads(path.read_text())
        record["seeds_auto"]["pilot_values"] = entry["pilot_values"]
        path.write_text(json.dumps(record))
    auto_seeds.plan_path(isolated_env, "mnist1d").unlink()
    warnings, _ = _pilot_report(isolated_env, tmp_path)
    (line,) = [w for w in warnings if "trained by `repro sweep seeds=auto`" in w]
    assert "makes the plan again from the same pilot" in line, line  # nothing changed yet
    write_run(isolated_env, "cnn", 1, {"test/acc": 0.95}, composed=True)  # made again
    warnings, _ = _pilot_report(isolated_env, tmp_path)
    (line,) = [w for w in warnings if "trained by `repro sweep seeds=auto`" in w]
    assert "from the same pilot" not in line, line
    assert "pilot seed 1's value of test/acc changed since its stage two ran" in line, line
    assert "paper=mnist1d experiment=cnn seeds=auto max_seeds=30 rerun=true`" in line, line
    assert f"fixed-sample test on its planned seeds 0–{total - 1}" in line, line


def test_the_sweep_that_makes_a_missing_plan_again_plans_its_experiment_alone(
    isolated_env: Path, tmp_path: Path
) -> None:
    """the report's way back for a lost plan of `seeds=auto experiment=cnn` was
    `repro sweep paper=mnist1d seeds=auto max_seeds=30`: pasted, it trained the pilots of every
    other claimed experiment, and cnn_beats_mlp, planned then for the first time, grew cnn's N
    past the seeds already seen, so the sweep was refused after those pilots. It names the
    experiment whose plan is missing."""
    total, folders = _planned_pilot(isolated_env)
    _mark_as_seeds_auto(folders, total)
    auto_seeds.plan_path(isolated_env, "mnist1d").unlink()
    warnings, _ = _pilot_report(isolated_env, tmp_path)
    (line,) = [w for w in warnings if "trained by `repro sweep seeds=auto`" in w]
    assert "paper=mnist1d experiment=cnn seeds=auto max_seeds=30`" in line, line


def test_a_pilot_not_yet_planned_is_not_called_a_missing_plan(
    isolated_env: Path, tmp_path: Path
) -> None:
    """a report read while a seeds=auto sweep trains its pilot (or after one
    stopped before planning) said its plan was missing: none had been made yet, and a pilot
    of n0 seeds judged alone is a fixed-sample test of a size chosen before any data."""
    total, folders = _planned_pilot(isolated_env)
    _mark_as_seeds_auto({s: f for s, f in folders.items() if s < 3}, total)
    for seed in range(3, total + 1):
        shutil.rmtree(folders[seed])
    auto_seeds.plan_path(isolated_env, "mnist1d").unlink()
    warnings, text = _pilot_report(isolated_env, tmp_path)
    assert warnings == [] and "trained by `repro sweep seeds=auto`" not in text, warnings


def test_a_restored_plan_with_a_lower_n_than_stage_two_recorded_is_not_trusted(
    isolated_env: Path, tmp_path: Path
) -> None:
    """a .seeds_auto.json restored from an older copy (or edited) whose N for the
    setting is lower than the N its stage-two runs recorded was trusted: the report judged
    seeds 0..N_file-1 by the two-stage test, the rest 'past N', so the file chose where the
    test stopped after every seed was seen. The runs' N is used, and the report says why."""
    total, folders = _planned_pilot(isolated_env)
    _mark_as_seeds_auto(folders, total)
    for seed in range(3, total):  # stage two ran after the pilot
        path = folders[seed] / "record.json"
        record = json.loads(path.read_text())
        record["timing"]["finished_at"] = f"2026-01-02T10:0{seed % 10}:00+00:00"
        path.write_text(json.dumps(record))
    path = auto_seeds.plan_path(isolated_env, "mnist1d")
    data = json.loads(path.read_text())
    (key,) = data["settings"]
    lower = total - 1
    entry = data["settings"][key]
    entry.update(seeds=lower, needs={c: min(n, lower) for c, n in entry["needs"].items()})
    path.write_text(json.dumps(data))
    warnings, text = _pilot_report(isolated_env, tmp_path)
    (line,) = [w for w in warnings if "stage-two runs recorded" in w]
    assert f"says N={lower}" in line and f"recorded N={total}" in line, line
    row = next(x for x in text.splitlines() if x.startswith("| `cnn_acc`"))
    assert f"(n={total})" in row, row
    claim = next(x for x in text.splitlines() if x.startswith("- `cnn_acc`"))
    assert f"seed {total} is shown but not judged (0.92)" in claim, claim


def test_a_plan_edited_to_a_higher_n_than_stage_two_recorded_is_not_trusted(
    isolated_env: Path, tmp_path: Path
) -> None:
    """a .seeds_auto.json edited to an N above the one its stage-two runs recorded
    was trusted: the report judged by the two-stage test the seed a later fixed sweep added
    past the plan's N, as if planned, and called the rest an interim result of a plan no
    sweep made. The runs' N is used, and the report says why."""
    total, folders = _planned_pilot(isolated_env)
    _mark_as_seeds_auto(folders, total)
    for seed in range(3, total):  # stage two ran after the pilot
        path = folders[seed] / "record.json"
        record = json.loads(path.read_text())
        record["timing"]["finished_at"] = f"2026-01-02T10:0{seed % 10}:00+00:00"
        path.write_text(json.dumps(record))
    path = auto_seeds.plan_path(isolated_env, "mnist1d")
    data = json.loads(path.read_text())
    (key,) = data["settings"]
    higher = total + 3
    data["settings"][key].update(seeds=higher)
    path.write_text(json.dumps(data))
    warnings, text = _pilot_report(isolated_env, tmp_path)
    (line,) = [w for w in warnings if "stage-two runs recorded" in w]
    assert f"says N={higher}" in line and f"recorded N={total}" in line, line
    row = next(x for x in text.splitlines() if x.startswith("| `cnn_acc`"))
    assert f"(n={total})" in row, row
    claim = next(x for x in text.splitlines() if x.startswith("- `cnn_acc`"))
    assert f"seed {total} is shown but not judged (0.92)" in claim, claim


def test_a_plan_edited_to_a_higher_n_than_its_pilot_gives_is_not_trusted(
    isolated_env: Path, tmp_path: Path
) -> None:
    """a plan whose stage two never ran (stopped, or the file copied in from
    elsewhere), edited to an N above any its pilot gives at any max_seeds, then a fixed sweep
    of that many seeds: the report judged every one of them by the two-stage test, as if the
    pilot had chosen them. No stage-two run says otherwise, but the pilot does: the N it
    gives is used, and the report says why."""
    total, _ = _planned_pilot(isolated_env)  # seeds 3..total: a fixed sweep's, no stage two
    path = auto_seeds.plan_path(isolated_env, "mnist1d")
    data = json.loads(path.read_text())
    (key,) = data["settings"]
    higher = total + 1
    data["settings"][key].update(seeds=higher, needs={"cnn_acc": higher})
    path.write_text(json.dumps(data))
    warnings, text = _pilot_report(isolated_env, tmp_path)
    (line,) = [w for w in warnings if "its pilot gives" in w]
    assert f"says N={higher}" in line and f"its pilot gives at most N={total}" in line, line
    row = next(x for x in text.splitlines() if x.startswith("| `cnn_acc`"))
    assert f"(n={total})" in row, row
    claim = next(x for x in text.splitlines() if x.startswith("- `cnn_acc`"))
    assert f"seed {total} is shown but not judged (0.92)" in claim, claim
    lower = {"cnn_acc": total - 1}  # the plan of a lower max_seeds: its caps say so
    data["settings"][key].update(seeds=total - 1, needs=lower, caps=lower)
    path.write_text(json.dumps(data))
    warnings, _ = _pilot_report(isolated_env, tmp_path)
    assert not [w for w in warnings if "its pilot gives" in w], warnings


def test_a_plan_edited_to_another_pilot_size_than_stage_two_recorded_is_not_trusted(
    isolated_env: Path, tmp_path: Path
) -> None:
    """a .seeds_auto.json edited to say n0=2 of a plan whose stage two recorded a
    pilot of 3 was trusted without a word: the report judged by the two-stage test with the
    spread of seeds 0-1 and t(1), a test no plan chose. The runs' n0 is used, and the report
    says why."""
    total, folders = _planned_pilot(isolated_env)
    _mark_as_seeds_auto(folders, total)
    for seed in range(3, total):  # stage two ran after the pilot
        path = folders[seed] / "record.json"
        record = json.loads(path.read_text())
        record["timing"]["finished_at"] = f"2026-01-02T10:0{seed % 10}:00+00:00"
        path.write_text(json.dumps(record))
    path = auto_seeds.plan_path(isolated_env, "mnist1d")
    data = json.loads(path.read_text())
    (key,) = data["settings"]
    data["settings"][key]["n0"] = 2
    path.write_text(json.dumps(data))
    warnings, text = _pilot_report(isolated_env, tmp_path)
    (line,) = [w for w in warnings if "recorded a pilot of" in w]
    assert "says n0=2" in line and "recorded a pilot of n0=3" in line, line
    claim = next(x for x in text.splitlines() if x.startswith("- `cnn_acc`"))
    assert f"(n={total}, pilot n0=3)" in claim, claim


def test_a_plan_that_names_no_pilot_ignores_stage_two_runs_older_than_its_pilot(
    isolated_env: Path, tmp_path: Path
) -> None:
    """a plan entry saved before plans named their pilot took the N of every
    stage-two run as its own, those of an earlier pilot's plan that finished before today's
    pilot ran too: the report judged the seed past the plan's N by today's pilot's two-stage
    test and said the file was edited. Runs older than the setting's pilot are not its plan's."""
    total, folders = _planned_pilot(isolated_env)
    _mark_as_seeds_auto({s: f for s, f in folders.items() if s < 3}, total)
    for seed in range(3, total + 1):  # an earlier pilot's stage two, before today's pilot
        path = folders[seed] / "record.json"
        record = json.loads(path.read_text())
        stage = {"n0": 3, "max_seeds": 30, "stage": "two", "seeds": total + 1}
        record["seeds_auto"] = {**stage, "setting": f"cnn@{folders[seed].parent.name}"}
        path.write_text(json.dumps(record))
    path = auto_seeds.plan_path(isolated_env, "mnist1d")
    data = json.loads(path.read_text())
    (key,) = data["settings"]
    del data["settings"][key]["pilot"], data["settings"][key]["pilot_values"]
    path.write_text(json.dumps(data))
    warnings, text = _pilot_report(isolated_env, tmp_path)
    assert not [w for w in warnings if "stage-two runs recorded" in w], warnings
    row = next(x for x in text.splitlines() if x.startswith("| `cnn_acc`"))
    assert f"(n={total})" in row, row


def test_the_procedure_names_only_claims_of_the_paper_on_planned_experiments() -> None:
    """the report's procedure listed every claim the plan file ever saved as
    "left without the planned power": one renamed or removed from paper.yaml since (a claim
    the report does not have), and one of an experiment whose plan no longer governs."""
    from repro.plugins.registry import get_paper
    from repro.reporting.build import _procedure_text

    capped = {"needed": 30, "capped": True, "reason": "needs 99 seeds"}
    plan = {
        "procedure": "Stein.",
        "claims": {"cnn_acc": capped, "old_claim": capped, "mlp_acc": capped},
    }
    claims = get_paper("mnist1d").spec().claims
    text = _procedure_text(plan, {"cnn": 3}, claims)
    assert text is not None and "cnn_acc: needs 99 seeds" in text, text
    assert "old_claim" not in text and "mlp_acc" not in text, text


def test_a_comparison_whose_other_sides_plan_no_longer_applies_says_so(tmp_path: Path) -> None:
    """cnn planned by seeds=auto (pilot 3, N=6), mlp's plan (N=4) no longer
    applies (its pilot was retrained): the reason said 'mlp's were not' planned and that the
    pairs below cnn's N were judged, though mlp's seeds were planned and the pairs were cut
    at mlp's smaller N of 4."""
    from repro.plugins.registry import get_paper
    from repro.records.table import load_records
    from repro.reporting import aggregate

    for seed in range(8):
        write_run(tmp_path, "cnn", seed, {"test/acc": 0.94 + seed / 1000})
        write_run(tmp_path, "mlp", seed, {"test/acc": 0.68 + seed / 700})
    frame = load_records(tmp_path).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (claim,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_beats_mlp"]
    (result,) = aggregate.evaluate_claims(
        frame, [claim], choices, 0.05, {"cnn": 3}, {"cnn": 6}, fixed_sample_totals={"mlp": 4}
    )
    assert result.summary is not None and result.summary.n == 4, result.summary
    reason = result.verdict.reason
    assert "mlp's were not" not in reason, reason
    assert "mlp's seeds=auto plan (N=4) no longer applies" in reason, reason
    assert "pairs below the smaller N" in reason, reason
    assert result.judged_below == 4


def test_a_plan_edited_to_a_lower_n_than_its_pilot_gives_at_its_cap_is_not_trusted(
    isolated_env: Path, tmp_path: Path
) -> None:
    """a plan whose stage two never ran, edited to a lower N (its needs too), then
    a fixed sweep past it: the report judged seeds 0..N_file-1 by the two-stage test and left
    the rest 'shown, not judged', the file choosing where the test stopped after the seeds
    were seen, since nothing kept the max_seeds each claim was sized at (a lower N looked like
    a lower max_seeds). Each setting saves its claims' caps; the N its pilot gives at them is
    used, and the report says why. The same edit with the caps lowered is a lower max_seeds."""
    total, _ = _planned_pilot(isolated_env)  # seeds 3..total: a fixed sweep's, no stage two
    path = auto_seeds.plan_path(isolated_env, "mnist1d")
    data = json.loads(path.read_text())
    (key,) = data["settings"]
    assert data["settings"][key]["caps"] == {"cnn_acc": 30}
    lower = total - 1
    data["settings"][key].update(seeds=lower, needs={"cnn_acc": lower})
    path.write_text(json.dumps(data))
    warnings, text = _pilot_report(isolated_env, tmp_path)
    (line,) = [w for w in warnings if "its pilot gives" in w]
    assert f"says N={lower}" in line and f"its pilot gives N={total}" in line, line
    assert "max_seeds=30" in line, line
    row = next(x for x in text.splitlines() if x.startswith("| `cnn_acc`"))
    assert f"(n={total})" in row, row
    data["settings"][key]["caps"] = {"cnn_acc": lower}  # the plan of a lower max_seeds
    path.write_text(json.dumps(data))
    warnings, _ = _pilot_report(isolated_env, tmp_path)
    assert not [w for w in warnings if "its pilot gives" in w], warnings


def test_a_plan_without_caps_edited_to_a_lower_n_is_not_trusted(
    isolated_env: Path, tmp_path: Path
) -> None:
    """a setting saved without `caps` (an older plan, or the key deleted by hand)
    was trusted at any N below its pilot's: edited to a lower N (its needs too) after a fixed
    sweep past it, the report stopped the two-stage test where the file said. Without caps a
    claim the plan's own `claims` do not call capped was sized uncapped: its pilot's N."""
    total, _ = _planned_pilot(isolated_env)
    path = auto_seeds.plan_path(isolated_env, "mnist1d")
    data = json.loads(path.read_text())
    (key,) = data["settings"]
    lower = total - 1
    data["settings"][key].update(seeds=lower, needs={"cnn_acc": lower})
    del data["settings"][key]["caps"]
    path.write_text(json.dumps(data))
    warnings, text = _pilot_report(isolated_env, tmp_path)
    (line,) = [w for w in warnings if "its pilot gives" in w]
    assert f"says N={lower}" in line and f"its pilot gives N={total}" in line, line
    row = next(x for x in text.splitlines() if x.startswith("| `cnn_acc`"))
    assert f"(n={total})" in row, row
    # an older plan that capped the claim there (its saved reason says so) is a lower max_seeds
    data["claims"]["cnn_acc"].update(needed=lower, capped=True)
    path.write_text(json.dumps(data))
    warnings, _ = _pilot_report(isolated_env, tmp_path)
    assert not [w for w in warnings if "its pilot gives" in w], warnings


def test_the_next_sweep_writes_back_a_plan_edited_to_a_lower_n(
    isolated_env: Path, tmp_path: Path
) -> None:
    """with a plan edited to a lower N before its stage two and a fixed sweep past
    it, the next `seeds=auto` sweep of the same max_seeds was refused as a raise 'after
    seeing' the fixed seeds, and told the user to sweep with the edited N as max_seeds (which
    kept the edit). The N the pilot gives at the saved caps is the plan's: no raise, and it
    is written back."""
    from repro.plugins.registry import get_paper

    total, folders = _planned_pilot(isolated_env)
    path = auto_seeds.plan_path(isolated_env, "mnist1d")
    data = json.loads(path.read_text())
    (key,) = data["settings"]
    data["settings"][key].update(seeds=total - 1, needs={"cnn_acc": total - 1})
    path.write_text(json.dumps(data))
    spec = get_paper("mnist1d").spec()
    records = {("cnn", s): json.loads((folders[s] / "record.json").read_text()) for s in range(3)}
    plan = auto_seeds.plan_seeds(spec, auto_seeds.pilot_metrics(records), 3, experiments=["cnn"])
    plan.config_hashes = {"cnn": folders[0].parent.name}
    auto_seeds.bind_pilot(plan, spec, records)
    auto_seeds.refuse_after_seeing(isolated_env, "mnist1d", plan)  # no UsageError
    auto_seeds.save_plan(isolated_env, "mnist1d", plan)
    saved = auto_seeds.load_plan(isolated_env, "mnist1d")
    assert saved is not None and saved["settings"][key]["seeds"] == total


def test_a_flat_pilots_plan_edited_to_a_lower_n_is_not_trusted(
    isolated_env: Path, tmp_path: Path
) -> None:
    """a flat pilot (every seed 0.94, the runs differing elsewhere) runs max_seeds
    (8); the plan edited to N=5 before its stage two was trusted: the pilot was re-sized from
    the claimed values the plan kept alone, which look like a deterministic run (N = n0), so
    the edit stopped the test at 5. Its other metrics say the runs differ: N=8 is used."""
    from repro.plugins.registry import get_paper

    folders = {
        s: write_run(
            isolated_env,
            "cnn",
            s,
            {"test/acc": 0.94, "train/loss": 0.1 + s / 100},
            composed=True,
            finished_at=f"2026-01-01T10:0{s}:00+00:00",
        )
        for s in range(3)
    }
    spec = get_paper("mnist1d").spec()
    records = {("cnn", s): json.loads((f / "record.json").read_text()) for s, f in folders.items()}
    metrics = auto_seeds.pilot_metrics(records)
    plan = auto_seeds.plan_seeds(spec, metrics, 3, max_seeds=8, experiments=["cnn"])
    plan.config_hashes = {"cnn": folders[0].parent.name}
    auto_seeds.bind_pilot(plan, spec, records)
    auto_seeds.save_plan(isolated_env, "mnist1d", plan)
    assert plan.seeds == {"cnn": 8}
    for seed in range(3, 9):  # a fixed sweep past it, no stage two
        write_run(isolated_env, "cnn", seed, {"test/acc": 0.94 + seed / 1000}, composed=True)
    path = auto_seeds.plan_path(isolated_env, "mnist1d")
    data = json.loads(path.read_text())
    (key,) = data["settings"]
    data["settings"][key].update(seeds=5, needs={"cnn_acc": 5})
    path.write_text(json.dumps(data))
    warnings, _ = _pilot_report(isolated_env, tmp_path)
    (line,) = [w for w in warnings if "its pilot gives" in w]
    assert "says N=5" in line and "its pilot gives N=8" in line, line
    again = auto_seeds.plan_seeds(spec, metrics, 3, max_seeds=8, experiments=["cnn"])
    again.config_hashes = plan.config_hashes
    auto_seeds.bind_pilot(again, spec, records)
    auto_seeds.refuse_after_seeing(isolated_env, "mnist1d", again)  # no raise: N=8 is the plan
    auto_seeds.save_plan(isolated_env, "mnist1d", again)
    saved = auto_seeds.load_plan(isolated_env, "mnist1d")
    assert saved is not None and saved["settings"][key]["seeds"] == 8


def test_a_plan_of_a_pilot_with_a_failed_seed_is_not_called_edited_once_it_completes(
    isolated_env: Path, tmp_path: Path
) -> None:
    """A pilot seed that failed leaves its claim unplanned (N = n0); the seed completed later
    (`repro run ... seed=2`) is no change of the pilot the plan kept, and sizing the plan
    again from today's runs would call its N edited: the saved pilot values size it."""
    _planned_pilot(isolated_env)
    path = auto_seeds.plan_path(isolated_env, "mnist1d")
    data = json.loads(path.read_text())
    (key,) = data["settings"]
    entry = data["settings"][key]
    del entry["pilot_values"]["2"]  # failed when the plan was made
    entry.update(seeds=3, needs={"cnn_acc": 3})
    path.write_text(json.dumps(data))
    warnings, _ = _pilot_report(isolated_env, tmp_path)
    assert not [w for w in warnings if "its pilot gives" in w], warnings


def test_a_plan_edited_down_to_its_pilot_after_stage_two_ran_is_not_trusted(
    isolated_env: Path, tmp_path: Path
) -> None:
    """a plan whose stage two ran, edited to N = n0 (the pilot alone): no stage-two
    run is one of the file's seeds past the pilot (there are none), so the runs' N was not
    asked and the file was trusted: the two-stage test stopped at the pilot and stage two's
    seeds were 'shown, not judged', the file choosing where the test stopped after they were
    seen. The runs' N is used, and the report says why."""
    total, folders = _planned_pilot(isolated_env)
    _mark_as_seeds_auto(folders, total)
    for seed in range(3, total):  # stage two ran after the pilot
        path = folders[seed] / "record.json"
        record = json.loads(path.read_text())
        record["timing"]["finished_at"] = f"2026-01-02T10:0{seed % 10}:00+00:00"
        path.write_text(json.dumps(record))
    path = auto_seeds.plan_path(isolated_env, "mnist1d")
    data = json.loads(path.read_text())
    (key,) = data["settings"]
    data["settings"][key].update(seeds=3, needs={"cnn_acc": 3})
    path.write_text(json.dumps(data))
    warnings, text = _pilot_report(isolated_env, tmp_path)
    (line,) = [w for w in warnings if "stage-two runs recorded" in w]
    assert "says N=3" in line and f"recorded N={total}" in line, line
    row = next(x for x in text.splitlines() if x.startswith("| `cnn_acc`"))
    assert f"(n={total})" in row, row


def test_a_missing_plan_read_before_its_stage_two_finished_names_the_seeds_it_judged(
    isolated_env: Path, tmp_path: Path
) -> None:
    """the plan file deleted while stage two had run only some of its seeds: the
    report said the claims were 'judged by the fixed-sample test on its planned seeds 0–N−1',
    seeds that had not run."""
    total, folders = _planned_pilot(isolated_env)
    _mark_as_seeds_auto(folders, total)
    for seed in range(4, total + 1):  # stage two stopped after seed 3
        shutil.rmtree(folders[seed])
    auto_seeds.plan_path(isolated_env, "mnist1d").unlink()
    warnings, _ = _pilot_report(isolated_env, tmp_path)
    (line,) = [w for w in warnings if "trained by `repro sweep seeds=auto`" in w]
    assert f"on its planned seeds 0–{total - 1}," not in line, line
    assert f"4 of its {total} planned seeds" in line, line
