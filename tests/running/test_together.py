"""Seeds trained together (repro.running.together) against the same seeds trained alone.

Tolerances: vectorized kernels reassociate float sums, and training amplifies the last bits
step by step (measured: mnist1d CNN equal to 1e-7 after 80 steps; perm_optim, whose forward
pass is itself an optimisation, 0 after 1 step, 3e-5 after 5, 1e-2 after 15). So short runs
are compared tightly, as ../shared/gpu/vmap_equivalence.py found for long ones.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from repro.config.app import plugin_overrides
from repro.config.compose import compose_run_config, hydra_compose_session
from repro.plugins.registry import get_paper
from repro.running.runner import run_one
from repro.running.together import run_together
from tests.conftest import plugin_module, repro, repro_in_own_group, write_toy_paper


def configs(
    paper: str,
    experiment: str,
    seeds: list[int],
    results: Path,
    *extra: str,
    papers=None,
    logger: str = "csv",
) -> list[dict[str, Any]]:
    plugin = get_paper(paper, papers)
    with hydra_compose_session():
        return [
            compose_run_config(
                [
                    f"paper={paper}",
                    *plugin_overrides(plugin.folder),
                    f"seed={seed}",
                    f"paths.results_dir={results}",
                    f"logger={logger}",
                    *extra,
                ],
                experiment,
            )
            for seed in seeds
        ]


def toy_paper_with_module(plugins: Path, source: str, name: str) -> Path:
    """The toy plugin in `plugins`, training the module class `name` defined by `source`
    (appended to its model.py) instead of ToyModule."""
    folder = write_toy_paper(plugins)
    (folder / "model.py").write_text((folder / "model.py").read_text() + source)
    paper = folder / "paper.yaml"
    paper.write_text(paper.read_text().replace("model:ToyModule", f"model:{name}"))
    return folder


def together_and_alone(
    tmp_path: Path, paper: str, experiment: str, *extra: str, papers=None
) -> tuple[list[Any], list[Any]]:
    seeds = [0, 1, 2]
    grouped = configs(paper, experiment, seeds, tmp_path / "a", *extra, papers=papers)
    alone = configs(paper, experiment, seeds, tmp_path / "b", *extra, papers=papers)
    return (
        run_together(grouped, [["repro", "run"]] * len(seeds)),
        [run_one(config, command=["repro", "run"]) for config in alone],
    )


def assert_same_metrics(together: list[Any], alone: list[Any], tolerance: float) -> None:
    for grouped, single in zip(together, alone, strict=True):
        assert grouped.status == single.status == "completed"
        assert set(single.metrics) <= set(grouped.metrics)
        for name, value in single.metrics.items():
            assert math.isclose(grouped.metrics[name], value, abs_tol=tolerance), name


def test_mnist1d_seeds_together_match_each_seed_alone(tmp_path: Path) -> None:
    """12 steps over three epochs (500 sequences: 4 batches each, reshuffled per epoch) to
    1e-4. Not longer: the group's vectorized kernels sum in another order, and in float32
    training grows that into a visible difference (an AMD EPYC, 3 seeds, 4,000 sequences:
    seed 0 exact at step 5, 4e-5 off at step 20, 2e-2 in train/loss at step 80; measured here
    at 12 steps: 2.4e-7), while a wrong batch, init or optimizer state is off by 1e-2."""
    together, alone = together_and_alone(
        tmp_path, "mnist1d", "cnn", "trainer.max_steps=12", "data.num_samples=500"
    )
    assert_same_metrics(together, alone, tolerance=1e-4)
    record = json.loads((together[1].record_dir / "record.json").read_text())
    assert record["together"]["seeds"] == [0, 1, 2] and record["seed"] == 1
    assert record["status"] == "completed" and record["timing"]["seeds_together"] == 3
    assert (together[1].record_dir / "csv" / "metrics.csv").is_file()
    assert (together[1].record_dir / "checkpoints" / "last.ckpt").is_file()
    # the same folder as the seed alone: one setting, whichever engine trained it
    assert together[1].record_dir.relative_to(tmp_path / "a") == alone[1].record_dir.relative_to(
        tmp_path / "b"
    )


def test_perm_optim_seeds_together_match_alone_on_a_short_run(tmp_path: Path) -> None:
    together, alone = together_and_alone(tmp_path, "perm_optim", "sort_n5", "trainer.max_steps=5")
    assert_same_metrics(together, alone, tolerance=1e-4)
    record = json.loads((together[0].record_dir / "record.json").read_text())
    assert record["together"]["seeds"] == [0, 1, 2]


SMALL_MAX_REGRESSION = (
    "data.batch_size=16",
    "data.val_batches=2",
    "data.test_batches=2",
    "trainer.check_val_every_n_epoch=1",
)


@pytest.mark.parametrize(
    ("experiment", "steps", "per_epoch", "tolerance"),
    [
        ("deepsets_mean", 12, 4, 1e-4),
        ("deepsets_sum", 12, 4, 1e-4),
        ("deepsets_max", 12, 4, 1e-4),
        ("sab_pma", 3, 1, 1e-2),
    ],
)
def test_set_transformer_seeds_together_match_alone_though_their_set_sizes_differ(
    tmp_path: Path, experiment: str, steps: int, per_epoch: int, tolerance: float
) -> None:
    """Each seed draws its own set size per batch; together, a step's batches are padded to
    the largest and masked (MaxRegressor.align_seed_batches), validated every epoch.
    DeepSets: 12 steps to 1e-4. SAB + PMA drifts fastest, as perm_optim does: a key bias
    has a mathematically zero gradient (softmax ignores a shift shared by all keys), Adam
    scales its rounding noise to a whole learning-rate step, and vmap's kernels round
    otherwise. Measured on an AMD EPYC, with or without padding: 2e-5 after one step, 6e-4
    after three, 6e-2 after twelve with one set size for all seeds. A wrong batch, set size
    or initialisation is off by whole units of MAE from the first step."""
    together, alone = together_and_alone(
        tmp_path,
        "set_transformer",
        experiment,
        *SMALL_MAX_REGRESSION,
        f"trainer.max_steps={steps}",
        f"data.batches_per_epoch={per_epoch}",
    )
    assert_same_metrics(together, alone, tolerance=tolerance)
    record = json.loads((together[2].record_dir / "record.json").read_text())
    assert record["together"]["seeds"] == [0, 1, 2] and record["timing"]["seeds_together"] == 3
    assert "val/mae" in together[2].metrics


def test_the_seeds_of_the_equivalence_test_do_draw_different_set_sizes() -> None:
    """What makes the test above one of padding: seeds 0, 1 and 2 draw different set sizes
    at their first step and at most of their first twelve."""
    data = plugin_module(get_paper("set_transformer"), "data", "MaxRegressionData")
    sizes = [
        [x.shape[1] for x, _ in data.RandomSetBatches(12, 16, 1, 10, 0.0, 100.0, seed=seed)]
        for seed in (0, 1, 2)
    ]
    steps = list(zip(*sizes, strict=True))
    assert len(set(steps[0])) > 1 and sum(len(set(s)) > 1 for s in steps) >= 6, sizes


@pytest.mark.parametrize(
    ("paper", "experiment", "why"),
    [
        ("mnist1d", "gru", "the training step does not vectorize"),
        ("amsgrad", "adam_online", "the module optimizes manually"),
    ],
)
def test_a_setting_that_does_not_qualify_says_why_and_trains_each_seed_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], paper: str, experiment: str, why: str
) -> None:
    seeds = [0, 1]
    outcomes = run_together(
        configs(paper, experiment, seeds, tmp_path / "r", "trainer.max_steps=3"),
        [["repro", "run"]] * 2,
    )
    assert [o.status for o in outcomes] == ["completed", "completed"]
    out = capsys.readouterr().out
    assert f"seeds together: off for {paper}/{experiment}: {why}" in out
    if why == "the training step does not vectorize":  # found by the probe, before training
        assert " together on " not in out  # never said to train together
    for outcome in outcomes:
        assert "together" not in json.loads((outcome.record_dir / "record.json").read_text())


def test_the_reason_seeds_could_not_be_built_together_is_said_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A long reason (a bad limit fraction's) is said whole, never cut off mid-word."""
    outcomes = run_together(
        configs("mnist1d", "logistic", [0, 1], tmp_path / "r", "+trainer.limit_test_batches=1e-4"),
        [["repro", "sweep"]] * 2,
    )
    assert [o.status for o in outcomes] == ["failed", "failed"]
    note = next(line for line in capsys.readouterr().out.splitlines() if "built together" in line)
    assert note.endswith(f"{outcomes[0].error}); one seed at a time"), note


def test_a_profiled_setting_trains_each_seed_alone_under_lightnings_loop() -> None:
    """The profiler times Lightning's loop; a group does not run it, so it would time nothing."""
    from repro.running.seed_rules import static_reason

    trainer = {"precision": "32-true", "num_sanity_val_steps": 0}
    assert static_reason({"trainer": trainer}) is None
    assert "trainer.profiler" in static_reason({"trainer": {**trainer, "profiler": "simple"}})


NAN_MODULE = '''

class NanForOneSeed(ToyModule):
    """The loss is the log of a weight drawn at initialisation: NaN for seeds where it is
    negative, so one seed of a group fails while the others train on."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sign = nn.Parameter(torch.randn(()))

    def training_step(self, batch, batch_idx):
        return super().training_step(batch, batch_idx) + torch.log(self.sign) * 0
'''


def test_a_seed_whose_loss_turns_nan_fails_alone(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """...with one error line, as alone: the engine printed its own before the job's
    (two lines for one failure)."""
    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, NAN_MODULE, "NanForOneSeed")
    outcomes = run_together(
        configs("toy", "small", list(range(4)), tmp_path / "r", papers=[plugins]),
        [["repro", "run"]] * 4,
    )
    statuses = {o.record_dir.name: o.status for o in outcomes}
    failed = [o for o in outcomes if o.status == "failed"]
    assert failed and len(failed) < len(outcomes), statuses
    for outcome in failed:
        assert outcome.error.startswith("non-finite loss at step 0"), outcome.error
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert record["status"] == "failed" and record["together"]["seeds"] == [0, 1, 2, 3]
        assert not (outcome.record_dir / "checkpoints").exists()  # nothing of its group's
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("error:")]
    assert errors == [], errors  # the caller prints each outcome's one line (print_outcome)


def test_a_sweep_with_seeds_together_gives_the_verdicts_of_one_seed_per_process(
    tmp_path: Path,
) -> None:
    """The same short sweep both ways: same records' metrics, same verdict of the claim."""
    from repro.reporting.build import ReportRequest, build_report

    verdicts = {}
    for mode in ("true", "false"):
        results = tmp_path / mode
        done = repro(
            "sweep",
            "paper=mnist1d",
            "experiment=cnn",
            "seeds=3",
            "trainer.max_steps=60",
            "logger=csv",
            f"seeds_together={mode}",
            env={"REPRO_RESULTS_DIR": str(results)},
        )
        assert done.returncode == 0, done.stderr
        assert ("together on cpu" in done.stdout) == (mode == "true"), done.stdout
        (setting,) = (results / "mnist1d" / "cnn").iterdir()
        outcome = build_report(
            ReportRequest(
                "mnist1d",
                results,
                tmp_path / f"report-{mode}",
                pinned_configs=frozenset({setting.name}),
            )
        )
        verdicts[mode] = {r.claim.id: r.outcome for r in outcome.results if r.summary}
    assert verdicts["true"] == verdicts["false"] and verdicts["true"]


def test_a_group_that_does_not_qualify_hands_its_seeds_back_for_workers_of_their_own(
    tmp_path: Path,
) -> None:
    """In a joblib sweep, the seeds of a setting that cannot be vectorized must not train one
    after another in the group's worker: they come back untrained, one job each."""
    from repro.running.together import UNGROUPED
    from repro.sweeping.jobs import Job, split_ungrouped
    from repro.sweeping.plan import PlannedRun

    grouped = configs("mnist1d", "gru", [0, 1], tmp_path / "r", "trainer.max_steps=3")
    outcomes = run_together(grouped, [["repro", "run"]] * 2, alone=False)
    assert [o.status for o in outcomes] == [UNGROUPED, UNGROUPED]
    for outcome in outcomes:  # nothing written: the seed is exactly as before
        assert not (outcome.record_dir / "record.json").exists()
    runs = [PlannedRun("gru", s, (), o.record_dir, "to run", 3) for s, o in enumerate(outcomes)]
    job = Job(runs[0], ("a",), tuple((run, (f"seed={run.seed}",)) for run in runs))
    assert [(j.run.seed, j.overrides) for j in split_ungrouped(job, outcomes)] == [
        (0, ("seed=0",)),
        (1, ("seed=1",)),
    ]


SIGNAL_MODULE = '''

import os
import signal


class SignalAtCall(ToyModule):
    """Sends itself REPRO_TEST_SIGNAL once, on the Nth call of training_step."""

    calls = 0

    def training_step(self, batch, batch_idx):
        type(self).calls += 1
        if os.environ.get("REPRO_TEST_SIGNAL_AT_CALL") == str(type(self).calls):
            os.kill(os.getpid(), getattr(signal, os.environ["REPRO_TEST_SIGNAL"]))
        return super().training_step(batch, batch_idx)
'''


GROUP_SWEEP = ("sweep", "paper=toy", "experiment=small", "seeds=2", "seeds_together=true")


def signalling_toy(tmp_path: Path) -> dict[str, str]:
    """The toy plugin whose step signals itself at a call (SIGNAL_MODULE); a sweep's env."""
    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, SIGNAL_MODULE, "SignalAtCall")
    return {"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(tmp_path / "r")}


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_an_interrupted_group_resumes_where_it_stopped(tmp_path: Path, name: str) -> None:
    """SIGTERM (preemption) or Ctrl-C mid-epoch: every seed says interrupted and where a rerun
    goes on; the rerun resumes the group and ends with an uninterrupted group's numbers."""
    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, SIGNAL_MODULE, "SignalAtCall")
    sweep = ("sweep", "paper=toy", "experiment=small", "seeds=2", "seeds_together=true")
    env = {"REPRO_PAPERS_PATH": str(plugins)}

    def results_of(results: Path) -> dict[int, dict]:
        return {
            int(p.parent.name[4:]): json.loads(p.read_text()) for p in results.rglob("record.json")
        }

    straight = repro(*sweep, env={**env, "REPRO_RESULTS_DIR": str(tmp_path / "straight")})
    assert straight.returncode == 0, straight.stderr
    results = tmp_path / "cut"
    signal_at = {"REPRO_TEST_SIGNAL": name, "REPRO_TEST_SIGNAL_AT_CALL": "11"}  # probe: 3 calls
    cut = repro(*sweep, env={**env, "REPRO_RESULTS_DIR": str(results), **signal_at})
    assert cut.returncode == {"SIGTERM": 143, "SIGINT": 130}[name], cut.stderr
    assert "Traceback" not in cut.stderr
    interrupted = results_of(results)
    assert {r["status"] for r in interrupted.values()} == {"interrupted"}
    said = f"interrupted by {name}; the same sweep again resumes the group from step 8"
    assert said in interrupted[0]["error"]
    again = repro(*sweep, env={**env, "REPRO_RESULTS_DIR": str(results)})
    assert again.returncode == 0, again.stderr
    assert "resuming the group from step 8" in again.stderr
    resumed, uninterrupted = results_of(results), results_of(tmp_path / "straight")
    for seed in (0, 1):
        assert resumed[seed]["status"] == "completed"
        assert resumed[seed]["resumed_from"]["step"] == 8
        # the interrupted attempt's time counts in the report's compute hours
        spent = interrupted[seed]["timing"]["wall_s"]
        assert resumed[seed]["timing"]["earlier_wall_s"] == pytest.approx(spent)
        assert resumed[seed]["metrics"] == pytest.approx(uninterrupted[seed]["metrics"], abs=1e-6)
    assert not list(results.rglob("together.ckpt"))  # the group's checkpoint goes once done


