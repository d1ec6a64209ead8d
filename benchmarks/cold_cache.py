"""Python work between training steps slows the steps themselves, not only the clock.

A framework's per-step bookkeeping (hooks, logging, progress) walks many Python objects.
This runs the plain MNIST-1D CNN loop and, between steps, walks `n` small dicts, timing the
model part (forward, backward, optimiser) and the walk separately. If the model part grows
with `n`, the walk evicted what the model's kernels had in the CPU caches: the cost of
per-step overhead on a small model is more than the overhead's own time, which is why
repro's ratio to a raw loop trails the empty-step floor of Lightning's loop
(`training_overhead.py --floor`).

    python benchmarks/cold_cache.py [--steps 1500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many")
    args = parser.parse_args()

    import torch
    from torch import nn

    from repro.plugins.registry import get_paper, load_object

    plugin = get_paper("mnist1d")
    classifier = load_object(plugin, "model:MNIST1DClassifier")
    data = load_object(plugin, "data:generate_mnist1d")(5000, 0.8, False, 42)
    torch.set_num_threads(1)
    objects = [{"a": i, "b": str(i), "c": [i] * 4} for i in range(8000)]

    def walk(n: int) -> int:
        return sum(o["a"] + len(o["b"]) + o["c"][0] for o in objects[:n])

    def median_ms(values: list[float]) -> float:
        return 1000 * sorted(values)[len(values) // 2]

    def loop(n: int) -> tuple[float, float]:
        torch.manual_seed(0)
        model = classifier(arch="cnn").net
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        x, y = data["x_train"], data["y_train"]
        model_s, walk_s = [], []
        for step in range(args.steps):
            started = time.perf_counter()
            batch = slice((step * 100) % len(x), (step * 100) % len(x) + 100)
            loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            stepped = time.perf_counter()
            walk(n)
            model_s.append(stepped - started)
            walk_s.append(time.perf_counter() - stepped)
        return median_ms(model_s), median_ms(walk_s)

    best: dict[int, tuple[float, float]] = {}
    for _ in range(args.rounds):
        for n in (0, 2000, 8000):
            model_ms, walk_ms = loop(n)
            if n not in best or model_ms < best[n][0]:
                best[n] = (model_ms, walk_ms)
    base = best[0][0]
    print(f"MNIST-1D CNN, {args.steps} steps, 1 thread, median step parts, best of {args.rounds}")
    for n, (model_ms, walk_ms) in best.items():
        print(
            f"  walk {n:5} objects between steps: model part {model_ms:.3f} ms "
            f"({model_ms - base:+.3f}), walk {walk_ms:.3f} ms"
        )


if __name__ == "__main__":
    main()
