"""Where paper plugins come from, and how their code is loaded.

A plugin is a folder holding `paper.yaml`. Folders are found, in this order of precedence:
`--papers-dir` / `REPRO_PAPERS_PATH` (os.pathsep-separated) folders of plugins, packages
installed under the `repro.papers` entry-point group, the built-in `papers/`, and last
`papers/` of the current folder (where `repro new` writes). Listing papers never imports
their code, so one broken plugin cannot hide the others.

A plugin's code is imported once per process (`sys.modules`) and reused by later runs, so
the registry remembers the fingerprint of the folder each plugin was imported from, and a
run (`imported_code`) imports it again, fresh, when the folder has changed since.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from shlex import quote
from types import ModuleType
from typing import Any

from repro.errors import ReproError, UnknownPaper, UsageError, did_you_mean
from repro.plugins.paper_spec import ID_PATTERN, ID_RULE, PAPER_FILE, PaperSpec, load_paper_spec
from repro.records.fingerprint import UNKNOWN_CODE, code_fingerprint, code_identity
from repro.resources import builtin_dir

BUILTIN_PAPERS = builtin_dir("papers")  # the checkout's papers/, or the wheel's packaged copy
ENTRY_POINT_GROUP = "repro.papers"
PATH_ENV = "REPRO_PAPERS_PATH"
LOCAL_PAPERS = Path("papers")  # of the current folder: where `repro new` writes by default
LOCAL_ORIGIN = "dir ./papers"


@dataclass(frozen=True)
class PaperPlugin:
    """A discovered plugin folder and where it was found."""

    id: str
    folder: Path
    origin: str
    broken: str | None = None  # why an installed package cannot be found or imported

    def spec(self) -> PaperSpec:
        """The validated paper file. Its `id` must equal the name the plugin is found under
        (entry point or folder): records, reports and `paper=` all use one name, and a
        silently renamed paper would file its results under a name its author never chose."""
        if self.broken:
            raise UsageError(self.broken)
        spec = load_paper_spec(self.folder)
        where = _found_under(self)
        if where and spec.id != self.id:
            named = (
                f"its folder's name {self.id!r}"  # a copied folder: nothing was installed
                if where == "folder name"
                else f"the {where} {self.id!r} it is installed under"
            )
            raise UsageError(
                f"{self.folder / PAPER_FILE}: id {spec.id!r} differs from {named}: make them equal"
            )
        return spec


def _found_under(plugin: PaperPlugin) -> str | None:
    """What named the plugin: an entry point, a folder, or (in launcher workers) nothing."""
    if plugin.origin.startswith("package "):
        return "entry point name"
    if plugin.origin == "folder":  # rebuilt from config["paper_dir"]: already checked
        return None
    return "folder name"


def extra_paper_dirs(cli_dirs: list[Path] | None = None) -> list[Path]:
    """User plugin folders: CLI first, then the environment variable."""
    dirs = list(cli_dirs or [])
    dirs += [Path(p) for p in os.environ.get(PATH_ENV, "").split(os.pathsep) if p]
    return dirs


def _where_missing(root: Path) -> str:
    """` in /cwd (did you mean 'plugins'?)`: a relative folder is read from the current one,
    which a user typing it in a sub-folder (or misspelling it) may not see."""
    where = "" if root.is_absolute() else f" in {Path.cwd()}"
    parent = root.absolute().parent
    try:
        siblings = [child.name for child in parent.iterdir() if child.is_dir()]
    except OSError:
        siblings = []
    hint = did_you_mean(root.name, siblings).removesuffix("; ")
    return f"{where} ({hint})" if hint else where


def _plugins_in(root: Path, origin: str) -> list[PaperPlugin]:
    if root.exists() and not root.is_dir():
        raise UsageError(f"papers folder {root} is a file, not a folder")
    if not root.is_dir():
        raise UsageError(f"papers folder {root} does not exist{_where_missing(root)}")
    if (root / PAPER_FILE).is_file():  # the folder is itself one plugin
        return [PaperPlugin(root.name, root.resolve(), origin)]
    return [
        PaperPlugin(child.name, child.resolve(), origin)
        for child in sorted(root.iterdir())
        if (child / PAPER_FILE).is_file()
    ]


def _entry_point_plugins() -> list[PaperPlugin]:
    found = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        module = entry.value.split(":")[0].strip()
        origin = f"package {entry.value}"
        try:  # finding `a.b` imports `a`, whose code may fail (a missing dependency)
            spec = importlib.util.find_spec(module)
        except Exception as error:  # listed BROKEN; the other papers still list and run
            why = f"{type(error).__name__}: {error}"
            found.append(PaperPlugin(entry.name, Path(module), origin, _unimportable(module, why)))
            continue
        if spec is None or not spec.submodule_search_locations:
            why = f"No module named {module!r}" if spec is None else "a module, not a package"
            found.append(PaperPlugin(entry.name, Path(module), origin, _unimportable(module, why)))
            continue
        folder = Path(next(iter(spec.submodule_search_locations)))
        found.append(PaperPlugin(entry.name, folder.resolve(), origin))
    return found


def _unimportable(module: str, why: str) -> str:
    return (
        f"cannot import {module} (entry point of the installed plugin): {why}; "
        "install what it needs, or uninstall it"
    )


def discover(cli_dirs: list[Path] | None = None) -> dict[str, PaperPlugin]:
    """All plugins by id; an id found in several places resolves to the first."""
    plugins: dict[str, PaperPlugin] = {}
    candidates = [p for d in extra_paper_dirs(cli_dirs) for p in _plugins_in(d, f"dir {d}")]
    candidates += _entry_point_plugins()
    candidates += _plugins_in(BUILTIN_PAPERS, "built-in")
    candidates += _local_plugins(cli_dirs)
    for plugin in candidates:
        kept = plugins.setdefault(plugin.id, plugin)
        if kept.broken and not plugin.broken:  # an installed package that cannot be imported
            plugins[plugin.id] = kept = plugin  # hides no working plugin of its name
        if kept.folder == plugin.folder or plugin.broken:
            continue
        if plugin.origin == "built-in":
            _warn_replaced_builtin(kept)
        elif kept is not plugin and not _same_files(kept.folder, plugin.folder):
            _warn_hidden(kept, plugin)
    return plugins


def _local_plugins(cli_dirs: list[Path] | None) -> list[PaperPlugin]:
    """Plugins in `papers/` of the current folder, so `repro new foo` then `repro check foo`
    needs no flag. Found last: an id found elsewhere keeps that plugin, with a warning.
    Skipped when it is the built-in folder (repro run from its checkout) or a folder given."""
    if not LOCAL_PAPERS.is_dir():
        return []
    folder = LOCAL_PAPERS.resolve()
    given = {Path(d).resolve() for d in extra_paper_dirs(cli_dirs)}
    if folder == BUILTIN_PAPERS.resolve() or folder in given:
        return []
    return _plugins_in(LOCAL_PAPERS, LOCAL_ORIGIN)


_WARNED_REPLACEMENTS: set[Path] = set()  # discover() runs several times per command


def _warn_replaced_builtin(plugin: PaperPlugin) -> None:
    """A user folder named like a built-in paper wins; say so, or results of the built-in
    paper would silently come from someone else's code."""
    if plugin.folder in _WARNED_REPLACEMENTS:
        return
    _WARNED_REPLACEMENTS.add(plugin.folder)
    where = plugin.origin.removeprefix("dir ")
    print(
        f"warning: paper {plugin.id} in {where} replaces the built-in paper {plugin.id}",
        file=sys.stderr,
    )


