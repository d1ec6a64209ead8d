"""The seeds-together engine against the lean vmapped loop, K seeds of one MNIST-1D setting.

For each K, trains the same K seeds (a) with repro's engine (`repro.running.seed_group`: the
plugin's own `training_step` under torch.func.vmap, per-seed loaders, logging captured, the
NaN check) and (b) with the leanest loop that does the same maths (the plugin's network
under functional_call + vmap, one stacked batch cut from the same tensors, Adam), and prints
milliseconds per step, model-steps/s and the ratio engine / lean. The ratio is what repro's
own machinery costs per vectorized step; model-steps/s across K shows what the device gains
from training more seeds at once. No validation, no testing, no records: only the steps.

    python benchmarks/seeds_together.py --device cpu --seeds 1,5 --steps 500
    python benchmarks/seeds_together.py --device cuda --seeds 1,5,10,32 --arch cnn
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def engine(arch: str, seeds: int, steps: int, device: str) -> float:
    """Seconds per step of repro's SeedGroup training `seeds` seeds for `steps` steps."""
    import torch

    from repro.config.app import plugin_overrides
    from repro.config.compose import compose_run_config, hydra_compose_session
    from repro.plugins.registry import get_paper
    from repro.running.seed_group import SeedGroup

    plugin = get_paper("mnist1d")
    accelerator = "gpu" if device.startswith("cuda") else "cpu"
    with tempfile.TemporaryDirectory() as results, hydra_compose_session():
        configs = [
            compose_run_config(
                [
                    "paper=mnist1d",
                    *plugin_overrides(plugin.folder),
                    f"seed={seed}",
                    f"paths.results_dir={results}",
                    f"trainer.accelerator={accelerator}",
                    f"trainer.max_steps={steps}",
                ],
                arch,
            )
            for seed in range(seeds)
        ]
    group = SeedGroup(configs, plugin, plugin.spec())
    group.fit(every_n_steps=50, max_steps=20, max_epochs=-1, check_every=0)  # warm up
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    started = time.perf_counter()
    group.fit(every_n_steps=50, max_steps=20 + steps, max_epochs=-1, check_every=0)
    return (time.perf_counter() - started) / steps


def lean(arch: str, seeds: int, steps: int, device: str) -> float:
    """Seconds per step of the same maths written out: vmap over stacked weights and batches."""
    import torch
    from torch import nn
    from torch.func import functional_call, stack_module_state, vmap

    from repro.plugins.registry import get_paper, load_object

    plugin = get_paper("mnist1d")
    build = load_object(plugin, "model:build_network")
    generate = load_object(plugin, "data:generate_mnist1d")
    data = generate(num_samples=5000, train_split=0.8, shuffle_seq=False, seed=42)
    x, y = data["x_train"].to(device), data["y_train"].to(device)
    nets = []
    for seed in range(seeds):
        torch.manual_seed(seed)
        nets.append(build(arch, 100, 25, 6).to(device))
    params, buffers = stack_module_state(nets)
    base = build(arch, 100, 25, 6).to("meta")

    def loss(p: dict, b: dict, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(functional_call(base, (p, b), (xb,)), yb)

    step = vmap(loss)
    optimizer = torch.optim.Adam(list(params.values()), lr=1e-2)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    for index in range(steps + 20):
        if index == 20:
            sync()
            started = time.perf_counter()
        start = (index * 100) % len(x)
        xb = x[start : start + 100].expand(seeds, -1, -1)
        yb = y[start : start + 100].expand(seeds, -1)
        step(params, buffers, xb, yb).sum().backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    sync()
    return (time.perf_counter() - started) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--arch", default="cnn", help="logistic, mlp or cnn")
    parser.add_argument("--seeds", default="1,5", help="comma-separated group sizes")
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=2, help="best of this many, alternating")
    args = parser.parse_args()

    import lightning.pytorch  # noqa: F401  (imported before repro quiets it)
    import torch

    from repro.running.training import quiet_lightning

    quiet_lightning()
    torch.set_num_threads(1)  # as repro runs a small model
    print(f"mnist1d {args.arch} on {args.device}, {args.steps} steps, best of {args.repeats}")
    print(
        f"{'K':>4} {'engine ms/step':>15} {'lean ms/step':>13} {'engine/lean':>12} "
        f"{'engine model-steps/s':>21} {'lean model-steps/s':>19}"
    )
    for seeds in (int(k) for k in args.seeds.split(",")):
        ours = theirs = float("inf")
        for _ in range(args.repeats):
            ours = min(ours, engine(args.arch, seeds, args.steps, args.device))
            theirs = min(theirs, lean(args.arch, seeds, args.steps, args.device))
        print(
            f"{seeds:>4} {1000 * ours:>15.3f} {1000 * theirs:>13.3f} {ours / theirs:>12.2f} "
            f"{seeds / ours:>21.0f} {seeds / theirs:>19.0f}"
        )


if __name__ == "__main__":
    main()