def test_a_seeds_auto_group_resumed_by_a_fixed_sweep_keeps_its_stage(tmp_path: Path) -> None:
    """stage two of `repro sweep seeds=auto` trains its seeds as a group; cut
    short and resumed by a sweep that is not a seeds=auto stage (`seeds=N`, the way the cut
    message names), each seed's record lost its `seeds_auto` section, so a deleted plan was
    judged by the fixed-sample test without a word. A resumed group keeps each seed's stage."""
    from repro.records import store

    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, SIGNAL_MODULE, "SignalAtCall")
    sweep = ("sweep", "paper=toy", "experiment=small", "seeds=2", "seeds_together=true")
    env = {"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(tmp_path / "r")}
    stage = {"n0": 3, "max_seeds": 20, "stage": "two", "seeds": {"small": 12}}
    signal_at = {"REPRO_TEST_SIGNAL": "SIGTERM", "REPRO_TEST_SIGNAL_AT_CALL": "11"}
    cut = repro(*sweep, env={**env, **signal_at, store.SEEDS_AUTO_ENV: json.dumps(stage)})
    assert cut.returncode == 143, cut.stderr
    again = repro(*sweep, env={**env, store.SEEDS_AUTO_ENV: ""})
    assert again.returncode == 0 and "resuming the group from step" in again.stderr, again.stderr
    records = [json.loads(p.read_text()) for p in (tmp_path / "r").rglob("record.json")]
    assert len(records) == 2 and {r["status"] for r in records} == {"completed"}
    assert all((r.get("seeds_auto") or {}).get("seeds") == 12 for r in records), records


def test_an_interrupted_rerun_of_a_completed_group_leaves_its_seeds_as_they_were(
    tmp_path: Path,
) -> None:
    """rerun=true of completed seeds, stopped mid-way: as for a seed alone, the completed
    records, configs, logs and weights stay; the message says a rerun starts over (it does:
    rerun=true never resumes), and nothing of the stopped rerun is left to resume."""
    env, sweep = signalling_toy(tmp_path), GROUP_SWEEP
    assert repro(*sweep, env=env).returncode == 0
    kept = ("record.json", "config.yaml", "checkpoints/last.ckpt")
    folders = sorted(p.parent for p in (tmp_path / "r").rglob("record.json"))
    before = {(f, name): (f / name).read_bytes() for f in folders for name in kept}
    signal_at = {"REPRO_TEST_SIGNAL": "SIGTERM", "REPRO_TEST_SIGNAL_AT_CALL": "11"}
    cut = repro(*sweep, "rerun=true", env={**env, **signal_at})
    assert cut.returncode == 143, cut.stderr
    assert "2 interrupted" in cut.stdout and "already completed, 0" in cut.stdout, cut.stdout
    assert {(f, name): (f / name).read_bytes() for f in folders for name in kept} == before
    for folder in folders:
        failed = json.loads((folder / "record.failed.json").read_text())
        assert failed["status"] == "interrupted"
        assert failed["error"].endswith("the completed record is unchanged, rerun=true starts over")
    left = {p.name for f in folders for p in f.rglob("*")} - {"record.failed.json"}
    assert not left & {"together.ckpt", "rerun.ckpt", "record.rerun.json", "config.rerun.yaml"}


def test_a_group_killed_with_sigkill_resumes_from_its_last_save(tmp_path: Path) -> None:
    """kill -9 gives no chance to save: the group's periodic checkpoint (here every step) is
    what the next sweep resumes; the records said `running` meanwhile."""
    env, sweep = signalling_toy(tmp_path), (*GROUP_SWEEP, "checkpoint.every_s=0")
    killed = repro(
        *sweep, env={**env, "REPRO_TEST_SIGNAL": "SIGKILL", "REPRO_TEST_SIGNAL_AT_CALL": "11"}
    )
    assert killed.returncode == -9
    statuses = {json.loads(p.read_text())["status"] for p in (tmp_path / "r").rglob("record.json")}
    assert statuses == {"running"}
    again = repro(*sweep, env=env)
    assert again.returncode == 0, again.stderr
    assert "resuming the group from step 7" in again.stderr
    for path in (tmp_path / "r").rglob("record.json"):
        record = json.loads(path.read_text())
        assert record["status"] == "completed" and record["resumed_from"]["step"] == 7
        assert record["timing"]["earlier_wall_s"] > 0  # the killed attempt, to its last save


def test_a_killed_group_whose_seed_folder_was_removed_names_that_seed_as_it_starts_over(
    tmp_path: Path,
) -> None:
    """kill -9, then seed 1's folder removed: the group's checkpoint is not resumed (seed 1
    has no attempt it cut short), and the line said `a seed's last attempt was not cut
    short`, naming neither the seed nor what was wrong (it had no record at all). The
    dry run says it too: it said nothing of the training thrown away."""
    import shutil

    env, sweep = signalling_toy(tmp_path), (*GROUP_SWEEP, "checkpoint.every_s=0")
    killed = repro(
        *sweep, env={**env, "REPRO_TEST_SIGNAL": "SIGKILL", "REPRO_TEST_SIGNAL_AT_CALL": "11"}
    )
    assert killed.returncode == -9
    (checkpoint,) = (tmp_path / "r").rglob("together.ckpt")
    shutil.rmtree(checkpoint.parent.parent.parent / "seed1")
    why = f"not resuming {checkpoint}: seed 1 has no record; training from the start"
    dry = repro(*sweep, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    plan = (
        f"small: seeds 0, 1 do not resume their group's checkpoint {checkpoint} (step 7): "
        "seed 1 has no record; they train from the start"
    )
    assert plan in dry.stdout, dry.stdout
    again = repro(*sweep, env=env)
    assert again.returncode == 0, again.stderr
    assert why in again.stderr, again.stderr
    for path in (tmp_path / "r").rglob("record.json"):
        record = json.loads(path.read_text())
        assert record["status"] == "completed" and not record.get("resumed_from"), record


def test_a_rerun_of_completed_seeds_together_replaces_their_curves(tmp_path: Path) -> None:
    """rerun=true: the group writes its curves beside the completed ones, which its records
    then replace (a completed record keeps the curves of the run it describes)."""
    results = tmp_path / "r"
    first = run_together(
        configs("mnist1d", "cnn", [0, 1], results, "trainer.max_steps=50"), [["repro"]] * 2
    )
    again = run_together(
        configs("mnist1d", "cnn", [0, 1], results, "trainer.max_steps=50", "rerun=true"),
        [["repro"]] * 2,
    )
    for before, after in zip(first, again, strict=True):
        assert after.status == "completed" and after.record_dir == before.record_dir
        curves = after.record_dir / "csv" / "metrics.csv"
        assert curves.is_file() and "train/loss" in curves.read_text()
        assert not (after.record_dir / "csv-rerun").exists()
        assert "rerun: true" in (after.record_dir / "config.yaml").read_text()  # its config too
        assert not (after.record_dir / "config.rerun.yaml").exists()


def test_a_step_that_reads_the_trainer_sees_what_it_would_see_alone(tmp_path: Path) -> None:
    """The toy loss turns NaN at `self.global_step == 3`: seeds together must fail at the step
    a seed alone fails at (before, global_step read 0 and nothing failed)."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    grouped = configs(
        "toy", "small", [0, 1], tmp_path / "a", "model.explode=true", papers=[plugins]
    )
    alone = configs("toy", "small", [0, 1], tmp_path / "b", "model.explode=true", papers=[plugins])
    together = run_together(grouped, [["repro"]] * 2)
    single = [run_one(config, command=["repro"]) for config in alone]
    for grouped_outcome, single_outcome in zip(together, single, strict=True):
        assert single_outcome.status == grouped_outcome.status == "failed"
        assert grouped_outcome.error == single_outcome.error  # non-finite loss at step 4
        record = json.loads((grouped_outcome.record_dir / "record.json").read_text())
        assert record["together"]["seeds"] == [0, 1]


def test_a_failed_seed_of_a_group_leaves_the_curves_it_would_leave_alone(tmp_path: Path) -> None:
    """The toy loss turns NaN at step 3, every step logged: alone, the failed run keeps its
    CSV log of steps 0-2; a failed seed of a group kept none (its record only)."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    extra = ("model.explode=true", "trainer.log_every_n_steps=1")
    grouped = configs("toy", "small", [0, 1], tmp_path / "a", *extra, papers=[plugins])
    alone = configs("toy", "small", [0, 1], tmp_path / "b", *extra, papers=[plugins])
    together = run_together(grouped, [["repro"]] * 2)
    single = [run_one(config, command=["repro"]) for config in alone]
    for grouped_outcome, single_outcome in zip(together, single, strict=True):
        assert single_outcome.status == grouped_outcome.status == "failed"
        own = (single_outcome.record_dir / "csv" / "metrics.csv").read_text().splitlines()
        log = grouped_outcome.record_dir / "csv" / "metrics.csv"
        assert log.is_file(), sorted(p.name for p in grouped_outcome.record_dir.iterdir())
        rows = log.read_text().splitlines()
        assert rows[0] == own[0] == "epoch,step,train/loss"
        assert [r.split(",")[:2] for r in rows] == [r.split(",")[:2] for r in own]
        assert len(rows) == 4  # steps 0, 1 and 2: none of the NaN step's


TRAINER_READING_MODULE = """

class ReadsTheLoggers(ToyModule):
    def training_step(self, batch, batch_idx):
        self.trainer.loggers  # something seeds together cannot give
        return super().training_step(batch, batch_idx)
"""


def test_a_step_that_reads_what_the_group_cannot_give_trains_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, TRAINER_READING_MODULE, "ReadsTheLoggers")
    outcomes = run_together(
        configs("toy", "small", [0, 1], tmp_path / "r", papers=[plugins]), [["repro"]] * 2
    )
    assert [o.status for o in outcomes] == ["completed", "completed"]
    assert "trainer.loggers is not available to seeds trained together" in capsys.readouterr().out


FLAG_READING_MODULE = '''

import os


class ReadsTheTorchFlags(ToyModule):
    """Logs the torch flags its step runs under (the trainer's `deterministic` and `benchmark`
    are Lightning's switches for them, so a seed must see what it would see alone)."""

    def training_step(self, batch, batch_idx):
        self.log("train/flag_deterministic", float(torch.are_deterministic_algorithms_enabled()))
        self.log(
            "train/flag_warn_only", float(torch.is_deterministic_algorithms_warn_only_enabled())
        )
        self.log("train/flag_benchmark", float(torch.backends.cudnn.benchmark))
        self.log("train/flag_cublas", float(os.environ.get("CUBLAS_WORKSPACE_CONFIG") == ":4096:8"))
        return super().training_step(batch, batch_idx)
'''


@pytest.mark.parametrize(
    "flags",
    [
        [],  # the default: deterministic=warn
        ["trainer.deterministic=false"],
        ["trainer.deterministic=true"],
        ["trainer.deterministic=false", "+trainer.benchmark=true"],
    ],
    ids=["warn", "false", "true", "benchmark"],
)
def test_seeds_together_train_under_the_torch_flags_a_seed_alone_trains_under(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str]
) -> None:
    """Before: a group ignored trainer.deterministic and trainer.benchmark (always
    deterministic, warn only) and never set CUBLAS_WORKSPACE_CONFIG, so on a GPU its matmuls
    were not the deterministic ones a seed alone gets from Lightning."""
    import torch

    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    saved = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.benchmark,
    )
    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, FLAG_READING_MODULE, "ReadsTheTorchFlags")
    try:
        alone = run_one(
            configs("toy", "small", [0], tmp_path / "a", *flags, papers=[plugins])[0],
            command=["repro"],
        )
        monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
        torch.use_deterministic_algorithms(False)
        together = run_together(
            configs("toy", "small", [0, 1], tmp_path / "b", *flags, papers=[plugins]),
            [["repro"]] * 2,
        )
    finally:
        torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
        torch.backends.cudnn.benchmark = saved[2]
    seen_alone = {k: v for k, v in alone.metrics.items() if k.startswith("train/flag_")}
    assert len(seen_alone) == 4
    for outcome in together:
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert record["together"]["seeds"] == [0, 1]
        assert {k: outcome.metrics[k] for k in seen_alone} == seen_alone


TIED_MODULE = '''

class TiedWeights(ToyModule):
    """The output layer reuses the input layer's weight (tied, as language models tie their
    embeddings): seeds together must update the one shared tensor as each seed alone does."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        features = self.net.in_features
        self.encode = nn.Linear(features, features, bias=False)
        self.decode = nn.Linear(features, features, bias=False)
        self.decode.weight = self.encode.weight

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.mse_loss(self.net(self.decode(self.encode(x))).squeeze(-1), y)
        self.log("train/loss", loss)
        return loss
'''


def test_tied_weights_train_together_as_they_train_alone(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, TIED_MODULE, "TiedWeights")
    together, alone = together_and_alone(tmp_path, "toy", "small", papers=[plugins])
    for outcome in together:
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert record["together"]["seeds"] == [0, 1, 2]
    assert_same_metrics(together, alone, tolerance=1e-6)


