"""What a person sees while a run trains and when it ends (repro/running/progress.py)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from repro.plugins.paper_spec import Claim
from repro.running import progress
from tests.conftest import Terminal, repro, write_toy_paper


def test_status_text_has_position_rate_eta_loss_and_validation_metric() -> None:
    text = progress.status_text(1200, 6000, 310.0, {"train/loss": 0.4123, "val/acc": 0.93})
    assert text == "step 1200/6000 (20%) 310 it/s ETA 0:15 train/loss 0.4123 val/acc 0.93"


def test_status_text_of_a_finished_run_says_how_long_it_took() -> None:
    text = progress.status_text(600, 600, 250.0, {}, elapsed_s=2.4, done=True)
    assert text == "step 600/600 (100%) 250 it/s in 0:02"


def test_the_rate_of_seeds_trained_together_is_each_seeds_and_says_so() -> None:
    """A group's line said `310 it/s` for 3 seeds, leaving open whether the group or each
    seed made 310 steps a second (each did: one vectorized step trains the three)."""
    text = progress.status_text(1200, 6000, 310.0, {}, seeds=3)
    assert text == "step 1200/6000 (20%) 310 it/s per seed, 3 at once ETA 0:15"
    line = progress.ProgressLine("toy/small seeds0,1,2", stream=io.StringIO(), seeds=3)
    line.start(0, 6000)
    line.started -= 10
    assert "per seed, 3 at once" in line.text(100, {})


def test_status_text_without_a_bound_or_a_rate_yet() -> None:
    assert progress.status_text(5, None, None, {"train/loss": float("nan")}) == (
        "step 5 train/loss nan"
    )


@pytest.mark.parametrize(
    ("seconds", "shown"), [(15.2, "0:15"), (723, "12:03"), (7509, "2:05:09"), (None, "?")]
)
def test_format_duration(seconds: float | None, shown: str) -> None:
    assert progress.format_duration(seconds) == shown


def test_work_under_a_second_is_not_said_to_take_no_time() -> None:
    """A toy run's end line said `in 0:00`: a zero time for work that happened."""
    assert progress.format_duration(0.3) == "<1 s"
    assert progress.format_duration(0.0) == "0:00"  # nothing left: an ETA of none is true
    text = progress.status_text(20, 20, 80.0, {}, elapsed_s=0.25, done=True)
    assert text == "step 20/20 (100%) 80 it/s in <1 s"


@pytest.mark.parametrize("rate", [999.6, 0.00004])
def test_a_rate_is_never_in_scientific_notation(rate: float) -> None:
    """`.3g` wrote 999.6 steps a second as `1e+03 it/s` (and a slow run's 0.00004 as
    `4e-05 it/s`)."""
    text = progress.status_text(10, None, rate, {})
    assert not re.search(r"\de[+-]?\d", text), text
    assert float(text.split()[2]) > 0, text


def test_total_is_whichever_of_max_steps_and_max_epochs_bounds_the_run() -> None:
    assert progress.total_steps(6000, -1, 40) == 6000
    assert progress.total_steps(-1, 10, 40) == 400
    assert progress.total_steps(100, 10, 40) == 100
    assert progress.total_steps(-1, -1, 40) is None
    assert progress.total_steps(-1, 3, float("inf")) is None


def test_picks_the_training_loss_and_a_validation_metric_only() -> None:
    metrics = {"train/acc": 1, "train/loss": 2, "val/loss": 3, "val/acc": 4, "test/acc": 5}
    assert progress.pick_metrics(metrics) == {"train/loss": 2, "val/acc": 4}


def test_log_file_gets_labelled_plain_lines_and_a_final_one() -> None:
    stream = io.StringIO()
    line = progress.ProgressLine("mnist1d/cnn seed0", every_s=0, stream=stream)
    assert not line.interactive
    line.start(0, 6000)
    assert line.due()
    line.draw(1200, {"train/loss": 0.41})
    line.draw(6000, {"train/loss": 0.2}, done=True)
    line.close()
    first, final = stream.getvalue().splitlines()
    assert first.startswith("[mnist1d/cnn seed0] step 1200/6000 (20%) ")
    assert first.endswith(" train/loss 0.41")
    assert final.startswith("[mnist1d/cnn seed0] step 6000/6000 (100%) ")
    assert "\r" not in stream.getvalue()


