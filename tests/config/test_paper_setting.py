from repro.config import paper_setting


def test_where_a_run_executes_is_not_a_setting_override() -> None:
    """Overrides that only say where a run executes or how it is watched compose nothing."""
    execution = ["trainer.accelerator=gpu", "+trainer.profiler=simple", "logger=csv"]
    assert paper_setting.setting_overrides(execution) == []
    assert paper_setting.setting_overrides(["trainer.max_steps=5"]) == ["trainer.max_steps=5"]


def test_a_profiler_is_never_named_as_a_difference() -> None:
    flat = {"trainer.max_steps": 5, "trainer.profiler": "simple"}
    assert paper_setting.config_differences(flat, {"trainer.max_steps": 10}) == (
        ("trainer.max_steps", 5, 10),
    )
