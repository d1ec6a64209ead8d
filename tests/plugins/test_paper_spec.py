from __future__ import annotations

import re
from pathlib import Path

import pytest

from repro.errors import UsageError
from repro.plugins.paper_spec import load_paper_spec
from repro.plugins.registry import BUILTIN_PAPERS
from tests.conftest import write_toy_paper


def test_builtin_mnist1d_is_valid() -> None:
    spec = load_paper_spec(BUILTIN_PAPERS / "mnist1d")
    assert spec.id == "mnist1d"
    assert {"logistic", "mlp", "cnn", "gru"} <= set(spec.experiments)
    claimed = {c.experiment: c.value for c in spec.claims if c.kind == "value"}
    assert claimed["cnn"] == 0.94 and claimed["gru"] == 0.91
    assert all(c.source for c in spec.claims)


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "paper.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path)
    _edit(folder, "title: A toy", "title: [unclosed")
    with pytest.raises(UsageError, match=r"paper\.yaml: line \d+: malformed YAML"):
        load_paper_spec(folder)


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("value: 0.0", "value: lots", "claims.0 (small_mse).value: Input should be a valid number"),
        (
            "value: 0.0",
            'value: "0.9"',
            "value: .* got the text '0.9': write a number without quotes",
        ),
        ("value: 0.0", "value: true", "claims.0 (small_mse).value: .* got true"),
        (
            "tolerance: 0.5",
            "tolerance: abc",
            "claims.0 (small_mse).tolerance: .* got the text 'abc'",
        ),
        ("value: 0.0,", "value: 0.0, n: 3.0,", "claims.0 (small_mse).n: .*valid integer, got 3.0"),
        ("default_seeds: 2", "default_seeds: 2.5", "default_seeds: .*valid integer, got 2.5"),
        ("default_seeds: 2", "default_seeds: '2'", "default_seeds: .*an integer without quotes"),
        ("year: 2026", "year: '2026'", "year: .* got the text '2026'"),
        ("higher_is_better: false", 'higher_is_better: "yes"', "better: .* got the text 'yes'"),
        ("higher_is_better: false", "higher_is_better: 0", "higher_is_better: .*boolean, got 0"),
        (
            "value: 0.0,",
            "value: 0.0, verified: 'true',",
            "claims.0 (small_mse).verified: .*boolean",
        ),
        ('source: "Table 1"', "source: 2", "claims.0 (small_mse).source: .*valid string, got 2"),
        ('source: "Table 1"', "source: [Table 1]", "source: .*valid string, got a list"),
        (
            "  small: a linear model\n  wide: a wider input",
            "  - small",
            "experiments: .*, got a list",
        ),
        (
            "  - {id: small_mse",
            "  - [x]\n  - {id: small_mse",
            "claims.0: Input should be a mapping",
        ),
        # text where a list or mapping belongs ended in "internal error: KeyError: 'list'"
        ("authors: [Test Author]", "authors: Test Author", "authors: .*valid list, got the text"),
        # a paper without authors or a claim without its source passed: a report citing
        # `author = {}`, a claim whose number no one can look up
        ("authors: [Test Author]", "authors: []", "authors: .*at least 1 item"),
        ('source: "Table 1"', 'source: ""', "claims.0 (small_mse).source: empty: name the table"),
        ('source: "Table 1"', 'source: "  "', "claims.0 (small_mse).source: empty: name the table"),
        ("title: A toy regression paper", 'title: ""', "title: must not be empty"),
        ("year: 2026", "year: 2026\ncheck_overrides: data.x=1", "check_overrides: .*got the text"),
        # the file named with .py loaded as "cannot import model.py.py: ModuleNotFoundError"
        (
            "module: model:ToyModule",
            "module: model.py:ToyModule",
            "module: 'model.py:ToyModule' names the file with .py: write model:ToyModule",
        ),
        (
            "datamodule: data:ToyData",
            "datamodule: sub/data.py:ToyData",
            "datamodule: 'sub/data.py:ToyData' is not file:Class: write e.g. data:PaperData",
        ),
    ],
)
def test_a_field_of_the_wrong_type_is_one_error_naming_the_claim_and_the_field(
    tmp_path: Path, old: str, new: str, error: str
) -> None:
    """lax types read a quoted "0.9" as 0.9, "yes" as true, 2.0 seeds as 2 and 0 as
    false, silently; a list where a claim belongs said 'or instance of Claim'."""
    folder = write_toy_paper(tmp_path)
    _edit(folder, old, new)
    with pytest.raises(UsageError) as raised:
        load_paper_spec(folder)
    assert str(raised.value).startswith(f"{folder / 'paper.yaml'}: ")
    assert re.search(".*".join(map(re.escape, error.split(".*"))), str(raised.value))
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("value: 1.5E+2, tolerance: 1e-3", (150.0, 0.001)),
        ("value: -.9e0, tolerance: .5e1", (-0.9, 5.0)),
    ],
)
def test_numbers_in_exponent_form_read_as_numbers(
    tmp_path: Path, written: str, read: tuple[float, float]
) -> None:
    """YAML 1.1 reads `1e-3` and `.9e0` as text, which strict types refuse: they read as YAML
    1.2 says (a leading dot included)."""
    folder = write_toy_paper(tmp_path)
    _edit(folder, "value: 0.0, tolerance: 0.5", written)
    (claim,) = load_paper_spec(folder).claims
    assert (claim.value, claim.tolerance) == read