def test_a_completed_seeds_final_weights_outlive_its_corrupt_record_in_a_group(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """trained together again after its record became corrupt, a completed seed's
    last.ckpt was overwritten without a word; alone, it is kept as last.corrupt.ckpt."""
    import torch

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    first = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    folder = first[0].record_dir
    weights = torch.load(folder / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    for outcome in first:  # both: one seed left to train trains alone
        (outcome.record_dir / "record.json").write_text("")
    marked = {"state_dict": weights, "marker": 1}  # the final weights, told apart from new ones
    torch.save(marked, folder / "checkpoints" / "last.ckpt")
    second = configs("toy", "small", [0, 1], results, papers=[plugins])
    assert [o.status for o in run_together(second, [["r"]] * 2)] == ["completed"] * 2
    assert "kept as last.corrupt.ckpt" in capfd.readouterr().err
    assert torch.load(folder / "last.corrupt.ckpt", weights_only=False)["marker"] == 1


@pytest.mark.parametrize("dead", ["record.json", "seed folder"])
def test_a_seed_whose_record_is_a_dead_link_fails_alone_the_others_train_together(
    tmp_path: Path, dead: str
) -> None:
    """seed 1's record.json linked to a disk not mounted now (no group's checkpoint holds
    seed 1): every seed of the group failed, 'seed 1: ... is a link that leads nowhere',
    though the sweep's plan counted the other two `to run`; its seed folder so linked, each
    failed with a bare 'File exists'. Only seed 1 fails, naming the link; the others train
    together."""
    from repro.records.lookup import completed_run

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    group = configs("toy", "small", [0, 1, 2], tmp_path / "r", papers=[plugins])
    blocked = completed_run(group[1])[0]
    blocked.parent.mkdir(parents=True)
    if dead == "record.json":
        blocked.mkdir()
        blocked = blocked / "record.json"
    blocked.symlink_to(tmp_path / "gone")
    said: list[str] = []
    done = run_together(group, [["r"]] * 3, say=said.append)
    assert [o.status for o in done] == ["completed", "failed", "completed"], done
    assert f"{blocked} is a link that leads nowhere" in (done[1].error or "")
    assert not str(done[1].error).startswith("seed 1:")  # its own outcome: no seed to name
    assert done[0].record_dir.joinpath("record.json").is_file()
    assert blocked.is_symlink() and not blocked.exists()  # left as it was
    import json

    record = json.loads(done[2].record_dir.joinpath("record.json").read_text())
    assert record["timing"]["seeds_together"] == 2  # the two trained as a group


def test_a_groups_checkpoint_that_is_a_dead_link_stops_the_group_before_it_trains(
    tmp_path: Path,
) -> None:
    """seed 0's checkpoints/together.ckpt (a cut-short group's file) linked to a disk not
    mounted now: the group trained every seed from step 0 without a word and removed the
    link, where a seed alone's dead-link last.ckpt stops its run. The group stops, naming it."""
    from repro.records.lookup import completed_run

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    group = configs("toy", "small", [0, 1], tmp_path / "r", papers=[plugins])
    saved = completed_run(group[0])[0] / "checkpoints" / "together.ckpt"
    saved.parent.mkdir(parents=True)
    saved.symlink_to(tmp_path / "unmounted" / "together.ckpt")
    done = run_together(group, [["r"]] * 2)
    assert [o.status for o in done] == ["failed", "failed"], done
    assert f"{saved} is a link that leads nowhere" in (done[1].error or ""), done
    assert saved.is_symlink()
    assert not list((tmp_path / "r").rglob("record.json"))  # nothing trained or written


def test_a_second_corrupt_record_is_kept_beside_the_first_not_over_it(tmp_path: Path) -> None:
    """Kept aside once, a seed's corrupt record and final weights were overwritten by the
    next corrupt record's (record.corrupt.json, last.corrupt.ckpt): each is kept, numbered."""
    import torch

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    folder = None
    for marker in (1, 2, 3):
        done = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
        assert [o.status for o in done] == ["completed"] * 2
        folder = done[0].record_dir
        weights = torch.load(folder / "checkpoints" / "last.ckpt", weights_only=False)
        torch.save({**weights, "marker": marker}, folder / "checkpoints" / "last.ckpt")
        for outcome in done:
            (outcome.record_dir / "record.json").write_text(f"damaged {marker}")
    run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    kept = [("record.corrupt.json", "last.corrupt.ckpt")] + [
        (f"record.corrupt-{n}.json", f"last.corrupt-{n}.ckpt") for n in (2, 3)
    ]
    for marker, (record, checkpoint) in enumerate(kept, start=1):
        assert (folder / record).read_text() == f"damaged {marker}"
        assert torch.load(folder / checkpoint, weights_only=False)["marker"] == marker


def test_rerun_true_of_an_interrupted_group_starts_over_as_alone(tmp_path: Path) -> None:
    """rerun=true never resumes, for a seed alone or a group: the interrupted group's
    checkpoint is set aside and the seeds train from step 0 (it was resumed)."""
    env = signalling_toy(tmp_path)
    sweep = ("sweep", "paper=toy", "experiment=small", "seeds=2", "seeds_together=true")
    signal_at = {"REPRO_TEST_SIGNAL": "SIGTERM", "REPRO_TEST_SIGNAL_AT_CALL": "11"}
    cut = repro(*sweep, env={**env, **signal_at})
    assert cut.returncode == 143, cut.stderr
    again = repro(*sweep, "rerun=true", env=env)
    assert again.returncode == 0, again.stderr
    assert "resuming the group" not in again.stderr
    records = [
        json.loads(p.read_text()) for p in Path(env["REPRO_RESULTS_DIR"]).rglob("record.json")
    ]
    assert [r["status"] for r in records] == ["completed"] * 2
    assert all(r["resumed_from"] is None for r in records)
    assert not list(Path(env["REPRO_RESULTS_DIR"]).rglob("together.ckpt"))


@pytest.mark.parametrize(("signal_name", "code"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_as_a_groups_records_are_written_interrupts_every_seed(
    tmp_path: Path, signal_name: str, code: int
) -> None:
    """Stopped as the group's `running` records are written, before training: every seed
    interrupted, the signal's exit code (SIGTERM killed the sweep, records left `running`)."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    stopped = group_sweep_stopped_after(tmp_path, "write:1", plugins, signal_name)
    assert stopped.returncode == code, (stopped.returncode, stopped.stderr[-2000:])
    records = sorted((tmp_path / "r").rglob("record.json"))
    assert [json.loads(p.read_text())["status"] for p in records] == ["interrupted"] * 2


CTRL_C_MODULE = '''

import os
import signal


class CtrlCAtCall(ToyModule):
    """On the Nth call of training_step, SIGINT to the whole process group: Ctrl-C."""

    calls = 0

    def training_step(self, batch, batch_idx):
        type(self).calls += 1
        if type(self).calls == 11:
            os.killpg(os.getpgid(0), signal.SIGINT)
        return super().training_step(batch, batch_idx)
'''


def test_ctrl_c_of_a_group_in_a_joblib_worker_is_recorded_as_sigint(tmp_path: Path) -> None:
    """Ctrl-C reaches the sweep and the worker training the group; the sweep's stop then sends
    the worker SIGTERM. Before: both seeds' records read `interrupted by SIGTERM` (the later
    signal overwrote the first)."""
    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, CTRL_C_MODULE, "CtrlCAtCall")
    results = tmp_path / "r"
    env = {**os.environ, "REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(results)}
    command = [*GROUP_SWEEP, "launcher=joblib", "logger=none"]
    code, stderr = repro_in_own_group(*command, env=env)
    assert code == 130, stderr
    records = [json.loads(p.read_text()) for p in results.rglob("record.json")]
    assert len(records) == 2, stderr
    for record in records:
        assert record["status"] == "interrupted", record
        assert record["error"].startswith("interrupted by SIGINT;"), record["error"]
    assert "Traceback" not in stderr


SIGNAL_AFTER = """
import os, signal, sys
from repro.running import runner, seed_group, together

# STOP_AFTER: `fit` (the group's training returned), `write:N` (the Nth record written) or
# `group` (every record written, the handlers the caller's); STOP_WITH: the signal sent to
# this process right after it, once
point, writes = os.environ["STOP_AFTER"], []
real_fit, real_write = seed_group.SeedGroup.fit, runner.save_record
real_group = together._train_held

def stop():
    os.kill(os.getpid(), getattr(signal, os.environ["STOP_WITH"]))

def fit(self, *args, **kwargs):
    result = real_fit(self, *args, **kwargs)
    if point == "fit":
        stop()
    return result

def save_record(*args, **kwargs):
    real_write(*args, **kwargs)
    writes.append(1)
    if point == f"write:{len(writes)}":
        stop()

def train_held(*args, **kwargs):
    outcomes = real_group(*args, **kwargs)
    if point == "group":
        stop()
    return outcomes

seed_group.SeedGroup.fit, runner.save_record, together._train_held = fit, save_record, train_held
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


def group_sweep_stopped_after(
    tmp_path: Path,
    point: str,
    plugins: Path,
    signal_name: str = "SIGINT",
    extra: tuple[str, ...] = (),
    **env: str,
) -> Any:
    """GROUP_SWEEP (local launcher) with `signal_name` sent to itself right after `point`."""
    return repro(
        *GROUP_SWEEP,
        "logger=none",
        *extra,
        env={
            "REPRO_PAPERS_PATH": str(plugins),
            "REPRO_RESULTS_DIR": str(tmp_path / "r"),
            "STOP_AFTER": point,
            "STOP_WITH": signal_name,
            **env,
        },
        timeout=300,
        patched_by=SIGNAL_AFTER,
    )


@pytest.mark.parametrize("point", ["fit", "write:3", "write:4"])
def test_ctrl_c_as_a_group_ends_is_never_lost_nor_leaves_a_seed_running(
    tmp_path: Path, point: str
) -> None:
    """Ctrl-C right after the group's training returns, or after a seed's record is written
    (write 1 and 2 are the `running` records): before, the group's signal handlers covered
    its training and its test phase but not the steps between, so the Ctrl-C was dropped
    (noted after the last step) or raised where no record is written (seeds left `running`).
    Now: exit 130, every seed completed or interrupted, one line, no traceback."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    stopped = group_sweep_stopped_after(tmp_path, point, plugins)
    assert stopped.returncode == 130, (point, stopped.returncode, stopped.stderr[-2000:])
    assert "Traceback" not in stopped.stderr
    records = [json.loads(p.read_text()) for p in sorted((tmp_path / "r").rglob("record.json"))]
    assert len(records) == 2
    assert {r["status"] for r in records} <= {"completed", "interrupted"}, records


def test_a_second_ctrl_c_while_a_stopped_group_is_recorded_leaves_no_seed_running(
    tmp_path: Path,
) -> None:
    """Ctrl-C mid-training, then again as the first seed's `interrupted` record is written
    (an impatient double Ctrl-C): every seed still ends `interrupted`, exit 130."""
    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, SIGNAL_MODULE, "SignalAtCall")
    mid = {"REPRO_TEST_SIGNAL": "SIGINT", "REPRO_TEST_SIGNAL_AT_CALL": "11"}
    stopped = group_sweep_stopped_after(tmp_path, "write:3", plugins, **mid)
    assert stopped.returncode == 130, (stopped.returncode, stopped.stderr[-2000:])
    assert "Traceback" not in stopped.stderr
    records = [json.loads(p.read_text()) for p in sorted((tmp_path / "r").rglob("record.json"))]
    assert [r["status"] for r in records] == ["interrupted"] * 2, records


def test_a_signal_after_a_stopped_groups_records_keeps_the_first_ones_exit_code(
    tmp_path: Path,
) -> None:
    """Ctrl-C mid-training, then SIGTERM once every seed's record is written: the records and
    the exit code name SIGINT. Before, the SIGTERM killed the sweep (exit -15)."""
    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, SIGNAL_MODULE, "SignalAtCall")
    mid = {"REPRO_TEST_SIGNAL": "SIGINT", "REPRO_TEST_SIGNAL_AT_CALL": "11"}
    stopped = group_sweep_stopped_after(tmp_path, "group", plugins, "SIGTERM", **mid)
    assert stopped.returncode == 130, (stopped.returncode, stopped.stderr[-2000:])
    records = [json.loads(p.read_text()) for p in sorted((tmp_path / "r").rglob("record.json"))]
    assert [r["error"][:22] for r in records] == ["interrupted by SIGINT;"] * 2, records


PLAIN_LOADER = """

class PlainData(ToyData):
    def train_dataloader(self):
        dataset = torch.utils.data.TensorDataset(self.x, self.y)
        return torch.utils.data.DataLoader(dataset, 16)
"""

SHUFFLED_PLAIN_LOADER = """

class ShuffledPlainData(ToyData):
    def train_dataloader(self):
        dataset = torch.utils.data.TensorDataset(self.x, self.y)
        return torch.utils.data.DataLoader(dataset, 16, shuffle=True)
"""


@pytest.mark.parametrize(
    ("plain", "extra", "saved"), [(True, [], 11), (False, ["checkpoint.enabled=false"], 8)]
)
def test_a_resumed_group_stopped_before_its_first_save_says_it_resumes_again(
    tmp_path: Path, plain: bool, extra: list[str], saved: int
) -> None:
    """resumed from step 8, then stopped where it cannot save (mid-epoch with a
    loader that cannot resume mid-pass) or saves nothing (checkpoint.enabled=false): every
    seed said "no checkpoint yet: a rerun starts the group over", and the rerun resumed the
    step-8 file. mid-epoch with a plain loader the group now saves where it
    stopped (step 11, its pass replayed on resume) and resumes there."""
    env = signalling_toy(tmp_path)
    if plain:
        folder = tmp_path / "plugins" / "toy"
        (folder / "data.py").write_text((folder / "data.py").read_text() + PLAIN_LOADER)
        spec = folder / "paper.yaml"
        spec.write_text(spec.read_text().replace("data:ToyData", "data:PlainData"))
    sweep = (*GROUP_SWEEP, "logger=none")
    stop = {"REPRO_TEST_SIGNAL": "SIGTERM"}
    first = repro(*sweep, env={**env, **stop, "REPRO_TEST_SIGNAL_AT_CALL": "11"})
    assert first.returncode == 143, first.stderr
    second = repro(*sweep, *extra, env={**env, **stop, "REPRO_TEST_SIGNAL_AT_CALL": "6"})
    assert second.returncode == 143, second.stderr
    assert "resuming the group from step 8" in second.stderr
    errors = {json.loads(p.read_text())["error"] for p in (tmp_path / "r").rglob("record.json")}
    said = f"interrupted by SIGTERM; the same sweep again resumes the group from step {saved}"
    assert errors == {said}
    again = repro(*sweep, *extra, env=env)
    assert again.returncode == 0, again.stderr
    assert f"resuming the group from step {saved}" in again.stderr


def test_a_group_stopped_mid_epoch_in_epoch_based_training_saves_where_it_stopped(
    tmp_path: Path,
) -> None:
    """epoch-based training (`trainer.max_steps=-1`) with a loader that cannot
    resume mid-pass, SIGTERM in the second epoch before any periodic save: the group stopped
    at once, `no checkpoint yet: a rerun starts the group over`, its training thrown away,
    where each seed alone trains on to the epoch's end, saves and resumes there. The group
    does the same, and resumed ends with an uninterrupted group's numbers. the
    group saves where it stopped (step 6), its shuffled pass replayed on resume: no wait for
    an epoch that may outlast SLURM's grace period."""
    env = signalling_toy(tmp_path)
    folder = tmp_path / "plugins" / "toy"
    (folder / "data.py").write_text((folder / "data.py").read_text() + SHUFFLED_PLAIN_LOADER)
    spec = folder / "paper.yaml"
    spec.write_text(spec.read_text().replace("data:ToyData", "data:ShuffledPlainData"))
    sweep = (*GROUP_SWEEP, "logger=none", "trainer.max_steps=-1", "trainer.max_epochs=3")
    straight = repro(*sweep, env={**env, "REPRO_RESULTS_DIR": str(tmp_path / "straight")})
    assert straight.returncode == 0, straight.stderr
    stop = {"REPRO_TEST_SIGNAL": "SIGTERM", "REPRO_TEST_SIGNAL_AT_CALL": "9"}  # epoch 2's 2nd
    cut = repro(*sweep, env={**env, **stop})
    assert cut.returncode == 143, cut.stderr
    errors = {json.loads(p.read_text())["error"] for p in (tmp_path / "r").rglob("record.json")}
    assert errors == {"interrupted by SIGTERM; the same sweep again resumes the group from step 6"}
    again = repro(*sweep, env=env)
    assert again.returncode == 0, again.stderr
    assert "resuming the group from step 6" in again.stderr
    for path in (tmp_path / "straight").rglob("record.json"):
        resumed = json.loads((tmp_path / "r" / path.relative_to(tmp_path / "straight")).read_text())
        expected = json.loads(path.read_text())["metrics"]
        assert resumed["metrics"] == pytest.approx(expected, abs=1e-6)


def test_a_group_seed_run_alone_by_its_recorded_command_says_so_and_leaves_no_checkpoint(
    tmp_path: Path,
) -> None:
    """a group seed's record says the group resumes, but its command is a
    `repro run` of that seed alone: it trained from the start without a word, and left the
    group's checkpoint in its completed folder for good (no group resumes with a completed
    seed)."""
    import shlex

    env = signalling_toy(tmp_path)
    stop = {"REPRO_TEST_SIGNAL": "SIGTERM", "REPRO_TEST_SIGNAL_AT_CALL": "11"}
    first = repro(*GROUP_SWEEP, "logger=none", env={**env, **stop})
    assert first.returncode == 143, first.stderr
    (seed0,) = (tmp_path / "r").rglob("seed0/record.json")
    record = json.loads(seed0.read_text())
    alone = repro(*shlex.split(record["command"])[1:], env=env, cwd=Path(record["cwd"]))
    assert alone.returncode == 0, alone.stderr
    assert "not resuming the group's checkpoint" in alone.stderr, alone.stderr
    # seed 1's share of the group's file is kept (in its folder), not deleted
    (share,) = (tmp_path / "r").rglob("together.ckpt")
    assert share.parts[-3] == "seed1"
    again = repro(*GROUP_SWEEP, "logger=none", env=env)
    assert again.returncode == 0, again.stderr
    assert "resuming the group from step" in again.stderr, again.stderr
    assert not list((tmp_path / "r").rglob("together.ckpt"))


def test_a_group_seed_run_alone_that_resumes_its_own_checkpoint_says_so(tmp_path: Path) -> None:
    """seed 0 stopped alone at step 5, then in a group at step 8; run alone again,
    it said "trains alone, from the start" and resumed its own step 5. the group
    sweep no longer trains such a seed from step 0 in a group: it resumes it alone, says so,
    and a later run of it alone resumes its own checkpoint again."""
    env = signalling_toy(tmp_path)
    stop = {"REPRO_TEST_SIGNAL": "SIGTERM", "REPRO_TEST_SIGNAL_AT_CALL": "5"}
    alone = ("run", "paper=toy", "experiment=small", "seed=0", "logger=none")
    assert repro(*alone, env={**env, **stop}).returncode == 143
    stop["REPRO_TEST_SIGNAL_AT_CALL"] = "11"
    swept = repro(*GROUP_SWEEP, "logger=none", env={**env, **stop})
    assert swept.returncode == 143, swept.stderr
    assert "seed 0 resumes its own checkpoint" in swept.stderr, swept.stderr
    again = repro(*alone, env=env)
    assert again.returncode == 0, again.stderr
    (record,) = (tmp_path / "r").rglob("seed0/record.json")
    resumed = json.loads(record.read_text())["resumed_from"]
    assert resumed and "resuming from step" in again.stderr, again.stderr
    assert "from the start" not in again.stderr, again.stderr


def test_a_groups_first_seed_run_alone_by_the_sweep_says_nothing_false(tmp_path: Path) -> None:
    """seed 1 of a stopped group ran alone and completed; the same sweep then ran
    seed 0 alone and said "(the same sweep resumes its group)", which it had just not done."""
    import shlex

    env = signalling_toy(tmp_path)
    stop = {"REPRO_TEST_SIGNAL": "SIGTERM", "REPRO_TEST_SIGNAL_AT_CALL": "11"}
    assert repro(*GROUP_SWEEP, "logger=none", env={**env, **stop}).returncode == 143
    (seed1,) = (tmp_path / "r").rglob("seed1/record.json")
    record = json.loads(seed1.read_text())
    alone = repro(*shlex.split(record["command"])[1:], env=env, cwd=Path(record["cwd"]))
    assert alone.returncode == 0, alone.stderr
    again = repro(*GROUP_SWEEP, "logger=none", env=env)
    assert again.returncode == 0, again.stderr
    # seed 0's share of the group's file resumes (it trained alone from step 0)
    assert "seed 0 resumes its group's checkpoint" in again.stderr, again.stderr
    assert "resuming the group from step 8" in again.stderr, again.stderr
    (seed0,) = (tmp_path / "r").rglob("seed0/record.json")
    assert json.loads(seed0.read_text())["resumed_from"]["step"] == 8
    assert not list((tmp_path / "r").rglob("together.ckpt"))


def test_a_group_stopped_after_a_seed_completed_leaves_no_checkpoint_behind(
    tmp_path: Path,
) -> None:
    """Ctrl-C once seed 0 is recorded completed: seed 1 is interrupted, and the group's
    checkpoint (seeds 0 and 1, in seed 0's folder) can never be resumed, so it goes. Before,
    it stayed in the completed run's folder for good. The group's final state for seed 1
    is kept in seed 1's folder: the rerun only tests it, and leaves no checkpoint."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    every_step = ("checkpoint.every_s=0",)
    stopped = group_sweep_stopped_after(tmp_path, "write:3", plugins, extra=every_step)
    assert stopped.returncode == 130, (stopped.returncode, stopped.stderr[-2000:])
    records = [json.loads(p.read_text()) for p in sorted((tmp_path / "r").rglob("record.json"))]
    assert [r["status"] for r in records] == ["completed", "interrupted"], records
    left = [p.relative_to(p.parents[2]) for p in (tmp_path / "r").rglob("together.ckpt")]
    assert left == [Path("seed1/checkpoints/together.ckpt")]
    again = repro(
        *GROUP_SWEEP,
        "logger=none",
        *every_step,
        env={"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(tmp_path / "r")},
    )
    assert again.returncode == 0, again.stderr
    assert "testing seed 1" in again.stderr, again.stderr
    assert not list((tmp_path / "r").rglob("together.ckpt"))


def test_a_group_says_its_seeds_done_at_once_without_an_eta_for_runs_it_finished(
    tmp_path: Path,
) -> None:
    """Its seeds finish together: `1/3 done, ETA 0:08` after the group had trained all three
    was a guess about runs already done. One line for the group's three."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    done = repro(
        "sweep",
        "paper=toy",
        "experiment=small",
        "seeds=3",
        "seeds_together=true",
        "trainer.max_steps=20",
        env={"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(tmp_path / "r")},
    )
    assert done.returncode == 0, done.stderr
    # the line named no setting (experiment and overrides), nor its folder
    (folder,) = (tmp_path / "r" / "toy" / "small").iterdir()
    said = "repro run: toy/small trainer.max_steps=20 seeds 0,1,2 together on cpu (3 seeds, one "
    assert f"{said}process) -> r/toy/small/{folder.name}" in done.stdout, done.stdout  # cwd
    lines = [line for line in done.stdout.splitlines() if " done" in line and "/3" in line]
    assert lines == ["3/3 done"], lines


@pytest.fixture
def stops_in_process(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A group stopped inside pytest: its signal handlers and the hold on later signals it
    leaves for the process's exit are undone afterwards."""
    import signal

    from repro.running import fast_exit

    monkeypatch.setattr(fast_exit, "hold_signals_to_exit", lambda: None)
    handlers = {s: signal.getsignal(s) for s in fast_exit.STOP_SIGNALS}
    yield
    for number, handler in handlers.items():
        signal.signal(number, handler)


def stop_group_at_step(monkeypatch: pytest.MonkeyPatch, step: int) -> Any:
    """The group's next check for a stop after `step` finds a SIGTERM noted, as if sent;
    returns what undoes it."""
    import signal

    from repro.running.group_checkpoint import GroupCheckpoint

    real = GroupCheckpoint.due

    def due(self: Any, group: Any) -> bool:
        if group.state.global_step >= step and not self.stops:
            self.stops.append(signal.SIGTERM)
        return real(self, group)

    monkeypatch.setattr(GroupCheckpoint, "due", due)
    return lambda: monkeypatch.setattr(GroupCheckpoint, "due", real)


def test_a_corrupt_record_of_one_seed_does_not_cost_its_group_its_progress(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    stops_in_process: None,
) -> None:
    """A group stopped at step 8, then one seed's record damaged: before, the group found
    that seed's last attempt not cut short and trained both from step 0 (or the sweep left
    that seed out of it). Now its record is kept aside, as ever, one line says so, and the
    group resumes from its checkpoint with every seed."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    go_on = stop_group_at_step(monkeypatch, 8)
    cut = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in cut] == ["interrupted"] * 2
    go_on()
    damaged = cut[1].record_dir / "record.json"
    damaged.write_text("{damaged")
    capfd.readouterr()
    again = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in again] == ["completed"] * 2
    for outcome in again:
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert record["resumed_from"]["step"] == 8
    assert (damaged.parent / "record.corrupt.json").read_text() == "{damaged"
    err = capfd.readouterr().err
    lines = [line for line in err.splitlines() if "record.corrupt.json" in line]
    assert len(lines) == 1 and "seed 1 resumes with its group" in lines[0], err
    assert "training again" not in err and "from the start" not in err, err


@pytest.mark.parametrize("tested", [0, 1])
def test_a_group_stopped_as_its_seeds_are_tested_only_tests_the_rest_when_resumed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    tested: int,
    stops_in_process: None,
) -> None:
    """A stop (Ctrl-C reaching a seed's test) once the group has trained, with `tested`
    seeds recorded: before, the untested seeds trained again from step 0 (alone, or from
    the group's last periodic save, here none). Now the group's final weights are kept for
    them: the next attempt only tests them, with the uninterrupted group's numbers, and the
    seeds already completed keep their records. their records, start line and
    sweep table claimed this attempt trained them (`together on cpu`, `trained`, steps_per_s
    0, seeds_together of the seeds tested); they say their training came from the group's
    checkpoint, at the rate measured when it trained."""
    from repro.running import together
    from repro.sweeping.launch import TESTED_ONLY, collect_results
    from repro.sweeping.plan import PlannedRun

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    straight = run_together(
        configs("toy", "small", [0, 1], tmp_path / "s", papers=[plugins]), [["r"]] * 2
    )
    real, calls = together._finish_seed, []

    def finish_seed(*args: Any) -> Any:
        calls.append(1)
        if len(calls) > tested:
            raise KeyboardInterrupt  # as a Ctrl-C that reaches Lightning's test loop
        return real(*args)

    monkeypatch.setattr(together, "_finish_seed", finish_seed)
    results = tmp_path / "r"
    cut = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in cut] == ["completed"] * tested + ["interrupted"] * (2 - tested)
    assert "tests it from the group's final weights (step 20)" in cut[-1].error, cut[-1].error
    kept = {o.record_dir: (o.record_dir / "record.json").read_bytes() for o in cut[:tested]}
    monkeypatch.setattr(together, "_finish_seed", real)
    monkeypatch.setenv("REPRO_SWEEP_ID", "s1")
    capfd.readouterr()
    again = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in again] == ["skipped"] * tested + ["completed"] * (2 - tested)
    assert {f: (f / "record.json").read_bytes() for f in kept} == kept
    said = capfd.readouterr().out
    assert "together on" not in said and "trained in a group (step 20), tested on cpu" in said
    runs = [PlannedRun("small", s, (), o.record_dir, "to run") for s, o in enumerate(again)]
    table = collect_results(runs, "s1")[tested:]
    assert [r.result for r in table] == [TESTED_ONLY] * (2 - tested)
    for outcome, uninterrupted in list(zip(again, straight, strict=True))[tested:]:
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert record["resumed_from"]["step"] == 20  # trained before: only tested
        assert record["timing"]["steps"] == 20
        trained = record["together"]["trained"]
        assert trained["seeds"] == [0, 1] and trained["step"] == 20, trained
        assert record["timing"]["seeds_together"] == 2  # trained two at once
        rate = record["timing"]["steps_per_s"]
        assert rate is not None and rate > 0 and rate == trained["steps_per_s"], record["timing"]
        assert outcome.metrics == pytest.approx(uninterrupted.metrics, abs=1e-7)
        assert (outcome.record_dir / "checkpoints" / "last.ckpt").is_file()
    assert not list(results.rglob("together.ckpt"))


def test_a_group_checkpoint_that_does_not_say_how_its_seeds_trained_gives_no_seeds_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """A group checkpoint saved before `training` was kept in it (three seeds trained at
    once, two left to test): resumed only to test, its records said seeds_together 2, the
    seeds tested, as if two had trained together. How many trained at once is unknown: None."""
    import torch

    from repro.running import together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    real, calls = together._finish_seed, []

    def finish_seed(*args: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt  # a Ctrl-C in the second seed's test
        return real(*args)

    monkeypatch.setattr(together, "_finish_seed", finish_seed)
    results = tmp_path / "r"
    run_together(configs("toy", "small", [0, 1, 2], results, papers=[plugins]), [["r"]] * 3)
    (saved_at,) = results.rglob("together.ckpt")
    saved = torch.load(saved_at, weights_only=True)
    assert saved.pop("training")["seeds"] == [0, 1, 2]
    torch.save(saved, saved_at)  # as saved before today's change
    monkeypatch.setattr(together, "_finish_seed", real)
    again = run_together(configs("toy", "small", [0, 1, 2], results, papers=[plugins]), [["r"]] * 3)
    assert [o.status for o in again] == ["skipped", "completed", "completed"]
    for outcome in again[1:]:
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert record["resumed_from"]["step"] == 20 and "seeds" not in record["together"]["trained"]
        assert record["timing"]["seeds_together"] is None, record["timing"]
        assert record["timing"]["steps_per_s"] is None


def test_a_seeds_own_checkpoint_and_its_groups_are_never_passed_over_in_silence(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    stops_in_process: None,
) -> None:
    """Seed 0 stopped while it trained alone (its last.ckpt at step 5), then trained in a
    group (`group_seeds=[0,1]`) from step 0: before, without a word. The group stopped at step
    8; seed 1 run alone (`repro run ... seed=1`) then trained from the start without naming
    the group's checkpoint (in seed 0's folder). A seed left to test by its trained group,
    run alone, is only tested."""
    import torch

    from repro.records import store
    from repro.records.lookup import completed_run
    from repro.running import together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    first, second = configs("toy", "small", [0, 1], results, papers=[plugins])
    go_on = stop_group_at_step(monkeypatch, 8)
    seed0 = completed_run(first)[0]
    (seed0 / "checkpoints").mkdir(parents=True)
    store.write_record(seed0, {"status": "interrupted", "seed": 0})
    torch.save({"global_step": 5}, seed0 / "checkpoints" / "last.ckpt")  # as a stop left it
    capfd.readouterr()
    cut = run_together([first, second], [["r"]] * 2)
    assert [o.status for o in cut] == ["interrupted"] * 2
    err = capfd.readouterr().err
    said = f"not resuming seed 0's own checkpoint {seed0}/checkpoints/last.ckpt (step 5"
    assert said in err and "it trains in this group, from the start" in err, err
    go_on()
    alone = run_one(second, command=["r"])
    assert alone.status == "completed"
    err = capfd.readouterr().err
    group = progress_path(seed0 / "checkpoints" / "together.ckpt")
    assert f"not resuming the group's checkpoint {group}: seed 1 trains alone" in err, err
    assert "the group's other seeds resume their share of it" in err, err
    # seed 1 left to test by its trained group, run alone: tested from the group's weights
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(together._finish_seed))
    store.write_record(alone.record_dir, {"status": "interrupted", "seed": 1})
    store.write_record(seed0, {"status": "interrupted", "seed": 0})
    assert [o.status for o in run_together([first, second], [["r"]] * 2)][1] == "interrupted"
    monkeypatch.undo()
    tested = run_one(second, command=["r"], as_group_of_one=together.only_test_as_group_of_one)
    record = json.loads((tested.record_dir / "record.json").read_text())
    assert tested.status == "completed" and record["resumed_from"]["step"] == 20


def progress_path(path: Path) -> str:
    from repro.running.progress import shown_path

    return shown_path(path)


def _interrupt_second_test(real: Any, after: int = 1) -> Any:
    """A Ctrl-C in the test of the seed after the first `after` ones."""
    calls = []

    def finish_seed(*args: Any) -> Any:
        calls.append(1)
        if len(calls) > after:
            raise KeyboardInterrupt
        return real(*args)

    return finish_seed


class _Killed(BaseException):
    """kill -9 as the process sees it: no handler runs, nothing after this point happens."""


def test_a_kill_while_a_resumed_group_tests_its_seeds_keeps_the_rest_test_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """seeds 0 and 1 left to test by a stopped group; the resumed group tested seed
    0, whose record deleted the group's final weights in its folder, then kill -9 while seed 1
    was tested: seed 1 trained again from step 0. Its final state now moves on to its own
    folder first, so the next attempt only tests it."""
    from repro.running import together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real, after=0))
    cut = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in cut] == ["interrupted"] * 2
    calls = []

    def killed_at_second(*args: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:
            raise _Killed
        return real(*args)

    monkeypatch.setattr(together, "_finish_seed", killed_at_second)
    with pytest.raises(_Killed):
        run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    monkeypatch.setattr(together, "_finish_seed", real)
    again = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in again] == ["skipped", "completed"]
    record = json.loads((again[1].record_dir / "record.json").read_text())
    assert record["resumed_from"]["step"] == 20 and record["timing"]["steps"] == 20
    assert not list(results.rglob("together.ckpt"))


def test_training_discarded_because_the_code_changed_is_said_in_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    stops_in_process: None,
) -> None:
    """seed 1 trained in a group and left to test, then the plugin's code
    changed: the resumed sweep trained it again (the safety rule: another code's weights are
    never resumed) and only said that seed 0 was stale. One line now says whose training is
    discarded, where it was, and why: the files changed and the code digests."""
    from repro.running import together

    plugins = tmp_path / "plugins"
    folder = write_toy_paper(plugins)
    results = tmp_path / "r"
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real))
    cut = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in cut] == ["completed", "interrupted"]
    monkeypatch.setattr(together, "_finish_seed", real)
    (folder / "model.py").write_text((folder / "model.py").read_text() + "\nCHANGED = 1\n")
    capfd.readouterr()
    again = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in again] == ["completed"] * 2
    err = capfd.readouterr().err
    checkpoint = again[1].record_dir / "checkpoints" / "together.ckpt"
    lines = [line for line in err.splitlines() if "discarding the training" in line]
    assert len(lines) == 1, err
    assert lines[0].startswith(
        f"stale: discarding the training of seed 1 (its group's checkpoint {checkpoint}, step "
        "20): the plugin's code changed since it was saved (changed: model.py; code "
    ), lines[0]
    assert lines[0].endswith("); it trains again from the start"), lines[0]
    record = json.loads((again[1].record_dir / "record.json").read_text())
    assert record["resumed_from"] is None and "trained" not in record["together"]


@pytest.mark.parametrize("first_alone", [1, 2])
def test_a_seed_left_to_test_in_a_group_of_two_run_alone_is_only_tested(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None, first_alone: int
) -> None:
    """Seeds 0-2 trained together, seed 0 tested, then a stop left seeds 1 and 2 to test
    (one checkpoint in seed 1's folder). `repro run ... seed=1` (or 2), the command its
    record names, trained it from the start, and then the group could no longer resume: the
    other seed trained again too. Each is now only tested, from the group's final weights."""
    from repro.running import together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    all_three = configs("toy", "small", [0, 1, 2], results, papers=[plugins])
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real))
    cut = run_together(all_three, [["r"]] * 3)
    assert [o.status for o in cut] == ["completed", "interrupted", "interrupted"]
    monkeypatch.setattr(together, "_finish_seed", real)
    for seed in (first_alone, 3 - first_alone):
        tested = run_one(
            all_three[seed], command=["r"], as_group_of_one=together.only_test_as_group_of_one
        )
        record = json.loads((tested.record_dir / "record.json").read_text())
        assert tested.status == "completed", (seed, record.get("error"))
        assert record["resumed_from"]["step"] == 20, (seed, record["resumed_from"])
        assert record["together"]["trained"]["seeds"] == [0, 1, 2], record["together"]
    assert not list(results.rglob("together.ckpt"))


@pytest.mark.parametrize("then", ["alone", "group"])
def test_a_split_killed_halfway_leaves_no_checkpoint_beside_a_completed_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None, then: str
) -> None:
    """helper-atk1: seeds 1 and 2 left to test (one checkpoint in seed 1's folder); `repro
    run ... seed=2` killed as it split its share off (its own file written, seed 1's not yet
    rewritten), then run again: it completed. Seed 1 run alone then split the old file again
    and wrote seed 2's share back beside its completed run, for good; run by the sweep (the
    group, seed 2 skipped) it trained seed 1 from the start. Each seed is only tested, and
    no group checkpoint (or half-written one) is left."""
    import torch

    from repro.running import together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    all_three = configs("toy", "small", [0, 1, 2], results, papers=[plugins])
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real))
    run_together(all_three, [["r"]] * 3)
    monkeypatch.setattr(together, "_finish_seed", real)
    real_save, saves = torch.save, []

    def killed_at_the_second_save(*args: Any, **kwargs: Any) -> None:
        saves.append(1)
        real_save(*args, **kwargs)
        if len(saves) == 2:
            raise _Killed

    monkeypatch.setattr(torch, "save", killed_at_the_second_save)
    alone = together.only_test_as_group_of_one
    with pytest.raises(_Killed):
        run_one(all_three[2], command=["r"], as_group_of_one=alone)
    monkeypatch.setattr(torch, "save", real_save)
    assert run_one(all_three[2], command=["r"], as_group_of_one=alone).status == "completed"
    if then == "alone":
        tested = run_one(all_three[1], command=["r"], as_group_of_one=alone)
    else:
        tested = run_together(all_three, [["r"]] * 3)[1]
    assert tested.status == "completed"
    record = json.loads((tested.record_dir / "record.json").read_text())
    assert (record["resumed_from"] or {}).get("step") == 20, record["resumed_from"]
    assert not list(results.rglob("together.ckpt*"))


def test_seeds_left_to_test_beside_a_seed_completed_after_a_killed_split_are_only_tested(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """helper-atk4: seeds 1-3 left to test (one checkpoint for [1, 2, 3] in seed 1's folder);
    `repro run ... seed=2` killed as it split its share off (seed 1's file not yet
    rewritten), then run again: it completed. The sweep then held seeds 1 and 3, whose group
    ([1, 3]) was not the checkpoint's ([1, 2, 3]): it was discarded and both trained from
    the start. They are only tested, and no group checkpoint is left."""
    import torch

    from repro.running import together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    all_four = configs("toy", "small", [0, 1, 2, 3], results, papers=[plugins])
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real))
    run_together(all_four, [["r"]] * 4)
    monkeypatch.setattr(together, "_finish_seed", real)
    real_save, saves = torch.save, []

    def killed_at_the_second_save(*args: Any, **kwargs: Any) -> None:
        saves.append(1)
        real_save(*args, **kwargs)
        if len(saves) == 2:
            raise _Killed

    monkeypatch.setattr(torch, "save", killed_at_the_second_save)
    alone = together.only_test_as_group_of_one
    with pytest.raises(_Killed):
        run_one(all_four[2], command=["r"], as_group_of_one=alone)
    monkeypatch.setattr(torch, "save", real_save)
    assert run_one(all_four[2], command=["r"], as_group_of_one=alone).status == "completed"
    outcomes = run_together(all_four, [["r"]] * 4)
    assert [o.status for o in outcomes] == ["skipped", "completed", "skipped", "completed"]
    for seed in (1, 3):
        record = json.loads((outcomes[seed].record_dir / "record.json").read_text())
        assert (record["resumed_from"] or {}).get("step") == 20, (seed, record["resumed_from"])
    assert not list(results.rglob("together.ckpt*"))