def _warn_hidden(kept: PaperPlugin, hidden: PaperPlugin) -> None:
    """Two folders of one id (`--papers-dir` and ./papers, an installed package): the first
    wins; say so, or edits to the other never take effect and nothing says why."""
    if (kept.folder, hidden.folder) in _WARNED_HIDDEN:
        return
    _WARNED_HIDDEN.add((kept.folder, hidden.folder))
    print(
        f"warning: paper {kept.id} in {_where(kept)} hides the one in {_where(hidden)}",
        file=sys.stderr,
    )


_WARNED_HIDDEN: set[tuple[Path, Path]] = set()


def _same_files(first: Path, second: Path) -> bool:
    """Two plugin folders holding the same files (./papers of a checkout beside its own
    installed copy): hiding one hides nothing, so nothing is said."""

    def files(root: Path) -> dict[str, Path]:
        return {
            str(path.relative_to(root)): path
            for path in root.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        }

    try:
        ours, theirs = files(first), files(second)
        return ours.keys() == theirs.keys() and all(
            ours[name].read_bytes() == theirs[name].read_bytes() for name in ours
        )
    except OSError:
        return False


def _where(plugin: PaperPlugin) -> str:
    return plugin.origin.removeprefix("dir ")


ELSEWHERE_HINT = "; a plugin in another folder: --papers-dir DIR or REPRO_PAPERS_PATH"


