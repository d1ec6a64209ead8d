"""Fixed cost per run in a sweep: 12 short MNIST-1D runs under `local` vs `joblib`.

Each launcher sweeps the same 12 runs (4 experiments x 3 seeds, `--steps` steps each) into
a fresh results folder. What is not training is fixed cost: the sweep's wall time minus
the fits' own seconds (`fit_s` in the records), per run. `local` runs the jobs one after
another in the sweep's own process, so imports are paid once; `joblib` runs them in
`--jobs` worker processes, each paying its imports once. A third line, `repro run` x 12,
is what a shell loop of single runs would pay (imports every time).

    python benchmarks/sweep_fixed_cost.py [--steps 100] [--jobs 2] [--skip-loop] [--no-cache]

`--no-cache` regenerates MNIST-1D in every run (`data.cache_dir=null`), as before the cache.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ("logistic", "mlp", "cnn", "logistic_shuffled")
SEEDS = 3


def environment(results: Path, data: Path, jobs: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(WANDB_MODE="disabled", WANDB_SILENT="true", REPRO_JOBS=str(jobs))
    env.update(REPRO_RESULTS_DIR=str(results), REPRO_DATA_DIR=str(data))
    env.setdefault("MPLCONFIGDIR", tempfile.gettempdir())
    return env


def fit_seconds(results: Path) -> tuple[int, float]:
    records = [json.loads(p.read_text()) for p in results.glob("mnist1d/*/*/seed*/record.json")]
    completed = [r for r in records if r.get("status") == "completed"]
    return len(completed), sum(r["timing"]["fit_s"] for r in completed)


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def sweep(launcher: str, steps: int, jobs: int, data: Path, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder)
        command = [sys.executable, "-m", "repro", "sweep", "paper=mnist1d"]
        command += [f"experiment={','.join(EXPERIMENTS)}", f"seeds={SEEDS}"]
        command += [f"launcher={launcher}", "logger=csv", f"trainer.max_steps={steps}", *extra]
        wall = timed(command, environment(results, data, jobs))
        runs, fits = fit_seconds(results)
    return {"launcher": launcher, "runs": runs, "wall_s": wall, "fit_s": fits}


def loop_of_runs(steps: int, data: Path, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder)
        wall = 0.0
        for experiment in EXPERIMENTS:
            for seed in range(SEEDS):
                command = [sys.executable, "-m", "repro", "run", "paper=mnist1d"]
                command += [f"experiment={experiment}", f"seed={seed}", "logger=csv"]
                command += [f"trainer.max_steps={steps}", *extra]
                wall += timed(command, environment(results, data, 1))
        runs, fits = fit_seconds(results)
    return {"launcher": "repro run x12", "runs": runs, "wall_s": wall, "fit_s": fits}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="training steps per run")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="joblib workers")
    parser.add_argument("--skip-loop", action="store_true", help="skip the repro run x12 line")
    parser.add_argument("--no-cache", action="store_true", help="regenerate the data every run")
    args = parser.parse_args()
    extra = ["data.cache_dir=null"] if args.no_cache else []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as data_folder:
        data = Path(data_folder)  # one data cache for all lines, filled by a first warm-up run
        sweep("local", 1, 1, data, extra)
        rows = [
            sweep("local", args.steps, 1, data, extra),
            sweep("joblib", args.steps, args.jobs, data, extra),
        ]
        if not args.skip_loop:
            rows.append(loop_of_runs(args.steps, data, extra))
    print(
        f"{len(EXPERIMENTS) * SEEDS} MNIST-1D runs x {args.steps} steps, joblib n_jobs="
        f"{args.jobs}, data cache {'off' if args.no_cache else 'on'}, {os.cpu_count()} CPUs, "
        f"load {load:.2f} -> {os.getloadavg()[0]:.2f}"
    )
    print("  launcher         runs   wall s   sum fit s   wall - fit per run")
    for row in rows:
        fixed = (row["wall_s"] - row["fit_s"]) / max(row["runs"], 1)
        print(
            f"  {row['launcher']:15} {row['runs']:5} {row['wall_s']:8.1f}"
            f"   {row['fit_s']:9.1f}   {fixed:8.2f} s"
        )
    print("  (joblib's fits overlap, so its wall - fit can go below zero: compare wall times)")


if __name__ == "__main__":
    main()
