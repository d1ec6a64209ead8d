"""The paper file (`paper.yaml`): metadata, named experiments and claims, validated on load."""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    FiniteFloat,
    ValidationError,
    field_validator,
    model_validator,
)

from repro.errors import UsageError, did_you_mean

PAPER_FILE = "paper.yaml"
SETTINGS_FILE = "settings.yaml"
EXPERIMENT_DIR = "experiment"
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# ID_PATTERN in words, for every message that refuses an id (`2x` is lowercase and digits)
ID_RULE = "lowercase letters, digits and _, starting with a letter"


def _identifier(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError(f"must be {ID_RULE}")
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]


def _not_blank(value: str) -> str:
    if not value.strip():  # `title: ""`: a report citing no title
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, AfterValidator(_not_blank)]


def _named(value: str) -> str:
    if not value.strip():  # the report's Source column stood empty beside a claimed number
        raise ValueError("empty: name the table, figure or section the number comes from")
    return value


Source = Annotated[str, AfterValidator(_named)]


UNJUDGED = {  # fields a kind's verdict never reads
    "value": ("versus", "direction"),
    "threshold": ("tolerance", "versus", "std", "n"),  # a bound has no spread of the paper's
    "comparison": ("value", "tolerance", "std", "n"),
}
JUDGED = {
    "value": "its verdict is the seed mean against `value` ± `tolerance`",
    "threshold": "its verdict is the seed mean against `value` in `direction`",
    "comparison": "its verdict is `direction` alone, `experiment` against `versus`",
}


class Claim(BaseModel):
    """One number (or relation) the paper claims, with where it came from.

    kind `value`: the metric's seed mean equals `value` within `tolerance`.
    kind `threshold`: the metric is `direction` (>= or <=) `value`.
    kind `comparison`: `experiment`'s metric is `direction` (> or <) `versus`'s.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    id: Identifier
    kind: Literal["value", "threshold", "comparison"] = "value"
    experiment: str
    metric: str
    value: FiniteFloat | None = None  # a NaN band holds every value, an infinite one any mean
    std: FiniteFloat | None = Field(default=None, ge=0)
    n: int | None = Field(default=None, ge=1)
    tolerance: FiniteFloat | None = Field(default=None, ge=0)
    higher_is_better: bool = True
    direction: Literal[">", "<", ">=", "<="] | None = None
    versus: str | None = None
    source: Source
    verified: bool = False  # true only once checked against the primary source
    note: str | None = None

    @model_validator(mode="after")
    def _fields_match_kind(self) -> Claim:
        missing = self._missing_for_kind()
        if missing:  # each named, with the direction given: "needs X and Y" said neither
            raise ValueError(f"a {self.kind} claim needs {' and '.join(missing)}")
        if self.kind == "comparison" and self.versus == self.experiment:
            raise ValueError(f"a comparison claim compares {self.experiment!r} with itself")
        unused = [name for name in UNJUDGED[self.kind] if getattr(self, name) is not None]
        if unused:  # a margin on a comparison was read by no verdict, yet shown with the claim
            names = ", ".join(f"`{name}`" for name in unused)
            raise ValueError(
                f"a {self.kind} claim does not use {names}: {JUDGED[self.kind]}; "
                "remove them, or choose the kind that judges them"
            )
        if self.kind == "value" and self.n is not None and self.std is None:  # read by nothing
            raise ValueError(
                "a value claim's `n` counts the runs behind the paper's `std`, which it does "
                "not give: add the paper's `std` (a Welch t-test then compares the seeds with "
                "it), or remove `n`"
            )
        return self

    def _missing_for_kind(self) -> list[str]:
        """What the claim's kind needs and the claim lacks (a wrong direction named as given)."""
        needed = {"value": ("value", "tolerance"), "threshold": ("value",)}
        needed["comparison"] = ("versus",)
        missing = [f"`{name}`" for name in needed[self.kind] if getattr(self, name) is None]
        allowed = {"threshold": (">=", "<="), "comparison": (">", "<")}.get(self.kind)
        if allowed and self.direction not in allowed:
            given = "none given" if self.direction is None else f"not {self.direction!r}"
            missing.append(f"direction {allowed[0]!r} or {allowed[1]!r} ({given})")
        return missing

    def experiments(self) -> list[str]:
        """Experiments whose runs this claim needs."""
        return [self.experiment] + ([self.versus] if self.versus else [])