def test_log_lines_come_every_every_s_not_every_step() -> None:
    line = progress.ProgressLine("x", every_s=3600, stream=io.StringIO())
    line.start(0, 10)
    assert not any(line.due() for _ in range(1000))


def test_terminal_bar_is_redrawn_in_place_and_closed_with_a_newline() -> None:
    stream = Terminal()
    line = progress.ProgressLine("toy/small seed0", stream=stream)
    assert line.interactive
    line.start(0, 20)
    line.draw(10, {})
    assert stream.getvalue().startswith("\rtoy/small seed0 |██████████          | step 10/20 (50%)")
    assert not stream.getvalue().endswith("\n")
    progress.end_open_lines()  # what run.py does before saying `interrupted`
    assert stream.getvalue().endswith("\n")
    progress.end_open_lines()
    assert stream.getvalue().count("\n") == 1


def test_callback_shows_one_bar_over_all_epochs_and_closes_it_on_an_exception() -> None:
    from repro.running.callbacks import RunProgress

    stream = Terminal()
    callback = RunProgress(progress.ProgressLine("toy", stream=stream))
    trainer = SimpleNamespace(
        num_training_batches=4,
        accumulate_grad_batches=1,
        max_steps=-1,
        max_epochs=3,
        global_step=5,  # resumed: the bar starts where the checkpoint left off
        callback_metrics={"train/loss": 0.5},
        sanity_checking=False,
    )
    callback.on_train_start(trainer, None)
    assert callback.line.total == 12
    callback.on_validation_end(trainer, None)
    assert "step 5/12 (42%)" in stream.getvalue()
    callback.on_exception(trainer, None, RuntimeError("stop"))
    assert stream.getvalue().endswith("\n")


def test_parallel_sweep_workers_print_lines_not_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(progress.SWEEP_WORKER_ENV, "123")
    assert not progress.ProgressLine("x", stream=Terminal()).interactive


def test_start_line_names_run_device_and_record(monkeypatch: pytest.MonkeyPatch) -> None:
    config = {"paper": "mnist1d", "experiment_name": "cnn", "seed": 0}
    record = Path.cwd() / "results" / "mnist1d" / "cnn" / "abc" / "seed0"
    line = progress.start_line(config | {"trainer": {"accelerator": "cpu"}}, record)
    assert line == "repro run: mnist1d/cnn seed 0 on cpu -> results/mnist1d/cnn/abc/seed0"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert " on cpu -> " in progress.start_line(config | {"trainer": {}}, record)