def test_a_seed_split_off_then_stopped_as_it_was_tested_leaves_its_group_only_to_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """helper-atk4: seeds 1 and 2 left to test (one checkpoint in seed 1's folder); `repro run
    ... seed=2` split its share off and was stopped (Ctrl-C) as it was tested. The sweep then
    held seeds 1 and 2 as one group, found files of other groups, and trained both from the
    start. Each is only tested, from the group's final weights."""
    from repro.running import together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    all_three = configs("toy", "small", [0, 1, 2], results, papers=[plugins])
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real))
    run_together(all_three, [["r"]] * 3)
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real, after=0))
    alone = together.only_test_as_group_of_one
    assert run_one(all_three[2], command=["r"], as_group_of_one=alone).status == "interrupted"
    monkeypatch.setattr(together, "_finish_seed", real)
    outcomes = run_together(all_three, [["r"]] * 3)
    assert [o.status for o in outcomes] == ["skipped", "completed", "completed"]
    for seed in (1, 2):
        record = json.loads((outcomes[seed].record_dir / "record.json").read_text())
        assert (record["resumed_from"] or {}).get("step") == 20, (seed, record["resumed_from"])
    assert not list(results.rglob("together.ckpt*"))


@pytest.mark.parametrize("killed_at", [1, 2])
def test_a_kill_as_a_trained_group_tests_its_seeds_only_tests_them_when_resumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None, killed_at: int
) -> None:
    """kill -9 once the group had trained, as it tested its `killed_at`th seed: the group's
    state on disk was its last periodic save (every 30 s: here none), so the next sweep
    trained the untested seeds again from step 0. The trained weights are saved before
    testing starts: the next attempt only tests them."""
    from repro.running import together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    real, calls = together._finish_seed, []

    def killed(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == killed_at:
            raise _Killed
        return real(*args)

    monkeypatch.setattr(together, "_finish_seed", killed)
    with pytest.raises(_Killed):
        run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    monkeypatch.setattr(together, "_finish_seed", real)
    again = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in again] == ["skipped"] * (killed_at - 1) + ["completed"] * (
        3 - killed_at
    )
    for outcome in again[killed_at - 1 :]:
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert (record["resumed_from"] or {}).get("step") == 20, record["resumed_from"]
        assert record["together"]["trained"]["seeds"] == [0, 1], record["together"]
    assert not list(results.rglob("together.ckpt*"))