def test_missing_field(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path)
    _edit(folder, "venue: Nowhere 2026\n", "")
    with pytest.raises(UsageError, match=r"venue: Field required"):
        load_paper_spec(folder)


def test_claim_naming_missing_experiment(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path)
    _edit(folder, "experiment: small", "experiment: huge")
    with pytest.raises(UsageError, match=r"unknown experiment 'huge' \(known: small, wide\)"):
        load_paper_spec(folder)


def test_duplicate_claim_ids(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path)
    path = folder / "paper.yaml"
    lines = path.read_text().splitlines(keepends=True)
    claim = "".join(lines[-2:])
    path.write_text("".join(lines) + claim)
    with pytest.raises(UsageError, match="duplicate claim id 'small_mse'"):
        load_paper_spec(folder)


def test_value_claim_needs_tolerance(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path)
    _edit(folder, " tolerance: 0.5,", "")
    with pytest.raises(UsageError, match="a value claim needs `tolerance`"):
        load_paper_spec(folder)


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [  # "needs `value` and direction '>=' or '<='" said neither which one nor what it got
        (
            " tolerance: 0.5,",
            " kind: threshold, direction: '>',",
            "direction '>=' or '<=' (not '>')",
        ),
        (" tolerance: 0.5,", " kind: threshold,", "direction '>=' or '<=' (none given)"),
        ("value: 0.0, tolerance: 0.5,", "kind: threshold, direction: '<=',", "needs `value`"),
        (
            "value: 0.0, tolerance: 0.5,",
            "kind: comparison, direction: '>=', versus: wide,",
            "direction '>' or '<' (not '>=')",
        ),
        ("value: 0.0, tolerance: 0.5,", "kind: comparison, direction: '>',", "needs `versus`"),
        (" tolerance: 0.5,", " std: 0.1,", "a value claim needs `tolerance`"),
    ],
)
def test_a_claim_missing_what_its_kind_needs_names_it(
    tmp_path: Path, old: str, new: str, error: str
) -> None:
    folder = write_toy_paper(tmp_path)
    _edit(folder, old, new)
    with pytest.raises(UsageError) as raised:
        load_paper_spec(folder)
    message = str(raised.value)
    assert error in message and " and " not in message.split("):")[-1], message


def test_experiment_without_config_file(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path)
    (folder / "experiment" / "wide.yaml").unlink()
    with pytest.raises(UsageError, match=r"without a config file experiment/<name>\.yaml: wide"):
        load_paper_spec(folder)


def test_unknown_top_level_field_is_rejected(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path)
    _edit(folder, "year: 2026", "year: 2026\nyeer: 2025")
    with pytest.raises(UsageError, match=r"yeer: unknown field \(did you mean 'year'\?\)$"):
        load_paper_spec(folder)


def test_a_misspelt_required_field_names_the_field_meant(tmp_path: Path) -> None:
    # `idd: small_mse` (or `titel:`) said "claims.0.id: Field required (+1 more)": the
    # misspelling, which says what to fix, was the hidden "1 more"
    folder = write_toy_paper(tmp_path)
    _edit(folder, "{id: small_mse,", "{idd: small_mse,")
    with pytest.raises(UsageError) as error:
        load_paper_spec(folder)
    assert str(error.value).endswith("claims.0.idd: unknown field (did you mean 'id'?)")
    _edit(folder, "{idd: small_mse,", "{id: small_mse,")
    _edit(folder, "title: A toy", "titel: A toy")
    with pytest.raises(UsageError) as error:
        load_paper_spec(folder)
    assert str(error.value).endswith("titel: unknown field (did you mean 'title'?)")