def test_only_rank_zero_counts_as_the_starting_process(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RANK", "SLURM_PROCID", "LOCAL_RANK", "NODE_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert not progress.started_as_worker_rank()
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert progress.started_as_worker_rank()


def _claim(**fields: object) -> Claim:
    return Claim(source="Table 1", **fields)


def test_claim_lines_put_the_run_next_to_each_claim_of_its_experiment() -> None:
    claims = [
        _claim(id="mlp_acc", experiment="mlp", metric="test/acc", value=0.68, tolerance=0.03),
        _claim(id="cnn_acc", experiment="cnn", metric="test/acc", value=0.94, tolerance=0.03),
        _claim(
            id="high",
            kind="threshold",
            experiment="mlp",
            metric="test/acc",
            direction=">=",
            value=0.9,
        ),
        _claim(
            id="cnn_beats_mlp",
            kind="comparison",
            experiment="cnn",
            versus="mlp",
            direction=">",
            metric="test/acc",
        ),
        _claim(id="loss", experiment="mlp", metric="test/loss", value=1.0, tolerance=0.1),
    ]
    lines = progress.claim_lines(claims, "mlp", {"test/acc": 0.6431}, "mnist1d")
    verdict = "one seed — run `repro sweep paper=mnist1d` for a verdict"
    assert lines == [
        f"test/acc 0.6431 vs claimed 0.68 ± 0.03 (mlp_acc); {verdict}",
        f"test/acc 0.6431 vs claimed >= 0.9 (high); {verdict}",
        "test/acc 0.6431 (cnn_beats_mlp: cnn > mlp); compare with cnn in `repro report`",
    ]  # test/loss was not logged: run.py's warning says so, not these lines


def test_claim_lines_of_a_run_off_the_papers_setting_say_so() -> None:
    """Not "vs claimed": the claim is about the paper's setting, which this run is not."""
    claims = [
        _claim(id="cnn_acc", experiment="cnn", metric="test/acc", value=0.94, tolerance=0.03),
        _claim(
            id="high",
            kind="threshold",
            experiment="cnn",
            metric="test/acc",
            direction=">=",
            value=0.9,
        ),
        _claim(
            id="cnn_beats_mlp",
            kind="comparison",
            experiment="cnn",
            versus="mlp",
            direction=">",
            metric="test/acc",
        ),
    ]
    lines = progress.claim_lines(
        claims, "cnn", {"test/acc": 0.179}, "mnist1d", deviation="trainer.max_steps=5"
    )
    off = "not the paper's setting: trainer.max_steps=5"
    assert lines == [
        f"test/acc 0.179 ({off}; claimed 0.94 ± 0.03 at the paper's, cnn_acc)",
        f"test/acc 0.179 ({off}; claimed >= 0.9 at the paper's, high)",
        f"test/acc 0.179 ({off}; cnn_beats_mlp: cnn > mlp at the paper's)",
    ]
    assert all("vs claimed" not in line for line in lines)


def test_a_smoke_run_is_not_compared_with_the_claim_as_if_it_were_the_papers() -> None:
    """The issue: `repro run paper=mnist1d experiment=cnn debug=fast` printed
    `test/acc 0.179 vs claimed 0.94 ± 0.03 (cnn_acc)`."""
    done = repro("run", "paper=mnist1d", "experiment=logistic", "debug=fast")
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("test/acc "))
    assert "vs claimed" not in line
    assert "(not the paper's setting: trainer.max_steps=5" in line
    assert "claimed 0.32 ± 0.03 at the paper's, logistic_acc)" in line


def test_only_runs_off_the_papers_setting_are_flagged(tmp_path: Path) -> None:
    """One process, two jobs (-m): the paper's max_steps (20) is compared with the claim, 10 is
    not; overrides that leave the config hash alone (logger, progress, accelerator) count as
    the paper's setting."""
    write_toy_paper(tmp_path / "plugins", "toy")
    done = repro(
        "run",
        "--papers-dir",
        str(tmp_path / "plugins"),
        "paper=toy",
        "experiment=small",
        "logger=none",
        "progress.every_s=0",
        "trainer.accelerator=cpu",
        "-m",
        "trainer.max_steps=20,10",
    )
    assert done.returncode == 0, done.stderr
    lines = [x for x in done.stdout.splitlines() if x.startswith("test/mse ")]
    assert len(lines) == 2, done.stdout
    assert "vs claimed 0 ± 0.5 (small_mse); one seed" in lines[0]
    assert "(not the paper's setting: trainer.max_steps=10; claimed 0 ± 0.5" in lines[1]


def test_sweep_line_counts_runs_and_estimates_the_rest() -> None:
    assert progress.sweep_progress_line(2, 6, elapsed_s=60) == "2/6 done, ETA 2:00"
    assert progress.sweep_progress_line(0, 6, 0) == "0/6 done, ETA ?"
    assert progress.sweep_progress_line(6, 6, 100, failed=1) == "6/6 done (1 failed)"


def test_sweep_progress_prints_after_each_run() -> None:
    stream = io.StringIO()
    counter = progress.SweepProgress(2, stream=stream)
    counter.finished("completed")
    counter.finished("failed")
    assert stream.getvalue().splitlines()[0].startswith("1/2 done, ETA ")
    assert stream.getvalue().splitlines()[1] == "2/2 done (1 failed)"