def test_a_group_resuming_as_a_seed_of_it_is_split_off_alone_never_loses_its_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """Seeds 1 and 2 left to test (one checkpoint in seed 1's folder). `repro run ... seed=2`
    splits its share off under `.group-split.lock` once it finds no seed of the group
    locked; the sweep's group took the seeds' locks without that lock, so the split could
    find them free, then rewrite seed 1's file (as [1]) as the group read it: the group
    found another group's file and trained both seeds from step 0. Played here in one
    process, in that order: the lone run's check as the group locks its first seed, its
    writes as the group loads. The group now locks its seeds under the split lock: the
    lone run's check waits, then finds them locked and splits nothing."""
    import fcntl

    from repro.running import group_checkpoint, lock, together
    from repro.running.group_checkpoint import SPLIT_LOCK, GroupCheckpoint

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    all_three = configs("toy", "small", [0, 1, 2], results, papers=[plugins])
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real))
    run_together(all_three, [["r"]] * 3)
    monkeypatch.setattr(together, "_finish_seed", real)
    (seed1,) = [p.parent.parent for p in results.rglob("together.ckpt")]
    hash_dir = seed1.parent
    lone: dict[str, Any] = {}
    real_lock, real_load = lock.run_lock, GroupCheckpoint.load

    def lone_checks_first(record_dir: Path) -> Any:
        if not lone:  # the lone run enters its split as the group locks its first seed
            handle = os.open(hash_dir / SPLIT_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # it waits: the group's locks are taken when it checks
                os.close(handle)
                lone["handle"] = None
            else:
                assert not any(lock.is_locked(hash_dir / f"seed{s}") for s in (1, 2))
                lone["handle"] = handle  # found none locked: it splits
        return real_lock(record_dir)

    def load_as_the_lone_run_writes(self: Any, device: Any) -> Any:
        if lone.get("handle") is not None:
            with monkeypatch.context() as checked_before:
                checked_before.setattr(lock, "is_locked", lambda folder: False)
                assert group_checkpoint._split_off(hash_dir / "seed2", 2)
            os.close(lone.pop("handle"))
        return real_load(self, device)

    monkeypatch.setattr(lock, "run_lock", lone_checks_first)
    monkeypatch.setattr(GroupCheckpoint, "load", load_as_the_lone_run_writes)
    outcomes = run_together(all_three, [["r"]] * 3)
    assert [o.status for o in outcomes] == ["skipped", "completed", "completed"]
    for seed in (1, 2):
        record = json.loads((outcomes[seed].record_dir / "record.json").read_text())
        assert (record["resumed_from"] or {}).get("step") == 20, (seed, record["resumed_from"])
    assert not list(results.rglob("together.ckpt*"))


@pytest.mark.parametrize("by", ["run", "sweep"])
def test_a_rerun_of_one_seed_left_to_test_keeps_the_other_seeds_share(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    stops_in_process: None,
    by: str,
) -> None:
    """Seeds 1 and 2 left to test (one checkpoint in seed 1's folder); `repro run ... seed=1
    rerun=true` trains seed 1 again from the start, as asked, and its record took the
    group's file with it: seed 2, never asked to rerun, trained again from step 0 too. Seed
    2's share now moves to its own folder first: it is only tested."""
    from repro.running import together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    all_three = configs("toy", "small", [0, 1, 2], results, papers=[plugins])
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real))
    run_together(all_three, [["r"]] * 3)
    monkeypatch.setattr(together, "_finish_seed", real)
    (rerun,) = configs("toy", "small", [1], results, "rerun=true", papers=[plugins])
    capfd.readouterr()
    if by == "run":
        alone = together.only_test_as_group_of_one
        again = run_one(rerun, command=["r"], as_group_of_one=alone)
    else:  # `repro sweep seed=1 rerun=true seeds_together=true`
        (again,) = run_together([rerun], [["r"]])
    assert again.status == "completed"
    record = json.loads((again.record_dir / "record.json").read_text())
    assert record["resumed_from"] is None and "together" not in record
    err = capfd.readouterr().err
    assert "the group's other seeds resume their share" not in err, err
    share = progress_path(again.record_dir / "checkpoints" / "together.ckpt")
    said = f"rerun=true: seed 1's share of its group's final weights ({share}, step 20) removed"
    assert said in err, err
    outcomes = run_together(all_three, [["r"]] * 3)
    assert [o.status for o in outcomes] == ["skipped", "skipped", "completed"]
    record = json.loads((outcomes[2].record_dir / "record.json").read_text())
    assert (record["resumed_from"] or {}).get("step") == 20, record["resumed_from"]
    assert not list(results.rglob("together.ckpt*"))


def test_a_sweep_rerun_of_one_seed_leaves_the_seed_its_group_left_to_test_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """Seeds 1 and 2 left to test (one checkpoint in seed 1's folder); `repro sweep ...
    seed=2 rerun=true seeds_together=true` planned seed 1 in too, as the group it resumes
    (`tested from the group's final weights ... with seed 1`), then rerun=true trained both
    from step 0: seed 1's training, never asked to rerun, was thrown away. Only seed 2
    trains; seed 1 is left to test, and is then only tested."""
    from repro.running import together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    all_three = configs("toy", "small", [0, 1, 2], results, papers=[plugins])
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real))
    run_together(all_three, [["r"]] * 3)
    monkeypatch.setattr(together, "_finish_seed", real)
    env = {"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(results)}
    sweep = ("sweep", "paper=toy", "experiment=small", "seeds_together=true")
    done = repro(*sweep, "seed=2", "rerun=true", env=env)
    assert done.returncode == 0, done.stderr
    said = done.stdout + done.stderr
    assert "tested from the group's final weights" not in said and "started with" not in said, said
    (seed1,) = [p.parent.parent for p in results.rglob("together.ckpt")]
    assert seed1.name == "seed1"
    assert json.loads((seed1 / "record.json").read_text())["status"] == "interrupted"
    outcomes = run_together(all_three, [["r"]] * 3)
    assert [o.status for o in outcomes] == ["skipped", "completed", "skipped"]
    record = json.loads((outcomes[1].record_dir / "record.json").read_text())
    assert (record["resumed_from"] or {}).get("step") == 20, record["resumed_from"]


def test_a_group_stopped_as_it_tested_then_resumed_counts_its_first_attempt_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """A group stopped as it tested seed 1 (seed 0 recorded), then resumed to test seed 1:
    seed 0's record carries the first attempt's time (the group's, one process), and seed 1's
    `earlier_wall_s` carried the same attempt again, so the report's Compute section counted
    the group's training twice. Each attempt of a group counts once."""
    from repro.records.table import load_records
    from repro.reporting import aggregate
    from repro.reporting.sections import compute
    from repro.running import together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real))
    cut = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in cut] == ["completed", "interrupted"]
    first = [json.loads((o.record_dir / "record.json").read_text())["timing"] for o in cut]
    monkeypatch.setattr(together, "_finish_seed", real)
    again = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in again] == ["skipped", "completed"]
    second = json.loads((again[1].record_dir / "record.json").read_text())["timing"]
    assert second["earlier_wall_s"] == pytest.approx(first[1]["wall_s"])
    spent = max(t["wall_s"] for t in first) + second["wall_s"]  # each attempt once
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(results).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    assert summary.cpu_hours * 3600 == pytest.approx(spent, abs=1e-3)


def test_a_kill_as_a_tested_seeds_record_is_written_leaves_the_rest_their_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """kill -9 once seed 0's record was written, before the group's final weights moved on
    to seed 1's folder: seed 0's completed record took the file from its folder, so seed 1
    trained again from step 0. The share of the seeds left moves on before each record."""
    from repro.running import together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    real = together._record_seed

    def killed_once_recorded(*args: Any) -> Any:
        real(*args)
        raise _Killed

    monkeypatch.setattr(together, "_record_seed", killed_once_recorded)
    with pytest.raises(_Killed):
        run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    monkeypatch.setattr(together, "_record_seed", real)
    again = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in again] == ["skipped", "completed"]
    record = json.loads((again[1].record_dir / "record.json").read_text())
    assert (record["resumed_from"] or {}).get("step") == 20, record["resumed_from"]
    assert 0 < record["timing"]["earlier_wall_s"] < 600, record["timing"]
    assert not list(results.rglob("together.ckpt*"))


def test_a_seed_split_off_after_a_kill_counts_no_idle_time_as_its_killed_attempts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """kill -9 as a trained group of three tested seed 0, then `repro run ... seed=2` an hour
    later: the killed attempt counts up to the save it goes on from, but seed 2's share, split
    off then, was a file written then: the hour the machine stood idle counted as compute."""
    import datetime as dt

    from repro.running import together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    real = together._finish_seed

    def killed(*args: Any) -> Any:
        raise _Killed

    monkeypatch.setattr(together, "_finish_seed", killed)
    with pytest.raises(_Killed):
        run_together(configs("toy", "small", [0, 1, 2], results, papers=[plugins]), [["r"]] * 3)
    monkeypatch.setattr(together, "_finish_seed", real)
    saves = list(results.rglob("together.ckpt"))
    seed2 = saves[0].parent.parent.parent / "seed2" / "record.json"
    killed_record = json.loads(seed2.read_text())
    assert killed_record["status"] == "running"
    started = dt.datetime.fromisoformat(killed_record["timing"]["started_at"])
    started -= dt.timedelta(hours=1)  # as if killed an hour ago
    killed_record["timing"]["started_at"] = started.isoformat(timespec="seconds")
    seed2.write_text(json.dumps(killed_record))
    for saved in saves:
        os.utime(saved, (saved.stat().st_atime, saved.stat().st_mtime - 3600))
    (alone,) = configs("toy", "small", [2], results, papers=[plugins])
    again = run_one(alone, command=["r"], as_group_of_one=together.only_test_as_group_of_one)
    assert again.status == "completed"
    record = json.loads(seed2.read_text())
    assert (record["resumed_from"] or {}).get("step") == 20, record["resumed_from"]
    assert 0 < record["timing"]["earlier_wall_s"] < 600, record["timing"]


def test_a_group_killed_as_its_first_seed_is_recorded_only_tests_the_rest_when_resumed(
    tmp_path: Path,
) -> None:
    """kill -9 right after seed 0's completed record was written, before its weights were put
    in place (its folder still holds the group's file, seed 1's its own share): the sweep run again
    tests what is left from the group's final weights, each seed's record counts the killed
    attempt once, and no group checkpoint is left behind."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    killed = group_sweep_stopped_after(tmp_path, "write:3", plugins, "SIGKILL")
    assert killed.returncode == -9, killed.stderr
    env = {"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(tmp_path / "r")}
    again = repro(*GROUP_SWEEP, "logger=none", env=env)
    assert again.returncode == 0, again.stderr
    results = tmp_path / "r"
    for path in results.rglob("record.json"):
        record = json.loads(path.read_text())
        assert record["status"] == "completed", record
        if record["resumed_from"]:
            assert record["resumed_from"]["step"] == 20, record["resumed_from"]
            assert 0 < record["timing"]["earlier_wall_s"] < 600, record["timing"]
    assert not list(results.rglob("together.ckpt*")), sorted(results.rglob("*.ckpt*"))


def test_a_group_killed_as_its_last_seed_is_recorded_leaves_no_checkpoint_behind(
    tmp_path: Path,
) -> None:
    """kill -9 right after the last seed's completed record was written, before its weights
    were put in place: its folder kept the group's final weights (`together.ckpt`) for good,
    since the next sweep found every seed completed and touched nothing. The same sweep
    again removes the file, and no record changes."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    killed = group_sweep_stopped_after(tmp_path, "write:4", plugins, "SIGKILL")
    assert killed.returncode == -9, killed.stderr
    results = tmp_path / "r"
    assert list(results.rglob("together.ckpt")), "the kill came too late to test this"
    records = {p: p.read_text() for p in results.rglob("record.json")}
    assert [json.loads(r)["status"] for r in records.values()] == ["completed"] * 2
    env = {"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(results)}
    again = repro(*GROUP_SWEEP, "logger=none", env=env)
    assert again.returncode == 0, again.stderr
    assert not list(results.rglob("together.ckpt*")), sorted(results.rglob("*.ckpt*"))
    assert {p: p.read_text() for p in results.rglob("record.json")} == records


def test_an_unreadable_group_file_in_a_completed_seeds_folder_is_left_as_it_is(
    tmp_path: Path,
) -> None:
    """the tidy-up of a completed seed's leftover `together.ckpt` deleted a file
    it could not read (another torch, a filesystem without mmap), though it may hold the
    training of seeds still to test, and its docstring says an unreadable file is left."""
    from repro.records import store
    from repro.running.group_checkpoint import tidy_completed_seed

    folder = tmp_path / "p" / "e" / "h" / "seed0"
    store.write_record(folder, {"status": "completed", "paper": "p", "experiment": "e", "seed": 0})
    assert store.is_completed(folder)
    kept = folder / "checkpoints" / "together.ckpt"
    kept.parent.mkdir()
    kept.write_bytes(b"not a checkpoint this torch reads")
    tidy_completed_seed(folder)
    assert kept.read_bytes() == b"not a checkpoint this torch reads"


def test_seeds_left_to_test_beside_a_seed_that_failed_are_only_tested_when_resumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """Seeds 0-3, seed 1's loss NaN (failed), a stop as seed 2 was tested: seeds 2 and 3 are
    left to test (their share in seed 2's folder). The next sweep holds seeds 1, 2 and 3, not
    the share's group, so it trained all three from step 0 without a word: seed 2's training
    was lost. The seeds of a share are only tested, as a group of their own; seed 1 trains."""
    from repro.running import together

    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, NAN_MODULE, "NanForOneSeed")
    results = tmp_path / "r"
    four = configs("toy", "small", [0, 1, 2, 3], results, papers=[plugins])
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real))
    cut = run_together(four, [["r"]] * 4)
    assert [o.status for o in cut] == ["completed", "failed", "interrupted", "interrupted"]
    monkeypatch.setattr(together, "_finish_seed", real)
    again = run_together(four, [["r"]] * 4)
    assert [o.status for o in again] == ["skipped", "failed", "completed", "failed"]
    record = json.loads((again[2].record_dir / "record.json").read_text())
    assert (record["resumed_from"] or {}).get("step") == 20, record["resumed_from"]
    assert record["together"]["trained"]["seeds"] == [0, 1, 2, 3], record["together"]
    assert not list(results.rglob("together.ckpt*"))


def test_a_kill_once_a_failed_seeds_record_is_written_leaves_the_rest_their_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """Seeds 0-3, seed 1's loss NaN: kill -9 once its failed record was written, before the
    group's file in its folder went (the share of seeds 2 and 3 had moved on to seed 2's).
    The next sweep resumed seeds 1-3 from that file, found seed 1 not cut short and trained
    all three from step 0: seed 2's training was lost. A failed seed's place in a trained
    group's file is dropped, as a completed one's: seeds 2 and 3 are only tested."""
    from repro.running import runner

    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, NAN_MODULE, "NanForOneSeed")
    results = tmp_path / "r"
    four = configs("toy", "small", [0, 1, 2, 3], results, papers=[plugins])
    real = runner.save_record

    def killed_once_failed(record_dir: Path, record: dict[str, Any], *args: Any) -> None:
        real(record_dir, record, *args)
        if record.get("status") == "failed":
            raise _Killed

    monkeypatch.setattr(runner, "save_record", killed_once_failed)
    with pytest.raises(_Killed):
        run_together(four, [["r"]] * 4)
    monkeypatch.setattr(runner, "save_record", real)
    again = run_together(four, [["r"]] * 4)
    assert [o.status for o in again] == ["skipped", "failed", "completed", "failed"]
    record = json.loads((again[2].record_dir / "record.json").read_text())
    assert (record["resumed_from"] or {}).get("step") == 20, record["resumed_from"]
    assert not list(results.rglob("together.ckpt*"))


def test_a_kill_as_a_middle_seed_is_recorded_counts_the_killed_attempt_to_its_last_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """kill -9 once seed 1 of three was recorded, before its folder's file went: seed 2's own
    share (saved just before) and seed 1's older file holding seeds 1 and 2. The next run
    rewrote the older file over seed 2's share, dated as the older one: the killed attempt
    counted only up to that earlier save, losing the time between. The newer share stays."""
    import datetime as dt

    from repro.running import runner

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    three = configs("toy", "small", [0, 1, 2], results, papers=[plugins])
    real, completed = runner.save_record, []

    def killed_at_second_record(record_dir: Path, record: dict[str, Any], *args: Any) -> None:
        real(record_dir, record, *args)
        if record.get("status") == "completed":
            completed.append(1)
            if len(completed) == 2:
                raise _Killed

    monkeypatch.setattr(runner, "save_record", killed_at_second_record)
    with pytest.raises(_Killed):
        run_together(three, [["r"]] * 3)
    monkeypatch.setattr(runner, "save_record", real)
    seed2 = results.rglob("seed2").__next__()
    share = seed2 / "checkpoints" / "together.ckpt"
    older = seed2.parent / "seed1" / "checkpoints" / "together.ckpt"
    os.utime(older, (older.stat().st_atime, older.stat().st_mtime - 0.05))  # saved before
    started = json.loads((seed2 / "record.json").read_text())["timing"]["started_at"]
    until_share = share.stat().st_mtime - dt.datetime.fromisoformat(started).timestamp()
    second = json.loads((seed2.parent / "seed1" / "record.json").read_text())["timing"]
    recorded = dt.datetime.fromisoformat(second["started_at"]).timestamp() + second["wall_s"]
    until_record = recorded - dt.datetime.fromisoformat(started).timestamp()  # seed 1's
    again = run_together(three, [["r"]] * 3)
    assert [o.status for o in again] == ["skipped", "skipped", "completed"]
    timing = json.loads((seed2 / "record.json").read_text())["timing"]
    spent = max(until_share, until_record)
    assert timing["earlier_wall_s"] == pytest.approx(spent, abs=1e-3), timing


def test_a_seed_split_off_after_a_kill_as_the_first_was_recorded_counts_to_the_last_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """kill -9 once seed 0 of three was recorded: seed 0's folder kept the group's file (saved
    before testing) and seed 1's held the later share of seeds 1 and 2. `repro run ... seed=2`
    split seed 2 off the older file, over seed 1's share, dated as the older save: the killed
    attempt counted only to it. The split goes from the share moved on."""
    import datetime as dt

    from repro.running import runner, together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    real = runner.save_record

    def killed_at_first_record(record_dir: Path, record: dict[str, Any], *args: Any) -> None:
        real(record_dir, record, *args)
        if record.get("status") == "completed":
            raise _Killed

    monkeypatch.setattr(runner, "save_record", killed_at_first_record)
    with pytest.raises(_Killed):
        run_together(configs("toy", "small", [0, 1, 2], results, papers=[plugins]), [["r"]] * 3)
    monkeypatch.setattr(runner, "save_record", real)
    seed1 = results.rglob("seed1").__next__()
    share = seed1 / "checkpoints" / "together.ckpt"
    seed2 = seed1.parent / "seed2"
    older = seed1.parent / "seed0" / "checkpoints" / "together.ckpt"
    os.utime(older, (older.stat().st_atime, older.stat().st_mtime - 0.05))  # saved before
    started = json.loads((seed2 / "record.json").read_text())["timing"]["started_at"]
    until_share = share.stat().st_mtime - dt.datetime.fromisoformat(started).timestamp()
    first = json.loads((seed1.parent / "seed0" / "record.json").read_text())["timing"]
    recorded = dt.datetime.fromisoformat(first["started_at"]).timestamp() + first["wall_s"]
    until_record = recorded - dt.datetime.fromisoformat(started).timestamp()  # seed 0's, later
    (alone,) = configs("toy", "small", [2], results, papers=[plugins])
    again = run_one(alone, command=["r"], as_group_of_one=together.only_test_as_group_of_one)
    assert again.status == "completed"
    record = json.loads((seed2 / "record.json").read_text())
    assert (record["resumed_from"] or {}).get("step") == 20, record["resumed_from"]
    spent = max(until_share, until_record)
    assert record["timing"]["earlier_wall_s"] == pytest.approx(spent, abs=1e-3)