class PaperSpec(BaseModel):
    """Everything repro knows about a paper without importing its code."""

    model_config = ConfigDict(extra="forbid", strict=True)  # "0.9" or "yes" is no number or bool

    id: Identifier
    title: Text
    authors: list[Text] = Field(min_length=1)  # the citation names the first
    venue: str
    year: int
    paper_url: str
    code_url: str | None = None
    module: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    datamodule: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    default_seeds: int = Field(default=5, ge=1)
    metric_units: str | None = None
    notes: str | None = None
    data_instructions: str | None = None
    bibtex: str | None = None  # the paper's BibTeX entry; built from the fields above if absent
    check_overrides: list[str] = []  # extra overrides for `repro check`'s fast runs
    experiments: dict[Identifier, str]  # folder names: an id never leaves results/
    claims: list[Claim] = []

    @field_validator("module", "datamodule")
    @classmethod
    def _file_without_suffix(cls, value: str) -> str:
        """`model.py:X` was imported as `model.py.py`: the file part is a module path."""
        file, _, name = value.partition(":")
        if file.endswith(".py"):
            raise ValueError(
                f"{value!r} names the file with .py: write {file.removesuffix('.py')}:{name}"
            )
        return value

    @field_validator("bibtex")
    @classmethod
    def _braces_balance(cls, value: str | None) -> str | None:
        """The entry is shown verbatim in every report, to be copied into a .bib file, where
        an unclosed `{` swallows the entries after it."""
        if value is None:
            return value
        depth = 0
        for number, line in enumerate(value.splitlines(), start=1):
            for char in line:
                depth += {"{": 1, "}": -1}.get(char, 0)
                if depth < 0:
                    raise ValueError(
                        f"its braces do not balance: a }} on line {number} closes no {{; fix "
                        "the entry, or remove bibtex to have one built from the fields"
                    )
        if depth:
            raise ValueError(
                f"its braces do not balance ({value.count('{')} {{, {value.count('}')} }}): "
                "fix the entry, or remove bibtex to have one built from the fields"
            )
        return value

    @model_validator(mode="after")
    def _claims_reference_experiments(self) -> PaperSpec:
        seen: set[str] = set()
        for index, claim in enumerate(self.claims):
            if claim.id in seen:
                raise ValueError(f"claims.{index}.id: duplicate claim id {claim.id!r}")
            seen.add(claim.id)
            for name in claim.experiments():
                if name not in self.experiments:
                    known = ", ".join(sorted(self.experiments))
                    hint = did_you_mean(name, self.experiments)
                    raise ValueError(
                        f"claims.{index} ({claim.id}): unknown experiment {name!r} "
                        f"({hint}known: {known})"
                    )
        return self

    def claimed_experiments(self) -> list[str]:
        """Experiments the claims need, in claim order, without repeats."""
        return list(dict.fromkeys(name for c in self.claims for name in c.experiments()))


_KINDS = {"float": "a number", "int": "an integer", "bool": "true or false"}


def _given(first: dict) -> str:
    """What was written instead, for a wrong type: strict types refuse the quoted "0.9" and the
    word "yes" that lax ones turned silently into a number and a bool."""
    if not first["type"].endswith("_type"):
        return ""
    value, kind = first.get("input"), first["type"].removesuffix("_type")
    if isinstance(value, str):
        if kind == "float" and _reads_as(value, kind) and not math.isfinite(float(value)):
            return f", got the text {value!r}, and a claim's numbers must be finite"
        if kind in _KINDS and _reads_as(value, kind):  # text where a list belongs: no hint
            return f", got the text {value!r}: write {_KINDS[kind]} without quotes"
        return f", got the text {value!r}"
    if isinstance(value, list):
        return ", got a list"
    if isinstance(value, dict):
        return ", got a mapping"
    if value is None:
        return ", got an empty value"
    return f", got {str(value).lower()}" if isinstance(value, bool) else f", got {value!r}"


def _reads_as(text: str, kind: str) -> bool:
    """Whether `text` unquoted would be read as a value of `kind`."""
    if kind == "bool":
        return text.lower() in ("true", "false", "yes", "no", "on", "off")
    try:
        number = float(text)
    except ValueError:
        return False
    return kind == "float" or number.is_integer()


def _unknown_field(name: str, loc: tuple) -> str:
    """`unknown field (did you mean 'tolerance'?)`: a misspelt field, named with the field
    meant (or the fields there are), of a claim or of the paper."""
    fields = list((Claim if loc[0] == "claims" else PaperSpec).model_fields)
    close = difflib.get_close_matches(name, fields, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(fields)}"
    return f"unknown field ({hint})"


def _first_to_name(errors: list[Any]) -> tuple[Any, int]:
    """The error to say and how many it accounts for: a misspelt field (`idd:`) rather than
    the required field it leaves missing (`id: Field required`, the same mistake), since the
    misspelling says what to fix."""
    missing = {(tuple(e["loc"][:-1]), e["loc"][-1]) for e in errors if e["type"] == "missing"}
    for e in errors:
        if e["type"] == "extra_forbidden":
            parent, name = tuple(e["loc"][:-1]), str(e["loc"][-1])
            near = [str(field) for where, field in missing if where == parent]
            if difflib.get_close_matches(name, near, n=1):
                return e, 2
    return errors[0], 1