def get_paper(paper_id: str, cli_dirs: list[Path] | None = None) -> PaperPlugin:
    """The plugin named `paper_id`, or a usage error listing the known ones."""
    if not ID_PATTERN.match(paper_id):  # `MNIST1D`, `mnist-1d`: say the id meant
        hint = did_you_mean(paper_id.lower().replace("-", "_"), discover(cli_dirs))
        raise UsageError(f"invalid paper id {paper_id!r}: {hint}use {ID_RULE}")
    plugins = discover(cli_dirs)
    if paper_id not in plugins:
        if bare := _folder_without_paper_file(paper_id, cli_dirs):
            raise UnknownPaper(f"unknown paper {paper_id!r}: {bare}")
        known = known_papers(plugins, cli_dirs)
        hint = did_you_mean(paper_id, plugins)
        # A plugin made with `repro new x --papers-dir plugins` is unknown to a command
        # without the flag: say how to point at it, not only what is known.
        raise UnknownPaper(f"unknown paper {paper_id!r} ({hint}known: {known}){ELSEWHERE_HINT}")
    return plugins[paper_id]


def known_papers(plugins: dict[str, PaperPlugin], cli_dirs: list[Path] | None = None) -> str:
    """`amsgrad, mnist1d; broken: my_copy (...)`: a plugin `repro papers` lists BROKEN is no
    paper to pick, so it is named apart, with the `repro papers` that lists it."""
    broken = [paper_id for paper_id, plugin in sorted(plugins.items()) if _is_broken(plugin)]
    known = ", ".join(paper_id for paper_id in sorted(plugins) if paper_id not in broken)
    listing = " ".join(["repro papers", *(f"--papers-dir {quote(str(d))}" for d in cli_dirs or [])])
    apart = f"; broken: {', '.join(broken)} (`{listing}` says why)" if broken else ""
    return (known or "none") + apart


def _is_broken(plugin: PaperPlugin) -> bool:
    """What `repro papers` lists BROKEN: its paper file refused, or its code does not parse."""
    try:
        return code_syntax_problem(plugin, plugin.spec()) is not None
    except ReproError:
        return True


def _folder_without_paper_file(paper_id: str, cli_dirs: list[Path] | None) -> str | None:
    """What is wrong with a folder named `paper_id` in a papers folder that is no plugin: a
    user who sees `plugins/toy/` on disk is not helped by a list of the other papers."""
    for root in [*extra_paper_dirs(cli_dirs), LOCAL_PAPERS]:
        folder = root / paper_id
        if not folder.is_dir() or (folder / PAPER_FILE).is_file():
            continue
        near = sorted(
            child.name
            for child in folder.iterdir()
            if child.name != PAPER_FILE and child.name.lower() in {"paper.yaml", "paper.yml"}
        )
        fix = (
            f"rename its {near[0]} to {PAPER_FILE}"
            if near
            else "every plugin folder needs one (`repro new` writes a template of the folder)"
        )
        return f"{folder} has no {PAPER_FILE}: {fix}"
    return None


def plugin_from_folder(folder: Path) -> PaperPlugin:
    """Rebuild a plugin from its folder, as worker processes of a launcher do."""
    folder = Path(folder).resolve()
    return PaperPlugin(folder.name, folder, "folder")


def _package_name(plugin: PaperPlugin) -> str:
    return f"repro_plugin_{plugin.id}"


def _plugin_package(plugin: PaperPlugin) -> str:
    """Import the folder as a private package so the plugin's relative imports work."""
    name = _package_name(plugin)
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, plugin.folder / "__init__.py", submodule_search_locations=[str(plugin.folder)]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        if (plugin.folder / "__init__.py").is_file():
            spec.loader.exec_module(module)
    return name


