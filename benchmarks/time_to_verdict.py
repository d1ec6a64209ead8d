"""Time from `repro sweep paper=X seeds=auto` on an empty results folder to the report's
verdicts, on one device; beside it, the lean vmapped loop's model-steps/s on the same device
(what one process training N seeds at once reaches), so the gap is a figure, not a guess.

    python benchmarks/time_to_verdict.py --accelerator gpu --max-seeds 10 [--launcher joblib]
    python benchmarks/time_to_verdict.py --accelerator cpu --max-steps 300   # a quick CPU run

Prints: sweep wall, report wall, runs, model-steps trained, model-steps/s over the sweep, the
report's overall outcome and coverage, and the lean loop (1 and N seeds) for comparison.
`--together true|false|auto` passes `seeds_together=` to the sweep (auto: on a GPU).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def repro_command() -> list[str]:
    found = shutil.which("repro", path=str(Path(sys.executable).parent)) or shutil.which("repro")
    return [found] if found else [sys.executable, "-m", "repro"]


def timed(command: list[str], log: Path) -> tuple[float, int]:
    started = time.perf_counter()
    with open(log, "w") as stream:
        code = subprocess.run(command, stdout=stream, stderr=subprocess.STDOUT).returncode
    return time.perf_counter() - started, code


def trained_steps(results: Path) -> tuple[int, int]:
    """(completed runs, optimiser steps they trained) under a results folder."""
    runs = steps = 0
    for path in results.rglob("record.json"):
        record = json.loads(path.read_text())
        if record.get("status") == "completed":
            runs += 1
            steps += int((record.get("timing") or {}).get("steps") or 0)
    return runs, steps


def lean_vmapped(device: str, seeds: int, steps: int) -> dict[str, float]:
    """The MNIST-1D CNN trained as `seeds` models at once with torch.func (each seed its own
    initialisation and batch order), against one model eager: model-steps/s of each."""
    import torch
    from torch import nn
    from torch.func import functional_call, grad, stack_module_state, vmap

    def cnn() -> nn.Module:
        return nn.Sequential(
            nn.Unflatten(1, (1, 40)),
            nn.Conv1d(1, 25, 5, 2, 1),
            nn.ReLU(),
            nn.Conv1d(25, 25, 3, 2, 1),
            nn.ReLU(),
            nn.Conv1d(25, 25, 3, 2, 1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(125, 10),
        )

    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    x = torch.randn(4000, 40, device=device)
    y = torch.randint(0, 10, (4000,), device=device)
    loss_fn = nn.CrossEntropyLoss()
    model = cnn().to(device)
    optimizer = torch.optim.Adam(model.parameters(), 1e-2)
    for step in range(steps + 20):
        if step == 20:
            sync()
            started = time.perf_counter()
        i = (step * 100) % 4000
        loss = loss_fn(model(x[i : i + 100]), y[i : i + 100])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    sync()
    eager = steps / (time.perf_counter() - started)

    models = [cnn().to(device) for _ in range(seeds)]
    params, buffers = stack_module_state(models)
    base = cnn().to("meta")
    orders = torch.stack([torch.randperm(4000, device=device) for _ in range(seeds)])

    def loss_of(p, b, xb, yb):
        return loss_fn(functional_call(base, (p, b), (xb,)), yb)

    per_seed_grad = vmap(grad(loss_of), in_dims=(0, 0, 0, 0))
    optimizer = torch.optim.Adam(list(params.values()), 1e-2)
    for step in range(steps + 20):
        if step == 20:
            sync()
            started = time.perf_counter()
        i = (step * 100) % 4000
        index = orders[:, i : i + 100]
        grads = per_seed_grad(params, buffers, x[index], y[index])
        for name, value in params.items():
            value.grad = grads[name]
        optimizer.step()
    sync()
    together = seeds * steps / (time.perf_counter() - started)
    return {"one_model_steps_per_s": eager, "vmapped_model_steps_per_s": together}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paper", default="mnist1d")
    parser.add_argument("--accelerator", default="auto")
    parser.add_argument("--max-seeds", type=int, default=10)
    parser.add_argument("--launcher", default="joblib")
    parser.add_argument("--max-steps", type=int, help="override trainer.max_steps (quick runs)")
    parser.add_argument(
        "--together", default="auto", choices=["auto", "true", "false"], help="seeds_together="
    )
    parser.add_argument("--results", type=Path, help="results folder (default: a new temp one)")
    parser.add_argument("--lean-seeds", type=int, default=10)
    parser.add_argument("--lean-steps", type=int, default=500)
    args = parser.parse_args()

    results = args.results or Path(tempfile.mkdtemp(prefix="ttv-")) / "results"
    if results.exists() and any(results.iterdir()):
        sys.exit(f"error: {results} is not empty: time to verdict starts from nothing")
    results.mkdir(parents=True, exist_ok=True)
    logs = results.parent
    sweep = [
        *repro_command(),
        "sweep",
        f"paper={args.paper}",
        "seeds=auto",
        f"max_seeds={args.max_seeds}",
        f"launcher={args.launcher}",
        f"trainer.accelerator={args.accelerator}",
        f"paths.results_dir={results}",
        "logger=csv",
        f"seeds_together={args.together}",
    ]
    if args.max_steps:
        sweep.append(f"trainer.max_steps={args.max_steps}")
    sweep_s, sweep_code = timed(sweep, logs / "sweep.log")
    report_dir = logs / "report"
    report = [
        *repro_command(),
        "report",
        f"paper={args.paper}",
        "--results",
        str(results),
        "--out",
        str(report_dir),
    ]
    report_s, report_code = timed(report, logs / "report.log")
    runs, steps = trained_steps(results)
    markdown = (
        (report_dir / "report.md").read_text() if (report_dir / "report.md").is_file() else ""
    )
    overall = next((line for line in markdown.splitlines() if "**Overall" in line), "(no report)")
    grouped = (logs / "sweep.log").read_text(errors="replace").count(" together on ")
    print(
        f"paper {args.paper}, accelerator {args.accelerator}, launcher {args.launcher}, "
        f"seeds=auto max_seeds={args.max_seeds}, seeds_together={args.together} "
        f"({grouped} groups trained together)"
    )
    print(
        f"sweep: {sweep_s:.1f} s (exit {sweep_code}); report: {report_s:.1f} s (exit {report_code})"
    )
    print(f"time to verdict: {sweep_s + report_s:.1f} s")
    print(
        f"completed runs {runs}, model-steps {steps}, model-steps/s over the sweep "
        f"{steps / sweep_s:.0f}"
    )
    print(f"report: {overall.strip()}")
    device = "cuda" if args.accelerator in ("gpu", "cuda") else "cpu"
    if args.lean_seeds > 0:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        lean = lean_vmapped(device, args.lean_seeds, args.lean_steps)
        print(
            f"lean loop on {device}: one model {lean['one_model_steps_per_s']:.0f} model-steps/s; "
            f"{args.lean_seeds} seeds vmapped {lean['vmapped_model_steps_per_s']:.0f} model-steps/s"
        )
    print(f"logs: {logs}")


if __name__ == "__main__":
    main()
