from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from repro.errors import NonFiniteLossError
from repro.plugins.batches import InMemoryBatches
from repro.plugins.registry import get_paper, load_object
from repro.running.callbacks import (
    BatchesOnDevice,
    FiniteLossGuard,
    SmallModelThreads,
    TimingCallback,
    process_age_s,
)


def _steps(guard: FiniteLossGuard, losses: list[float]) -> None:
    for step, value in enumerate(losses):
        trainer = SimpleNamespace(fit_loop=SimpleNamespace(total_batch_idx=step))
        guard.on_train_batch_end(trainer, None, {"loss": torch.tensor(value)}, None, step)


def test_loss_guard_checks_in_batches_and_names_the_first_bad_step():
    guard = FiniteLossGuard(every_n_steps=50)
    _steps(guard, [1.0, 0.5, 0.4, float("nan"), float("nan")])  # fewer than 50: not checked yet
    with pytest.raises(NonFiniteLossError, match="non-finite loss at step 3"):
        guard.on_train_end(None, None)


def test_loss_guard_checks_every_n_steps_and_at_epoch_end():
    guard = FiniteLossGuard(every_n_steps=2)
    with pytest.raises(NonFiniteLossError, match="step 1 \\(inf\\)"):
        _steps(guard, [1.0, float("inf")])
    guard = FiniteLossGuard(every_n_steps=100)
    _steps(guard, [1.0, 2.0])
    guard.on_train_epoch_end(None, None)  # all finite: no error, nothing left pending
    assert guard._pending == []


def test_small_model_threads_sets_one_and_restores():
    before = torch.get_num_threads()
    callback = SmallModelThreads(max_parameters=100)
    callback.setup(None, torch.nn.Linear(3, 2), "fit")
    assert torch.get_num_threads() == 1
    callback.teardown(None, None, "fit")
    assert torch.get_num_threads() == before
    SmallModelThreads(max_parameters=1).setup(None, torch.nn.Linear(3, 2), "fit")  # too big
    assert torch.get_num_threads() == before


def test_batches_move_to_the_trainer_device():
    moved = []

    class Spy(InMemoryBatches):
        def to(self, device):
            moved.append(device)
            return super().to(device)

    loader = Spy(torch.zeros(4, 2), torch.zeros(4), 2)
    trainer = SimpleNamespace(
        strategy=SimpleNamespace(root_device=torch.device("cpu")),
        train_dataloader=loader,
        val_dataloaders=[loader, [1, 2]],
        test_dataloaders={"a": loader},
    )
    callback = BatchesOnDevice()
    callback.on_train_start(trainer, None)
    callback.on_validation_start(trainer, None)
    callback.on_test_start(trainer, None)
    assert moved == [torch.device("cpu")] * 3
    assert [x.shape for x, _ in loader] == [(2, 2), (2, 2)]


def test_timing_summary_has_setup_and_median_step():
    timing = TimingCallback()
    trainer = SimpleNamespace(global_step=0)
    timing.on_fit_start(trainer, None)
    timing.on_train_epoch_start(trainer, None)
    for _ in range(3):
        timing.on_train_batch_start(trainer)
    timing.on_train_epoch_end(trainer, None)
    timing.on_fit_end(trainer, None)
    summary = timing.summary(3)
    assert summary["steps"] == 3 and summary["step_ms_median"] >= 0
    assert summary["setup_s"] >= 0 and summary["cpu_threads"] == torch.get_num_threads()
    age = process_age_s()
    assert age is None or age > 0


def test_mnist1d_logs_the_training_loss_only_where_it_is_used():
    module = load_object(get_paper("mnist1d"), "model:MNIST1DClassifier")()
    assert module._logs_this_step(0)  # no trainer attached: always

    def logs(global_step: int, batch_idx: int) -> bool:
        module._trainer = SimpleNamespace(
            global_step=global_step,
            log_every_n_steps=50,
            max_steps=6000,
            num_training_batches=40,
            fast_dev_run=False,
        )
        return module._logs_this_step(batch_idx)

    assert logs(49, 9) and logs(5999, 39) and logs(38, 39)  # log step, last step, epoch end
    assert not logs(50, 10) and not logs(5998, 38)