@dataclass(frozen=True)
class _Imported:
    """A plugin package in `sys.modules`: its folder and the fingerprint of the code its
    modules were imported from (`UNKNOWN_CODE` when that cannot be said)."""

    folder: Path
    code: dict[str, Any]


_IMPORTED: dict[str, _Imported] = {}  # by package name


def _forget(package: str) -> None:
    """Drop a plugin package and its modules from `sys.modules`, so the next import reads
    the folder again. Their .pyc files go too: a .pyc is checked against its source's mtime
    in whole seconds and its size, so an edit within the second would run the old code."""
    for name in [n for n in sys.modules if n == package or n.startswith(f"{package}.")]:
        cached = getattr(sys.modules.pop(name), "__cached__", None)
        if cached:  # not in a read-only install, whose sources cannot change either
            with contextlib.suppress(OSError):
                Path(cached).unlink(missing_ok=True)
    _IMPORTED.pop(package, None)
    importlib.invalidate_caches()


def _import_code(plugin: PaperPlugin, modules: list[str], fresh: bool) -> dict[str, Any]:
    """Import `modules` of the plugin (and its package) unless already imported; return the
    fingerprint of the code they were imported from. The folder is fingerprinted just before
    and just after importing; if it changed meanwhile, the import is tried once more, and
    code that changed during both tries is `UNKNOWN_CODE` (its records count as stale).
    `fresh`: first drop modules imported from code other than the folder's now."""
    package = _package_name(plugin)
    for _ in range(2):
        before = code_fingerprint(plugin.folder)
        known = _IMPORTED.get(package) if package in sys.modules else None
        if package in sys.modules and (
            known is None  # imported by someone else, or a first import that failed
            or known.folder != plugin.folder  # another plugin of the same id
            or (fresh and known.code["digest"] != before["digest"])
        ):
            _forget(package)
            known = None
        missing = [name for name in modules if f"{package}.{name}" not in sys.modules]
        if known is not None and not missing:
            return known.code
        _plugin_package(plugin)
        for name in missing:
            importlib.import_module(f"{package}.{name}")
        unchanged = code_fingerprint(plugin.folder)["digest"] == before["digest"]
        if unchanged and (known is None or known.code["digest"] == before["digest"]):
            _IMPORTED[package] = _Imported(plugin.folder, before)
            return before
        if not fresh:  # modules of two versions of the code are loaded side by side
            break
        _forget(package)
    _IMPORTED[package] = _Imported(plugin.folder, UNKNOWN_CODE)
    return UNKNOWN_CODE


def imported_code(plugin: PaperPlugin) -> dict[str, Any]:
    """The identity of the code a run of `plugin` in this process runs, for its record: the
    fingerprint of the folder the paper's module and data module were imported from, and
    the classes paper.yaml names. They are imported here, before the record is made, and
    imported again, fresh, if the folder changed since this process imported them (seeds
    of a local sweep run in one process: model.py edited while seed 0 trains is what
    seeds 1 and 2 run and record). The run's `load_object` then reuses these very modules,
    whatever is saved meanwhile. Code that cannot be imported is not imported here: the run
    fails on it with its usual error, and the record names the code on disk."""
    try:
        spec = plugin.spec()
        entries = [spec.module, spec.datamodule]
        code = _import_code(plugin, [entry.partition(":")[0] for entry in entries], fresh=True)
    except Exception:  # reported by the run itself, as before
        return code_identity(plugin.folder)
    return {**code, "classes": {"module": spec.module, "datamodule": spec.datamodule}}


def code_syntax_problem(plugin: PaperPlugin, spec: PaperSpec) -> str | None:
    """`model.py line 8: SyntaxError: ...` for the first file paper.yaml's classes live in
    that does not parse, else None: listing papers never imports their code, yet a plugin
    that cannot run must not look healthy (parsing runs none of it)."""
    for field_name, reference in (("module", spec.module), ("datamodule", spec.datamodule)):
        if missing := _missing_code_file(plugin, field_name, reference):
            return missing
        relative = Path(*reference.partition(":")[0].split(".")).with_suffix(".py")
        path = plugin.folder / relative
        try:
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
        except SyntaxError as error:
            return f"{relative.as_posix()} line {error.lineno}: SyntaxError: {error.msg}"
        except (OSError, ValueError):  # a package, not a file, or unreadable: the run says so
            continue
    return None