def test_run_in_a_log_file_has_start_progress_and_claim_lines(tmp_path: Path) -> None:
    write_toy_paper(tmp_path / "plugins", "toy")
    done = repro(
        "run",
        "--papers-dir",
        str(tmp_path / "plugins"),
        "paper=toy",
        "experiment=small",
        "logger=none",
        "progress.every_s=0",
        "trainer.accelerator=cpu",
    )
    assert done.returncode == 0, done.stderr
    err = done.stderr.splitlines()
    assert done.stdout.startswith("repro run: toy/small seed 0 on cpu -> results/toy/small/")
    steps = [line for line in err if line.startswith("[toy/small seed0] step ")]
    assert steps[-1].startswith("[toy/small seed0] step 20/20 (100%) ")
    assert "train/loss " in steps[-1]
    assert "\r" not in done.stderr
    assert "test/mse" in done.stdout
    assert "vs claimed 0 ± 0.5 (small_mse); one seed" in done.stdout


def test_sweep_to_a_file_counts_runs_and_keeps_paths_whole(tmp_path: Path) -> None:
    write_toy_paper(tmp_path / "plugins", "toy")
    results = tmp_path / ("a-results-folder-with-a-long-name-" * 4) / "results"
    done = repro(
        "sweep",
        "--papers-dir",
        str(tmp_path / "plugins"),
        "paper=toy",
        "experiment=small",
        "seeds=2",
        "logger=none",
        env={"REPRO_RESULTS_DIR": str(results), "COLUMNS": "80"},
    )
    assert done.returncode == 0, done.stderr
    assert "1/2 done, ETA " in done.stdout
    assert "2/2 done" in done.stdout
    records = sorted(p.parent for p in results.rglob("record.json"))
    assert len(records) == 2
    shown = os.path.relpath(records[0], tmp_path)
    assert shown in done.stdout, done.stdout
    assert "…" not in done.stdout
    assert "one seed" not in done.stdout  # a sweep gives verdicts, not per-run claim lines


def test_resume_line_names_the_step_and_the_checkpoint() -> None:
    checkpoint = Path.cwd() / "results" / "toy" / "seed0" / "checkpoints" / "last.ckpt"
    assert progress.resume_line(1752, checkpoint) == (
        "resuming from step 1752 (checkpoint results/toy/seed0/checkpoints/last.ckpt)"
    )


def test_lightning_warning_that_logs_will_be_deleted_is_silenced() -> None:
    """repro sets an interrupted attempt's CSV log aside (repro/running/loggers.py), so Lightning's
    warning on resume, that previous logs will be deleted, is wrong here."""
    import warnings

    from lightning.fabric.utilities.rank_zero import rank_zero_warn

    from repro.running.training import quiet_lightning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_lightning()
        rank_zero_warn(
            "Experiment logs directory results/x/csv exists and is not empty. Previous log "
            "files in this directory will be deleted when the new ones are saved!"
        )
    assert not caught


def test_ctrl_c_message_starts_a_line_of_its_own_after_the_bar(tmp_path: Path) -> None:
    """On a terminal the bar has no newline while it runs; `error: interrupted ...` must not
    be glued to it."""
    import pty
    import select
    import signal
    import subprocess
    import sys

    write_toy_paper(tmp_path / "plugins", "toy")
    command = [sys.executable, "-m", "repro", "run", "--papers-dir", str(tmp_path / "plugins")]
    command += ["paper=toy", "experiment=small", "logger=none", "trainer.max_steps=10000000"]
    terminal, screen = pty.openpty()  # stdout and stderr on one terminal, as a person sees
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=screen, stderr=screen, cwd=tmp_path
    )
    os.close(screen)
    shown = b""
    try:
        while b" it/s " not in shown:  # the bar is up
            ready, _, _ = select.select([terminal], [], [], 300)
            assert ready, shown
            shown += os.read(terminal, 4096)
        process.send_signal(signal.SIGINT)
        while True:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the process closed its end
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(60)
        os.close(terminal)
    before, found, _ = shown.decode().partition("error: interrupted by SIGINT")
    assert found, shown
    assert before.endswith("\n")
    assert "\rtoy/small seed0 |" in before  # one bar for the run, not one per epoch
    assert process.returncode == 130