def test_a_killed_rerun_of_seeds_beside_an_older_share_resumes_the_rerun_not_the_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """Seeds 0-3, seed 1's loss NaN, a stop as seed 2 was tested: seeds 2 and 3 left to test
    (their share in seed 2's folder). `rerun=true` of seeds 1-3 trains them again from step
    0, stopped at step 10 (their group's save in seed 1's folder). The next run tested seeds
    2 and 3 from the older share (the training the rerun replaces) and threw the rerun's
    progress away (seeds 1-3 resumed as one group no more): the rerun's save is newer, all
    three resume from it."""
    from repro.running import together

    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, NAN_MODULE, "NanForOneSeed")
    results = tmp_path / "r"
    four = configs("toy", "small", [0, 1, 2, 3], results, papers=[plugins])
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real))
    cut = run_together(four, [["r"]] * 4)
    assert [o.status for o in cut] == ["completed", "failed", "interrupted", "interrupted"]
    monkeypatch.setattr(together, "_finish_seed", real)
    undo = stop_group_at_step(monkeypatch, 10)
    rerun = configs("toy", "small", [1, 2, 3], results, "rerun=true", papers=[plugins])
    stopped = run_together(rerun, [["r"]] * 3)
    assert [o.status for o in stopped] == ["interrupted"] * 3, stopped
    undo()
    again = run_together(four[1:], [["r"]] * 3)
    record = json.loads((again[1].record_dir / "record.json").read_text())
    assert (record["resumed_from"] or {}).get("step") == 10, record["resumed_from"]
    assert "trained" not in record["together"], record["together"]


def test_a_kill_as_a_later_seed_is_tested_counts_the_killed_attempt_to_its_last_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """kill -9 as seed 1 of three was tested, after seed 0's record: the group resumed seeds
    1 and 2 from the file saved before seed 0's test, and counted the killed attempt only up
    to that save, though seed 0's completed record shows it ran on (its test; a long one on a
    big test set). The killed attempt counts up to the last record it wrote, never less."""
    import datetime as dt

    from repro.running import together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    three = configs("toy", "small", [0, 1, 2], results, papers=[plugins])
    real, calls = together._finish_seed, []

    def killed_at_second(*args: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:
            raise _Killed
        return real(*args)

    monkeypatch.setattr(together, "_finish_seed", killed_at_second)
    with pytest.raises(_Killed):
        run_together(three, [["r"]] * 3)
    monkeypatch.setattr(together, "_finish_seed", real)
    seed1 = results.rglob("seed1").__next__()
    resumed = seed1 / "checkpoints" / "together.ckpt"
    saved = resumed.stat().st_mtime - 5.0  # seed 0's test took 5 s after that save
    os.utime(resumed, (saved, saved))
    first = json.loads((seed1.parent / "seed0" / "record.json").read_text())["timing"]
    started = json.loads((seed1 / "record.json").read_text())["timing"]["started_at"]
    start = dt.datetime.fromisoformat(started).timestamp()
    recorded = dt.datetime.fromisoformat(first["started_at"]).timestamp() + first["wall_s"]
    again = run_together(three, [["r"]] * 3)
    assert [o.status for o in again] == ["skipped", "completed", "completed"]
    timing = json.loads((seed1 / "record.json").read_text())["timing"]
    assert timing["earlier_wall_s"] >= recorded - start - 1e-3, timing
    assert timing["earlier_wall_s"] < 60, timing  # never the time since


def test_a_slow_start_of_the_later_seeds_still_counts_the_killed_attempt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """As above, the seeds' records written slowly (under load: seed 0's 100 s before seed
    1's): seed 0's `wall_s` ran from its clock's start, after every seed's record, so its
    start plus its wall time fell before seed 1's start, and the killed attempt counted only
    up to the save before seed 0's test (or, saved before seed 1's start, not at all: no
    `earlier_wall_s`). A wall time runs from the record's `started_at`."""
    import datetime as dt
    import time

    from repro.running import runner, together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    three = configs("toy", "small", [0, 1, 2], results, papers=[plugins])
    real, calls = together._finish_seed, []
    new_record = runner._new_record

    def slow_for_the_rest(config: dict, seed: int, *args: Any) -> dict:
        record = new_record(config, seed, *args)
        if seed == 0:  # seeds 1 and 2 took 100 s to set up after seed 0's record
            started = dt.datetime.fromisoformat(record["timing"]["started_at"])
            earlier = started - dt.timedelta(seconds=100)
            record["timing"]["started_at"] = earlier.isoformat(timespec="milliseconds")
        return record

    def killed_at_second(*args: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:
            raise _Killed
        time.sleep(1.0)  # seed 0's test: a second at least
        return real(*args)

    monkeypatch.setattr(runner, "_new_record", slow_for_the_rest)
    monkeypatch.setattr(together, "_finish_seed", killed_at_second)
    with pytest.raises(_Killed):
        run_together(three, [["r"]] * 3)
    monkeypatch.setattr(together, "_finish_seed", real)
    monkeypatch.setattr(runner, "_new_record", new_record)
    seed1 = results.rglob("seed1").__next__()
    first = json.loads((seed1.parent / "seed0" / "record.json").read_text())["timing"]
    assert first["wall_s"] >= 100, first  # from its start
    started = json.loads((seed1 / "record.json").read_text())["timing"]["started_at"]
    saved = dt.datetime.fromisoformat(started).timestamp() + 0.001  # the save, as it began
    os.utime(seed1 / "checkpoints" / "together.ckpt", (saved, saved))
    again = run_together(three, [["r"]] * 3)
    assert [o.status for o in again] == ["skipped", "completed", "completed"]
    timing = json.loads((seed1 / "record.json").read_text())["timing"]
    assert 1.0 <= timing.get("earlier_wall_s", 0) < 60, timing  # seed 0's test, never 100 s
    assert timing["earlier_to_save"] == 1, timing  # the killed attempt: a lower bound


def test_a_stop_as_a_share_is_tested_says_nothing_false_of_the_seeds_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """Seeds 0-3, seed 1's loss NaN, a stop as seed 2 was tested: seeds 2 and 3 left to test
    (their share). The next sweep tests that share first; a stop as it did so ended seed 1
    (failed, never started again) with the share's line, `the same sweep again tests it from
    the group's final weights`: seed 1 has no weights to test, its next attempt trains it."""
    from repro.running import together

    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, NAN_MODULE, "NanForOneSeed")
    results = tmp_path / "r"
    four = configs("toy", "small", [0, 1, 2, 3], results, papers=[plugins])
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real))
    cut = run_together(four, [["r"]] * 4)
    assert [o.status for o in cut] == ["completed", "failed", "interrupted", "interrupted"]
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real, after=0))
    again = run_together(four, [["r"]] * 4)
    assert [o.status for o in again] == ["skipped", "interrupted", "interrupted", "interrupted"]
    assert "final weights" in again[2].error, again[2].error
    said = "interrupted by SIGINT before it started (as seeds 2, 3 were tested); its record is"
    assert again[1].error == f"{said} unchanged", again[1].error
    record = json.loads((again[1].record_dir / "record.json").read_text())
    assert record["status"] == "failed", record["status"]  # as it was
    monkeypatch.setattr(together, "_finish_seed", real)
    last = run_together(four, [["r"]] * 4)
    assert [o.status for o in last] == ["skipped", "failed", "completed", "failed"]


def test_a_split_killed_after_the_seeds_own_share_keeps_the_others_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """Seeds 0-2 left to test (kill -9 as seed 0 was tested); `repro run ... seed=1` split
    its share off and was killed once it was written, before the rest's file was rewritten:
    seed 0's folder kept the file of seeds 0, 1 and 2. The sweep tests seed 1 alone (its
    share) and holds seeds 0 and 2 as a group, which found a file not theirs, discarded it
    and trained both again from the start. The split is finished: they are only tested."""
    from repro.running import group_checkpoint, together

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    three = configs("toy", "small", [0, 1, 2], results, papers=[plugins])
    real = together._finish_seed

    def killed(*args: Any) -> Any:
        raise _Killed

    monkeypatch.setattr(together, "_finish_seed", killed)
    with pytest.raises(_Killed):
        run_together(three, [["r"]] * 3)
    monkeypatch.setattr(together, "_finish_seed", real)
    write = group_checkpoint._write_share

    def killed_after_first(*args: Any) -> None:
        write(*args)
        raise _Killed

    monkeypatch.setattr(group_checkpoint, "_write_share", killed_after_first)
    with pytest.raises(_Killed):
        run_together([three[1]], [["r"]])
    monkeypatch.setattr(group_checkpoint, "_write_share", write)
    rest = run_together([three[0], three[2]], [["r"]] * 2)  # as the sweep holds them
    assert [o.status for o in rest] == ["completed", "completed"]
    for outcome in rest:
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert (record["resumed_from"] or {}).get("step") == 20, record["resumed_from"]
        assert record["together"]["trained"]["seeds"] == [0, 1, 2], record["together"]
    alone = run_together([three[1]], [["r"]])
    assert [o.status for o in alone] == ["completed"]
    assert not list(results.rglob("together.ckpt*"))


def test_a_rerun_of_a_seed_waits_for_a_tidy_up_of_its_folder_never_says_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`repro run ... rerun=true` of a completed seed of a group: another process tidying the
    group's leftover file in that seed's folder (under the split lock and the seed's lock,
    for a file removal) between this run's split check and its own lock made it fail with
    `already running`. The run's lock is taken under the split lock: it waits for the tidy."""
    import threading

    from repro.running import group_checkpoint
    from repro.running.lock import run_lock

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    done = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in done] == ["completed", "completed"]
    record_dir = done[0].record_dir
    real, held, release = group_checkpoint.split_off_to_test, threading.Event(), threading.Event()

    def tidy() -> None:  # as tidy_completed_seed holds them, in another process
        with group_checkpoint.split_lock(record_dir.parent), run_lock(record_dir):
            held.set()
            release.wait(30)

    def split_then_tidied(*args: Any) -> bool:
        found = real(*args)
        threading.Thread(target=tidy, daemon=True).start()
        held.wait(30)
        threading.Timer(0.5, release.set).start()
        return found

    monkeypatch.setattr(group_checkpoint, "split_off_to_test", split_then_tidied)
    (config,) = configs("toy", "small", [0], results, "rerun=true", papers=[plugins])
    from repro.running.together import only_test_as_group_of_one

    outcome = run_one(config, command=["r"], as_group_of_one=only_test_as_group_of_one)
    release.set()
    assert outcome.status == "completed", outcome.error


def test_a_group_file_of_other_seeds_says_whose_it_is(tmp_path: Path) -> None:
    """Seeds 0 and 2 held as a group (seed 1 held by another process) found the file of
    seeds 0, 1 and 2: the line said `written by another seeds ([0, 1, 2])`; it says which
    seeds it was saved for and which these are."""
    import torch

    from repro.running.group_checkpoint import GroupCheckpoint

    path = tmp_path / "together.ckpt"
    torch.save({"identity": {"seeds": [0, 1, 2], "config_hash": "h"}, "state": {}}, path)
    saver = GroupCheckpoint(path, {"seeds": [0, 2], "config_hash": "h"}, 1.0, True)
    assert saver.load(torch.device("cpu")) == (None, "saved for seeds 0, 1, 2, not 0, 2")
    other = GroupCheckpoint(path, {"seeds": [0, 1, 2], "config_hash": "g"}, 1.0, True)
    assert other.load(torch.device("cpu")) == (None, "written by another config hash (h)")


NAN_ALWAYS_MODULE = '''

class NanAlways(ToyModule):
    """The loss is NaN for every seed: the whole group fails, every time."""

    def training_step(self, batch, batch_idx):
        return super().training_step(batch, batch_idx) * float("nan")
'''


def test_a_group_that_failed_and_started_over_as_a_group_keeps_the_failed_attempts_time(
    tmp_path: Path,
) -> None:
    """seeds 0 and 1 failed together (attempt A), then the next sweep trained them
    together again from the start (attempt B): each seed's new record replaced A's, and A's
    time was in no record (a seed alone carries it as `abandoned_wall_s`), so the report's
    Compute said only B's. Both attempts count, each once."""
    from repro.records.table import load_records
    from repro.reporting import aggregate
    from repro.reporting.sections import compute

    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, NAN_ALWAYS_MODULE, "NanAlways")
    results = tmp_path / "r"
    walls = []
    for _ in range(2):
        two = configs("toy", "small", [0, 1], results, papers=[plugins])
        outcomes = run_together(two, [["r"]] * 2)
        assert [o.status for o in outcomes] == ["failed", "failed"]
        timings = [json.loads((o.record_dir / "record.json").read_text()) for o in outcomes]
        walls.append(max(t["timing"]["wall_s"] for t in timings))
    assert [t["attempts"] for t in timings] == [2, 2]
    assert timings[0]["timing"]["abandoned_wall_s"] > 0, timings[0]["timing"]
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(results).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    assert summary.unsuccessful_hours * 3600 == pytest.approx(sum(walls), abs=2e-3)


def test_a_group_whose_seed_another_process_holds_keeps_the_groups_checkpoint(
    tmp_path: Path,
) -> None:
    """seeds 0-2 killed with kill -9 mid-training, then the same sweep while
    another process held seed 1 (`repro run seed=1 rerun=true`): the sweep held seeds 0 and
    2 as a group, found the file of 0, 1, 2 not theirs, said `training from the start` and
    deleted it (the training of seeds 0 and 2 lost). The file is left as it is, seeds 0 and
    2 are not started this time (one line says so), and the next sweep resumes the group."""
    from repro.running.group_checkpoint import saved_identity
    from repro.running.lock import run_lock

    env = signalling_toy(tmp_path)
    sweep = (*GROUP_SWEEP[:3], "seeds=3", "seeds_together=true", "checkpoint.every_s=0")
    kill = {"REPRO_TEST_SIGNAL": "SIGKILL", "REPRO_TEST_SIGNAL_AT_CALL": "11"}
    assert repro(*sweep, env={**env, **kill}).returncode == -9
    [checkpoint] = (tmp_path / "r").rglob("together.ckpt")
    before = checkpoint.read_bytes()
    with run_lock(checkpoint.parent.parent.parent / "seed1"):
        held = repro(*sweep, env=env)
    assert held.returncode != 0
    assert "training from the start" not in held.stderr, held.stderr
    assert checkpoint.read_bytes() == before
    said = "seeds 0, 2 not started: their group's checkpoint"
    told = held.stdout + held.stderr
    # the plan saw seed 1 locked: it never says the group resumes
    assert "resume their group's checkpoint" not in told, told
    assert said in told and "the same sweep again resumes the group" in told, told
    records = [json.loads(p.read_text()) for p in checkpoint.parents[2].glob("*/record.json")]
    assert {r["status"] for r in records} == {"running"}, records  # left as they were
    step = saved_identity(checkpoint).step
    again = repro(*sweep, env=env)
    assert again.returncode == 0, again.stderr
    assert f"resuming the group from step {step}" in again.stderr, again.stderr
    assert "which another process is running; the same sweep again" in held.stdout  # its row
    assert "0/3 done; 3 held by another process" in held.stdout  # never `3/3 done`
    # seeds 0 and 2 are run by no process: the last line never says another one runs them
    last = held.stderr.strip().splitlines()[-1]
    assert last.startswith("error: 1 run(s) held by another process that is running them, 2 ")


def test_seeds_left_to_test_beside_a_seed_another_process_holds_are_not_trained_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """seeds 1 and 2 left to test by their trained group (one file in seed 1's
    folder), seed 2 locked by another process: seed 1 alone was trained again from step 0
    and the group's file went, so seed 2 trained from step 0 too. Seed 1 is now not
    started this time; the next attempt only tests both from the group's final weights."""
    from repro.running import together
    from repro.running.lock import run_lock

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    all_three = configs("toy", "small", [0, 1, 2], results, papers=[plugins])
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real))
    run_together(all_three, [["r"]] * 3)
    monkeypatch.setattr(together, "_finish_seed", real)
    (checkpoint,) = results.rglob("together.ckpt")
    before = checkpoint.read_bytes()
    with run_lock(checkpoint.parents[2] / "seed2"):
        outcomes = run_together(all_three, [["r"]] * 3)
    assert [o.status for o in outcomes] == ["skipped", "busy", "busy"]
    assert outcomes[1].error.startswith(together.HELD_BACK), outcomes[1].error
    assert checkpoint.read_bytes() == before
    outcomes = run_together(all_three, [["r"]] * 3)
    assert [o.status for o in outcomes] == ["skipped", "completed", "completed"]
    for seed in (1, 2):
        record = json.loads((outcomes[seed].record_dir / "record.json").read_text())
        assert (record["resumed_from"] or {}).get("step") == 20, (seed, record["resumed_from"])


def test_a_group_file_of_other_code_beside_a_busy_seed_holds_no_seed_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """a group's file saved by other plugin code is never resumed (the plan says
    its training is discarded): a locked seed of it must not hold the others back with
    `the same sweep again resumes the group`, which it would not."""
    from repro.running import together
    from repro.running.lock import run_lock

    plugins = tmp_path / "plugins"
    folder = write_toy_paper(plugins)
    results = tmp_path / "r"
    all_three = configs("toy", "small", [0, 1, 2], results, papers=[plugins])
    real = together._finish_seed
    monkeypatch.setattr(together, "_finish_seed", _interrupt_second_test(real))
    run_together(all_three, [["r"]] * 3)
    monkeypatch.setattr(together, "_finish_seed", real)
    (checkpoint,) = results.rglob("together.ckpt")
    module = next(p for p in folder.rglob("*.py") if "ToyModule" in p.read_text())
    module.write_text(module.read_text() + "\nCODE_CHANGED = True\n")
    with run_lock(checkpoint.parents[2] / "seed2"):
        outcomes = run_together(all_three, [["r"]] * 3)
    assert [o.status for o in outcomes] == ["completed", "completed", "busy"], outcomes


