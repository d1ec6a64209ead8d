"""The report's settings agree with the config hash: a setting is another one exactly when
its hash differs, and the keys it is shown with are the keys the hash told apart."""

from __future__ import annotations

from pathlib import Path

from repro.records.table import load_records
from repro.reporting import aggregate
from tests.records.test_table import write_run


def test_a_setting_that_changes_only_a_numbers_type_is_shown_with_that_key(
    tmp_path: Path,
) -> None:
    """`trainer.max_steps=6000.0` against the paper's 6000 is another config hash (store.
    hashed_form), but the other-settings view compared the table's values, 6000 == 6000.0, and
    showed "keys outside the paper's config"; a comparison under it found no partner."""
    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": 0.94})
    for seed in range(2):
        write_run(results, "cnn", seed, {"test/acc": 0.5}, **{"trainer.max_steps": 6000.0})
    choices = aggregate.choose_configs(aggregate.run_table(load_records(results).frame))
    (other,) = choices["cnn"].others
    assert other.differences == (("trainer.max_steps", 6000.0, 6000),), other.differences
    _, value, paper = other.differences[0]
    assert isinstance(value, float) and isinstance(paper, int)


def test_a_setting_is_not_shown_with_a_key_the_hash_reads_as_the_same(tmp_path: Path) -> None:
    """`trainer.max_time={minutes: 1}` is `'00:00:01:00'` to the config hash, but a setting
    that also trained for fewer steps was shown as differing in both: a max_time of `unset`
    against the other's, and a `trainer.max_time.minutes` the other lacked."""
    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": 0.94}, **{"trainer.max_time": "00:00:01:00"})
    for seed in range(2):
        spelt = {"trainer.max_time": {"minutes": 1}, "trainer.max_steps": 3000}
        write_run(results, "cnn", seed, {"test/acc": 0.5}, **spelt)
    choices = aggregate.choose_configs(aggregate.run_table(load_records(results).frame))
    (other,) = choices["cnn"].others
    assert other.differences == (("trainer.max_steps", 3000, 6000),), other.differences


def test_a_setting_whose_max_time_differs_is_shown_with_it_once(tmp_path: Path) -> None:
    """Two times spelt as mappings differ in `trainer.max_time`, the key the hash told apart,
    shown as the hash reads each."""
    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": 0.9}, **{"trainer.max_time": {"minutes": 2}})
    for seed in range(2):
        write_run(results, "cnn", seed, {"test/acc": 0.5}, **{"trainer.max_time": {"minutes": 1}})
    choices = aggregate.choose_configs(aggregate.run_table(load_records(results).frame))
    (other,) = choices["cnn"].others
    expected = (("trainer.max_time", "00:00:01:00", "00:00:02:00"),)
    assert other.differences == expected, other.differences
