"""repro's training throughput against a minimal hand-written loop, and its fixed cost per run.

Runs `benchmarks/raw_loop.py` and `repro run paper=mnist1d experiment=cnn` (CSV logger, a
fresh results folder) as separate processes for the same number of steps, alternating,
keeps each side's best of `--repeats` (the machine may be shared), and prints steps/s, the
ratio repro / raw, the fit's CPU time and the fixed cost of a run: process start to first
training step (`first_step_s` in the run record's timing), of which `setup_s` is spent in
`train_and_test` (model, data, Trainer) and the rest in imports, Hydra and loggers.

    python benchmarks/training_overhead.py --steps 6000 --repeats 2 [--device cuda]
    python benchmarks/training_overhead.py --threads 2      # torch threads, both sides
    python benchmarks/training_overhead.py --repo /path/to/other/checkout   # its repro side
    python benchmarks/training_overhead.py --floor-only   # Lightning's own cost per step

`--floor` (and `--floor-only`) also times, in this process, a step that does almost nothing
(one parameter, Adam) in a plain loop and under `trainer.fit` with repro's callbacks: the
difference is the per-step cost of Lightning's loop as repro drives it, which bounds the ratio:
raw step / (raw step + that cost). It is also shown the way repro ran before its callbacks were
grouped, the hook-name bookkeeping made direct, the profiler contexts dropped, the step
signatures kept and the batch-transfer hooks skipped (repro/running/lightning_overhead.py).
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


def environment(repo: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(WANDB_MODE="disabled", WANDB_SILENT="true", HYDRA_FULL_ERROR="1")
    env.setdefault("MPLCONFIGDIR", tempfile.gettempdir())
    env["PYTHONPATH"] = os.pathsep.join([str(repo), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def raw(steps: int, device: str, threads: int | None) -> dict:
    command = [sys.executable, str(ROOT / "benchmarks" / "raw_loop.py"), "--json"]
    command += ["--steps", str(steps), "--device", device]
    if threads:
        command += ["--threads", str(threads)]
    done = subprocess.run(command, env=environment(ROOT), capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"raw loop failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def repro(steps: int, device: str, threads: int | None, repo: Path, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as results:
        command = [sys.executable, "-m", "repro", "run", "paper=mnist1d", "experiment=cnn"]
        command += ["seed=0", "logger=csv", "rerun=true", f"trainer.max_steps={steps}"]
        command += [f"paths.results_dir={results}", *extra]
        if threads:
            command.append(f"num_threads={threads}")
        if device == "cpu":
            command.append("trainer.accelerator=cpu")
        started = time.perf_counter()
        done = subprocess.run(
            command, cwd=repo, env=environment(repo), capture_output=True, text=True
        )
        wall = time.perf_counter() - started
        records = list(Path(results).glob("mnist1d/cnn/*/seed0/record.json"))
        if done.returncode or not records:
            sys.exit(f"repro run failed ({done.returncode}):\n{done.stderr[-3000:]}")
        record = json.loads(records[0].read_text())
    timing = record["timing"]
    return {
        "steps_per_s": timing["steps_per_s"],
        "fit_s": timing["fit_s"],
        "fit_cpu_s": timing.get("fit_cpu_s"),
        "step_ms_median": timing.get("step_ms_median"),
        "first_step_s": timing.get("first_step_s"),
        "setup_s": timing.get("setup_s"),
        "cpu_threads": timing.get("cpu_threads"),
        "process_s": round(wall, 2),
        "test_acc": record["metrics"].get("test/acc"),
        "device": record.get("model", {}).get("device"),
    }


def lightning_floor(steps: int, device: str, rounds: int = 5) -> dict:
    """Median ms per step of a near-empty step: plain, and under trainer.fit with repro's
    callbacks registered one by one on a plain module (before) and the way repro runs them,
    grouped, with fast hook names (after). Best of `rounds`, interleaved."""
    sys.path.insert(0, str(ROOT))
    import lightning.pytorch as pl
    import torch
    from torch import nn

    from repro.plugins.batches import InMemoryBatches
    from repro.running.callbacks import (
        BatchesOnDevice,
        FiniteLossGuard,
        SmallModelThreads,
        TimingCallback,
    )
    from repro.running.lightning_overhead import CallbackGroup, QuietProfiler, fast_hook_names
    from repro.running.training import quiet_lightning

    quiet_lightning()
    torch.set_num_threads(1)
    inputs = torch.ones(steps, 1, device=device)

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    def median_ms(intervals: list[float]) -> float:
        ordered = sorted(intervals)
        return 1000 * ordered[len(ordered) // 2]

    class Empty(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.zeros(1))

        def training_step(self, batch: tuple, batch_idx: int) -> torch.Tensor:
            return (self.w * batch[0]).sum()

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.Adam(self.parameters())

    def plain() -> float:
        w = nn.Parameter(torch.zeros(1, device=device))
        optimizer = torch.optim.Adam([w])
        sync()
        intervals, last = [], time.perf_counter()
        for step in range(steps):
            now = time.perf_counter()
            intervals.append(now - last)
            last = now
            loss = (w * inputs[step]).sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        sync()
        return median_ms(intervals[1:])

    def under_fit(grouped: bool) -> float:
        timing = TimingCallback()
        callbacks = [timing, FiniteLossGuard(every_n_steps=50), BatchesOnDevice()]
        callbacks.append(SmallModelThreads())
        module = Empty()
        if grouped:
            callbacks = [CallbackGroup(callbacks)]
            fast_hook_names(module)
        trainer = pl.Trainer(
            accelerator="cpu" if device == "cpu" else "gpu",
            devices=1,
            max_steps=steps,
            deterministic="warn",
            logger=False,
            enable_progress_bar=False,
            enable_checkpointing=False,
            enable_model_summary=False,
            callbacks=callbacks,
            profiler=QuietProfiler() if grouped else None,
        )
        trainer.fit(module, train_dataloaders=InMemoryBatches(inputs, inputs, 1))
        return median_ms(timing.step_seconds)

    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, measure in (
            ("plain_step_ms", plain),
            ("before_step_ms", lambda: under_fit(grouped=False)),
            ("lightning_step_ms", lambda: under_fit(grouped=True)),
        ):
            best[name] = min(best.get(name, float("inf")), measure())
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (both sides)")
    parser.add_argument("--repeats", type=int, default=2, help="best of this many, alternating")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads, both sides (num_threads=N)"
    )
    parser.add_argument("--repo", type=Path, default=ROOT, help="checkout whose repro to time")
    parser.add_argument("--floor", action="store_true", help="also time an empty step")
    parser.add_argument("--floor-only", action="store_true", help="only time an empty step")
    parser.add_argument("--json", action="store_true", help="also print one JSON line")
    parser.add_argument("overrides", nargs="*", help="extra overrides for repro run")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    floor = None
    if args.floor or args.floor_only:
        floor = lightning_floor(min(args.steps, 3000), args.device)
        cost = floor["lightning_step_ms"] - floor["plain_step_ms"]
        before = floor["before_step_ms"] - floor["plain_step_ms"]
        print(
            f"empty step on {args.device} (load {load:.2f}), median: plain "
            f"{floor['plain_step_ms']:.3f} ms, under trainer.fit "
            f"{floor['lightning_step_ms']:.3f} ms"
            f" -> Lightning's loop costs {cost:.3f} ms per step (without repro's reductions, "
            f"lightning_overhead.py: {before:.3f} ms)"
        )
        if args.floor_only:
            return
    best_raw: dict = {}
    best_repro: dict = {}
    for _ in range(args.repeats):
        r = raw(args.steps, args.device, args.threads)
        if r["steps_per_s"] > best_raw.get("steps_per_s", 0):
            best_raw = r
        p = repro(args.steps, args.device, args.threads, args.repo.resolve(), args.overrides)
        if p["steps_per_s"] > best_repro.get("steps_per_s", 0):
            best_repro = p
    ratio = best_repro["steps_per_s"] / best_raw["steps_per_s"]
    # The median step (start to next start) is the load-robust figure: a busy machine
    # stretches some steps but rarely the middle one. CPU time per step is a second view.
    median_ratio = (
        best_raw["step_ms_median"] / best_repro["step_ms_median"]
        if best_repro.get("step_ms_median")
        else None
    )
    raw_cpu = args.steps / best_raw["cpu_s"]
    repro_cpu = args.steps / best_repro["fit_cpu_s"] if best_repro["fit_cpu_s"] else None
    threads = args.threads or f"default ({best_repro['cpu_threads']} in repro)"
    print(
        f"{args.steps} steps on {args.device}, threads {threads}, best of {args.repeats}, "
        f"load {load:.2f} -> {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)"
    )
    print("             steps/s   median step ms   steps/cpu-s   test acc")
    for name, run, cpu in (("raw loop", best_raw, raw_cpu), ("repro", best_repro, repro_cpu)):
        median = run.get("step_ms_median") or float("nan")
        print(
            f"  {name:9} {run['steps_per_s']:9.1f}   {median:14.3f}"
            f"   {cpu or float('nan'):11.1f}   {run['test_acc']:.4f}"
        )
    print(
        f"  ratio repro/raw: {ratio:.3f} steps/s"
        + (f", {median_ratio:.3f} median step" if median_ratio else "")
        + (f", {repro_cpu / raw_cpu:.3f} cpu time" if repro_cpu else "")
        + f"  (repro on {best_repro['device']})"
    )
    if floor:
        raw_ms = 1000 / best_raw["steps_per_s"]
        cost = floor["lightning_step_ms"] - floor["plain_step_ms"]
        print(
            f"  ceiling with Lightning's loop: {raw_ms / (raw_ms + cost):.3f} "
            f"(raw step {raw_ms:.3f} ms + {cost:.3f} ms)"
        )
    print(
        f"  fixed cost per run: process start -> first step {best_repro['first_step_s']} s "
        f"(train_and_test setup {best_repro['setup_s']} s); whole process "
        f"{best_repro['process_s']} s"
    )
    if args.json:
        summary = {"raw": best_raw, "repro": best_repro, "ratio": round(ratio, 4)}
        summary["median_step_ratio"] = round(median_ratio, 4) if median_ratio else None
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