def _missing_code_file(plugin: PaperPlugin, field_name: str, reference: str) -> str | None:
    """`paper.yaml: module: models:X: the plugin folder has no models.py (did you mean
    'model'?; ...)` when paper.yaml names a file that is not there, else None: importing it
    said `No module named 'repro_plugin_<id>.models'`, as if the code had imported it."""
    module_name = reference.partition(":")[0]
    relative = Path(*module_name.split("."))
    if (plugin.folder / relative.with_suffix(".py")).is_file() or (
        plugin.folder / relative
    ).is_dir():
        return None
    files = sorted(path.name for path in plugin.folder.glob("*.py"))
    hint = did_you_mean(module_name, [name.removesuffix(".py") for name in files])
    return (
        f"{PAPER_FILE}: {field_name}: {reference}: the plugin folder has no "
        f"{relative.as_posix()}.py ({hint}its files: {', '.join(files) or 'none'})"
    )


def load_object(plugin: PaperPlugin, reference: str, field_name: str = "module") -> type:
    """Load `module:Name` from the plugin folder, naming the plugin if its import fails.
    Modules already imported are reused (see `imported_code` for when they are not)."""
    module_name, _, attr = reference.partition(":")
    if missing := _missing_code_file(plugin, field_name, reference):
        raise UsageError(f"{plugin.folder}/{missing}")
    try:
        _import_code(plugin, [module_name], fresh=False)
        module: ModuleType = sys.modules[f"{_package_name(plugin)}.{module_name}"]
    except Exception as error:  # any import-time failure of user code
        raise UsageError(
            f"paper {plugin.id!r}: cannot import {module_name}.py: {type(error).__name__}: {error}"
            + _sibling_import_hint(plugin, error)
        ) from error
    try:
        return getattr(module, attr)
    except AttributeError:
        classes = sorted(
            name
            for name, value in vars(module).items()
            if isinstance(value, type) and value.__module__ == module.__name__
        )
        hint = did_you_mean(attr, classes)
        listed = f" ({hint}its classes: {', '.join(classes) or 'none'})"
        raise UsageError(
            f"{plugin.folder / PAPER_FILE}: {reference}: {module_name}.py defines no {attr!r}"
            + listed
        ) from None


def _sibling_import_hint(plugin: PaperPlugin, error: Exception) -> str:
    """What to write instead when a plugin file imports another of its files absolutely
    (`from data import X`): the plugin is imported as a package, so its own files are found
    only relatively (`from .data import X`), never as top-level modules."""
    if not isinstance(error, ModuleNotFoundError) or not error.name:
        return ""
    name = error.name.split(".")[0]
    if not ((plugin.folder / f"{name}.py").is_file() or (plugin.folder / name).is_dir()):
        return ""
    where = ""
    frame = error.__traceback__
    while frame is not None:  # the innermost line of the plugin's own files: the import
        path = Path(frame.tb_frame.f_code.co_filename)
        if path.is_relative_to(plugin.folder):
            where = f"{path.relative_to(plugin.folder)} line {frame.tb_lineno} "
        frame = frame.tb_next
    return (
        f" ({where}imports the plugin's own {name} as a top-level module: import it relatively,"
        f" `from .{name} import ...` or `from . import {name}`)"
    )


def plugin_classes(plugin: PaperPlugin, spec: PaperSpec) -> tuple[type, type]:
    """The classes paper.yaml names as `module` and `datamodule`, each of its Lightning kind:
    a plain class (or the two swapped) passed the check, then failed every run deep in
    Lightning, or was blamed for the other's config keys."""
    import lightning.pytorch as pl

    module_cls = load_object(plugin, spec.module)
    data_cls = load_object(plugin, spec.datamodule, "datamodule")
    for field_name, name, cls, kind in (
        ("module", spec.module, module_cls, pl.LightningModule),
        ("datamodule", spec.datamodule, data_cls, pl.LightningDataModule),
    ):
        if isinstance(cls, type) and not issubclass(cls, kind):
            other = (
                " (module: and datamodule: are swapped)"
                if issubclass(cls, (pl.LightningModule, pl.LightningDataModule))
                else ""
            )
            raise UsageError(
                f"{plugin.folder / 'paper.yaml'}: {field_name}: {name} is not a "
                f"{kind.__name__}{other}"
            )
    return module_cls, data_cls
