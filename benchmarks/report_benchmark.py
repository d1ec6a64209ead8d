"""How long `repro report` takes over many run records.

Writes N synthetic MNIST-1D records (record.json, config.yaml and a CSV log each, spread over
the paper's 8 experiments, a second config for two of them, ~1% failed runs and one corrupt
file) into a temporary results folder, then times loading them and `repro report`:
in-process stages, and the real CLI in a subprocess (Markdown; then also HTML and PDF).

    .venv/bin/python benchmarks/report_benchmark.py            # 1,000 records
    .venv/bin/python benchmarks/report_benchmark.py --n 10000  # target: < 10 s
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

EXPERIMENTS = {  # experiment -> (arch, shuffled, mean test accuracy, parameters)
    "logistic": ("logistic", False, 0.32, 410),
    "mlp": ("mlp", False, 0.68, 15210),
    "cnn": ("cnn", False, 0.94, 5210),
    "gru": ("gru", False, 0.91, 5134),
    "logistic_shuffled": ("logistic", True, 0.32, 410),
    "mlp_shuffled": ("mlp", True, 0.68, 15210),
    "cnn_shuffled": ("cnn", True, 0.56, 5210),
    "gru_shuffled": ("gru", True, 0.57, 5134),
}
CONFIG = """paper: mnist1d
experiment_name: {experiment}
seed: {seed}
rerun: false
num_threads: null
paper_dir: {paper_dir}
checkpoint:
  enabled: true
  every_s: 30
  keep: false
trainer:
  accelerator: auto
  devices: 1
  precision: 32-true
  max_epochs: -1
  max_steps: {steps}
  deterministic: warn
  log_every_n_steps: 50
  check_val_every_n_epoch: 25
  limit_train_batches: null
  limit_val_batches: null
  limit_test_batches: null
  num_sanity_val_steps: 0
  enable_model_summary: false
  gradient_clip_val: null
logger:
  csv: {{}}
paths:
  results_dir: {results}
  data_dir: data
data:
  num_samples: 5000
  train_split: 0.8
  shuffle_seq: {shuffled}
  batch_size: 100
  eval_batch_size: 1000
  dataset_seed: 42
model:
  arch: {arch}
  hidden: 100
  channels: 25
  gru_hidden: 6
optimizer:
  lr: 0.01
  weight_decay: 0.0