def test_misspelt_claim_field_names_the_field_meant(tmp_path: Path) -> None:
    # pydantic's "Extra inputs are not permitted" said neither that the field is unknown nor
    # which one was meant
    folder = write_toy_paper(tmp_path)
    _edit(folder, " tolerance: 0.5,", " tolerence: 0.5,")
    with pytest.raises(UsageError) as error:
        load_paper_spec(folder)
    assert str(error.value).endswith(
        "paper.yaml: claims.0 (small_mse).tolerence: unknown field (did you mean 'tolerance'?)"
    )
    _edit(folder, " tolerence: 0.5,", " zzz: 0.5,")
    with pytest.raises(
        UsageError, match=r"claims.0 \(small_mse\).zzz: unknown field \(known: id, "
    ):
        load_paper_spec(folder)


def test_claims_are_unverified_unless_the_plugin_says_so(tmp_path: Path) -> None:
    """The toy claim does not say `verified`: it was not checked, so it must not read as checked."""
    spec = load_paper_spec(write_toy_paper(tmp_path))
    assert [claim.verified for claim in spec.claims] == [False]


def test_builtin_claims_say_verified_explicitly() -> None:
    """Every built-in claim states whether it was checked; defaulting changed nothing for them."""
    import yaml

    for folder in sorted(BUILTIN_PAPERS.iterdir()):
        if (folder / "paper.yaml").is_file():
            raw = yaml.safe_load((folder / "paper.yaml").read_text())
            for claim in raw.get("claims") or []:
                assert "verified" in claim, f"{folder.name}: {claim['id']}"


