"""A minimal hand-written PyTorch loop for the MNIST-1D CNN: the yardstick for repro's overhead.

Same data (the plugin's `generate_mnist1d`), same network (the plugin's `MNIST1DClassifier`),
same seeding, batch order (batches taken in sequence, like the authors and repro's
datamodule), optimiser and number of steps as `repro run paper=mnist1d experiment=cnn`.
No logging, no per-step host sync: what is left is the model's own cost.

    python benchmarks/raw_loop.py --steps 6000 --device cpu [--threads 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def load_plugin():
    """The plugin's model class and data generator, loaded the way repro loads them."""
    from repro.plugins.registry import get_paper, load_object

    plugin = get_paper("mnist1d")
    return load_object(plugin, "model:MNIST1DClassifier"), load_object(
        plugin, "data:generate_mnist1d"
    )


def run(
    steps: int = 6000,
    device: str = "cpu",
    seed: int = 0,
    arch: str = "cnn",
    batch_size: int = 100,
    lr: float = 1e-2,
    threads: int | None = None,
    deterministic: bool = False,
) -> dict:
    import numpy as np
    import torch
    from torch import nn

    model_cls, generate = load_plugin()
    data = generate(num_samples=5000, train_split=0.8, shuffle_seq=False, seed=42)
    random.seed(seed)  # what lightning's seed_everything does before repro builds the model
    np.random.seed(seed)
    torch.manual_seed(seed)
    model = model_cls(arch=arch).net.to(device)  # the plain nn.Module, no Lightning in the loop
    if threads is None:  # as repro does when num_threads is unset (callbacks.SmallModelThreads)
        threads = 1 if sum(p.numel() for p in model.parameters()) <= 100_000 else None
    if threads:
        torch.set_num_threads(threads)
    if deterministic:  # what repro's default Trainer(deterministic="warn") switches on
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=0.0)
    x_train, y_train = data["x_train"].to(device), data["y_train"].to(device)
    x_test, y_test = data["x_test"].to(device), data["y_test"].to(device)
    n = len(x_train)

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    sync()
    started, cpu_started = time.perf_counter(), time.process_time()
    step_started, intervals = started, []
    for step in range(steps):
        now = time.perf_counter()  # step start to step start, as repro's step_ms_median
        intervals.append(now - step_started)
        step_started = now
        start = (step * batch_size) % n
        x, y = x_train[start : start + batch_size], y_train[start : start + batch_size]
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    sync()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    intervals = sorted(intervals[1:])
    with torch.no_grad():
        accuracy = (model(x_test).argmax(-1) == y_test).float().mean().item()
    return {
        "steps": steps,
        "seconds": round(seconds, 4),
        "steps_per_s": round(steps / seconds, 2),
        "cpu_s": round(cpu_seconds, 4),  # all threads; under load, wall time says less
        "step_ms_median": round(1000 * intervals[len(intervals) // 2], 4) if intervals else None,
        "test_acc": round(accuracy, 4),
        "final_train_loss": float(loss.detach()),
        "device": device,
        "threads": torch.get_num_threads(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: as repro: 1)"
    )
    parser.add_argument(
        "--deterministic", action="store_true", help="deterministic algorithms, as repro runs"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    result = run(
        args.steps, args.device, args.seed, threads=args.threads, deterministic=args.deterministic
    )
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"raw loop: {result['steps']} steps in {result['seconds']:.2f} s = "
            f"{result['steps_per_s']:.1f} steps/s (median step {result['step_ms_median']} ms) "
            f"on {result['device']} "
            f"({result['threads']} threads); test acc {result['test_acc']:.4f}"
        )


if __name__ == "__main__":
    main()
