from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

from repro.plugins.batches import InMemoryBatches
from repro.running.lightning_overhead import CallbackGroup, fast_hook_names
from repro.running.training import quiet_lightning


class Recorder(pl.Callback):
    """Writes down every hook Lightning calls on it, with the batch index where there is one."""

    def __init__(self, name: str, calls: list[tuple[str, str, Any]]) -> None:
        self.name, self.calls = name, calls

    def _note(self, hook: str, *args: Any) -> None:
        self.calls.append(
            (self.name, hook, args[-1] if args and isinstance(args[-1], int) else None)
        )

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        self._note("on_train_batch_start", batch_idx)

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        self._note("on_train_batch_end", batch_idx)

    def on_train_epoch_end(self, trainer, module) -> None:
        self._note("on_train_epoch_end")

    def on_validation_epoch_end(self, trainer, module) -> None:
        self._note("on_validation_epoch_end")


class Counter(pl.Callback):
    """Only `on_train_end`, and a state to checkpoint."""

    def __init__(self) -> None:
        self.ends = 0

    def on_train_end(self, trainer, module) -> None:
        self.ends += 1

    def state_dict(self) -> dict[str, Any]:
        return {"ends": self.ends}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.ends = state_dict["ends"]


class Linear(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(3, 1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.mse_loss(self.layer(x).squeeze(-1), y)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        self.log("val/loss", nn.functional.mse_loss(self.layer(batch[0]).squeeze(-1), batch[1]))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _fit(callbacks: list[pl.Callback], fast: bool = False) -> Linear:
    quiet_lightning()
    torch.manual_seed(0)
    module = Linear()
    if fast:
        fast_hook_names(module)
        fast_hook_names(module)  # a second call changes nothing
    x, y = torch.randn(12, 3), torch.randn(12)
    trainer = pl.Trainer(
        accelerator="cpu",
        max_epochs=2,
        logger=False,
        enable_progress_bar=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        callbacks=callbacks,
    )
    trainer.fit(module, InMemoryBatches(x, y, 4), InMemoryBatches(x, y, 6))
    return module


def test_group_members_see_exactly_the_hooks_they_would_see_alone():
    alone: list = []
    _fit([Recorder("a", alone), Recorder("b", alone)])
    grouped: list = []
    _fit([CallbackGroup([Recorder("a", grouped), Recorder("b", grouped)])])
    assert grouped == alone
    # per recorder: 2 epochs x 3 batches x (start, end), 2 epoch ends, 3 validations (1 sanity)
    assert ("a", "on_train_batch_end", 2) in grouped and len(grouped) == 2 * (12 + 2 + 3)


def test_group_calls_a_member_only_for_hooks_its_class_overrides():
    counter = Counter()
    group = CallbackGroup([counter, Recorder("r", [])])
    assert [h.__self__ for h in group._handlers["on_train_end"]] == [counter]
    assert group._handlers["on_before_backward"] == []
    _fit([group])
    assert counter.ends == 1


def test_group_state_round_trips_under_each_members_key():
    first = CallbackGroup([Counter(), Recorder("r", [])])
    first.callbacks[0].ends = 7
    state = first.state_dict()
    assert state == {"Counter": {"ends": 7}}  # members without state add nothing
    second = CallbackGroup([Counter()])
    second.load_state_dict(state)
    assert second.callbacks[0].ends == 7


def test_fast_hook_names_train_exactly_like_the_plain_module():
    plain = _fit([])
    trained = _fit([], fast=True)
    assert isinstance(trained, Linear) and type(trained).__name__ == "Linear"
    assert type(trained).__mro__[1] is Linear
    for a, b in zip(plain.parameters(), trained.parameters(), strict=True):
        assert torch.equal(a, b)


def test_fast_hook_names_leave_other_attributes_to_nn_module():
    module = Linear()
    fast_hook_names(module)
    module._current_fx_name = "training_step"
    assert module.__dict__["_current_fx_name"] == "training_step"
    module.extra = nn.Parameter(torch.ones(2))  # still registered as a parameter
    module.head = nn.Linear(2, 2)  # and as a submodule
    assert "extra" in dict(module.named_parameters()) and "head" in dict(module.named_children())


class Signatures(pl.LightningModule):
    def training_step(self, batch, batch_idx):
        return batch

    def validation_step(self, batch):
        return batch

    def test_step(self, batch, *args):
        return batch

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        return batch


def test_step_signatures_read_as_lightning_reads_the_plain_methods():
    from lightning.pytorch.utilities.signature_utils import is_param_in_hook_signature

    plain, fast = Signatures(), Signatures()
    fast_hook_names(fast)
    for name in ("training_step", "validation_step", "test_step", "predict_step"):
        for param, min_args in (("batch_idx", 2), ("dataloader_idx", 3), ("batch_idx", None)):
            expected = is_param_in_hook_signature(getattr(plain, name), param, min_args=min_args)
            got = is_param_in_hook_signature(getattr(fast, name), param, min_args=min_args)
            assert got == expected, (name, param)
    assert fast.training_step(3, 0) == 3 and type(fast).training_step.__signature__


class MovesItsOwnBatches(Linear):
    """Overrides a batch-transfer hook: Lightning must keep calling it."""

    moved = 0

    def transfer_batch_to_device(self, batch, device, dataloader_idx):
        MovesItsOwnBatches.moved += 1
        return super().transfer_batch_to_device(batch, device, dataloader_idx)


class ScalingData(pl.LightningDataModule):
    """Overrides a batch-transfer hook in the datamodule: it must still change the batch."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor
        self.x, self.y = torch.randn(12, 3), torch.randn(12)

    def train_dataloader(self):
        return InMemoryBatches(self.x, self.y, 4)

    def on_after_batch_transfer(self, batch, dataloader_idx):
        x, y = batch
        return x * self.factor, y


def _fit_module(module: pl.LightningModule, datamodule=None, fast: bool = True) -> None:
    quiet_lightning()
    if fast:
        fast_hook_names(module)
    trainer = pl.Trainer(
        accelerator="cpu",
        max_epochs=1,
        logger=False,
        enable_progress_bar=False,
        enable_checkpointing=False,
        enable_model_summary=False,
    )
    if datamodule is None:
        x, y = torch.randn(12, 3), torch.randn(12)
        trainer.fit(module, InMemoryBatches(x, y, 4))
    else:
        trainer.fit(module, datamodule=datamodule)


def test_batch_hooks_a_module_or_datamodule_overrides_still_run():
    MovesItsOwnBatches.moved = 0
    _fit_module(MovesItsOwnBatches())
    assert MovesItsOwnBatches.moved == 3  # one per batch
    weights = []
    for factor, fast in ((0.0, True), (1.0, True), (0.0, False)):
        torch.manual_seed(0)
        module = Linear()
        _fit_module(module, ScalingData(factor), fast=fast)
        weights.append(module.layer.weight.detach().clone())
    assert not torch.equal(weights[0], weights[1])  # the hook scaled the inputs
    assert torch.equal(weights[0], weights[2])  # as it does without the fast class