"""


def write_records(results: Path, n: int, seed: int = 0) -> None:
    """N records over the 8 experiments; the last 2% are a quick smoke-test config
    (trainer.max_steps=300) of cnn and mlp, a second config the report must set aside."""
    rng = random.Random(seed)
    names = list(EXPERIMENTS)
    paper_dir = REPO / "papers" / "mnist1d"
    n_quick = max(2, n // 50)
    for index in range(n):
        quick = index >= n - n_quick
        if quick:
            experiment, run_seed = ("cnn", "mlp")[index % 2], (index - (n - n_quick)) // 2
        else:
            experiment, run_seed = names[index % len(names)], index // len(names)
        arch, shuffled, accuracy, parameters = EXPERIMENTS[experiment]
        steps = 300 if quick else 6000
        config_hash = f"{abs(hash((experiment, steps))) % 10**10:010d}"
        folder = results / "mnist1d" / experiment / config_hash / f"seed{run_seed}"
        (folder / "csv").mkdir(parents=True, exist_ok=True)
        failed = rng.random() < 0.01
        acc = min(1.0, max(0.0, rng.gauss(accuracy - (0.1 if quick else 0.0), 0.01)))
        record = {
            "schema": 1,
            "paper": "mnist1d",
            "experiment": experiment,
            "seed": run_seed,
            "config_hash": config_hash,
            "status": "failed" if failed else "completed",
            "error": "non-finite loss at step 17 (nan)" if failed else None,
            "metrics": {}
            if failed
            else {"train/loss": rng.uniform(0.1, 1.0), "test/loss": 0.3, "test/acc": acc},
            "command": f"repro run paper=mnist1d experiment={experiment} seed={run_seed}",
            "attempts": 1,
            "timing": {
                "started_at": "2026-01-01T00:00:00+00:00",
                "finished_at": f"2026-01-01T{index // 3600 % 24:02d}:{index // 60 % 60:02d}:"
                f"{index % 60:02d}+00:00",
                "wall_s": rng.uniform(20, 40),
                "fit_s": rng.uniform(15, 35),
                "steps": steps,
                "steps_per_s": rng.uniform(150, 250),
                "epoch_s_mean": 0.2,
            },
            "environment": {
                "git": {"sha": "0123456789abcdef0123456789abcdef01234567", "dirty": False},
                "python": "3.11.7",
                "torch": "2.3.1+cpu",
                "packages": {"repro": "0.1.0", "torch": "2.3.1+cpu", "lightning": "2.4.0"},
                "cpu": "AMD EPYC",
                "cpu_count": 2,
                "gpus": [],
                "cuda": None,
                "hostname": "bench",
                "platform": "Linux",
            },
            "model": {"parameters": parameters, "device": "cpu"},
            "data": {"train": 4000, "test": 1000},
        }
        (folder / "record.json").write_text(json.dumps(record, indent=2))
        (folder / "config.yaml").write_text(
            CONFIG.format(
                experiment=experiment,
                seed=run_seed,
                paper_dir=paper_dir,
                steps=steps,
                results=results,
                shuffled=str(shuffled).lower(),
                arch=arch,
            )
        )
        lines = ["epoch,step,test/acc,test/loss,train/loss,val/acc"]
        for epoch in range(8):
            loss = 1.5 * (0.8**epoch) + rng.uniform(0, 0.05)
            lines.append(f"{epoch},{(epoch + 1) * 40 - 1},,,{loss},{1 - loss / 2}")
        (folder / "csv" / "metrics.csv").write_text("\n".join(lines) + "\n")
    corrupt = results / "mnist1d" / "cnn" / "corrupt0000" / "seed0"
    corrupt.mkdir(parents=True, exist_ok=True)
    (corrupt / "record.json").write_text('{"paper": "mnist1d", "experiment": ')


def timed(label: str, action: object) -> object:
    """Run `action`; print its wall time and CPU time (this process and its children), since
    wall time on a shared machine also measures the neighbours."""
    before = _cpu_seconds()
    started = time.perf_counter()
    value = action()  # type: ignore[operator]
    wall, cpu = time.perf_counter() - started, _cpu_seconds() - before
    print(f"{label:<52} {wall:7.2f} s wall {cpu:7.2f} s CPU", flush=True)
    return value


def _cpu_seconds() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="records to generate (default 1000)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="repro-report-bench-"))
    results, out = root / "results", root / "reports"
    os.environ["MPLCONFIGDIR"] = str(root / "mpl")
    print(f"{args.n:,} records in {root} ({os.cpu_count()} CPUs)")
    timed("write records", lambda: write_records(results, args.n))

    from repro.records.table import load_records
    from repro.reporting.build import ReportRequest, build_report

    table = timed("load_records (in-process)", lambda: load_records(results, "mnist1d"))
    print(
        f"  -> {len(table.frame):,} rows × {table.frame.shape[1]} columns, "
        f"{len(table.skipped)} skipped"
    )
    request = ReportRequest("mnist1d", results, out / "inproc")
    timed("build_report md (in-process, warm imports)", lambda: build_report(request))

    env = {**os.environ, "REPRO_RESULTS_DIR": str(results)}
    cli = [sys.executable, "-m", "repro", "report", "paper=mnist1d"]
    for label, extra in (
        ("md", []),
        ("all: md + html + pdf + csv", ["--format", "html", "--format", "pdf", "--csv"]),
    ):
        done = timed(
            f"repro report {label} (subprocess)",
            lambda extra=extra, label=label: subprocess.run(
                [*cli, *extra, "--out", str(out / label.split(":")[0])],
                capture_output=True,
                text=True,
                env=env,
                cwd=root,
            ),
        )
        if done.returncode != 0:  # type: ignore[union-attr]
            print(done.stderr, file=sys.stderr)  # type: ignore[union-attr]
            raise SystemExit(1)
    if args.keep:
        print(f"kept {root}")
    else:
        import shutil

        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