def _describe(error: ValidationError, raw: dict) -> str:
    first, said = _first_to_name(error.errors())
    loc = [str(part) for part in first["loc"]]
    if loc[-1:] == ["[key]"]:  # a mapping's key: name it as written, quoted
        loc = [*loc[:-2], repr(loc[-2])]
    if len(loc) > 1 and loc[0] == "claims" and loc[1].isdigit():  # name the claim, as written
        claims = raw.get("claims")
        claim = claims[int(loc[1])] if isinstance(claims, list) else None
        if isinstance(claim, dict) and isinstance(claim.get("id"), str):
            loc[1] = f"{loc[1]} ({claim['id']})"
    message = re.sub(r" or instance of \w+", "", first["msg"].removeprefix("Value error, "))
    message = message.replace("valid dictionary", "mapping") + _given(first)
    if first["type"] == "extra_forbidden":  # pydantic's "Extra inputs are not permitted"
        message = _unknown_field(str(first["loc"][-1]), first["loc"])
    if first["type"] == "string_pattern_mismatch" and loc in (["module"], ["datamodule"]):
        example = "model:PaperModule" if loc == ["module"] else "data:PaperData"
        file, _, name = example.partition(":")
        message = (
            f"{first['input']!r} is not file:Class: write e.g. {example} ({file}.py's class {name})"
        )
    more = f" (+{error.error_count() - said} more)" if error.error_count() > said else ""
    if not loc:  # a check across fields: its message names what it is about
        return f"{message}{more}"
    return f"{'.'.join(loc)}: {message}{more}"


MERGE_TAG = "tag:yaml.org,2002:merge"


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a key written twice in one mapping is an error: the
    last one silently won, so a claim could be judged against a value its author overwrote."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        merges = [value for key, value in node.value if key.tag == MERGE_TAG]
        if len(merges) > 1:
            raise yaml.constructor.ConstructorError(
                problem="key '<<' written twice (merge several with <<: [*a, *b])",
                problem_mark=node.start_mark,
            )
        for merged in merges:  # an inline mapping merged in is never constructed on its own
            for mapping in merged.value if isinstance(merged, yaml.SequenceNode) else [merged]:
                if isinstance(mapping, yaml.MappingNode):
                    self.construct_mapping(mapping, deep=deep)
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:  # `<<: *anchor`: keys it brings may be overridden
                continue  # by explicit ones, as YAML says
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: the loader itself says so below
                continue
            if repeated:
                raise yaml.constructor.ConstructorError(
                    problem=f"key {key!r} written twice", problem_mark=key_node.start_mark
                )
        return super().construct_mapping(node, deep)


# YAML 1.1 (PyYAML) reads `1e-3`, `1.0e3` and `.9e0` as text (it needs a dot and a signed
# exponent): a tolerance written so would be refused as "not a number". Read as YAML 1.2 does.
_UniqueKeyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)


def load_paper_spec(folder: Path) -> PaperSpec:
    """Parse and validate `folder/paper.yaml`; errors name the file and the field."""
    path = folder / PAPER_FILE
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise UsageError(f"{path}: missing paper file") from None
    except UnicodeDecodeError:  # a binary or other-encoded file: `repro papers` lists it BROKEN
        raise UsageError(f"{path}: not UTF-8 text: save it as UTF-8 YAML") from None
    except OSError as error:  # a folder, or unreadable: said, never an internal error
        raise UsageError(f"{path}: cannot read it: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise UsageError(f"{path}:{where}: malformed YAML: {problem}") from None
    if raw is None:  # "got NoneType" was Python's word for an empty file
        raise UsageError(f"{path}: empty: it holds the paper's fields (id, title, ...)")
    if not isinstance(raw, dict):
        what = {list: "a list", str: "a text"}.get(type(raw), f"a {type(raw).__name__}")
        raise UsageError(f"{path}: {what}, where the paper's fields belong (id: ..., title: ...)")
    try:
        spec = PaperSpec.model_validate(raw)
    except ValidationError as error:
        raise UsageError(f"{path}: {_describe(error, raw)}") from None
    missing = [n for n in spec.experiments if not (folder / EXPERIMENT_DIR / f"{n}.yaml").is_file()]
    if missing:
        raise UsageError(
            f"{path}: experiments without a config file {EXPERIMENT_DIR}/<name>.yaml: "
            + ", ".join(missing)
        )
    if not (folder / SETTINGS_FILE).is_file():
        raise UsageError(f"{folder / SETTINGS_FILE}: missing (the paper's default config)")
    return spec