def test_an_interrupted_run_is_counted_as_interrupted_not_failed() -> None:
    stream = io.StringIO()
    counter = progress.SweepProgress(3, stream=stream)
    counter.finished("failed")
    counter.finished("interrupted")
    # a stop interrupted it: the sweep starts nothing more, so no ETA (before: `ETA 0:31`
    # while the other workers' runs were being stopped)
    # and not as done: the next sweep resumes it (before: `2/3 done (1 failed, 1 interrupted)`)
    assert stream.getvalue().splitlines()[1] == "1/3 done (1 failed); 1 interrupted"


def test_a_bar_cut_to_a_narrow_terminal_ends_at_a_whole_word(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 80 columns the finished bar stayed on screen as `... 415 it/s in 0:0`: cut inside
    its last word, it showed a wrong time. A line too long ends before the word it would cut."""
    monkeypatch.setenv("COLUMNS", "80")
    stream = Terminal()
    line = progress.ProgressLine("mnist1d/logistic seed0", stream=stream, interactive=True)
    line.start(0, 20)
    line.started -= 0.05
    full = line.text(20, {"train/loss": 1.976}, done=True)
    line.draw(20, {"train/loss": 1.976}, done=True)
    drawn = stream.getvalue().removeprefix("\r").removesuffix("\x1b[K")
    assert len(full) > 79 and len(drawn) <= 79, (full, drawn)
    assert drawn.endswith((" in <1 s", " 1.976")), (full, drawn)  # the bar may be narrower


@pytest.mark.parametrize("columns", [80, 60, 40])
def test_a_finished_bar_in_a_narrow_terminal_keeps_its_duration(
    monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """At 80 columns the finished bar stayed on screen as `... 1214 it/s in`: cut before its
    last word, it said how long the run took without the time. A line too long gives up its
    metrics, then its bar's width, then the bar and the label; never half a field."""
    monkeypatch.setenv("COLUMNS", str(columns))
    stream = Terminal()
    line = progress.ProgressLine("mnist1d/logistic seed1", stream=stream, interactive=True)
    line.start(0, 200)
    line.started -= 0.16
    line.draw(200, {"train/loss": 1.541}, done=True)
    drawn = stream.getvalue().removeprefix("\r").removesuffix("\x1b[K")
    assert len(drawn) <= columns - 1, drawn
    assert re.search(r"step 200/200 \(100%\) \d+ it/s in <1 s( |$)", drawn), drawn
    if columns == 80:
        assert drawn.startswith("mnist1d/logistic seed1 |██"), drawn


@pytest.mark.parametrize(
    ("step", "total", "rate", "done", "seeds", "kept"),
    [
        (6000, 6000, 12140.0, True, 1, "in 0:05"),  # `step 6000/6000 (100%) 12140 it/s in 0:05`
        (1200, 6000, 1234.5, False, 3, "ETA 0:04"),  # the rate of 3 seeds at once: 29 columns
    ],
)
def test_a_40_column_bar_gives_up_the_rate_before_the_time(
    step: int, total: int, rate: float, done: bool, seeds: int, kept: str
) -> None:
    """At 40 columns the bar's line gave up its last field first: a finished run read
    `step 6000/6000 (100%) 12140 it/s`, how fast it went but not how long it took, and seeds
    trained together `step 1200/6000 (20%)`, no time left at all. The time stays; the rate
    (the step count over that time) goes first."""
    core, shown = progress.status_parts(step, total, rate, {"train/loss": 0.41}, 5.0, done, seeds)
    drawn = progress.fit_bar_line("mnist1d/logistic seed0", step, total, core, shown, 39)
    assert len(drawn) <= 39, drawn
    assert drawn.startswith(f"step {step}/{total}") and drawn.endswith(kept), drawn
