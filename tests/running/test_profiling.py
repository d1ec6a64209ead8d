import json

import lightning.pytorch as pl
import pytest
from lightning.pytorch.profilers import SimpleProfiler

from repro.running.profiling import run_profiler


@pytest.mark.parametrize("named", [None, "simple"])
def test_quiet_profiler_only_when_the_config_names_none(tmp_path, monkeypatch, named) -> None:
    from repro.running.lightning_overhead import QuietProfiler
    from repro.running.runner import run_one
    from tests.running.test_together import configs

    seen = []
    original = pl.Trainer.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        seen.append(self.profiler)

    monkeypatch.setattr(pl.Trainer, "__init__", spy)
    extra = [f"+trainer.profiler={named}"] if named else []
    config = configs("mnist1d", "logistic", [0], tmp_path, "trainer.max_steps=5", *extra)[0]
    outcome = run_one(config, command=["repro"])
    assert outcome.status == "completed"
    expected = QuietProfiler if named is None else SimpleProfiler
    assert seen and type(seen[0]) is expected
    # a named profiler's report is a file in the run's folder (Lightning logs it at INFO,
    # which repro keeps quiet); a run that named none has none
    reports = sorted(p.name for p in outcome.record_dir.glob("*profile*"))
    assert reports == ([] if named is None else ["fit-profile.txt", "test-profile.txt"])
    if named:
        assert "FIT Profiler Report" in (outcome.record_dir / "fit-profile.txt").read_text()


def test_a_profiler_lightning_does_not_name_reaches_lightning_as_it_is(tmp_path) -> None:
    """Lightning's own error names the profilers it knows; repro does not guess."""
    assert run_profiler("bogus", tmp_path) == "bogus"
    assert isinstance(run_profiler("Simple", tmp_path), SimpleProfiler)


def test_every_ranks_report_is_found(tmp_path) -> None:
    """DDP ranks write `fit-profile-0.txt`, `fit-profile-1.txt`, ..."""
    from repro.running.profiling import profile_reports

    trace = "fit-profile-[Strategy]SingleDeviceStrategy.training_step.1796428794.pt.trace.json"
    names = ("fit-profile-0.txt", "fit-profile-1.txt", "test-profile.txt", "notes.txt", trace)
    for name in (*names, "gpu-profile-notes.txt", "my-profile.txt", "my.pt.trace.json"):
        (tmp_path / name).write_text("x")  # the last three: a user's, not reports
    assert [p.name for p in profile_reports(tmp_path)] == [
        "fit-profile-0.txt",
        "fit-profile-1.txt",
        trace,  # the PyTorch profiler's Chrome trace (it was neither listed nor removed)
        "test-profile.txt",
    ]


def test_a_report_is_named_only_by_the_run_that_wrote_it(tmp_path) -> None:
    """A profile from an earlier run is neither shown as this run's nor left beside its
    record; a completed setting asked for a profile says how to get one."""
    from tests.conftest import repro, write_toy_paper

    write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    run = ("run", "paper=toy", "experiment=small", "logger=none", "trainer.max_steps=5")
    profiled = repro(*run, "+trainer.profiler=simple", env=env)
    assert "profiler report: " in profiled.stdout, profiled.stderr
    skipped = repro(*run, "+trainer.profiler=simple", env=env)
    assert "already completed, skipped" in skipped.stdout
    assert "rerun=true" in skipped.stdout.split("already completed, skipped")[1]
    plain = repro(*run, "rerun=true", env=env)
    assert plain.returncode == 0, plain.stderr
    assert "profiler report" not in plain.stdout
    assert not list((tmp_path / "results").rglob("*profile*.txt"))


def test_a_stopped_rerun_leaves_the_completed_runs_profile_as_it_was(tmp_path) -> None:
    """rerun=true of a completed, profiled run, stopped after fitting: the completed run's
    reports stay as they were (its fit report was overwritten by the stopped rerun's); the
    rerun that completes brings its own."""
    from tests.conftest import run_signalling_paper, write_signalling_paper

    plugins = write_signalling_paper(tmp_path / "plugins")
    results = tmp_path / "results"
    profiled = ("+trainer.profiler=simple",)
    assert run_signalling_paper(plugins, results, *profiled).returncode == 0
    (folder,) = {path.parent for path in results.rglob("record.json")}

    def reports() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in folder.iterdir() if "profile" in p.name}

    before = reports()
    assert set(before) == {"fit-profile.txt", "test-profile.txt"}
    stopped = run_signalling_paper(
        plugins,
        results,
        *profiled,
        "rerun=true",
        REPRO_TEST_SIGNAL_AT="test",
        REPRO_TEST_SIGNAL="SIGTERM",
    )
    assert stopped.returncode == 143, stopped.stderr
    assert reports() == before
    assert not (folder / ".rerun-profile").exists()
    killed = folder / ".rerun-profile"  # what a kill -9'd profiled rerun leaves
    killed.mkdir()
    (killed / "fit-profile.txt").write_text("FIT Profiler Report (killed attempt)\n")
    (folder / "record.rerun.json").write_text('{"status": "running", "attempts": 3}')
    rerun = run_signalling_paper(plugins, results, *profiled, "rerun=true")
    assert rerun.returncode == 0, rerun.stderr
    after = reports()
    assert set(after) == set(before) and after != before
    assert all(text.count(b"Profiler Report") == 1 for text in after.values())
    assert b"killed attempt" not in after["fit-profile.txt"]  # it was adopted
    # four attempts: the first, the stopped rerun, the killed one, this one (it said 3)
    assert json.loads((folder / "record.json").read_text())["attempts"] == 4