@pytest.mark.parametrize("name", ["../../../esc", "a/b", "Big", "with space", ".hidden"])
def test_experiment_names_are_identifiers_so_records_stay_in_results(
    tmp_path: Path, name: str
) -> None:
    """Issue 22.5: an experiment named `../../../esc` read its YAML from outside the plugin
    and wrote its record outside the results folder."""
    folder = write_toy_paper(tmp_path)
    _edit(folder, "  wide: a wider input", f"  {name!r}: a wider input")
    with pytest.raises(UsageError, match=r"experiments.*must be lowercase letters"):
        load_paper_spec(folder)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("value: 0.0", "value: .nan", "value"),
        ("value: 0.0", "value: nan", "value"),
        ("tolerance: 0.5", "tolerance: .inf", "tolerance"),
        ("value: 0.0", "value: -inf", "value"),
    ],
)
def test_a_claim_number_that_is_not_finite_is_rejected(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    """A NaN band holds every value and an infinite tolerance holds any mean: both gave
    'reproduced'."""
    folder = write_toy_paper(tmp_path)
    _edit(folder, old, new)
    with pytest.raises(UsageError, match=rf"claims\.0 \(small_mse\)\.{field}: .*finite"):
        load_paper_spec(folder)


def test_a_key_written_twice_is_rejected_not_silently_overwritten(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path)
    _edit(folder, "value: 0.0,", "value: 0.0, value: 0.4,")
    with pytest.raises(UsageError, match=r"paper\.yaml: line \d+: .*'value' written twice"):
        load_paper_spec(folder)
    folder = write_toy_paper(tmp_path / "top")
    path = folder / "paper.yaml"
    path.write_text(path.read_text() + "title: Another title\n")
    with pytest.raises(UsageError, match=r"line \d+: .*'title' written twice"):
        load_paper_spec(folder)


def test_a_comparison_of_an_experiment_with_itself_is_rejected(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path)
    _edit(
        folder,
        "value: 0.0, tolerance: 0.5,",
        "kind: comparison, versus: small, direction: '<',",
    )
    with pytest.raises(UsageError, match="compares 'small' with itself"):
        load_paper_spec(folder)


def test_yaml_merge_keys_still_load(tmp_path: Path) -> None:
    """the loader that rejects a key written twice rejected `<<: *anchor` too
    ('could not determine a constructor for the tag ...merge'); an explicit key may override a
    merged one, as YAML says."""
    folder = write_toy_paper(tmp_path)
    path = folder / "paper.yaml"
    text = path.read_text().replace("  - {id: small_mse,", "  - &base {id: small_mse,", 1)
    text += "  - <<: *base\n    id: wide_mse\n    tolerance: 0.9\n"
    path.write_text(text)
    spec = load_paper_spec(folder)
    assert [(c.id, c.tolerance) for c in spec.claims] == [("small_mse", 0.5), ("wide_mse", 0.9)]


@pytest.mark.parametrize(
    ("claim", "key"),
    [
        (
            "  - <<: {id: m, experiment: small, metric: test/mse, value: 0.1, value: 0.9, "
            "tolerance: 0.5, source: s}\n",
            "'value'",
        ),
        ("  - <<: *base\n    <<: *base\n    id: twice\n", "'<<'"),
    ],
)
def test_a_key_written_twice_through_a_merge_is_rejected(
    tmp_path: Path, claim: str, key: str
) -> None:
    """duplicates inside a merged inline mapping, and `<<` written twice, loaded
    silently (the last won)."""
    folder = write_toy_paper(tmp_path)
    path = folder / "paper.yaml"
    text = path.read_text().replace("  - {id: small_mse,", "  - &base {id: small_mse,", 1)
    path.write_text(text + claim)
    with pytest.raises(UsageError, match=rf"line \d+: malformed YAML: key {key} written twice"):
        load_paper_spec(folder)


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (  # a bare regex, "String should match pattern '^[A-Za-z_]..."
            "module: model:ToyModule",
            "module: models.ToyModule",
            "module: 'models.ToyModule' is not file:Class: write e.g. model:PaperModule "
            "(model.py's class PaperModule)",
        ),
        (  # "(top level): claims.0 (small_mse): unknown experiment 'smal' ..."
            "experiment: small,",
            "experiment: smal,",
            "claims.0 (small_mse): unknown experiment 'smal' (did you mean 'small'?; known: "
            "small, wide)",
        ),
    ],
    ids=["module without a colon", "claimed experiment misspelt"],
)
def test_a_misspelt_reference_says_what_to_write(
    tmp_path: Path, old: str, new: str, error: str
) -> None:
    folder = write_toy_paper(tmp_path)
    _edit(folder, old, new)
    with pytest.raises(UsageError) as raised:
        load_paper_spec(folder)
    assert str(raised.value) == f"{folder / 'paper.yaml'}: {error}"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", ": empty: it holds the paper's fields (id, title, ...)"),
        ("# all commented out\n", ": empty: it holds the paper's fields (id, title, ...)"),
        ("- id: toy\n", ": a list, where the paper's fields belong (id: ..., title: ...)"),
    ],
)
def test_a_paper_file_that_holds_no_fields_says_what_it_holds(
    tmp_path: Path, text: str, error: str
) -> None:
    """An empty paper.yaml said 'expected a mapping of fields, got NoneType': Python's name
    for nothing."""
    folder = write_toy_paper(tmp_path)
    (folder / "paper.yaml").write_text(text)
    with pytest.raises(UsageError) as raised:
        load_paper_spec(folder)
    assert str(raised.value) == f"{folder / 'paper.yaml'}{error}"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            "kind: comparison, versus: wide, direction: '<', value: 0.1, tolerance: 0.05,",
            "claims.0 (small_mse): a comparison claim does not use `value`, `tolerance`",
        ),
        (
            "kind: threshold, value: 0.1, direction: '<=', tolerance: 0.05,",
            "claims.0 (small_mse): a threshold claim does not use `tolerance`",
        ),
        (
            "value: 0.0, tolerance: 0.5, versus: wide, direction: '<',",
            "claims.0 (small_mse): a value claim does not use `versus`, `direction`",
        ),
        (  # the report ran a Welch test "against the paper's mean" on the threshold
            "kind: threshold, value: 0.1, direction: '<=', std: 0.01, n: 5,",
            "claims.0 (small_mse): a threshold claim does not use `std`, `n`",
        ),
        (  # shown nowhere, tested by nothing
            "kind: comparison, versus: wide, direction: '<', std: 0.01,",
            "claims.0 (small_mse): a comparison claim does not use `std`",
        ),
        (  # n counts the runs behind the paper's std: without it, read by nothing
            "value: 0.0, tolerance: 0.5, n: 5,",
            "claims.0 (small_mse): a value claim's `n` counts the runs behind the paper's `std`",
        ),
    ],
)
def test_a_claim_field_its_kind_does_not_judge_is_rejected(
    tmp_path: Path, fields: str, error: str
) -> None:
    """`kind: comparison` with `value: 0.1, tolerance: 0.05` (a margin the user meant) was
    judged on the direction alone, and `repro show` listed the claim with ±0.05: the report
    said reproduced for a margin never tested. A value claim with `versus` made the sweep
    train that experiment for nothing."""
    folder = write_toy_paper(tmp_path)
    _edit(folder, "value: 0.0, tolerance: 0.5,", fields)
    with pytest.raises(UsageError) as raised:
        load_paper_spec(folder)
    assert error in str(raised.value), raised.value


@pytest.mark.parametrize("source", ['""', '"   "'])
def test_a_claim_that_names_no_source_is_rejected(tmp_path: Path, source: str) -> None:
    """`source: ""` loaded, and the report's Source column stood empty beside a claimed
    number: where it came from is what lets a reader check it against the paper."""
    folder = write_toy_paper(tmp_path)
    _edit(folder, 'source: "Table 1"', f"source: {source}")
    with pytest.raises(UsageError) as raised:
        load_paper_spec(folder)
    assert str(raised.value) == (
        f"{folder / 'paper.yaml'}: claims.0 (small_mse).source: empty: name the table, "
        "figure or section the number comes from"
    )