@pytest.mark.parametrize("ended", ["failed", "completed", "first completed"])
def test_a_seed_failed_since_its_group_was_cut_short_costs_the_others_no_training(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    stops_in_process: None,
    ended: str,
) -> None:
    """seeds 0-2 stopped at step 8, then seed 1 alone failed (`repro run seed=1
    rerun=true`): the next sweep said `not resuming ...: a seed's last attempt was not cut
    short; training from the start` and deleted the group's file, losing seeds 0 and 2's
    training. Their slices of it (weights, optimizer, data, streams: each seed's own) now
    resume as a group of their own, exactly; seed 1 trains again from the start."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    straight = run_together(
        configs("toy", "small", [0, 1, 2], tmp_path / "s", papers=[plugins]), [["r"]] * 3
    )
    results = tmp_path / "r"
    go_on = stop_group_at_step(monkeypatch, 8)
    cut = run_together(configs("toy", "small", [0, 1, 2], results, papers=[plugins]), [["r"]] * 3)
    assert [o.status for o in cut] == ["interrupted"] * 3
    go_on()
    alone_seed = 0 if ended == "first completed" else 1
    failed = cut[alone_seed].record_dir / "record.json"
    if ended == "failed":
        record = json.loads(failed.read_text())
        failed.write_text(json.dumps({**record, "status": "failed", "error": "RuntimeError: boom"}))
    else:  # seed 1 alone, rerun=true: completed
        [alone] = configs("toy", "small", [alone_seed], results, "rerun=true", papers=[plugins])
        assert run_one(alone, command=["r"]).status == "completed"
    capfd.readouterr()
    again = run_together(configs("toy", "small", [0, 1, 2], results, papers=[plugins]), [["r"]] * 3)
    statuses = ["completed"] * 3
    if ended != "failed":
        statuses[alone_seed] = "skipped"
    assert [o.status for o in again] == statuses
    out, err = capfd.readouterr()
    assert "training from the start" not in err, err
    if ended != "first completed":  # else moved on as seed 0 completed, said then
        assert "seeds 0, 2 resume their share of their group's checkpoint: seed 1" in out, out
    for seed in {0, 1, 2} - {alone_seed}:
        record = json.loads((again[seed].record_dir / "record.json").read_text())
        assert (record.get("resumed_from") or {}).get("step") == 8, (seed, err)
        assert again[seed].metrics == straight[seed].metrics, seed
    record = json.loads((again[alone_seed].record_dir / "record.json").read_text())
    assert not record.get("resumed_from"), record["resumed_from"]
    # trained again in another group than the straight run's (or alone): a vmapped batch of
    # another size may sum in another order on some CPUs (1.5e-8 apart on an Intel Xeon here)
    assert again[alone_seed].metrics == pytest.approx(straight[alone_seed].metrics, abs=1e-6)
    assert not list(results.rglob("together.ckpt"))


def test_a_group_killed_before_its_first_save_counts_the_time_it_was_seen_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """kill -9 of a group before its first checkpoint save (`checkpoint.every_s`
    not yet reached) left its records `running` without a time: the next attempt started
    over and the killed one's time was in no record, so the report's Compute left it out.
    The group notes in its first seed's running record when it was last seen training
    (`timing.alive_at`); the attempt that starts over counts the killed one up to there, as
    unsuccessful (`abandoned_wall_s`), once for the group, never more than that."""
    import datetime as dt
    import time

    from repro.records.table import load_records
    from repro.reporting import aggregate
    from repro.reporting.sections import compute
    from repro.running import group_checkpoint
    from repro.running.group_checkpoint import GroupCheckpoint

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    monkeypatch.setattr(group_checkpoint, "ALIVE_EVERY_S", 0.0)  # noted at each step here
    real = GroupCheckpoint.due

    def killed_at_step_10(self: Any, group: Any) -> bool:
        time.sleep(0.02)  # some training time to count
        if group.state.global_step >= 10:
            raise _Killed
        return real(self, group)

    monkeypatch.setattr(GroupCheckpoint, "due", killed_at_step_10)
    with pytest.raises(_Killed):
        run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    monkeypatch.setattr(GroupCheckpoint, "due", real)
    assert not list(results.rglob("together.ckpt"))  # no save yet: it starts over
    killed = [json.loads(p.read_text()) for p in sorted(results.rglob("record.json"))]
    assert [r["status"] for r in killed] == ["running", "running"]
    seen = dt.datetime.fromisoformat(killed[0]["timing"]["alive_at"]).timestamp()
    ran = [seen - dt.datetime.fromisoformat(r["timing"]["started_at"]).timestamp() for r in killed]
    assert min(ran) > 0.1, killed[0]["timing"]  # each seed's from its own start
    again = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in again] == ["completed", "completed"]
    records = [json.loads((o.record_dir / "record.json").read_text()) for o in again]
    walls = [r["timing"]["wall_s"] for r in records]
    for record, seconds in zip(records, ran, strict=True):
        assert record["timing"]["abandoned_wall_s"] == pytest.approx(seconds, abs=2e-3)
        assert "alive_at" not in record["timing"]  # a finished record has its wall time
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(results).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    # counted once for the group, as its seeds' wall times are
    assert summary.unsuccessful_hours * 3600 == pytest.approx(max(ran), abs=2e-3)
    assert summary.cpu_hours * 3600 == pytest.approx(max(walls), abs=2e-3)


def test_a_killed_group_started_over_seed_by_seed_times_every_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """kill -9 of a group of seeds 0-2 before its first save, then each seed run alone
    (`repro run seed=N`): seed 0's new record replaced the one that noted when the group was
    last seen training (`alive_at`), so seeds 1 and 2 found no note and counted the killed
    attempt as one without a recorded time (the report: "2 without a recorded time ... not
    counted", though the group's time was counted). Seed 0's record keeps the note it used
    (`abandoned_seen`), and each seed counts the attempt up to it, a lower bound."""
    import time

    from repro.records.table import load_records
    from repro.reporting import aggregate
    from repro.reporting.sections import compute
    from repro.running import group_checkpoint
    from repro.running.group_checkpoint import GroupCheckpoint
    from repro.running.runner import run_one

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    monkeypatch.setattr(group_checkpoint, "ALIVE_EVERY_S", 0.0)  # noted at each step here
    real = GroupCheckpoint.due

    def killed_at_step_10(self: Any, group: Any) -> bool:
        time.sleep(0.02)  # some training time to count
        if group.state.global_step >= 10:
            raise _Killed
        return real(self, group)

    monkeypatch.setattr(GroupCheckpoint, "due", killed_at_step_10)
    three = configs("toy", "small", [0, 1, 2], results, papers=[plugins])
    with pytest.raises(_Killed):
        run_together(three, [["r"]] * 3)
    monkeypatch.setattr(GroupCheckpoint, "due", real)
    assert [run_one(config, command=["r"]).status for config in three] == ["completed"] * 3
    for folder in sorted(results.rglob("seed*")):
        timing = json.loads((folder / "record.json").read_text())["timing"]
        assert (timing["abandoned_runs"], timing["abandoned_untimed"]) == (1, 0), timing
        assert timing["abandoned_to_save"] == 1 and timing["abandoned_wall_s"] > 0, timing
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(results).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    assert (summary.unsuccessful_untimed, summary.unsuccessful_to_save) == (0, 3)


@pytest.mark.parametrize("before", ["none", "interrupted", "failed, then interrupted"])
def test_a_group_handed_back_mid_run_keeps_the_time_it_trained(tmp_path: Path, before: str) -> None:
    """a group found mid-run that it cannot train its seeds together (here a
    loader that draws numpy noise per batch from its second pass on, seen as the first pass
    ends) hands its seeds back to train alone from the start: their `running` records were
    deleted (or the earlier ones put back) and the group's time was in no record, so the
    report's Compute left it out. Each seed's record carries it as unsuccessful
    (`abandoned_wall_s`; the group's attempt counted once)."""
    from repro.records import store
    from repro.records.table import load_records
    from repro.reporting import aggregate
    from repro.reporting.sections import compute
    from tests.running.test_seed_group import STREAMS, VALIDATES, toy_paper

    plugins = toy_paper(tmp_path / "plugins", VALIDATES, "", STREAMS, "NumpyNoiseLater")
    results = tmp_path / "r"
    two = configs("toy", "small", [0, 1], results, papers=[plugins])
    earlier = 5.0 if before != "none" else 0.0
    if earlier:  # an earlier attempt of each seed, stopped (no checkpoint): its time stays
        for config in two:
            folder = store.run_dir(results, config)
            old = {"status": "interrupted", "seed": config["seed"], "timing": {"wall_s": 5.0}}
            if before == "failed, then interrupted":  # counted, the group too
                old["attempts"] = 2
                old["timing"].update(abandoned_wall_s=3.0, abandoned_runs=1, abandoned_untimed=0)
            store.write_record(folder, {**old, "config_hash": store.config_hash(config)})
    failed = 3.0 if before == "failed, then interrupted" else 0.0
    outcomes = run_together(two, [["r"]] * 2)
    assert [o.status for o in outcomes] == ["completed", "completed"]
    records = [json.loads((o.record_dir / "record.json").read_text()) for o in outcomes]
    assert "together" not in records[0]  # trained alone
    spent = []
    for record in records:
        timing = record["timing"]
        group = list((timing.get("abandoned_groups") or {}).values())
        assert len(group) == 1 and group[0] > 0, timing  # the group's attempt, by its key
        assert timing["abandoned_wall_s"] == pytest.approx(group[0] + earlier + failed, abs=2e-3)
        spent.append(group[0])
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(results).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    expected = max(spent) + 2 * (earlier + failed)  # the group once, each seed's earlier
    assert summary.unsuccessful_hours * 3600 == pytest.approx(expected, abs=2e-3)
    # the group's attempt is one of each seed's, beside the earlier ones
    assert summary.unsuccessful_attempts == 2 * (1 + bool(earlier) + bool(failed))
    assert summary.unsuccessful_untimed == 0


def test_a_group_stopped_mid_epoch_in_step_based_training_saves_and_resumes_exactly(
    tmp_path: Path,
) -> None:
    """step-based training (the default, max_steps=20) with a plain, shuffling
    DataLoader, SIGTERM mid-epoch before any periodic save: the group stopped at once, 'no
    checkpoint yet: a rerun starts the group over', its training thrown away, where a seed
    alone saves within a few batches. The group saves where it stopped (its loader's pass is
    replayed on resume from the pass's start) and resumed ends with an uninterrupted group's
    numbers."""
    env = signalling_toy(tmp_path)
    folder = tmp_path / "plugins" / "toy"
    (folder / "data.py").write_text((folder / "data.py").read_text() + SHUFFLED_PLAIN_LOADER)
    spec = folder / "paper.yaml"
    spec.write_text(spec.read_text().replace("data:ToyData", "data:ShuffledPlainData"))
    sweep = (*GROUP_SWEEP, "logger=none")
    straight = repro(*sweep, env={**env, "REPRO_RESULTS_DIR": str(tmp_path / "straight")})
    assert straight.returncode == 0, straight.stderr
    stop = {"REPRO_TEST_SIGNAL": "SIGTERM", "REPRO_TEST_SIGNAL_AT_CALL": "9"}  # epoch 2's 2nd
    cut = repro(*sweep, env={**env, **stop})
    assert cut.returncode == 143, cut.stderr
    errors = {json.loads(p.read_text())["error"] for p in (tmp_path / "r").rglob("record.json")}
    assert errors == {"interrupted by SIGTERM; the same sweep again resumes the group from step 6"}
    again = repro(*sweep, env=env)
    assert again.returncode == 0, again.stderr
    assert "resuming the group from step 6" in again.stderr
    assert "its pass is drawn again to batch 2 first" in again.stderr, again.stderr
    for path in (tmp_path / "straight").rglob("record.json"):
        resumed = json.loads((tmp_path / "r" / path.relative_to(tmp_path / "straight")).read_text())
        expected = json.loads(path.read_text())["metrics"]
        assert resumed["metrics"] == pytest.approx(expected, abs=1e-6)


def test_a_share_of_a_group_stopped_mid_pass_of_a_plain_loader_resumes_exactly(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stops_in_process: None,
) -> None:
    """seeds 0-2 with a plain shuffling DataLoader stopped mid-epoch (step 6),
    then seed 1 failed: seeds 0 and 2's share of the group's file (split off with each seed's
    data position) resumes their pass where it stopped, ending as an uninterrupted group."""
    plugins = tmp_path / "plugins"
    folder = write_toy_paper(plugins)
    (folder / "data.py").write_text((folder / "data.py").read_text() + SHUFFLED_PLAIN_LOADER)
    spec = folder / "paper.yaml"
    spec.write_text(spec.read_text().replace("data:ToyData", "data:ShuffledPlainData"))
    straight = run_together(
        configs("toy", "small", [0, 1, 2], tmp_path / "s", papers=[plugins]), [["r"]] * 3
    )
    results = tmp_path / "r"
    go_on = stop_group_at_step(monkeypatch, 6)
    cut = run_together(configs("toy", "small", [0, 1, 2], results, papers=[plugins]), [["r"]] * 3)
    assert [o.status for o in cut] == ["interrupted"] * 3
    go_on()
    failed = cut[1].record_dir / "record.json"
    record = json.loads(failed.read_text())
    failed.write_text(json.dumps({**record, "status": "failed", "error": "RuntimeError: boom"}))
    again = run_together(configs("toy", "small", [0, 1, 2], results, papers=[plugins]), [["r"]] * 3)
    assert [o.status for o in again] == ["completed"] * 3
    for seed in (0, 2):
        record = json.loads((again[seed].record_dir / "record.json").read_text())
        assert (record.get("resumed_from") or {}).get("step") == 6, seed
        assert again[seed].metrics == straight[seed].metrics, seed


def test_a_seed_failed_before_its_group_was_stopped_is_not_said_to_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """a seed whose loss turned non-finite at step 3, its group stopped at step 8:
    its record said `interrupted by SIGTERM; the same sweep again resumes the group from step
    8`, as if it trained on, where the next sweep only records it failed (alone it fails at
    once). Its record now says that it failed and what the next sweep does with it."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    go_on = stop_group_at_step(monkeypatch, 8)
    seeds = configs("toy", "small", [0, 1], tmp_path / "r", "model.explode=true", papers=[plugins])
    cut = run_together(seeds, [["r"]] * 2)
    assert [o.status for o in cut] == ["interrupted"] * 2
    for outcome in cut:
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert (
            record["error"]
            == outcome.error
            == (
                "interrupted by SIGTERM after it failed (non-finite loss at step 3 (nan)); the "
                "same sweep again records it failed as it resumes the group from step 8"
            )
        )
    go_on()
    again = run_together(seeds, [["r"]] * 2)
    assert [o.error for o in again] == ["non-finite loss at step 3 (nan)"] * 2


def test_a_killed_rerun_of_a_group_counts_up_to_when_it_was_seen_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stops_in_process: None
) -> None:
    """a `rerun=true` of completed seeds trained together, killed (kill -9)
    before any save, notes `alive_at` in its first seed's record.rerun.json, which nothing
    read: the next rerun carried it without a time, and once started, its own record.rerun.json
    replaced the note. Each seed of the next rerun counts it up to there (once for the group)."""
    import datetime as dt
    import time

    from repro.records.table import load_records
    from repro.reporting import aggregate
    from repro.reporting.sections import compute
    from repro.running import group_checkpoint
    from repro.running.group_checkpoint import GroupCheckpoint

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    first = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in first] == ["completed", "completed"]
    monkeypatch.setattr(group_checkpoint, "ALIVE_EVERY_S", 0.0)  # noted at each step here
    real = GroupCheckpoint.due

    def killed_at_step_10(self: Any, group: Any) -> bool:
        time.sleep(0.02)  # some training time to count
        if group.state.global_step >= 10:
            raise _Killed
        return real(self, group)

    rerun = configs("toy", "small", [0, 1], results, "rerun=true", papers=[plugins])
    monkeypatch.setattr(GroupCheckpoint, "due", killed_at_step_10)
    with pytest.raises(_Killed):
        run_together(rerun, [["r"]] * 2)
    monkeypatch.setattr(GroupCheckpoint, "due", real)
    killed = [json.loads(p.read_text()) for p in sorted(results.rglob("record.rerun.json"))]
    seen = dt.datetime.fromisoformat(killed[0]["timing"]["alive_at"]).timestamp()
    ran = [seen - dt.datetime.fromisoformat(r["timing"]["started_at"]).timestamp() for r in killed]
    assert min(ran) > 0.1, killed[0]["timing"]
    again = run_together(rerun, [["r"]] * 2)
    assert [o.status for o in again] == ["completed", "completed"]
    records = [json.loads((o.record_dir / "record.json").read_text()) for o in again]
    for record, seconds in zip(records, ran, strict=True):
        timing = record["timing"]
        assert timing.get("abandoned_wall_s") == pytest.approx(seconds, abs=2e-3), timing
        assert timing["abandoned_untimed"] == 0
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(results).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    assert summary.unsuccessful_hours * 3600 == pytest.approx(max(ran), abs=2e-3)  # once
    assert (summary.unsuccessful_attempts, summary.unsuccessful_untimed) == (2, 0)


def test_an_unreadable_group_checkpoint_is_a_warning_as_a_seeds_own_is(tmp_path: Path) -> None:
    """a seed's own unreadable last.ckpt says `warning: unreadable checkpoint
    ...; training from the start`; a group's unreadable together.ckpt said `not resuming
    ...: unreadable (...)` with no `warning:`, so a filter for warnings missed the training
    thrown away."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    env = {"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(tmp_path / "r")}
    done = repro(*GROUP_SWEEP, "logger=none", env=env)
    assert done.returncode == 0, done.stderr
    for path in sorted((tmp_path / "r").rglob("record.json")):  # as if stopped mid-training
        record = json.loads(path.read_text())
        path.write_text(json.dumps({**record, "status": "interrupted", "metrics": {}}))
        (path.parent / "checkpoints" / "last.ckpt").unlink()  # each seed's share of the weights
    first = next((tmp_path / "r").rglob("seed0"))
    (first / "checkpoints").mkdir(exist_ok=True)
    (first / "checkpoints" / "together.ckpt").write_bytes(b"not a checkpoint")
    again = repro(*GROUP_SWEEP, "logger=none", env=env)
    assert again.returncode == 0, again.stderr
    unreadable = [x for x in again.stderr.splitlines() if "together.ckpt: unreadable" in x]
    (line,) = [x for x in unreadable if not x.startswith("small: ")]  # not the plan's line
    assert line.startswith("warning: not resuming "), again.stderr


def test_a_folder_where_a_seed_keeps_a_file_stops_its_group_before_it_trains(
    tmp_path: Path,
) -> None:
    """seed 1's checkpoints/last.ckpt a folder, a `rerun=true` group replaced
    seed 1's completed record with its own, then failed on that folder (`IsADirectoryError`)
    beside a record.failed.json of the same attempt, its weights left in rerun.ckpt, while
    the sweep's table said 'trained'. Seed 1 names the folder first and writes nothing; no
    group's checkpoint holds it, so seed 0 is not held back: its rerun trains."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    env = {"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(tmp_path / "r")}
    done = repro(*GROUP_SWEEP, "logger=none", env=env)
    assert done.returncode == 0, done.stderr
    seed1 = next((tmp_path / "r").rglob("seed1"))
    (seed1 / "checkpoints" / "last.ckpt").unlink()
    (seed1 / "checkpoints" / "last.ckpt").mkdir()

    def files() -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in seed1.rglob("*") if p.is_file() and p.name != ".lock"}

    before = files()
    again = repro(*GROUP_SWEEP, "logger=none", "rerun=true", env=env)
    assert again.returncode != 0 and "Traceback" not in again.stderr
    assert f"{seed1}/checkpoints/last.ckpt is a folder, where the run keeps" in again.stderr
    assert "1 trained, 0 already completed, 1 failed" in again.stdout
    assert files() == before  # seed 1's record and weights as they were


def test_a_blocked_seed_that_a_groups_checkpoint_holds_holds_back_its_whole_group(
    tmp_path: Path,
) -> None:
    """A group cut short holds seed 1, whose record.json is now a dead link: the others
    are not trained without it (the group's file would be thrown away); every seed fails,
    naming the link, and the group's checkpoint stays to resume."""
    env = signalling_toy(tmp_path)
    signal_at = {"REPRO_TEST_SIGNAL": "SIGTERM", "REPRO_TEST_SIGNAL_AT_CALL": "11"}
    cut = repro(*GROUP_SWEEP, "logger=none", env={**env, **signal_at})
    assert cut.returncode == 143, cut.stderr
    (saved,) = (tmp_path / "r").rglob("together.ckpt")
    blocked = next((tmp_path / "r").rglob("seed1")) / "record.json"
    blocked.unlink()
    blocked.symlink_to(tmp_path / "gone")
    again = repro(*GROUP_SWEEP, "logger=none", env=env)
    assert again.returncode != 0 and "Traceback" not in again.stderr
    assert f"seed 1: {blocked} is a link that leads nowhere" in again.stderr
    assert "0 trained, 0 already completed" in again.stdout, again.stdout
    assert saved.is_file()


def test_the_plan_holds_back_the_seeds_a_blocked_seeds_group_holds_and_trains_the_rest(
    tmp_path: Path,
) -> None:
    """Seeds 0 and 1 cut short together, then seed 1's record.json a dead link: the sweep
    fails seed 0 with it (the group's file is never resumed without seed 1), but its dry
    run planned seed 0 `redo (interrupted)`, timed and counted it as a job's run; and the
    sweep put new seed 2 in that job, failing it too, and read seed 0 as `interrupted`,
    "resumes the group". Seed 0 is planned blocked by its group now, seed 2 trains."""
    env = signalling_toy(tmp_path)
    signal_at = {"REPRO_TEST_SIGNAL": "SIGTERM", "REPRO_TEST_SIGNAL_AT_CALL": "11"}
    cut = repro(*GROUP_SWEEP, "logger=none", env={**env, **signal_at})
    assert cut.returncode == 143, cut.stderr
    (saved,) = (tmp_path / "r").rglob("together.ckpt")
    blocked = next((tmp_path / "r").rglob("seed1")) / "record.json"
    blocked.unlink()
    blocked.symlink_to(tmp_path / "gone")
    three = (*GROUP_SWEEP[:-2], "seeds=3", "seeds_together=true", "logger=none")
    dry = repro(*three, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    (row,) = [line for line in dry.stdout.splitlines() if line.split()[:2] == ["small", "0"]]
    assert "blocked (its group's checkpoint also holds seed 1" in row, dry.stdout
    assert "1 to run, 0 already completed, 2 blocked" in dry.stdout, dry.stdout
    assert "seeds together: on, 1 job(s) for 1 run(s)" in dry.stdout, dry.stdout
    again = repro(*three, env=env)
    assert "Traceback" not in again.stderr, again.stderr
    assert "1 trained, 0 already completed" in again.stdout, again.stdout
    assert "2 failed" in again.stdout and "interrupted" not in again.stdout, again.stdout
    assert saved.is_file()


def test_a_group_whose_final_weights_cannot_be_saved_leaves_no_seed_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """saving the trained group's final weights for its seeds left to test
    (`GroupCheckpoint.save_to_test`) raised OSError (a full disk): it went up out of the
    group, every seed's record stayed `running` for good. That file only guards against a
    kill before the seeds are recorded: each seed is still tested and recorded, after one
    warning, and the same sweep again finds them completed."""
    from repro.running.group_checkpoint import GroupCheckpoint

    def full_disk(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(GroupCheckpoint, "save_to_test", full_disk)
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    outcomes = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    for outcome in outcomes:
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert record["status"] == outcome.status == "completed", (record["status"], outcome)
    err = capfd.readouterr().err
    assert err.count("No space left on device") == 1, err
    assert not list(results.rglob("together.ckpt*"))
    again = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    assert [o.status for o in again] == ["skipped", "skipped"]


def test_a_seed_whose_record_cannot_be_written_leaves_the_others_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """seed 0's folder turned read-only as the trained group recorded its seeds:
    the ReproError for its record went up out of the group, and seed 1, whose folder was
    fine, was never tested: its record stayed `running`. Seed 1 is recorded, seed 0 fails
    with that one line, and the group's final weights stay for it: the same sweep again
    only tests it."""
    from repro.records import store

    real = store.write_record

    def read_only_seed0(folder: Path, record: dict, name: str = store.RECORD_FILE) -> None:
        if folder.name == "seed0" and record.get("status") != "running":
            raise PermissionError(13, "Permission denied", str(folder / name))
        real(folder, record, name)

    monkeypatch.setattr(store, "write_record", read_only_seed0)
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    both = configs("toy", "small", [0, 1], results, papers=[plugins])
    cut = run_together(both, [["r"]] * 2)
    assert [o.status for o in cut] == ["failed", "completed"], cut
    assert "cannot write run record" in cut[0].error and cut[0].exit_code == 1
    assert "tests it from the group's final weights" in cut[0].error, cut[0].error
    monkeypatch.setattr(store, "write_record", real)
    again = run_together(both, [["r"]] * 2)
    assert [o.status for o in again] == ["completed", "skipped"], again
    record = json.loads((again[0].record_dir / "record.json").read_text())
    assert (record["resumed_from"] or {}).get("step") == 20, record["resumed_from"]
    assert not list(results.rglob("together.ckpt*"))


def test_a_seed_failing_after_its_completed_record_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a seed's code failing once its completed record was written (the claims'
    metrics checked from its paper.yaml, read again and broken since) went to
    `attempt.failed`, which rewrote that record `failed`: a tested result lost. The record
    stands; the outcome is completed, with its error line and exit 1."""
    from repro.errors import ReproError
    from repro.running import runner

    def broken_paper(*args: Any) -> None:
        raise ReproError("paper.yaml: not valid YAML")

    monkeypatch.setattr(runner, "_warn_missing_claim_metrics", broken_paper)
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    outcomes = run_together(
        configs("toy", "small", [0, 1], tmp_path / "r", papers=[plugins]), [["r"]] * 2
    )
    for outcome in outcomes:
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert record["status"] == outcome.status == "completed", record.get("error")
        assert outcome.exit_code == 1 and "paper.yaml: not valid YAML" in outcome.error


TEST_FAILS_MODULE = '''

class TestFailsWhileAsked(ToyModule):
    """Its test step raises while REPRO_TEST_FAIL_TEST is set: a bug in the plugin's test
    code, fixed (the variable unset) before the next sweep."""

    def test_step(self, batch, batch_idx):
        import os

        if os.environ.get("REPRO_TEST_FAIL_TEST"):
            raise RuntimeError("test step broken")
        return super().test_step(batch, batch_idx)
'''


def test_a_group_seed_whose_test_fails_keeps_the_curves_a_seed_alone_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alone, a run whose test step raises keeps its training's CSV log; a seed of a group
    kept none."""
    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, TEST_FAILS_MODULE, "TestFailsWhileAsked")
    monkeypatch.setenv("REPRO_TEST_FAIL_TEST", "1")
    extra = ("trainer.log_every_n_steps=5",)
    grouped = configs("toy", "small", [0, 1], tmp_path / "a", *extra, papers=[plugins])
    (alone,) = configs("toy", "small", [0], tmp_path / "b", *extra, papers=[plugins])
    together = run_together(grouped, [["r"]] * 2)
    single = run_one(alone, command=["r"])
    assert single.status == together[0].status == "failed", (single, together)
    own = (single.record_dir / "csv" / "metrics.csv").read_text().splitlines()
    log = together[0].record_dir / "csv" / "metrics.csv"
    assert log.is_file(), sorted(p.name for p in together[0].record_dir.iterdir())
    rows = log.read_text().splitlines()
    assert [r.split(",")[:2] for r in rows] == [r.split(",")[:2] for r in own], (rows, own)


def test_a_group_whose_test_step_fails_keeps_its_training_for_the_next_sweep_to_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a plugin's test_step raising failed both seeds of a group and kept
    nothing (no together.ckpt, no last.ckpt), so once the plugin was fixed the next sweep
    trained every seed again from step 0; a seed alone keeps last.ckpt and its rerun only
    tests. The group's final weights stay for the seeds whose test failed (their records say
    so: `together.failed_testing`), and the next sweep only tests them, from step 20."""
    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, TEST_FAILS_MODULE, "TestFailsWhileAsked")
    results = tmp_path / "r"
    both = configs("toy", "small", [0, 1], results, papers=[plugins])
    monkeypatch.setenv("REPRO_TEST_FAIL_TEST", "1")
    failed = run_together(both, [["r"]] * 2)
    assert [o.status for o in failed] == ["failed", "failed"], failed
    for outcome in failed:  # the line a seed alone gets; the record says what is kept
        assert outcome.error == "model.py:37: RuntimeError: test step broken", outcome.error
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert record["status"] == "failed" and record["error"] == outcome.error
        kept = record["together"]["failed_testing"]
        assert kept["step"] == 20 and Path(kept["checkpoint"]).is_file(), kept
    monkeypatch.delenv("REPRO_TEST_FAIL_TEST")
    again = run_together(both, [["r"]] * 2)
    assert [o.status for o in again] == ["completed", "completed"], again
    for outcome in again:
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert (record["resumed_from"] or {}).get("step") == 20, record["resumed_from"]
        assert record["together"]["trained"]["seeds"] == [0, 1], record["together"]
        assert (outcome.record_dir / "checkpoints" / "last.ckpt").is_file()
    assert not list(results.rglob("together.ckpt*"))


DISK_FULL_AS_THE_GROUP_SAVES = """
import errno, os, sys
import torch

real = torch.save

def save(obj, where, *args, **kwargs):  # a full disk: part of the group's file, then ENOSPC
    if str(getattr(where, "name", where)).endswith("together.ckpt.tmp"):  # a path or a file
        if hasattr(where, "write"):
            where.write(b"part of a checkpoint")
        else:
            with open(where, "wb") as partial:
                partial.write(b"part of a checkpoint")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return real(obj, where, *args, **kwargs)

torch.save = save
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


def test_a_group_save_on_a_full_disk_fails_naming_it_and_leaves_no_part_of_it(
    tmp_path: Path,
) -> None:
    """the group's periodic save on a full disk failed every seed as a bare
    `OSError: [Errno 28] No space left on device`, naming no file, and left the part
    written in checkpoints/together.ckpt.tmp, which kept the disk full."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    failed = repro(
        *GROUP_SWEEP, "logger=none", "trainer.max_steps=8", "checkpoint.every_s=0",
        env={"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(tmp_path / "r")},
        patched_by=DISK_FULL_AS_THE_GROUP_SAVES,
    )  # fmt: skip
    assert failed.returncode == 1, failed.stderr
    records = [json.loads(p.read_text()) for p in sorted((tmp_path / "r").rglob("record.json"))]
    assert [r["status"] for r in records] == ["failed"] * 2
    assert all("cannot save checkpoint" in r["error"] for r in records), records
    assert not list((tmp_path / "r").rglob("*.tmp"))


TERMINATED_AT_STEP_4 = """

import os
import signal


class TerminatedAtStep4(ToyModule):
    def training_step(self, batch, batch_idx):
        if self.global_step == 4 and not os.environ.get("REPRO_TEST_STOPPED"):
            os.environ["REPRO_TEST_STOPPED"] = "1"  # the group's saves from here meet a full disk
            os.kill(os.getpid(), signal.SIGTERM)
        return super().training_step(batch, batch_idx)
"""


def test_a_group_stopped_whose_save_meets_a_full_disk_is_interrupted_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM, then the group's save at the stop met a full disk: every seed was recorded
    `failed` (cannot save checkpoint), though a seed alone is `interrupted`, resumable from
    its last save, its line naming the failed save. So is each seed of a group now."""
    import errno

    from repro.running import group_checkpoint

    real = group_checkpoint.save_file

    def full_disk_once_stopped(obj: Any, path: Any) -> None:
        if os.environ.get("REPRO_TEST_STOPPED"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(obj, path)

    monkeypatch.delenv("REPRO_TEST_STOPPED", raising=False)
    monkeypatch.setattr(group_checkpoint, "save_file", full_disk_once_stopped)
    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, TERMINATED_AT_STEP_4, "TerminatedAtStep4")
    results = tmp_path / "r"
    extra = ("trainer.max_steps=8", "checkpoint.every_s=0")
    try:
        outcomes = run_together(
            configs("toy", "small", [0, 1], results, *extra, papers=[plugins]), [["r"]] * 2
        )
    finally:
        os.environ.pop("REPRO_TEST_STOPPED", None)
    for outcome in outcomes:
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert record["status"] == outcome.status == "interrupted", record.get("error")
        assert outcome.exit_code == 143, outcome
        assert "No space left on device" in record["error"], record["error"]
        assert "resumes the group from step 4" in record["error"], record["error"]
    assert not list(results.rglob("*.tmp"))


def test_a_full_disk_at_a_seeds_final_weights_still_records_it_tested_and_keeps_no_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """a seed of a group whose final weights' save (its checkpoints/last.ckpt) met a full
    disk once it was tested was recorded `failed` with a bare `OSError: [Errno 28]`, its
    test lost, and the part written left as its last.ckpt; a seed alone is recorded
    completed, its record's checkpoint saying `kept: false` and why. So is a seed of a
    group now, and no part of the file stays."""
    import errno

    import lightning.pytorch as pl

    real = pl.Trainer.save_checkpoint

    def full_disk(self: Any, path: Any, weights_only: bool = False, **kwargs: Any) -> None:
        if not weights_only:
            return real(self, path, weights_only, **kwargs)
        Path(path).write_bytes(b"part of a checkpoint")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pl.Trainer, "save_checkpoint", full_disk)
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    results = tmp_path / "r"
    outcomes = run_together(configs("toy", "small", [0, 1], results, papers=[plugins]), [["r"]] * 2)
    for outcome in outcomes:
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert record["status"] == outcome.status == "completed", record.get("error")
        assert record["checkpoint"]["kept"] is False, record["checkpoint"]
        assert "No space left on device" in record["checkpoint"]["reason"], record["checkpoint"]
        assert not list(outcome.record_dir.rglob("*.ckpt*")), list(outcome.record_dir.rglob("*"))
    assert capfd.readouterr().err.count("warning: final weights not kept") == 2


def test_a_folder_where_a_groups_checkpoint_goes_is_one_error_line_for_the_group(
    tmp_path: Path,
) -> None:
    """A folder where seed 0 keeps the group's together.ckpt stops its group of three before
    it trains: the sweep printed the same `error: seed 0: ...` line once per seed (three
    lines, each naming another seed's record), as if each seed had its own. One line now,
    naming the group; each seed's row of the table still says why."""
    from repro.records.lookup import completed_run

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    env = {"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(tmp_path / "r")}
    group = configs("toy", "small", [0], tmp_path / "r", papers=[plugins], logger="none")
    in_the_way = completed_run(group[0])[0] / "checkpoints" / "together.ckpt"
    in_the_way.mkdir(parents=True)
    three = (*GROUP_SWEEP[:-2], "seeds=3", "seeds_together=true", "logger=none")
    done = repro(*three, env=env)
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    lines = [x for x in done.stderr.splitlines() if x.startswith("error:")]
    assert len(lines) == 1, done.stderr
    assert f"{in_the_way} is a folder" in lines[0], done.stderr
    assert "seeds 0, 1, 2" in lines[0], done.stderr
    assert in_the_way.is_dir() and not list((tmp_path / "r").rglob("record.json"))
    rows = [x for x in done.stdout.splitlines() if x.split()[:1] == ["small"]]
    assert len(rows) == 3 and all("is a folder" in row for row in rows), done.stdout


def test_the_dry_run_says_an_unreadable_group_checkpoint_is_not_resumed(tmp_path: Path) -> None:
    """A group cut short whose together.ckpt is garbled: the sweep warns `not resuming ...:
    unreadable (...); training from the start`, but its dry run said nothing of the training
    thrown away (it says so of a group whose seed's record was removed). It says the same."""
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    env = {"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(tmp_path / "r")}
    done = repro(*GROUP_SWEEP, "logger=none", env=env)
    assert done.returncode == 0, done.stderr
    for path in sorted((tmp_path / "r").rglob("record.json")):  # as if stopped mid-training
        record = json.loads(path.read_text())
        path.write_text(json.dumps({**record, "status": "interrupted", "metrics": {}}))
        (path.parent / "checkpoints" / "last.ckpt").unlink()
    saved = next((tmp_path / "r").rglob("seed0")) / "checkpoints" / "together.ckpt"
    saved.write_bytes(b"not a checkpoint")
    dry = repro(*GROUP_SWEEP, "logger=none", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    again = repro(*GROUP_SWEEP, "logger=none", env=env)
    assert again.returncode == 0, again.stderr
    (warned,) = [x for x in again.stderr.splitlines() if x.startswith("warning: not resuming")]
    why = warned.removeprefix(f"warning: not resuming {saved}: ").split(";")[0]
    assert why.startswith("unreadable ("), again.stderr
    plan = (
        f"small: seeds 0, 1 do not resume their group's checkpoint {saved}: {why}; they train "
        "from the start"
    )
    assert plan in dry.stdout.splitlines(), dry.stdout
