"""`repro report` in-process: verdicts, config choice, notes, escaping, figures, PDF."""

from __future__ import annotations

import dataclasses
import math
import re
import textwrap
from pathlib import Path

import pytest

from repro import stats
from repro.errors import NothingToReport
from repro.records.table import load_records
from repro.reporting import aggregate
from repro.reporting.build import ReportRequest, build_report
from repro.reporting.notes import DEFAULT_SECTIONS, parse_notes
from tests.records.test_table import write_run as write_any_run


def write_run(*args: object, **kwargs: object) -> Path:
    """Runs with the real composed config, so the report can tell the paper's setting."""
    kwargs.setdefault("composed", True)
    return write_any_run(*args, **kwargs)  # type: ignore[arg-type]


CNN = [0.941, 0.939, 0.942, 0.938, 0.940]  # the paper's 0.94 ± 0.03: reproduced
MLP = [0.501, 0.498, 0.503, 0.497, 0.500]  # the paper's 0.68: far below


def mnist1d_records(results: Path, seeds: int = 5) -> None:
    for seed in range(seeds):
        log = [(39, 1.0 - 0.1 * seed), (79, 0.8), (119, 0.6)]
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]}, csv_log=log)
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]}, csv_log=log)


def report(results: Path, out: Path, **kwargs: object) -> tuple[object, str]:
    outcome = build_report(ReportRequest("mnist1d", results, out, **kwargs))  # type: ignore[arg-type]
    return outcome, (out / "report.md").read_text()


def table_row(markdown: str, claim_id: str) -> str:
    return next(line for line in markdown.splitlines() if line.startswith(f"| `{claim_id}`"))


def test_verdicts_flow_into_the_claims_table(tmp_path: Path) -> None:
    results = tmp_path / "results"
    mnist1d_records(results)
    outcome, markdown = report(results, tmp_path / "out")
    assert "✅ reproduced" in table_row(markdown, "cnn_acc")
    assert "❌ not reproduced (below: worse than claimed" in table_row(markdown, "mlp_acc")
    assert "✅ reproduced" in table_row(markdown, "cnn_beats_mlp")
    assert "➖ not run" in table_row(markdown, "gru_acc")
    cnn = table_row(markdown, "cnn_acc")
    assert "0.94, within ±0.03" in cnn and "(n=5)" in cnn and "[0.938" in cnn  # CI shown
    assert "-0.1802 (-26.5%)" in table_row(markdown, "mlp_acc")  # Δ absolute and relative
    assert outcome.overall == aggregate.INCOMPLETE_OVERALL  # 6 of the 9 claims not run
    assert "**Overall: ⏳ incomplete**" in markdown
    assert stats.EQUIVALENCE_RULE[:40] in markdown and "α = 0.05" in markdown
    assert "repro sweep paper=mnist1d experiment=cnn,mlp seeds=5" in markdown
    assert "repro report paper=mnist1d" in markdown
    for section in ("## Hyperparameters", "## Compute", "## Provenance", "## Figures"):
        assert section in markdown
    assert "5,210" in markdown and "train 4,000" in markdown  # parameters, dataset sizes
    assert (tmp_path / "out" / "figures" / "claims.png").stat().st_size > 1000
    assert (tmp_path / "out" / "figures" / "curves.png").stat().st_size > 1000


def test_failed_runs_are_counted_apart_and_listed(tmp_path: Path) -> None:
    results = tmp_path / "results"
    mnist1d_records(results, seeds=3)
    write_run(results, "cnn", 7, {}, status="failed", error="non-finite loss at step 3 (nan)")
    write_run(results, "cnn", 8, {}, status="running")
    _, markdown = report(results, tmp_path / "out")
    # failed seeds do not enter the test; one that diverged is counted beside it
    assert "(n=3; 1 of 4 diverged)" in table_row(markdown, "cnn_acc")
    assert "**Unsuccessful attempts, counted apart:** 2" in markdown
    assert "non-finite loss at step 3 (nan)" in markdown
    assert "| unfinished |" in markdown


def test_an_unfinished_run_without_a_time_is_not_counted_as_no_time(tmp_path: Path) -> None:
    """a run killed with kill -9 keeps its `running` record, which has no wall
    time; the report counted it as 0 h ("Unsuccessful runs, counted apart: 2 (0.003 h)"), as
    if it had cost nothing. It now says how many runs' time is unknown."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    write_run(results, "cnn", 7, {}, status="failed", error="nan", wall_s=10.8)
    killed = write_run(results, "cnn", 8, {}, status="running")
    record = json.loads((killed / "record.json").read_text())
    record["timing"] = {"started_at": record["timing"]["started_at"]}  # as a kill -9 leaves it
    (killed / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    line = "**Unsuccessful attempts, counted apart:** 2 (10.8 s; 1 without a recorded time"
    assert line in markdown
    assert "1 without a recorded time" in (tmp_path / "out" / "report.html").read_text()


def test_the_papers_setting_is_judged_and_another_config_named_against_it(tmp_path: Path) -> None:
    results = tmp_path / "results"
    mnist1d_records(results, seeds=3)
    write_run(  # a newer one-seed smoke test with another config
        results,
        "cnn",
        0,
        {"test/acc": 0.5},
        finished_at="2027-01-01T00:00:00+00:00",
        **{"trainer.max_steps": 5},
    )
    runs = aggregate.run_table(load_records(results).frame)
    choices = aggregate.choose_configs(runs)
    assert len(choices["cnn"].seeds) == 3 and len(choices["cnn"].others) == 1
    assert choices["cnn"].others[0].differences == (("trainer.max_steps", 5, 6000),)
    _, markdown = report(results, tmp_path / "out")
    assert "(n=3)" in table_row(markdown, "cnn_acc")
    assert "Set aside" in markdown and "trainer.max\\_steps=5 (paper: 6000)" in markdown

    smoke = runs.loc[runs["p_trainer.max_steps"] == 5, "config_hash"].iloc[0]
    pinned = aggregate.choose_configs(runs, frozenset({smoke}))
    assert pinned["cnn"].chosen.config_hash == smoke and pinned["cnn"].pinned


def test_ties_go_to_the_most_recent_config(tmp_path: Path) -> None:
    results = tmp_path / "results"
    write_run(results, "cnn", 0, finished_at="2026-01-01T00:00:00+00:00")
    newer = write_run(
        results, "cnn", 0, finished_at="2026-06-01T00:00:00+00:00", **{"optimizer.lr": 0.1}
    )
    choices = aggregate.choose_configs(aggregate.run_table(load_records(results).frame))
    assert choices["cnn"].chosen.config_hash == newer.parent.name


def test_comparison_pairs_by_seed(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for seed in range(4):
        write_run(results, "cnn", seed, {"test/acc": 0.9 + 0.01 * seed})
        write_run(results, "mlp", seed, {"test/acc": 0.6 + 0.01 * seed})
    write_run(results, "cnn", 9, {"test/acc": 0.1})  # no mlp partner: left out
    _, markdown = report(results, tmp_path / "out")
    assert "(A − B, n=4 pairs)" in table_row(markdown, "cnn_beats_mlp")
    assert "1 seed completed for only one of cnn and mlp" in markdown


def test_notes_are_created_once_and_merged_in(tmp_path: Path) -> None:
    results, out = tmp_path / "results", tmp_path / "out"
    mnist1d_records(results, seeds=2)
    outcome, markdown = report(results, out)
    notes = out / "notes.md"
    assert outcome.notes_created and notes.is_file()
    assert [s.title for s in parse_notes(notes.read_text())] == list(DEFAULT_SECTIONS)
    assert "Not written yet" in markdown
    text = notes.read_text().replace(
        "## What was easy\n\n<!-- Write here (Markdown). -->",
        "## What was easy\n\nThe authors' notebook ran as is.",
    )
    notes.write_text(text + "\n## Our own section\n\nMore seeds next time.\n")
    outcome, markdown = report(results, out)
    assert not outcome.notes_created
    assert notes.read_text() == text + "\n## Our own section\n\nMore seeds next time.\n"
    assert "### What was easy\n\nThe authors' notebook ran as is." in markdown
    assert "### Our own section" in markdown and "More seeds next time." in markdown
    assert markdown.count("Not written yet") == 2


def test_notes_saved_in_another_encoding_are_not_dropped(tmp_path: Path) -> None:
    """notes.md saved as Latin-1 (a Windows editor: "café") failed to decode and the
    report said "Not written yet" under every heading, the user's notes silently gone."""
    results, out = tmp_path / "results", tmp_path / "out"
    mnist1d_records(results, seeds=2)
    report(results, out)
    (out / "notes.md").write_bytes(
        "## What was easy\n\nThe caf\u00e9 notebook ran.\n".encode("latin-1")
    )
    _, markdown = report(results, out)
    assert "### What was easy\n\nThe caf" in markdown and "notebook ran." in markdown
    # Notepad's UTF-8 starts with a byte order mark: its first heading was text before any
    # section, so "What was easy" was dropped
    (out / "notes.md").write_text("\ufeff## What was easy\n\nRan as is.\n", encoding="utf-8")
    _, markdown = report(results, out)
    assert "### What was easy\n\nRan as is." in markdown


def test_a_heading_inside_a_code_block_of_the_notes_is_code_not_a_section() -> None:
    """a `## ` line inside a fenced block of notes.md (a shell comment, a Markdown
    sample) started a new section there: the block was cut open, so everything after it in
    report.md rendered as code, and the comment became a section of the report."""
    text = (
        "## What was difficult\n\nThe rate needed tuning:\n\n```bash\n## first try: diverged\n"
        "repro sweep paper=x optimizer.lr=0.1\n```\n\n~~~~\n## a sample\n```\n~~~~\n\n"
        "## Discussion\n\nFine.\n"
    )
    sections = parse_notes(text)
    assert [s.title for s in sections] == ["What was difficult", "Discussion"]
    assert sections[0].body.endswith("~~~~\n## a sample\n```\n~~~~")
    assert "## first try: diverged\nrepro sweep" in sections[0].body
    (unclosed,) = parse_notes("## Discussion\n\n````\nfoo\n```\n")
    assert unclosed.body == "````\nfoo\n```\n````"  # closed where the notes end


def write_paper(
    root: Path,
    claims: str,
    title: str = "A toy paper",
    experiments: tuple[str, ...] = ("cnn", "mlp"),
) -> Path:
    """A plugin folder with only what a report needs (no model code)."""
    folder = root / "toy"
    (folder / "experiment").mkdir(parents=True)
    (folder / "paper.yaml").write_text(
        textwrap.dedent(
            f"""\
            id: toy
            title: {title!r}
            authors: [Test Author]
            venue: Nowhere 2026
            year: 2026
            paper_url: "javascript:alert(1)"
            module: model:Toy
            datamodule: data:Toy
            experiments:
            """
        )
        + "".join(f"  {name}: a model\n" for name in experiments)
        + "claims:\n"
        + textwrap.indent(textwrap.dedent(claims), "  ")
    )
    (folder / "settings.yaml").write_text(
        "# @package _global_\nmodel: {arch: cnn, hidden: 100}\n"
        "data: {batch_size: 100, shuffle_seq: false}\noptimizer: {lr: 0.01}\n"
        "trainer: {max_steps: 6000}\n"
    )
    for name in experiments:
        (folder / "experiment" / f"{name}.yaml").write_text("# @package _global_\n{}\n")
    return root


def toy_records(results: Path, papers: Path) -> None:
    for seed in range(5):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]}, paper="toy", papers_dir=papers)
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]}, paper="toy", papers_dir=papers)


def test_html_escapes_plugin_and_user_strings(tmp_path: Path) -> None:
    papers = write_paper(
        tmp_path / "papers",
        """\
        - {id: cnn_acc, experiment: cnn, metric: test/acc, value: 0.94, tolerance: 0.03,
           source: "<script>alert('source')</script> | Table 1"}
        """,
        title="<img src=x onerror=alert(1)>",
    )
    results, out = tmp_path / "results", tmp_path / "out"
    toy_records(results, papers)
    request = ReportRequest(
        "toy", results, out, formats=frozenset({"md", "html"}), papers_dir=[papers]
    )
    build_report(request)
    (out / "notes.md").write_text("## What was easy\n\n<script>alert('notes')</script> *fine*\n")
    build_report(request)
    html = (out / "report.html").read_text()
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<em>fine</em>" in html  # notes are Markdown, with raw HTML escaped
    assert 'href="javascript:' not in html
    assert "data:image/png;base64," in html  # figures inlined: one self-contained file
    markdown = (out / "report.md").read_text()
    row = table_row(markdown, "cnn_acc")
    assert "<script>" not in row and "\\<script\\>" in row
    assert "\\| Table 1" in row  # a pipe cannot break the table
    # backslash-escaped, so CommonMark shows the text and never forms a tag (the BibTeX block
    # is a code fence: its text is shown as written, never read as HTML)
    prose = markdown[: markdown.index("```bibtex")]
    assert re.search(r"(?<!\\)<img src=x", prose) is None and "\\<img src=x" in prose
    # notes.md is the user's own Markdown: copied into report.md as written
    assert "<script>alert('notes')</script> *fine*" in markdown


def test_links_in_the_markdown_lead_where_paper_yaml_says(tmp_path: Path) -> None:
    """report.md wrote the paper's and code's URLs as autolinks with Markdown's
    backslash escapes inside (`<https://github.com/o/vision\\_transformer>`); CommonMark keeps
    a backslash in an autolink, so the link led to vision%5C_transformer, a page that does
    not exist. A non-web address (javascript:) was an autolink too: now it is text."""
    from markdown_it import MarkdownIt

    papers = write_paper(tmp_path / "papers", "[]")
    spec = papers / "toy" / "paper.yaml"
    code = "https://github.com/o/vision_transformer/tree/main/a*b"
    text = spec.read_text().replace("javascript:alert(1)", "https://arxiv.org/abs/x_y")
    spec.write_text(text.replace("module: model:Toy", f"code_url: {code!r}\nmodule: model:Toy"))
    results, out = tmp_path / "results", tmp_path / "out"
    toy_records(results, papers)
    build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    html = MarkdownIt("commonmark").render((out / "report.md").read_text())
    assert 'href="https://arxiv.org/abs/x_y"' in html and f'href="{code}"' in html
    assert "%5C" not in html

    spec.write_text(spec.read_text().replace("https://arxiv.org/abs/x_y", "javascript:alert(1)"))
    build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    html = MarkdownIt("commonmark").render((out / "report.md").read_text())
    assert 'href="javascript:' not in html and "javascript:alert(1)" in html


def test_unverified_claims_are_shown_but_not_counted(tmp_path: Path) -> None:
    papers = write_paper(
        tmp_path / "papers",
        """\
        - {id: cnn_acc, experiment: cnn, metric: test/acc, value: 0.94, tolerance: 0.03,
           std: 0.002, n: 5, source: Table 1, verified: true}
        - {id: mlp_acc, experiment: mlp, metric: test/acc, value: 0.68, tolerance: 0.03,
           source: Table 2, verified: false}
        - {id: cnn_floor, kind: threshold, experiment: cnn, metric: test/acc, value: 0.9,
           direction: ">=", source: Table 3, verified: true}
        """,
    )
    results, out = tmp_path / "results", tmp_path / "out"
    toy_records(results, papers)
    outcome = build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    markdown = (out / "report.md").read_text()
    assert outcome.overall == aggregate.REPRODUCED_OVERALL  # the failing claim is unverified
    assert "⚠️ unverified" in table_row(markdown, "mlp_acc")
    assert "❌ not reproduced (below: worse than claimed" in table_row(markdown, "mlp_acc")
    assert "✅ reproduced" in table_row(markdown, "cnn_floor")
    assert "Welch t-test against the paper's mean ± std (n=5)" in markdown
    assert stats.THRESHOLD_RULE[:20] in markdown


def test_pdf_is_written(tmp_path: Path) -> None:
    pytest.importorskip("weasyprint", exc_type=ImportError)
    try:
        import weasyprint  # noqa: F401
    except OSError:
        pytest.skip("WeasyPrint's system libraries are missing")
    results, out = tmp_path / "results", tmp_path / "out"
    mnist1d_records(results, seeds=3)
    outcome, _ = report(results, out, formats=frozenset({"md", "pdf"}), write_csv=True)
    pdf = out / "report.pdf"
    assert pdf in outcome.files
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    assert (out / "figures" / "claims.svg").is_file()  # vector figures for the PDF
    csv_head = (out / "records.csv").read_text().splitlines()[0]
    assert "metric" in csv_head and "counted" in csv_head and "p_model.arch" in csv_head


def test_pdf_shared_settings_put_each_value_beside_its_key(tmp_path: Path) -> None:
    """WeasyPrint laid two flex-placed tables out as one: 'trainer.accelerator' was followed
    by the next key, its value 'cpu' pushed a column to the right."""
    import shutil
    import subprocess

    pytest.importorskip("weasyprint", exc_type=ImportError)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is missing")
    results, out = tmp_path / "results", tmp_path / "out"
    mnist1d_records(results, seeds=2)
    report(results, out, formats=frozenset({"md", "pdf"}))
    text = subprocess.run(
        ["pdftotext", "-layout", str(out / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    shared = text[text.index("Shared by every experiment") :]
    row = next(line for line in shared.splitlines() if "trainer.max_steps" in line)
    assert row.split()[row.split().index("trainer.max_steps") + 1] == "6000"
    assert shared.splitlines()[2].split()[:2] == ["Key", "Value"]


def test_long_unbroken_tokens_wrap_inside_the_pdf_page(tmp_path: Path) -> None:
    """a long hyperparameter key or value and a long error ran past the right edge
    of the PDF page, which cut them off: every word now ends inside the right margin."""
    import re
    import shutil
    import subprocess

    pytest.importorskip("weasyprint", exc_type=ImportError)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is missing")
    long = "x" * 150
    papers = write_paper(
        tmp_path / "papers",
        f"""\
        - {{id: acc{"y" * 90}, experiment: cnn, metric: test/acc, value: 0.94, tolerance: 0.03,
           source: Table1{"z" * 80}}}
        """,
    )
    settings = papers / "toy" / "settings.yaml"
    settings.write_text(settings.read_text() + f"extra: {{path: {long}, {'k' * 90}: 3}}\n")
    (papers / "toy" / "experiment" / "mlp.yaml").write_text(
        f"# @package _global_\nextra: {{path: {long}m}}\n"
    )
    results, out = tmp_path / "results", tmp_path / "out"
    for seed in range(2):
        for experiment in ("cnn", "mlp"):
            write_run(results, experiment, seed, paper="toy", papers_dir=papers)
    error = "RuntimeError: " + "Q" * 200
    write_run(results, "cnn", 9, {}, "failed", error, paper="toy", papers_dir=papers)
    build_report(ReportRequest("toy", results, out, frozenset({"pdf"}), papers_dir=[papers]))
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(out / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))  # type: ignore[union-attr]
    right = width - 13 / 25.4 * 72  # the page's 13 mm right margin
    words = re.findall(r'xMax="([\d.]+)"[^>]*>([^<]*)<', boxes)
    assert all(token * 4 in boxes for token in "Qxkyz")  # each long token is on the page
    assert [word[:30] for end, word in words if float(end) > right + 0.5] == []


def test_a_number_in_the_claims_table_is_never_broken_across_lines(tmp_path: Path) -> None:
    """The claims table let a cell break anywhere: the PDF's narrow Δ column showed
    `+0.0005` above `432 (+0.1%)`, which read as a difference of 0.0005."""
    import shutil
    import subprocess

    pytest.importorskip("weasyprint", exc_type=ImportError)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is missing")
    papers = write_paper(
        tmp_path / "papers",
        """\
        - {id: cnn_acc, experiment: cnn, metric: test/acc, value: 0.94, tolerance: 0.03,
           source: Table 1}
        """,
    )
    results, out = tmp_path / "results", tmp_path / "out"
    for seed, acc in enumerate([0.9415432, 0.9395432, 0.9405432]):
        write_run(results, "cnn", seed, {"test/acc": acc}, paper="toy", papers_dir=papers)
    request = ReportRequest("toy", results, out, frozenset({"md", "pdf"}), papers_dir=[papers])
    build_report(request)
    row = table_row((out / "report.md").read_text(), "cnn_acc")
    numbers = re.findall(r"[-+]?\d[\d.]*\d", " ".join(row.split("|")[4:7]))
    assert "+0.0005432" in numbers, row
    words = subprocess.run(
        ["pdftotext", "-bbox", str(out / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    shown = set(re.findall(r">([^<]*)</word>", words))
    broken = [n for n in numbers if not any(n in word for word in shown)]
    assert not broken, (broken, sorted(shown))


def test_records_of_an_experiment_the_plugin_no_longer_has(tmp_path: Path) -> None:
    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    write_run(results, "transformer", 0, {"test/acc": 0.99}, composed=False)
    _, markdown = report(results, tmp_path / "out")
    assert "| `transformer` |" in markdown  # still shown under hyperparameters and compute
    assert "no longer in the plugin, so not in the commands: transformer" in markdown
    assert "repro sweep paper=mnist1d experiment=cnn,mlp seeds=2" in markdown


def test_a_paper_without_claims_reports_its_runs_and_judges_nothing(tmp_path: Path) -> None:
    papers = write_paper(tmp_path / "papers", "[]")
    results, out = tmp_path / "results", tmp_path / "out"
    toy_records(results, papers)
    outcome = build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    markdown = (out / "report.md").read_text()
    assert outcome.overall == aggregate.NO_CLAIMS_OVERALL
    assert "**Overall: ➖ no claims** — the plugin ships no claims to check" in markdown
    assert "0 of 0" not in markdown and "## Compute" in markdown


def test_a_paper_without_claims_or_notes_does_not_point_to_notes_that_say_why(
    tmp_path: Path,
) -> None:
    """A plugin with no claims and no `notes:` got, in its headline and Discussion, `the plugin
    ships no claims to check; its paper notes say why`: there were no notes to read."""
    papers = write_paper(tmp_path / "papers", "[]")
    results, out = tmp_path / "results", tmp_path / "out"
    toy_records(results, papers)
    build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    markdown = (out / "report.md").read_text()
    assert "the plugin ships no claims to check" in markdown
    assert "notes say why" not in markdown, markdown
    yaml = papers / "toy" / "paper.yaml"
    yaml.write_text(yaml.read_text().replace("claims:", "notes: No table gives numbers.\nclaims:"))
    build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    markdown = (out / "report.md").read_text()
    assert "No table gives numbers." in markdown and "notes say why" in markdown, markdown


def test_a_paper_without_claims_is_not_said_to_be_judged_on_earlier_code(tmp_path: Path) -> None:
    """A paper with no claims whose runs are of earlier plugin code got `Caution: toy/cnn:
    judged on runs of earlier plugin code` under a headline saying nothing is tested: its
    runs are described, not judged."""
    papers = write_paper(tmp_path / "papers", "[]")
    results, out = tmp_path / "results", tmp_path / "out"
    toy_records(results, papers)  # their code differs from the plugin folder's
    outcome = build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    older = [w for w in outcome.warnings if "earlier plugin code" in w]
    assert older and not [w for w in older if "judged" in w], older
    assert "judged on runs" not in (out / "report.md").read_text()


def test_a_paper_without_claims_results_line_says_what_the_report_holds(tmp_path: Path) -> None:
    """Results of a paper with no claims read `➖ **no claims**: no claims.`, the badge said
    twice and nothing about the runs the report does describe."""
    papers = write_paper(tmp_path / "papers", "[]")
    results, out = tmp_path / "results", tmp_path / "out"
    toy_records(results, papers)
    build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    markdown = (out / "report.md").read_text()
    line = markdown.split("### Results\n\n", 1)[1].split("\n", 1)[0]
    assert "no claims**: no claims" not in line and "nothing is judged" in line, line


def test_a_paper_without_claims_has_no_empty_claims_table(tmp_path: Path) -> None:
    """A paper with no claims got, under `## Claims`, a table's header row with no rows below
    it and a bold `Rules.` with nothing after it (HTML and PDF alike): it read as a report
    whose claims were lost. One line says there are none."""
    papers = write_paper(tmp_path / "papers", "[]")
    results, out = tmp_path / "results", tmp_path / "out"
    toy_records(results, papers)
    build_report(
        ReportRequest("toy", results, out, papers_dir=[papers], formats=frozenset({"md", "html"}))
    )
    markdown = (out / "report.md").read_text()
    claims = markdown.split("## Claims", 1)[1].split("\n## ", 1)[0]
    assert "| Claim |" not in claims and "Rules." not in claims, claims
    assert "No claims" in claims, claims
    html = (out / "report.html").read_text()
    claims = html.split("<h2>Claims</h2>", 1)[1].split("<h2>", 1)[0]
    assert "<th>Claim</th>" not in claims and "Rules." not in claims, claims
    assert "No claims" in claims, claims


def test_a_paper_without_claims_scope_does_not_promise_a_list_of_claims(tmp_path: Path) -> None:
    """Scope said `The paper plugin lists 0 claims over 0 experiments; these are the claims
    tested:` with nothing after the colon (Markdown, HTML, PDF)."""
    papers = write_paper(tmp_path / "papers", "[]")
    results, out = tmp_path / "results", tmp_path / "out"
    toy_records(results, papers)
    build_report(
        ReportRequest("toy", results, out, papers_dir=[papers], formats=frozenset({"md", "html"}))
    )
    for name, end in (("report.md", "### Methodology"), ("report.html", "<h3>Methodology")):
        text = (out / name).read_text()
        scope = text.split("Scope", 1)[1].split(end, 1)[0]
        assert "these are the claims tested" not in scope, scope
        assert "no claims" in scope, scope


def test_results_beyond_the_paper_does_not_say_none_of_an_unclaimed_experiments_settings(
    tmp_path: Path,
) -> None:
    """Runs of `mlp` (no claim on it) under optimizer.lr=0.1 are listed under Compute, yet
    `Results beyond the original paper` said `None: every completed run is of the paper's
    setting`. It says which experiments ran other settings and where they are listed."""
    papers = write_paper(
        tmp_path / "papers",
        "- {id: cnn_acc, experiment: cnn, metric: test/acc, value: 0.94, tolerance: 0.03,\n"
        "   source: T1}",
    )
    results, out = tmp_path / "results", tmp_path / "out"
    toy_records(results, papers)
    for seed in range(2):
        write_run(
            results,
            "mlp",
            seed,
            {"test/acc": 0.6},
            paper="toy",
            papers_dir=papers,
            **{"optimizer.lr": 0.1},
        )
    build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    markdown = (out / "report.md").read_text()
    beyond = markdown.split("## Results beyond the original paper", 1)[1].split("\n## ", 1)[0]
    assert "every completed run is of the paper's setting" not in beyond, beyond
    assert "`mlp`" in beyond and "Compute" in beyond, beyond


# Layout (issue #13.5): what the reader sees, not only what is computed.


def test_markdown_escapes_relations_with_backslashes_not_entities(tmp_path: Path) -> None:
    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    _, markdown = report(results, tmp_path / "out")
    assert "&gt;" not in markdown and "&lt;" not in markdown
    assert "cnn \\> mlp" in table_row(markdown, "cnn_beats_mlp")


@pytest.mark.parametrize(
    "text", ["lr ~1e-3 to ~1e-2", "AT&amp;T &lt;b&gt;", "a ~~struck~~ word", "max_time `x` *y* [z]"]
)
def test_markdown_text_reads_on_github_as_written(text: str) -> None:
    """`md` left `~` and `&` as they were: GitHub struck `~1e-3 to ~1e-2` through (its
    strikethrough takes one tilde) and showed `&lt;` as `<`, not as the plugin wrote it."""
    from markdown_it import MarkdownIt

    from repro.reporting.render import md

    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md(text))
    assert "<s>" not in html and "<em>" not in html and "<code>" not in html, html
    shown = html.removeprefix("<p>").removesuffix("</p>\n")
    expected = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert shown == expected, (md(text), html)


@pytest.mark.parametrize("hours", [1e-9, 3e-8, 2.7e-7, 2e-4, 0.03, 1.99, 2.0, 150.0])
def test_times_and_gpu_times_are_never_in_scientific_notation(hours: float) -> None:
    """A fraction of a second was written with `.2g`: a run of microseconds read `3.6e-06 s`
    and `3.6e-06 GPU-seconds`, a form no one reads as a time."""
    from repro.reporting.render import gpu_hours, seconds

    for text in (seconds(hours * 3600), gpu_hours(hours)):
        assert not re.search(r"\de[+-]?\d", text), text
        number = float(text.split()[0].lstrip("<"))
        assert number > 0, text  # never a zero time for a time that is not


def test_scope_names_a_comparisons_experiments_once(tmp_path: Path) -> None:
    """Scope read `cnn_beats_mlp: cnn test/acc cnn > mlp`: the first experiment twice, the
    first time where a value claim's experiment goes, as if the claim were about cnn alone."""
    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    _, markdown = report(results, tmp_path / "out")
    scope = markdown[markdown.index("### Scope") : markdown.index("### Methodology")]
    (line,) = [line for line in scope.splitlines() if line.startswith("- cnn\\_beats\\_mlp:")]
    assert line.startswith("- cnn\\_beats\\_mlp: test/acc cnn \\> mlp ("), line


def test_venue_year_is_not_repeated(tmp_path: Path) -> None:
    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    assert "*ICML 2024*." in markdown and "(2024)" not in markdown
    assert "(2024)" not in (tmp_path / "out" / "report.html").read_text()


def test_fewer_formats_keep_the_old_outputs_and_say_when_they_are_stale(tmp_path: Path) -> None:
    """Before, a report in fewer formats deleted report.html and records.csv (finished outputs
    the user asked for). They are kept; once the records change, a warning says they are stale
    (tests/reporting/test_outputs.py: kept silently while they match)."""
    results, out = tmp_path / "results", tmp_path / "out"
    mnist1d_records(results, seeds=2)
    report(results, out, formats=frozenset({"md", "html"}), write_csv=True)
    html = (out / "report.html").read_bytes()
    write_run(results, "cnn", 2, {"test/acc": CNN[2]})  # newer records
    outcome, _ = report(results, out)
    assert (out / "report.html").read_bytes() == html and (out / "records.csv").is_file()
    assert (out / "notes.md").is_file() and outcome.files == [out / "report.md"]
    stale = [w for w in outcome.warnings if "does not match this one" in w]  # type: ignore[attr-defined]
    assert len(stale) == 2 and "add --format html to update it" in stale[0], outcome.warnings


def test_a_figure_the_regenerated_report_no_longer_draws_is_not_left_beside_it(
    tmp_path: Path,
) -> None:
    """figures/curves.png of an earlier report stayed in the folder after a report
    of records without curves ("No training curves"), beside figures it does show; a reader of
    the folder took it for this report's. The folder holds this report's figures only."""
    results, out = tmp_path / "results", tmp_path / "out"
    mnist1d_records(results, seeds=2)
    report(results, out)
    assert (out / "figures" / "curves.png").is_file()
    (out / "figures" / "mine.png").write_bytes(b"a user's own file")
    for log in results.rglob("metrics.csv"):
        log.unlink()
    _, markdown = report(results, out)
    assert "No training curves" in markdown
    assert not (out / "figures" / "curves.png").exists()
    assert (out / "figures" / "claims.png").is_file() and (out / "figures" / "mine.png").is_file()


def test_no_training_curves_does_not_say_runs_of_another_setting_have_no_logs(
    tmp_path: Path,
) -> None:
    """Curves are drawn from the judged setting's runs only. When those had no CSV logs but a
    run of another setting (optimizer.lr=0.1) had, the report said `the runs have no CSV logs
    ... (run with logger=csv ...)`: false of the runs it lists beyond the paper."""
    results, out = tmp_path / "results", tmp_path / "out"
    log = [(39, 1.0), (79, 0.8), (119, 0.6)]
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
        write_run(
            results, "cnn", seed, {"test/acc": CNN[seed]}, csv_log=log, **{"optimizer.lr": 0.1}
        )
    build_report(ReportRequest("mnist1d", results, out, formats=frozenset({"md", "html"})))
    for name in ("report.md", "report.html"):
        text = (out / name).read_text()
        figures = text.split("Figures", 1)[1].split("Results beyond the original paper", 1)[0]
        figures = " ".join(re.sub(r"data:image/[^\"]+", "", figures).split())
        assert "the runs have no CSV logs" not in figures, figures
        assert "other settings" in figures and "cnn" in figures, figures


def test_an_all_nan_curve_is_not_said_to_have_no_logs_beside_other_settings_curves(
    tmp_path: Path,
) -> None:
    """The judged setting logged NaN at every step, another setting finite values: its note
    says no value is finite; no line may say its runs have no CSV logs."""
    results, out = tmp_path / "results", tmp_path / "out"
    nan, log = [(39, math.nan), (79, math.nan)], [(39, 1.0), (79, 0.8)]
    for seed in range(2):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]}, csv_log=nan)
        write_run(
            results, "cnn", seed, {"test/acc": CNN[seed]}, csv_log=log, **{"optimizer.lr": 0.1}
        )
    _, markdown = report(results, out)
    figures = markdown.split("## Figures", 1)[1].split("\n## ", 1)[0]
    assert "no CSV logs" not in figures and "no value is finite" in figures, figures


def test_runs_with_csv_logs_of_one_step_are_not_told_to_run_with_logger_csv(
    tmp_path: Path,
) -> None:
    """Runs made with `logger=csv` whose logs hold each metric at one step (a run shorter than
    trainer.log_every_n_steps) got `No training curves: ... (run with logger=csv ...)`: the
    advice they had followed. It says their logs have no metric at several steps and why."""
    results, out = tmp_path / "results", tmp_path / "out"
    for seed in range(2):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]}, csv_log=[(19, 0.5)])
    _, markdown = report(results, out)
    figures = markdown.split("## Figures", 1)[1].split("\n## ", 1)[0]
    assert "No training curves" in figures and "logger=csv" not in figures, figures
    assert "log_every_n_steps" in figures, figures


def test_the_api_gives_no_interval_where_the_verdict_rests_on_none() -> None:
    """`repro.report()` documents ci_low/ci_high as the 90% CI the verdict rests
    on; a verdict with none (a two-stage plan short of its pilot seeds) got the summary's 95%
    t-interval under that name, where report.md prints "–"."""
    from repro.plugins.paper_spec import Claim

    claim = Claim(id="c", experiment="cnn", metric="m", value=0.5, tolerance=0.1, source="T")
    values = [0.4, 0.5, 0.6]
    verdict = stats.Verdict(stats.INCONCLUSIVE, "needs the 4 pilot seeds, got 3")
    result = aggregate.ClaimResult(claim, verdict.outcome, verdict, stats.summarize(values))
    row = aggregate.verdict_numbers(result)
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"]) and row["n"] == 3
    same = stats.equivalence_verdict([0.5] * 3, 0.5, 0.1)  # every seed alike: no interval
    result = aggregate.ClaimResult(claim, same.outcome, same, stats.summarize([0.5] * 3))
    assert (aggregate.verdict_numbers(result)["ci_low"], result.summary.mean) == (0.5, 0.5)


def test_the_api_gives_no_interval_for_a_metric_too_coarse_to_show_the_spread() -> None:
    """Three seeds at 0.5 whose runs differ elsewhere: report.md says "none" and the verdict
    says the spread is unknown, but `repro.report()` gave ci_low = ci_high = 0.5, a CI of
    width 0 that no verdict rests on; only a deterministic run's value is its interval."""
    from repro.plugins.paper_spec import Claim

    claim = Claim(id="c", experiment="cnn", metric="m", value=0.5, tolerance=0.1, source="T")
    coarse = stats.equivalence_verdict([0.5] * 3, 0.5, 0.1, exact=False)
    assert stats.TOO_COARSE in coarse.reason
    result = aggregate.ClaimResult(claim, coarse.outcome, coarse, stats.summarize([0.5] * 3))
    row = aggregate.verdict_numbers(result)
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"]), row
    assert row["n"] == 3 and row["mean"] == 0.5


def test_a_comparison_with_runs_on_one_side_gets_no_panel(tmp_path: Path) -> None:
    from repro.reporting.figures import claims_figure

    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    from repro.plugins.registry import get_paper

    claims = get_paper("mnist1d").spec().claims
    evaluated = aggregate.evaluate_claims(frame, claims, choices, 0.05)
    comparison = next(r for r in evaluated if r.claim.id == "cnn_beats_mlp")
    assert comparison.values and not comparison.versus_values
    assert claims_figure([comparison], tmp_path / "fig", vector=False) == []


def test_a_comparison_with_runs_on_one_side_names_the_side_without_them(tmp_path: Path) -> None:
    """cnn completed 3 seeds, mlp none: the row said "no completed runs" and "No completed
    runs to judge it on" beside cnn's 3 completed runs; it names mlp as the side without."""
    from repro.plugins.registry import get_paper
    from repro.reporting.render import claim_details, reproduced_text

    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
    write_run(results, "mlp", 5, {"test/acc": MLP[0]})  # a seed cnn never ran: no pair
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    claims = get_paper("mnist1d").spec().claims
    evaluated = aggregate.evaluate_claims(frame, claims, choices, 0.05)
    comparison = next(r for r in evaluated if r.claim.id == "cnn_beats_mlp")
    assert reproduced_text(comparison) == "no seed completed for both cnn and mlp"
    assert claim_details(comparison)[0] == "No seed completed for both cnn and mlp to pair."
    (results / "mnist1d" / "mlp").rename(tmp_path / "mlp")
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    evaluated = aggregate.evaluate_claims(frame, claims, choices, 0.05)
    comparison = next(r for r in evaluated if r.claim.id == "cnn_beats_mlp")
    assert reproduced_text(comparison) == "no completed mlp runs"
    assert claim_details(comparison)[0] == "No completed mlp runs to pair with cnn's."


def test_a_threshold_claims_p_value_sentence_starts_with_a_capital() -> None:
    """Before: "95% upper bound 0.2646 is <= 0.3. one-sided t-test p = 0.0173."; every sentence
    under the table starts with a capital but this one."""
    from repro.plugins.paper_spec import Claim
    from repro.reporting.render import claim_details

    claim = Claim(
        id="low", kind="threshold", experiment="cnn", metric="m", value=0.3, direction="<=",
        source="T1",
    )  # fmt: skip
    values = [0.2, 0.25, 0.21]
    verdict = stats.threshold_verdict(values, 0.3, "<=")
    result = aggregate.ClaimResult(claim, verdict.outcome, verdict, stats.summarize(values))
    lines = claim_details(result)
    assert "One-sided t-test p = 0.0173." in lines, lines  # t = 5.237, df = 2 (by hand)


def test_a_comparison_on_one_pair_shows_no_spread_for_its_sides() -> None:
    """One seed pair: "cnn: 0.9 ± –; mlp: 0.5 ± – (paired seeds)." where the claims table
    shows a single seed's value as "0.9 (n=1)", without a spread it does not have."""
    from repro.plugins.paper_spec import Claim
    from repro.reporting.render import claim_details

    claim = Claim(
        id="c", kind="comparison", experiment="cnn", versus="mlp", metric="m", direction=">",
        source="T1",
    )  # fmt: skip
    verdict = stats.comparison_verdict([0.9], [0.5], ">")
    result = aggregate.ClaimResult(
        claim,
        verdict.outcome,
        verdict,
        stats.summarize([0.4]),
        first_summary=stats.summarize([0.9]),
        versus_summary=stats.summarize([0.5]),
    )
    lines = claim_details(result)
    assert "cnn: 0.9; mlp: 0.5 (paired seeds)." in lines, lines


def test_html_shared_settings_table_has_a_header_over_both_halves(tmp_path: Path) -> None:
    results, out = tmp_path / "results", tmp_path / "out"
    mnist1d_records(results, seeds=2)
    report(results, out, formats=frozenset({"md", "html"}))
    html = (out / "report.html").read_text()
    shared = html[html.index("Shared by every experiment") : html.index("<h2>Compute</h2>")]
    # one four-column table whose header names both halves: CSS columns broke one table in
    # two (the second half had no header), and WeasyPrint merged two flex-placed tables
    assert shared.count("<table") == 1 and shared.count("<th>Key</th>") == 2
    rows = re.findall(r"<tr>(.*?)</tr>", shared, flags=re.S)[1:]
    assert rows and all(row.count("<td") == 4 for row in rows)
    assert "column-count" not in html


def test_identical_seeds_show_no_interval_no_p_and_the_threshold_margin(tmp_path: Path) -> None:
    """amsgrad's online game is deterministic: the report must not dress one number up as
    evidence ('t-test p = 0', a zero-width CI) nor give a threshold's margin in percent."""
    papers = write_paper(
        tmp_path / "papers",
        """\
        - {id: cnn_floor, kind: threshold, experiment: cnn, metric: test/acc, value: 0.9,
           direction: ">=", source: Table 3}
        """,
    )
    results, out = tmp_path / "results", tmp_path / "out"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": 1.0}, paper="toy", papers_dir=papers)
    build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    markdown = (out / "report.md").read_text()
    row = table_row(markdown, "cnn_floor")
    assert "none: all 3 seeds identical" in row and "margin +0.1" in row and "%" not in row
    assert "All 3 seeds gave the same value" in markdown
    assert "p = 0" not in markdown and "[1, 1]" not in row


def test_html_claimed_cell_breaks_a_comparison_between_words(tmp_path: Path) -> None:
    """'amsgrad_online < adam_online' was cut mid-word ('adam_onl|ine') in the narrow
    Claimed column: it may break only after '_', '/' or '.'."""
    papers = write_paper(
        tmp_path / "papers",
        """\
        - {id: cnn_vs_mlp_shuffled, kind: comparison, experiment: cnn_shuffled,
           versus: mlp_shuffled, metric: test/acc, direction: ">", source: Table 3}
        """,
        experiments=("cnn_shuffled", "mlp_shuffled"),
    )
    results, out = tmp_path / "results", tmp_path / "out"
    for seed in range(3):
        for experiment, acc in (("cnn_shuffled", 0.6 + seed / 100), ("mlp_shuffled", 0.5)):
            write_run(results, experiment, seed, {"test/acc": acc}, paper="toy", papers_dir=papers)
    formats = frozenset({"md", "html"})
    build_report(ReportRequest("toy", results, out, formats=formats, papers_dir=[papers]))
    html = (out / "report.html").read_text()
    assert "<td>cnn_<wbr>shuffled &gt; mlp_<wbr>shuffled</td>" in html


def test_break_opportunities_never_split_a_number() -> None:
    from repro.reporting.render import wbr

    assert str(wbr("0.57, within ±0.411")) == "0.57, within ±0.411"
    assert str(wbr("test/mae.x_y")) == "test/<wbr>mae.<wbr>x_<wbr>y"


@pytest.mark.parametrize(
    ("note", "markdown", "html"),
    [
        (  # reStructuredText's double backticks: one span, not two empty ones around text
            "Run ``repro run paper=toy`` first",
            "Run `repro run paper=toy` first",
            "Run <code>repro run paper=toy</code> first",
        ),
        (  # code holding a backtick, CommonMark's way
            "See ``a`b`` and `` `x` `` and `--config HASH`.",
            "See ``a`b`` and `` `x` `` and `--config HASH`.",
            "See <code>a`b</code> and <code>`x`</code> and <code>--config HASH</code>.",
        ),
        (  # a backtick with no partner is text, and the span before it still code
            "Use `seeds=3`, not 5` more",
            "Use `seeds=3`, not 5\\` more",
            "Use <code>seeds=3</code>, not 5` more",
        ),
    ],
)
def test_a_note_in_double_backticks_is_inline_code(note: str, markdown: str, html: str) -> None:
    """a claim note with ``double backticks`` showed its code as plain text between
    empty spans (and one unpaired backtick made every span in it plain)."""
    from repro.reporting.render import prose, prose_html

    assert prose(note) == markdown
    assert str(prose_html(note)) == html


# The headline (issue #13.4): coverage first, verified claims only, unverified ones apart.


def test_headline_reads_incomplete_while_claims_are_not_run(tmp_path: Path) -> None:
    results = tmp_path / "results"
    mnist1d_records(results)  # cnn and mlp only: 3 of mnist1d's 9 claims can be judged
    outcome, markdown = report(results, tmp_path / "out")
    assert outcome.overall == aggregate.INCOMPLETE_OVERALL
    assert outcome.summary == "2 of 9 claims reproduced, 3 of 9 run"
    assert "**Overall: ⏳ incomplete** — 2 of 9 claims reproduced, 3 of 9 run" in markdown


def test_headline_counts_verified_claims_and_names_unverified_apart(tmp_path: Path) -> None:
    papers = write_paper(
        tmp_path / "papers",
        """\
        - {id: cnn_acc, experiment: cnn, metric: test/acc, value: 0.94, tolerance: 0.03,
           source: Table 1, verified: true}
        - {id: mlp_acc, experiment: mlp, metric: test/acc, value: 0.50, tolerance: 0.03,
           source: Table 2, verified: false}
        - {id: mlp_floor, kind: threshold, experiment: mlp, metric: test/acc, value: 0.4,
           direction: ">=", source: Table 2, verified: false}
        """,
    )
    results, out = tmp_path / "results", tmp_path / "out"
    toy_records(results, papers)
    outcome = build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    assert outcome.overall == aggregate.REPRODUCED_OVERALL
    assert outcome.summary == (
        "1 of 1 claim reproduced, 1 of 1 run; 2 unverified claims shown apart (2 reproduced)"
    )
    header = (out / "report.md").read_text().splitlines()[2]
    assert "(1 reproduced)" in header  # the counts in brackets are of the verified claims


def test_a_paper_whose_claims_are_all_unverified_says_so(tmp_path: Path) -> None:
    papers = write_paper(
        tmp_path / "papers",
        """\
        - {id: cnn_acc, experiment: cnn, metric: test/acc, value: 0.94, tolerance: 0.03,
           source: Table 1, verified: false}
        """,
    )
    results, out = tmp_path / "results", tmp_path / "out"
    toy_records(results, papers)
    outcome = build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    assert outcome.overall == aggregate.NO_VERIFIED_OVERALL
    assert outcome.summary == "1 of 1 unverified claim reproduced, 1 of 1 run"


# ML Reproducibility Challenge structure (issue #13.6).


def test_report_has_the_mlrc_parts(tmp_path: Path) -> None:
    results, out = tmp_path / "results", tmp_path / "out"
    mnist1d_records(results)
    report(results, out, formats=frozenset({"md", "html"}))
    (out / "notes.md").write_text("## Discussion\n\nThe MLP gap is the hidden size.\n")
    _, markdown = report(results, out, formats=frozenset({"md", "html"}))
    scope = markdown[markdown.index("### Scope") : markdown.index("### Methodology")]
    assert "- mlp\\_acc: mlp test/acc 0.68, within ±0.03 (README table" in scope
    discussion = markdown[markdown.index("## Discussion") : markdown.index("## Hyperparameters")]
    assert "mlp\\_acc is not reproduced: 0.4998" in discussion
    assert "No verdict (not run): logistic\\_acc, gru\\_acc, logistic\\_shuffled" in discussion
    assert "The MLP gap is the hidden size." in discussion  # the user's own discussion
    summary = markdown[: markdown.index("## Claims")]
    assert "The MLP gap" not in summary  # shown once, under Discussion
    assert "```bibtex\n@inproceedings{greydanus2024scaling," in markdown
    html = (out / "report.html").read_text()
    assert "<h2>Discussion</h2>" in html and "@inproceedings{greydanus2024scaling," in html


# Judge the paper's setting (issue #13.1).


def test_a_shortened_run_is_not_judged_and_goes_beyond_the_paper(tmp_path: Path) -> None:
    """The student's quick `trainer.max_steps=1500` sweep: mlp_acc is not judged on it."""
    results = tmp_path / "results"
    for seed in range(2):
        metrics = {"test/acc": 0.6 + seed / 100}
        write_run(results, "mlp", seed, metrics, **{"trainer.max_steps": 1500})
    _, markdown = report(results, tmp_path / "out")
    row = table_row(markdown, "mlp_acc")
    assert "not run" in row and "not reproduced" not in row
    assert "The paper's setting of mlp has no completed runs" in markdown
    assert "trainer.max\\_steps=1500 (paper: 6000)" in markdown
    beyond = markdown[markdown.index("## Results beyond") : markdown.index("## Discussion")]
    assert "| `mlp_acc`<br>mlp · test/acc |" in beyond and "0.605 ± 0.007071 (n=2)" in beyond
    # the runs shown, as they were made; the paper's setting, for a verdict, named apart
    assert "repro sweep paper=mnist1d experiment=mlp seeds=2 trainer.max_steps=1500\n" in markdown
    assert (
        f"`REPRO_RESULTS_DIR={results} repro sweep paper=mnist1d experiment=mlp` makes" in markdown
    )


def test_a_run_max_time_stopped_short_of_its_steps_is_left_out_of_the_verdict(
    tmp_path: Path,
) -> None:
    """`trainer.max_time` ends a run after as many steps as the machine manages, yet
    the setting (and its hash) says `max_steps`: a seed a slow machine stopped at step 555 of
    6000 was pooled with seeds that trained all 6000, without a word. It is left out of every
    verdict, listed with how far it trained and the command that trains it again."""
    import json

    results = tmp_path / "results"
    budget = {"+trainer.max_time": "00:01:00:00"}
    for seed, acc in enumerate([0.941, 0.939, 0.5]):
        folder = write_run(results, "cnn", seed, {"test/acc": acc}, **budget)
        record = json.loads((folder / "record.json").read_text())
        short = seed == 2
        record["timing"].update(
            steps=555 if short else 6000,
            epochs=14 if short else 150,
            stopped_by="max_time" if short else "max_steps",
        )
        (folder / "record.json").write_text(json.dumps(record))
    outcome, markdown = report(
        results, tmp_path / "out", pinned_configs=frozenset({folder.parent.name})
    )
    row = table_row(markdown, "cnn_acc")
    assert "(n=2)" in row and "✅" in row, row
    failures = markdown[markdown.index("### Failed and unfinished runs") :]
    line = next(x for x in failures.splitlines() if x.startswith("| `cnn` |") and "| 2 |" in x)
    assert "trainer.max\\_time" in line and "555" in line and "6000" in line, line
    assert "rerun=true" in line, line
    assert any("555" in w and "max_time" in w.replace("\\", "") for w in outcome.warnings)


def _third_seed_stopped_by_max_time(tmp_path: Path, max_time: object) -> tuple[str, str]:
    """Three seeds of `cnn` under `trainer.max_time=<max_time>`, the third stopped by it at
    step 555: the report's one warning of that stop, and the report."""
    import json

    results = tmp_path / "results"
    for seed, acc in enumerate([0.941, 0.939, 0.5]):
        budget = {"trainer.max_time": max_time}
        folder = write_any_run(results, "cnn", seed, {"test/acc": acc}, **budget)
        record = json.loads((folder / "record.json").read_text())
        if seed == 2:
            record["timing"].update(steps=555, epochs=14, stopped_by="max_time")
        (folder / "record.json").write_text(json.dumps(record))
    outcome, markdown = report(
        results, tmp_path / "out", pinned_configs=frozenset({folder.parent.name})
    )
    (warning,) = [w for w in outcome.warnings if "555" in w]
    return warning, markdown


def test_a_max_time_given_as_a_mapping_is_named_by_its_time_when_it_stopped_a_run(
    tmp_path: Path,
) -> None:
    """`+trainer.max_time={hours: 1}` stopped a seed short: the report's warning and its
    failed-runs line said `stopped by trainer.max_time=None`, as if no time were set."""
    warning, markdown = _third_seed_stopped_by_max_time(tmp_path, {"hours": 1})
    assert "trainer.max_time=00:01:00:00 at step 555" in warning, warning
    assert "max\\_time=None" not in markdown and "max_time=None" not in markdown


def test_a_seed_recorded_in_two_folders_of_its_setting_is_not_called_unreadable(
    tmp_path: Path,
) -> None:
    """Seed 0 recorded under `+trainer.min_epochs=0` by an older repro (its own hash then) and
    again in today's folder of that setting: the report counted the readable second record
    as '(1 unreadable record skipped)', a damaged record there is none of. It says the seed
    is counted once; a truly unreadable record is still named so."""
    import json
    import shutil

    import yaml

    from repro.records import store

    results = tmp_path / "results"
    today = write_run(results, "cnn", 0, {"test/acc": 0.94})
    write_run(results, "cnn", 1, {"test/acc": 0.94})
    spelt = yaml.safe_load((today / store.CONFIG_FILE).read_text())
    spelt["trainer"]["min_epochs"] = 0
    before = store._at_readings_before_sixth(store._before_readings(spelt))
    older = today.parent.with_name(store._digest(store._without_lightning_defaults(before)))
    shutil.copytree(today, older / "seed0")
    (older / "seed0" / store.CONFIG_FILE).write_text(yaml.safe_dump(spelt))
    record = json.loads((older / "seed0" / store.RECORD_FILE).read_text())
    (older / "seed0" / store.RECORD_FILE).write_text(
        json.dumps({**record, "config_hash": older.name})
    )

    def generated() -> str:
        _, markdown = report(results, tmp_path / "out")
        return next(line for line in markdown.splitlines() if line.startswith("Generated"))

    line = generated()
    assert "unreadable" not in line, line
    assert "(1 record of a seed recorded in two folders, counted once)" in line, line
    (older / "seed0" / store.RECORD_FILE).write_text("{")
    line = generated()
    assert "(1 unreadable record skipped)" in line, line


def test_a_fraction_of_a_second_max_time_that_stopped_a_run_is_named_as_repro_takes_it(
    tmp_path: Path,
) -> None:
    """`+trainer.max_time={milliseconds: 3600500}` stopped a seed short: the report's warning
    said `trainer.max_time=00:01:00:00.5`, text `repro run` refuses as typed; it says
    `{seconds: 3600.5}`, as the report's other lines name that time."""
    warning, markdown = _third_seed_stopped_by_max_time(tmp_path, {"milliseconds": 3600500})
    assert "trainer.max_time={seconds: 3600.5} at step 555" in warning, warning
    assert "00:01:00:00.5" not in markdown


def test_an_experiment_whose_every_run_max_time_stopped_short_is_not_called_unrun(
    tmp_path: Path,
) -> None:
    """every seed of `cnn` stopped by trainer.max_time short of its max_steps: the
    scope said `Not run yet: cnn`, though its runs are in the report (with the failed ones)
    and another `repro sweep` of the same command trains none of them."""
    import json

    results = tmp_path / "results"
    for seed in range(2):
        folder = write_run(results, "cnn", seed, {"test/acc": 0.5}, **{"+trainer.max_time": "1"})
        record = json.loads((folder / "record.json").read_text())
        record["timing"].update(steps=555, epochs=14, stopped_by="max_time")
        (folder / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out", pinned_configs=frozenset({folder.parent.name}))
    scope = markdown[markdown.index("### Scope") : markdown.index("### Methodology")]
    lines = scope.splitlines()
    not_run = next((x for x in lines if x.startswith("Not run yet:")), "")
    assert "`cnn`" not in not_run, scope
    stopped = next((x for x in lines if "`trainer.max_time`" in x), "")
    assert "`cnn`" in stopped and "Failed and unfinished runs" in stopped, scope


def test_the_paper_setting_wins_over_a_setting_with_more_seeds(tmp_path: Path) -> None:
    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    for seed in range(5):
        write_run(results, "cnn", seed, {"test/acc": 0.5}, **{"optimizer.lr": 0.1})
    _, markdown = report(results, tmp_path / "out")
    assert "(n=2)" in table_row(markdown, "cnn_acc") and "✅" in table_row(markdown, "cnn_acc")
    assert "optimizer.lr=0.1 (paper: 0.01)" in markdown.replace("\\", "")


def test_pinned_other_setting_is_judged_and_marked_as_a_deviation(tmp_path: Path) -> None:
    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    other = write_run(results, "cnn", 0, {"test/acc": 0.93}, **{"optimizer.lr": 0.1})
    write_run(results, "cnn", 1, {"test/acc": 0.95}, **{"optimizer.lr": 0.1})
    outcome, markdown = report(
        results, tmp_path / "out", pinned_configs=frozenset({other.parent.name})
    )
    assert "deviates from the paper's setting" in table_row(markdown, "cnn_acc")
    assert "(judged on settings that deviate from the paper's: cnn)" in outcome.summary


def test_a_pinned_setting_names_only_the_experiments_that_deviate(tmp_path: Path) -> None:
    """pinning mlp's other setting named cnn as deviating too (cnn_beats_mlp is
    cnn's claim, judged against the pinned mlp), and listed mlp's paper setting 'beyond the
    original paper' as 'keys outside the paper's config'."""
    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    other = write_run(results, "mlp", 0, {"test/acc": 0.66}, **{"optimizer.lr": 0.1})
    write_run(results, "mlp", 1, {"test/acc": 0.67}, **{"optimizer.lr": 0.1})
    outcome, markdown = report(
        results, tmp_path / "out", pinned_configs=frozenset({other.parent.name})
    )
    assert "(judged on settings that deviate from the paper's: mlp)" in outcome.summary
    beyond = markdown[markdown.index("## Results beyond") : markdown.index("## Discussion")]
    paper_row = next(line for line in beyond.splitlines() if line.startswith("| `mlp_acc`"))
    assert "the paper's setting" in paper_row and "keys outside" not in beyond, paper_row


def test_another_settings_identical_seeds_have_no_interval(tmp_path: Path) -> None:
    """mlp at lr 0.1: three seeds at 0.66 whose losses differ. *Results beyond the original
    paper* printed a 90% CI of [0.66, 0.66] beside "inconclusive" (too coarse to show the
    spread); the claims table prints "none" for identical seeds, and so does this one now,
    for a comparison's equal A − B too."""
    results = tmp_path / "results"
    mnist1d_records(results, seeds=3)
    for seed in range(3):
        metrics = {"test/acc": 0.66, "train/loss": 0.1 + 0.01 * seed}
        write_run(results, "mlp", seed, metrics, **{"optimizer.lr": 0.1})
        write_run(results, "cnn", seed, {**metrics, "test/acc": 0.96}, **{"optimizer.lr": 0.1})
    _, markdown = report(results, tmp_path / "out")
    beyond = markdown[markdown.index("## Results beyond") : markdown.index("## Discussion")]
    rows = {line.split("<br>")[0]: line for line in beyond.splitlines() if "<br>" in line}
    assert "| none: all 3 seeds identical |" in rows["| `mlp_acc`"], rows
    comparison = rows["| `cnn_beats_mlp`"]
    assert "| none: A − B is the same on all 3 seed pairs |" in comparison, comparison
    assert "[0.66, 0.66]" not in beyond and "[0.3, 0.3]" not in beyond, beyond


def test_another_setting_with_no_finite_seed_says_so(tmp_path: Path) -> None:
    """mlp at lr 0.1, every seed's test/acc inf (a loss that overflowed): *Results beyond the
    original paper* said "– (n=0)", as if nothing had run; the claims table says "3
    completed runs, none finite" for the same, and so does this row now (and the
    comparison's: no seed pair with both values finite)."""
    results = tmp_path / "results"
    mnist1d_records(results, seeds=3)
    for seed in range(3):
        write_run(results, "mlp", seed, {"test/acc": math.inf}, **{"optimizer.lr": 0.1})
        write_run(results, "cnn", seed, {"test/acc": 0.96}, **{"optimizer.lr": 0.1})
    _, markdown = report(results, tmp_path / "out")
    beyond = markdown[markdown.index("## Results beyond") : markdown.index("## Discussion")]
    rows = {line.split("<br>")[0]: line for line in beyond.splitlines() if "<br>" in line}
    assert "| 3 completed runs, none finite |" in rows["| `mlp_acc`"], rows
    comparison = rows["| `cnn_beats_mlp`"]
    assert "| no seed pair with both values finite |" in comparison, comparison
    assert "n=0" not in beyond, beyond


def test_a_setting_passing_elsewhere_on_identical_seeds_has_no_interval(tmp_path: Path) -> None:
    """mlp_acc fails on the paper's setting; at lr 0.1 every seed gave 0.68 (runs alike in
    every metric: a deterministic pass). The discussion's lead said "(n=3, 90% CI [0.68,
    0.68])", an interval no rule rests on; it says every seed gave the value instead."""
    results = tmp_path / "results"
    mnist1d_records(results, seeds=3)
    for seed in range(3):
        metrics = {"test/acc": 0.68, "train/loss": 0.1}
        write_run(results, "mlp", seed, metrics, **{"optimizer.lr": 0.1})
    _, markdown = report(results, tmp_path / "out")
    discussion = markdown[markdown.index("## Discussion") : markdown.index("## Hyperparameters")]
    (line,) = [line for line in discussion.splitlines() if "would be reproduced under" in line]
    assert "90% CI" not in line, line
    assert "mean 0.68 (n=3, all 3 seeds identical)" in line, line


def test_a_claim_not_run_is_not_said_to_be_judged_on_a_pinned_setting(tmp_path: Path) -> None:
    """with mlp's other setting pinned and no cnn runs, cnn_beats_mlp (not run) was
    marked "deviates from the paper's setting" and said "Judged on mlp config ... (--config)",
    though nothing judged it."""
    results = tmp_path / "results"
    for seed in range(2):
        other = write_run(
            results, "mlp", seed, {"test/acc": 0.66 + seed / 100}, **{"optimizer.lr": 0.1}
        )
    _, markdown = report(results, tmp_path / "out", pinned_configs=frozenset({other.parent.name}))
    assert "deviates from the paper's setting" in table_row(markdown, "mlp_acc")
    row = table_row(markdown, "cnn_beats_mlp")
    assert "not run" in row and "deviates" not in row, row
    details = next(line for line in markdown.splitlines() if line.startswith("- `cnn_beats_mlp`"))
    assert "Judged on" not in details, details


def test_without_the_papers_setting_differences_are_not_called_the_papers(
    tmp_path: Path,
) -> None:
    """when the paper's config no longer composed (here an unset environment
    variable), settings set aside were described against the judged one as 'lr=0.01 (paper:
    0.5)', the judged value printed as the paper's."""
    claim = "- {id: acc, experiment: cnn, metric: test/acc, value: 0.4, tolerance: 0.01, source: T}"
    papers = write_paper(tmp_path / "papers", claim)
    results = tmp_path / "results"
    for seed in range(2):
        write_run(results, "cnn", seed, {"test/acc": 0.4}, paper="toy", papers_dir=papers)
        lr = {"optimizer.lr": 0.5}
        write_run(results, "cnn", seed, {"test/acc": 0.5}, paper="toy", papers_dir=papers, **lr)
    settings = papers / "toy" / "settings.yaml"
    settings.write_text(settings.read_text() + "extra: ${oc.env:REPRO_TEST_NEVER_SET}\n")
    build_report(ReportRequest("toy", results, tmp_path / "out", papers_dir=[papers]))
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "(paper: " not in markdown
    beyond = markdown[markdown.index("## Results beyond") : markdown.index("## Discussion")]
    assert " (used: " in table_row(beyond, "acc")


def test_records_csv_counts_only_the_runs_a_verdict_was_judged_on(tmp_path: Path) -> None:
    """records.csv said counted=True of runs whose claims were 'not run' (their
    only setting is not the paper's: listed beyond the paper, judged on nothing)."""
    import pandas as pd

    results = tmp_path / "results"
    for seed in range(2):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]}, **{"trainer.max_steps": 1500})
    report(results, tmp_path / "out", write_csv=True)
    rows = pd.read_csv(tmp_path / "out" / "records.csv")
    counted = rows.groupby("experiment")["counted"].unique().to_dict()
    assert [list(counted["cnn"]), list(counted["mlp"])] == [[True], [False]]


@pytest.mark.parametrize(
    ("key", "values"),
    [("optimizer.lr", (0.001, 0.003, 0.03)), ("trainer.max_steps", (500, 1000, 2000))],
)
def test_a_key_with_three_values_gets_a_settings_plot(
    tmp_path: Path, key: str, values: tuple[float, ...]
) -> None:
    """a whole-number key (steps, width, batch size) never got its plot: its
    values come from the records table as numpy integers, which were not taken as numbers."""
    results = tmp_path / "results"
    for value in values:
        for seed in range(2):
            write_run(results, "cnn", seed, {"test/acc": 0.9 + value / 1e5}, **{key: value})
    _, markdown = report(results, tmp_path / "out")
    assert "![Other settings](figures/settings.png)" in markdown
    assert (tmp_path / "out" / "figures" / "settings.png").stat().st_size > 1000


def test_seeds_chosen_by_seeds_auto_are_judged_two_stage_and_the_report_says_so(
    tmp_path: Path,
) -> None:
    from repro.plugins.registry import get_paper
    from repro.sweeping import auto_seeds

    results = tmp_path / "results"
    folders = [
        write_run(results, "cnn", seed, {"test/acc": 0.94 + (seed % 3 - 1) / 200})
        for seed in range(6)
    ]
    spec = get_paper("mnist1d").spec()
    metrics = {"cnn": {s: {"test/acc": 0.94 + (s % 3 - 1) / 200} for s in range(3)}}
    plan = auto_seeds.plan_seeds(spec, metrics, n0=3, experiments=["cnn"])
    plan.config_hashes = {"cnn": folders[0].parent.name}
    auto_seeds.save_plan(results, "mnist1d", plan)
    _, markdown = report(results, tmp_path / "out")
    assert "Seeds chosen from the data:** Seeds chosen by Stein's two-stage procedure" in markdown
    assert "two-stage 95% bounds" in markdown and "pilot n0=3" in markdown
    auto_seeds.plan_path(results, "mnist1d").unlink()
    plan.config_hashes = {"cnn": "another"}  # a plan for another setting: fixed-sample tests
    auto_seeds.save_plan(results, "mnist1d", plan)
    _, markdown = report(results, tmp_path / "out")
    assert "two-stage" not in markdown


def _planned_cnn_discussion(tmp_path: Path, max_seeds: int) -> tuple[dict, str, str]:
    """Six cnn seeds (mean 0.9425, near the band's edge 0.97), a seeds=auto plan from the first
    three capped at `max_seeds`: the plan's seeds, the report, its discussion."""
    from repro.plugins.registry import get_paper
    from repro.sweeping import auto_seeds

    results = tmp_path / "results"
    values = [0.905, 0.975, 0.93, 0.96, 0.92, 0.965]
    folders = [write_run(results, "cnn", s, {"test/acc": v}) for s, v in enumerate(values)]
    spec = get_paper("mnist1d").spec()
    metrics = {"cnn": {s: {"test/acc": values[s]} for s in range(3)}}
    plan = auto_seeds.plan_seeds(spec, metrics, n0=3, max_seeds=max_seeds, experiments=["cnn"])
    plan.config_hashes = {"cnn": folders[0].parent.name}
    auto_seeds.save_plan(results, "mnist1d", plan)
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    discussion = markdown[markdown.index("## Discussion") : markdown.index("## Hyperparameters")]
    return plan.seeds, markdown, discussion


def test_a_two_stage_claim_left_undecided_says_where_its_mean_sits_in_the_discussion(
    tmp_path: Path,
) -> None:
    """After seeds=auto, "more seeds are unlikely to settle it" was wrong for a mean inside
    the band; the discussion now says where the mean sits and that the plan was run."""
    seeds, markdown, discussion = _planned_cnn_discussion(tmp_path, max_seeds=6)
    assert seeds == {"cnn": 6}  # capped: the six seeds are the whole plan
    assert "❔ inconclusive" in table_row(markdown, "cnn_acc")
    assert "cnn\\_acc is inconclusive at n=6 as planned: the mean sits inside" in discussion
    assert "unlikely to settle" not in discussion


def test_a_two_stage_plan_not_yet_run_in_full_is_not_called_as_planned(tmp_path: Path) -> None:
    """Six seeds of a plan for more: the discussion says how many are still to run, and the
    sweep that runs them. it named `repro sweep paper=mnist1d seeds=auto`, whose
    default max_seeds=30 raises this plan's N (capped at 12, the claim needs more) after
    seeds past the pilot ran, which the sweep refuses; and it trained every other
    experiment's pilot. It names the plan's experiment and a max_seeds that keeps its N."""
    seeds, _, discussion = _planned_cnn_discussion(tmp_path, max_seeds=12)
    assert seeds == {"cnn": 12}
    assert "as planned" not in discussion
    assert "cnn\\_acc is inconclusive at n=6 of the 12 seeds planned" in discussion
    assert (
        "repro sweep paper=mnist1d experiment=cnn seeds=auto max_seeds=12` runs the rest"
        in discussion
    ), discussion


def test_an_interim_verdict_that_is_already_decided_says_how_to_finish_its_plan(
    tmp_path: Path,
) -> None:
    """six seeds of a plan for 11, their verdict already reproduced: the overall
    is incomplete, yet the discussion named no command, since only an
    inconclusive claim's bullet named the sweep that runs the rest of its plan."""
    from repro.plugins.registry import get_paper
    from repro.sweeping import auto_seeds

    results = tmp_path / "results"
    values = [0.92, 0.96, 0.94, 0.94, 0.941, 0.939]
    folders = [
        write_run(results, "cnn", s, {"test/acc": v, "train/loss": 0.1 + s / 100})
        for s, v in enumerate(values)
    ]
    spec = get_paper("mnist1d").spec()
    metrics = {"cnn": {s: {"test/acc": values[s]} for s in range(3)}}
    plan = auto_seeds.plan_seeds(spec, metrics, n0=3, max_seeds=30, experiments=["cnn"])
    assert plan.seeds == {"cnn": 11}
    plan.config_hashes = {"cnn": folders[0].parent.name}
    auto_seeds.save_plan(results, "mnist1d", plan)
    _, markdown = report(results, tmp_path / "out")
    assert "✅ reproduced" in table_row(markdown, "cnn_acc")
    assert "**Overall: ⏳ incomplete**" in markdown
    # the Results line said '⏳ incomplete: 1 reproduced, 8 not run.', the interim one unsaid
    assert "⏳ **incomplete**: 1 reproduced (1 interim), 8 not run." in markdown
    discussion = markdown[markdown.index("## Discussion") : markdown.index("## Hyperparameters")]
    assert (
        "cnn\\_acc is reproduced so far, at n=6 of the 11 seeds planned (interim); `" in discussion
    ), discussion
    assert "repro sweep paper=mnist1d experiment=cnn seeds=auto max_seeds=11` runs the rest" in (
        discussion
    )


def test_an_interim_verdict_not_reproduced_says_how_to_finish_its_plan(tmp_path: Path) -> None:
    """six seeds of a plan for more, already not reproduced (above): the bullet
    gave the numbers but no command, while the overall waits for the plan (incomplete)."""
    from repro.plugins.registry import get_paper
    from repro.sweeping import auto_seeds

    results = tmp_path / "results"
    values = [0.98, 1.0, 0.965, 1.01, 1.01, 1.01]
    folders = [write_run(results, "cnn", s, {"test/acc": v}) for s, v in enumerate(values)]
    spec = get_paper("mnist1d").spec()
    metrics = {"cnn": {s: {"test/acc": values[s]} for s in range(3)}}
    plan = auto_seeds.plan_seeds(spec, metrics, n0=3, max_seeds=30, experiments=["cnn"])
    plan.config_hashes = {"cnn": folders[0].parent.name}
    auto_seeds.save_plan(results, "mnist1d", plan)
    _, markdown = report(results, tmp_path / "out")
    assert "❌ not reproduced" in table_row(markdown, "cnn_acc"), table_row(markdown, "cnn_acc")
    discussion = markdown[markdown.index("## Discussion") : markdown.index("## Hyperparameters")]
    assert "cnn\\_acc is not reproduced: " in discussion, discussion
    assert (
        f"repro sweep paper=mnist1d experiment=cnn seeds=auto max_seeds={plan.seeds['cnn']}` "
        "runs the rest" in discussion
    ), discussion


def test_an_interim_flat_pilot_claim_says_how_to_finish_its_plan(tmp_path: Path) -> None:
    """a flat pilot (every seed 0.94, the runs differing in train/loss) planned
    at max_seeds=8, read at 4 seeds: the overall is incomplete, but the discussion said
    'inconclusive at n=4; ... more seeds are needed to see it' with neither the plan's 8 nor
    the sweep that runs the rest (the too-coarse reason took the interim one's place)."""
    from repro.plugins.registry import get_paper
    from repro.sweeping import auto_seeds

    results = tmp_path / "results"
    folders = [
        write_run(results, "cnn", s, {"test/acc": 0.94, "train/loss": 0.1 + s / 100})
        for s in range(4)
    ]
    spec = get_paper("mnist1d").spec()
    metrics = {"cnn": {s: {"test/acc": 0.94, "train/loss": 0.1 + s / 100} for s in range(3)}}
    plan = auto_seeds.plan_seeds(spec, metrics, n0=3, max_seeds=8, experiments=["cnn"])
    assert plan.seeds == {"cnn": 8}
    plan.config_hashes = {"cnn": folders[0].parent.name}
    auto_seeds.save_plan(results, "mnist1d", plan)
    _, markdown = report(results, tmp_path / "out")
    assert "**Overall: ⏳ incomplete**" in markdown
    discussion = markdown[markdown.index("## Discussion") : markdown.index("## Hyperparameters")]
    assert "cnn\\_acc is inconclusive at n=4 of the 8 seeds planned; `" in discussion, discussion
    assert "repro sweep paper=mnist1d experiment=cnn seeds=auto max_seeds=8` runs the rest" in (
        discussion
    )


def test_a_plan_whose_missing_seed_completed_without_the_metric_sends_to_no_sweep(
    tmp_path: Path,
) -> None:
    """a plan of 12 whose seed 4 completed without test/acc (and 6-11 to come):
    fine, the sweep runs 6-11. With every seed but 4 run, a seeds=auto sweep trains nothing:
    the discussion said '`repro sweep ... seeds=auto` runs the rest'; it names the seed."""
    import json

    from repro.plugins.registry import get_paper
    from repro.sweeping import auto_seeds

    results = tmp_path / "results"
    values = [0.905, 0.975, 0.93, 0.96, None, 0.965, 0.91, 0.97, 0.92, 0.96, 0.93, 0.965]
    folders = [
        write_run(results, "cnn", s, {"train/loss": 0.1} if v is None else {"test/acc": v})
        for s, v in enumerate(values)
    ]
    spec = get_paper("mnist1d").spec()
    metrics = {"cnn": {s: {"test/acc": values[s]} for s in range(3)}}
    plan = auto_seeds.plan_seeds(spec, metrics, n0=3, max_seeds=12, experiments=["cnn"])
    plan.config_hashes = {"cnn": folders[0].parent.name}
    auto_seeds.save_plan(results, "mnist1d", plan)
    assert plan.seeds == {"cnn": 12}
    _, markdown = report(results, tmp_path / "out")
    assert "❔ inconclusive" in table_row(markdown, "cnn_acc")
    discussion = markdown[markdown.index("## Discussion") : markdown.index("## Hyperparameters")]
    assert "runs the rest" not in discussion, discussion
    assert (
        "cnn\\_acc is inconclusive at n=11 of the 12 seeds planned; seed 4 completed without "
        "logging test/acc, so no sweep trains it again; "
        "`repro run paper=mnist1d experiment=cnn seed=4 rerun=true` does" in discussion
    ), discussion  # the command that trains it again, not only that none does
    assert json.loads((folders[0] / "record.json").read_text())["status"] == "completed"


def test_the_regenerate_commands_say_how_to_make_a_seeds_auto_plan_again(
    tmp_path: Path,
) -> None:
    """'To regenerate the runs and this report' gave a planned setting's seeds as
    `seeds=6`: pasted into a fresh results folder it trains the runs without the plan, and
    the report then judges them by the fixed-sample test, not this report's two-stage one.
    The note names the seeds=auto sweep that makes the plan with them."""
    _, markdown, _ = _planned_cnn_discussion(tmp_path, max_seeds=6)
    regenerate = markdown.split("To regenerate the runs and this report:")[1].split("## ")[0]
    said = " ".join(regenerate.replace("\\", "").split())
    assert "repro sweep paper=mnist1d experiment=cnn seeds=auto max_seeds=6`" in said, said
    assert "fixed-sample test" in said, said


def test_seeds_past_a_two_stage_plan_are_shown_but_not_judged(tmp_path: Path) -> None:
    """Six seeds of a plan for four. Before: the Stein test judged all six, so adding seeds
    after an inconclusive verdict inflated both error rates (7.0% / 7.1% at a nominal 5%);
    now it judges the planned seeds 0-3 and says the later ones are shown, not judged."""
    seeds, markdown, discussion = _planned_cnn_discussion(tmp_path, max_seeds=4)
    assert seeds == {"cnn": 4}
    assert "(n=4, pilot n0=3)" in markdown and "(n=6, pilot n0=3)" not in markdown
    assert "seeds 4–5 are shown but not judged" in markdown
    assert "Seeds a later sweep added past a plan" in markdown  # the procedure says so
    # its `seeds=` was shown with its backticks, escaped, in both formats
    procedure = markdown.split("Seeds a later")[1][:80]
    assert "(a fixed `seeds=`)" in procedure and "\\`" not in procedure, procedure
    html = (tmp_path / "out" / "report.html").read_text()
    assert "(a fixed <code>seeds=</code>)" in html, html[html.index("Seeds a later") :][:200]
    assert "cnn\\_acc is inconclusive at n=4 as planned: " in discussion


def test_a_second_seeds_auto_sweep_keeps_the_first_ones_plan(tmp_path: Path) -> None:
    """A seeds=auto sweep of mlp rewrote the plan file with mlp alone: cnn's seeds, chosen
    from the data, were then judged with fixed-sample tests, which that choice invalidates.
    Plans of other experiments and settings are kept beside the new one."""
    from repro.plugins.registry import get_paper
    from repro.sweeping import auto_seeds

    results = tmp_path / "results"
    spec = get_paper("mnist1d").spec()
    values = {"cnn": [0.94, 0.935, 0.945, 0.94], "mlp": [0.68, 0.675, 0.685]}
    hashes = {}
    for experiment, seeds in values.items():
        for seed, value in enumerate(seeds):
            folder = write_run(results, experiment, seed, {"test/acc": value})
        hashes[experiment] = folder.parent.name
        metrics = {experiment: {s: {"test/acc": seeds[s]} for s in range(3)}}
        plan = auto_seeds.plan_seeds(spec, metrics, n0=3, max_seeds=4, experiments=[experiment])
        plan.config_hashes = {experiment: hashes[experiment]}
        auto_seeds.save_plan(results, "mnist1d", plan)  # cnn's sweep, then mlp's
    other = dict(plan.config_hashes, mlp="0ther5e77i")  # mlp again, in another setting
    plan.config_hashes = other
    auto_seeds.save_plan(results, "mnist1d", plan)
    _, markdown = report(results, tmp_path / "out")
    cnn = next(line for line in markdown.splitlines() if line.startswith("- `cnn_acc`"))
    mlp = next(line for line in markdown.splitlines() if line.startswith("- `mlp_acc`"))
    assert "two-stage" in cnn and "pilot n0=3" in cnn, cnn
    assert "two-stage" in mlp and "pilot n0=3" in mlp, mlp
    assert "Experiments planned this way: cnn, mlp." in markdown


def test_a_setting_judged_on_earlier_plugin_code_gets_a_warning(tmp_path: Path) -> None:
    from repro.plugins.registry import get_paper
    from repro.records.fingerprint import code_fingerprint
    from tests.records.test_table import _with_code

    current = code_fingerprint(get_paper("mnist1d").folder)["digest"]
    results = tmp_path / "results"
    for seed in range(3):
        _with_code(write_run(results, "cnn", seed, {"test/acc": CNN[seed]}), "0ld0c0de" * 8)
        _with_code(write_run(results, "mlp", seed, {"test/acc": MLP[seed]}), current)
    outcome, _ = report(results, tmp_path / "out")
    older = [w for w in outcome.warnings if "earlier plugin code" in w]  # type: ignore[attr-defined]
    assert older == [
        "warning: mnist1d/cnn: judged on runs of earlier plugin code, none of the current code; "
        f"`REPRO_RESULTS_DIR={results} repro sweep paper=mnist1d` retrains them"
    ]
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "> **Caution:** mnist1d/cnn: judged on runs of earlier plugin code" in markdown
    # its command is inline code, not escaped backticks
    assert f"`REPRO_RESULTS_DIR={results} repro sweep paper=mnist1d` retrains" in markdown
    assert "mnist1d/mlp: judged" not in markdown


def test_an_experiment_gone_from_the_plugin_is_not_said_to_be_retrained(tmp_path: Path) -> None:
    """runs of an experiment renamed away in paper.yaml (made by older code, since
    the plugin changed) got 'judged on runs of earlier plugin code; `repro sweep` retrains
    them', which it never does: the sweep plans only the plugin's experiments."""
    from tests.records.test_table import _with_code

    results = tmp_path / "results"
    mnist1d_records(results, seeds=3)
    for seed in range(3):
        _with_code(write_any_run(results, "wide", seed, {"test/acc": 0.5}), "0ld0c0de" * 8)
    outcome, markdown = report(results, tmp_path / "out")
    assert not [w for w in outcome.warnings if "wide" in w and "retrains" in w], outcome.warnings
    assert "mnist1d/wide: judged" not in markdown


def test_a_setting_judged_on_another_module_class_gets_the_earlier_code_warning(
    tmp_path: Path,
) -> None:
    """the same files, but paper.yaml named another module class when cnn ran: the
    sweep retrains such runs as stale, and the report said nothing."""
    from repro.plugins.registry import get_paper
    from repro.records.fingerprint import code_fingerprint, entry_classes
    from tests.records.test_table import _with_code

    folder = get_paper("mnist1d").folder
    current, classes = code_fingerprint(folder)["digest"], entry_classes(folder)
    other = {**classes, "module": "model:AltClassifier"}
    results = tmp_path / "results"
    for seed in range(3):
        _with_code(write_run(results, "cnn", seed, {"test/acc": CNN[seed]}), current, other)
        _with_code(write_run(results, "mlp", seed, {"test/acc": MLP[seed]}), current, classes)
    outcome, _ = report(results, tmp_path / "out")
    older = [w for w in outcome.warnings if "earlier plugin code" in w]  # type: ignore[attr-defined]
    assert [w.split(":")[1].strip() for w in older] == ["mnist1d/cnn"]


def test_a_setting_that_is_not_judged_gets_no_earlier_code_warning(tmp_path: Path) -> None:
    """Only other settings of cnn ran (lr overridden), on earlier code: nothing of cnn is
    judged, so nothing is "judged on runs of earlier plugin code"."""
    from tests.records.test_table import _with_code

    results = tmp_path / "results"
    for seed in range(3):
        folder = write_run(results, "cnn", seed, {"test/acc": CNN[seed]}, **{"optimizer.lr": 0.5})
        _with_code(folder, "0ld0c0de" * 8)
    outcome, markdown = report(results, tmp_path / "out")
    assert not [w for w in outcome.warnings if "earlier plugin code" in w]  # type: ignore[attr-defined]
    assert "Caution" not in markdown


# A completed run that did not log a claim's metric is a fault, not "not run" (issue #11.5).


def test_a_metric_no_completed_run_logged_is_metric_missing_not_not_run(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/accuracy": CNN[seed]})  # the claim needs test/acc
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
    outcome, markdown = report(results, tmp_path / "out")
    by_claim = {r.claim.id: r for r in outcome.results}
    cnn_claims = [r for r in outcome.results if r.claim.experiment == "cnn"]
    assert cnn_claims and all(r.outcome == aggregate.METRIC_MISSING for r in cnn_claims)
    assert any(r.outcome != aggregate.METRIC_MISSING for r in by_claim.values())
    assert "metric missing" in markdown
    assert outcome.overall == aggregate.INCOMPLETE_OVERALL
    # its row said 'no completed runs' beside a note that three completed
    row = table_row(markdown, cnn_claims[0].claim.id)
    assert "no completed run logged test/acc" in row and "no completed runs" not in row, row


def _choice(chosen: str, paper: str | None, pinned: bool = False) -> aggregate.ConfigChoice:
    options = {
        "aaaaaaaaaa": aggregate.ConfigOption("aaaaaaaaaa", (0, 1, 2), "2026-01-02"),
        "bbbbbbbbbb": aggregate.ConfigOption(
            "bbbbbbbbbb", (0, 1), "2026-01-01", (("optimizer.lr", 2.0, 0.5),)
        ),
    }
    other = next(o for h, o in options.items() if h != chosen)
    return aggregate.ConfigChoice(
        "exp",
        options[chosen],
        (other,),
        pinned=pinned,
        paper_setting=paper is None or chosen == paper,
        paper_hash=paper,
    )


@pytest.mark.parametrize(
    ("chosen", "paper", "pinned", "expected", "absent"),
    [
        ("aaaaaaaaaa", "aaaaaaaaaa", False, "judged on the paper's setting aaaaaaaaaa", "most"),
        (
            "bbbbbbbbbb",
            "aaaaaaaaaa",
            True,
            "pinned with --config; the paper's setting is aaaaaaaaaa",
            "most",
        ),
        (
            "aaaaaaaaaa",
            "cccccccccc",
            False,
            "not judged: the paper's setting cccccccccc has no completed runs",
            "judged on",
        ),
        ("aaaaaaaaaa", None, False, "most completed seeds, then most recent", "paper's setting"),
    ],
)
def test_the_several_configs_line_says_why_a_config_was_judged(
    chosen: str, paper: str | None, pinned: bool, expected: str, absent: str
) -> None:
    from repro.reporting.render import choice_lines

    (line,) = choice_lines({"exp": _choice(chosen, paper, pinned)})
    assert expected in line
    assert absent not in line
    assert ("(paper: 0.5)" in line) == (paper is not None and chosen == "aaaaaaaaaa")


def test_the_several_configs_line_of_an_unjudged_experiment_names_every_setting() -> None:
    """Not judged (the paper's setting has no runs): the line named the settings set aside
    but the one with most seeds, which no sentence of it mentioned, as if it were not run."""
    from repro.reporting.render import choice_lines

    (line,) = choice_lines({"exp": _choice("aaaaaaaaaa", "cccccccccc", False)})
    assert "Set aside: aaaaaaaaaa (3 seeds" in line and "bbbbbbbbbb (2 seeds" in line


def compute_rows(markdown: str) -> list[str]:
    section = markdown.split("## Compute", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def test_compute_table_lists_every_setting_so_its_runs_add_up(tmp_path: Path) -> None:
    results = tmp_path / "results"
    mnist1d_records(results, seeds=3)
    for seed in range(2):  # beyond the paper: two seeds at another step count
        write_run(results, "cnn", seed, {"test/acc": 0.5}, **{"trainer.max_steps": 5})
    _, markdown = report(results, tmp_path / "out")
    rows = compute_rows(markdown)
    assert "over 8 completed runs" in markdown
    assert sum(int(row.split("|")[3]) for row in rows) == 8
    other = next(row for row in rows if "trainer.max\\_steps=5 (paper: 6000)" in row)
    assert other.startswith("| `cnn` |") and int(other.split("|")[3]) == 2
    assert "paper's setting" in next(row for row in rows if row.startswith("| `mlp` |"))


def test_seeds_trained_together_count_their_shared_time_once(tmp_path: Path) -> None:
    """Each seed of a group records the group's wall time (one process
    of ~9 s for 3 seeds); the Compute section summed them (26.1 s, 3x the time spent), so GPU
    hours of a seeds-together sweep came out K times too high. A failed seed of a group costs
    nothing beyond its group either."""
    import json

    from repro.reporting.sections import compute

    group = {"seeds": [0, 1, 2, 4], "engine": "torch.func.vmap", "attempt": "a1"}

    def write(experiment: str, seed: int, wall: float, together: dict | None, **kw) -> None:
        folder = write_any_run(tmp_path, experiment, seed, wall_s=wall, **kw)
        record = json.loads((folder / "record.json").read_text())
        # seeds of one group may start a second apart; groups of two experiments
        # may start in the same second: neither may change what counts once
        record["timing"]["started_at"] = f"2026-01-01T00:00:0{seed % 2}+00:00"
        if together:
            record["together"] = together
        (folder / "record.json").write_text(json.dumps(record))

    for seed, wall in {0: 8.5, 1: 8.7, 2: 8.9}.items():
        write("cnn", seed, wall, group)
        write("mlp", seed, wall / 2, {**group, "attempt": "b2"})
    write("cnn", 3, 4.0, None)
    write("cnn", 4, 2.0, group, status="failed", error="nan")
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(tmp_path).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    row = next(e for e in summary.experiments if e.experiment == "cnn")
    assert row.runs == 4 and row.wall_total_s == pytest.approx(8.9 + 4.0)
    assert row.wall_mean_s == pytest.approx((8.9 + 4.0) / 4)
    assert row.fit_mean_s == pytest.approx((7.9 + 3.0) / 4)  # fit time shared alike
    assert summary.cpu_hours * 3600 == pytest.approx(8.9 + 4.0 + 8.9 / 2)
    assert summary.unsuccessful_attempts == 1 and summary.unsuccessful_hours == 0
    assert summary.together_runs == 6


def test_the_compute_of_a_resumed_run_counts_the_attempts_it_went_on_from(tmp_path: Path) -> None:
    """a run interrupted after 30 s and resumed for 10 s took 40 s; the Compute
    section counted the last attempt's 10 s only (its record's `wall_s`)."""
    import json

    from repro.reporting.sections import compute

    for seed, earlier in ((0, 30.0), (1, None)):
        folder = write_any_run(tmp_path, "cnn", seed, wall_s=10.0)
        record = json.loads((folder / "record.json").read_text())
        if earlier:
            record["timing"]["earlier_wall_s"] = earlier
            record["resumed_from"] = {"checkpoint": "last.ckpt", "step": 100, "exact": True}
        (folder / "record.json").write_text(json.dumps(record))
    folder = write_any_run(tmp_path, "mlp", 0, wall_s=5.0, status="failed", error="nan")
    record = json.loads((folder / "record.json").read_text())
    record["timing"]["earlier_wall_s"] = 20.0  # resumed, then failed: unsuccessful time
    (folder / "record.json").write_text(json.dumps(record))
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(tmp_path).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    (row,) = summary.experiments
    assert row.wall_total_s == pytest.approx(50.0) and row.wall_mean_s == pytest.approx(25.0)
    assert summary.cpu_hours * 3600 == pytest.approx(50.0)
    assert summary.unsuccessful_hours * 3600 == pytest.approx(25.0)


def test_a_groups_attempt_a_failed_seed_went_on_from_is_not_counted_again_as_unsuccessful(
    tmp_path: Path,
) -> None:
    """Seeds 0 and 1 trained together (attempt A, 10 s), stopped as seed 1 was tested; seed 1
    resumed alone, its test failed (2 s). Seed 0's completed record carries attempt A; seed
    1's failed record names it among the attempts it went on from: 'Unsuccessful runs'
    counted A's 9 s again beside the completed hours."""
    import json

    from repro.records.table import together_key
    from repro.reporting.sections import compute

    first = write_any_run(tmp_path, "cnn", 0, wall_s=10.0)
    record = json.loads((first / "record.json").read_text())
    record["together"] = {"seeds": [0, 1], "attempt": "A"}
    (first / "record.json").write_text(json.dumps(record))
    shared = together_key(record, record["timing"])
    folder = write_any_run(tmp_path, "cnn", 1, wall_s=2.0, status="failed", error="test failed")
    record = json.loads((folder / "record.json").read_text())
    record["together"] = {"seeds": [1], "attempt": "B"}
    record["timing"].update(earlier_wall_s=9.0, earlier_groups={shared: 9.0})
    record["resumed_from"] = {"checkpoint": "together.ckpt", "step": 20, "exact": True}
    (folder / "record.json").write_text(json.dumps(record))
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(tmp_path).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    assert summary.cpu_hours * 3600 == pytest.approx(10.0)
    assert summary.unsuccessful_hours * 3600 == pytest.approx(2.0)


def test_a_groups_seed_that_failed_last_counts_the_groups_time_to_its_record(
    tmp_path: Path,
) -> None:
    """Seeds 0 and 1 trained together (attempt A, one process): seed 0 tested and recorded
    at 10 s, then seed 1's test ran and failed, recorded at 12 s. The group took 12 s, but
    the completed hours took the group's time from its completed seed alone (10 s) and
    'Unsuccessful runs' left seed 1 out as the group's: 2 s counted nowhere."""
    import json

    from repro.reporting.sections import compute

    for seed, wall, status in [(0, 10.0, "completed"), (1, 12.0, "failed")]:
        extra = {"status": status, "error": "test failed"} if status == "failed" else {}
        folder = write_any_run(tmp_path, "cnn", seed, wall_s=wall, **extra)
        record = json.loads((folder / "record.json").read_text())
        record["together"] = {"seeds": [0, 1], "attempt": "A"}
        (folder / "record.json").write_text(json.dumps(record))
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(tmp_path).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    spent = summary.cpu_hours * 3600 + summary.unsuccessful_hours * 3600
    assert spent == pytest.approx(12.0)
    assert summary.cpu_hours * 3600 == pytest.approx(12.0)  # one process: the group's time
    assert summary.experiments[0].wall_total_s == pytest.approx(12.0)


def test_a_stopped_group_seed_is_not_counted_again_beside_a_seed_that_went_on_from_it(
    tmp_path: Path,
) -> None:
    """seeds 0 and 1 trained together (attempt A, 10 s, one process) and were
    stopped; seed 0 then went on alone from its share (5 s more, `earlier_groups` naming A)
    and completed, seed 1 stayed interrupted (its record: A's 10 s). The completed hours
    counted A through seed 0, and 'Unsuccessful runs' counted A again through seed 1: 25 s
    for 15 s of training."""
    import json

    from repro.reporting.sections import compute

    for seed, wall, status in [(0, 5.0, "completed"), (1, 10.0, "interrupted")]:
        extra = {"status": status, "error": "interrupted"} if status != "completed" else {}
        folder = write_any_run(tmp_path, "cnn", seed, wall_s=wall, **extra)
        record = json.loads((folder / "record.json").read_text())
        key = f"mnist1d/cnn/{record['config_hash']}:0,1@A"
        if seed == 0:
            record["timing"].update(earlier_wall_s=10.0, earlier_groups={key: 10.0})
        else:
            record["together"] = {"seeds": [0, 1], "attempt": "A"}
        (folder / "record.json").write_text(json.dumps(record))
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(tmp_path).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    assert summary.cpu_hours * 3600 == pytest.approx(15.0)
    assert summary.unsuccessful_hours * 3600 == pytest.approx(0.0)


def test_a_groups_seed_that_failed_last_and_started_over_counts_the_groups_time_to_it(
    tmp_path: Path,
) -> None:
    """seeds 0 and 1 trained together (attempt A): seed 0 recorded at 10 s, seed
    1's test failed at 12 s; seed 1 then started over alone (5 s) and completed, carrying A's
    12 s as `abandoned_groups`. A counted 10 s (seed 0's) and its abandoned part not at all
    (A is a completed run's): 2 s of the group counted nowhere."""
    import json

    from repro.reporting.sections import compute

    for seed, wall in [(0, 10.0), (1, 5.0)]:
        folder = write_any_run(tmp_path, "cnn", seed, wall_s=wall)
        record = json.loads((folder / "record.json").read_text())
        key = f"mnist1d/cnn/{record['config_hash']}:0,1@A"
        if seed == 0:
            record["together"] = {"seeds": [0, 1], "attempt": "A"}
        else:
            record["timing"].update(abandoned_wall_s=12.0, abandoned_groups={key: 12.0})
        (folder / "record.json").write_text(json.dumps(record))
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(tmp_path).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    assert (summary.cpu_hours + summary.unsuccessful_hours) * 3600 == pytest.approx(17.0)


def test_a_failed_group_attempt_counts_the_longest_of_its_seeds_that_started_over(
    tmp_path: Path,
) -> None:
    """seeds 0 and 1 failed together (attempt A; seed 0 recorded at 10 s, seed 1
    at 12 s); seed 1 started over alone (5 s) and completed, carrying A's 12 s. A counted
    seed 0's 10 s among the unsuccessful (its record names A), the 12 s not at all."""
    import json

    from repro.reporting.sections import compute

    for seed, wall, status in [(0, 10.0, "failed"), (1, 5.0, "completed")]:
        extra = {"status": status, "error": "nan"} if status == "failed" else {}
        folder = write_any_run(tmp_path, "cnn", seed, wall_s=wall, **extra)
        record = json.loads((folder / "record.json").read_text())
        key = f"mnist1d/cnn/{record['config_hash']}:0,1@A"
        if seed == 0:
            record["together"] = {"seeds": [0, 1], "attempt": "A"}
        else:
            record["timing"].update(abandoned_wall_s=12.0, abandoned_groups={key: 12.0})
        (folder / "record.json").write_text(json.dumps(record))
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(tmp_path).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    assert summary.cpu_hours * 3600 == pytest.approx(5.0)
    assert summary.unsuccessful_hours * 3600 == pytest.approx(12.0)


def test_gpu_hours_count_every_gpu_of_a_multi_gpu_run(tmp_path: Path) -> None:
    """GPU hours took a run's GPUs from an integer trainer.devices alone, so a run
    on 2 nodes of 2 GPUs counted 2, and devices=auto (or -1, or a list) on a 4-GPU machine
    counted 1: the record's world size (every rank, one GPU each) is what it trained on."""
    import json

    from repro.reporting.sections import compute

    def write(experiment: str, world_size: int | None, **config: object) -> None:
        folder = write_any_run(tmp_path, experiment, 0, wall_s=3600.0, **config)
        record = json.loads((folder / "record.json").read_text())
        record["model"]["device"] = "cuda:0"
        if world_size is not None:
            record["model"]["world_size"] = world_size
        (folder / "record.json").write_text(json.dumps(record))

    write("cnn", 4, **{"trainer.devices": 2, "trainer.num_nodes": 2})
    write("mlp", 4, **{"trainer.devices": "auto"})
    write("gru", None, **{"trainer.devices": 2, "trainer.num_nodes": 2})  # before world size
    write("logistic", None, **{"trainer.devices": [0, 1, 2]})
    write("mlp_shuffled", None, **{"trainer.devices": "0,1"})  # Lightning's string of GPUs
    write("cnn_shuffled", None)  # one GPU
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(tmp_path).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    assert summary.gpu_hours == pytest.approx(4 + 4 + 4 + 3 + 2 + 1)
    assert summary.cpu_hours == 0


def _compute_total(markdown: str) -> str:
    return next(line for line in markdown.splitlines() if line.startswith("- **Total:**"))


def test_a_total_of_seconds_is_shown_in_seconds_and_one_run_is_singular(tmp_path: Path) -> None:
    """a 3 s run's total read "0.001 h CPU and 0.000 h GPU (wall-clock) over 1
    completed runs": a time under a few seconds rounded to nothing, and a plural for one."""
    results = tmp_path / "results"
    write_run(results, "cnn", 0, {"test/acc": 0.94}, wall_s=3.0)
    write_run(results, "mlp", 0, {}, status="failed", error="nan", wall_s=1.2)
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    total = _compute_total(markdown)
    assert "3.0 s CPU" in total and " h " not in total and "0.00" not in total
    assert "over 1 completed run," in total
    assert "**Unsuccessful attempts, counted apart:** 1 (1.2 s)" in markdown
    html = (tmp_path / "out" / "report.html").read_text()
    assert "3.0 s CPU" in html and "over 1 completed run," in html and "0.000 h" not in html


def test_gpu_time_is_named_gpu_hours_not_wall_clock(tmp_path: Path) -> None:
    """the total said "2.000 h GPU (wall-clock)" for an hour on 2 GPUs: the figure
    is wall time times GPUs (GPU-hours), not the wall-clock time it says."""
    import json

    results = tmp_path / "results"
    for seed in range(2):
        folder = write_run(results, "cnn", seed, {"test/acc": 0.94}, wall_s=1800.0)
        record = json.loads((folder / "record.json").read_text())
        record["model"].update(device="cuda:0", world_size=2)
        (folder / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    total = _compute_total(markdown)
    assert "2.00 GPU-hours (wall-clock × GPUs)" in total and "GPU (wall-clock)" not in total
    assert "over 2 completed runs," in total
    html = (tmp_path / "out" / "report.html").read_text()
    assert "2.00 GPU-hours (wall-clock × GPUs)" in html and "GPU\n    (wall-clock)" not in html


def test_the_compute_table_says_which_attempts_wall_and_fit_time_count(tmp_path: Path) -> None:
    """a run resumed after 30 s showed a wall time with every attempt (40 s) beside
    a "Fit time per run" of its last attempt only (9 s): the columns counted different things
    under headers that did not say so. "(every attempt)" read as counting the
    unsuccessful and replaced attempts too, which the lines above count apart."""
    import json

    results = tmp_path / "results"
    folder = write_run(results, "cnn", 0, {"test/acc": 0.94}, wall_s=10.0)
    record = json.loads((folder / "record.json").read_text())
    record["timing"]["earlier_wall_s"] = 30.0
    record["resumed_from"] = {"checkpoint": "last.ckpt", "step": 100, "exact": True}
    (folder / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    lines = markdown.splitlines()
    header = next(line for line in lines if line.startswith("| Experiment | Setting | Runs"))
    assert "Wall time per run (attempts it resumed included)" in header
    assert "Fit time per run (last attempt)" in header
    (row,) = compute_rows(markdown)
    assert "| 40.0 s | 40.0 s | 9.0 s |" in row
    html = (tmp_path / "out" / "report.html").read_text()
    assert (
        "Fit time per run (last attempt)" in html
        and "Wall time per run (attempts it resumed included)" in html
    )


def test_no_unsuccessful_runs_and_a_fraction_of_a_second_are_not_zero_seconds(
    tmp_path: Path,
) -> None:
    """with no unsuccessful run the line read "0 (0.0 s)", and a run fitted in
    0.03 s showed a fit time of "0.0 s", as if it took no time at all."""
    results = tmp_path / "results"
    write_run(results, "cnn", 0, {"test/acc": 0.94}, wall_s=1.03)  # fit_s: 0.03
    _, markdown = report(results, tmp_path / "out")
    assert "**Unsuccessful attempts, counted apart:** none." in markdown
    (row,) = compute_rows(markdown)
    assert "| 1.0 s | 1.0 s | 0.03 s |" in row


def test_a_run_on_an_apple_gpu_counts_in_gpu_hours_not_cpu_hours(tmp_path: Path) -> None:
    """accelerator=mps trains on the Mac's GPU (device `mps:0`), but only `cuda`
    counted as a GPU: an hour on it was reported as an hour of CPU."""
    import json

    from repro.reporting.sections import compute

    folder = write_any_run(tmp_path, "cnn", 0, wall_s=3600.0)
    record = json.loads((folder / "record.json").read_text())
    record["model"]["device"] = "mps:0"
    (folder / "record.json").write_text(json.dumps(record))
    write_any_run(tmp_path, "mlp", 0, wall_s=1800.0)  # on the CPU
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(tmp_path).frame))
    summary = compute(runs, aggregate.choose_configs(runs))
    assert (summary.gpu_hours, summary.cpu_hours) == (pytest.approx(1.0), pytest.approx(0.5))
    assert ("Test CPU, Apple GPU (mps)", 1) in summary.hardware  # not "no GPU"


def test_compute_names_runs_of_older_plugin_code_as_their_own_setting(tmp_path: Path) -> None:
    from repro.reporting.sections import compute
    from tests.records.test_table import _with_code

    for seed in range(3):
        _with_code(write_run(tmp_path, "cnn", seed), "new0000011112222")
    for seed in (3, 4):
        _with_code(write_run(tmp_path, "cnn", seed), "old0000011112222")
    runs = aggregate.run_table(aggregate.settings_by_code(load_records(tmp_path).frame))
    table = compute(runs, aggregate.choose_configs(runs)).experiments
    assert [(e.setting, e.runs) for e in table] == [
        ("judged", 3),
        ("other plugin code (old00000)", 2),
    ]


def test_a_failed_claim_names_another_setting_that_would_pass_it(tmp_path: Path) -> None:
    """mlp_acc fails at the paper's setting (0.50 vs 0.68 ± 0.03); three seeds at another learning
    rate land at 0.68: the table says what the claim's rule gives there, and the Discussion says
    so beside the failure, without it entering the verdict."""
    results = tmp_path / "results"
    mnist1d_records(results, seeds=3)
    for seed, acc in enumerate([0.679, 0.681, 0.680]):
        write_run(results, "mlp", seed, {"test/acc": acc}, **{"optimizer.lr": 0.003})
    _, markdown = report(results, tmp_path / "out")
    assert "not reproduced" in table_row(markdown, "mlp_acc")
    beyond = markdown[markdown.index("## Results beyond") : markdown.index("## Discussion")]
    mlp_row = next(line for line in beyond.splitlines() if line.startswith("| `mlp_acc`"))
    assert mlp_row.rstrip().endswith("| reproduced |")
    discussion = markdown[markdown.index("## Discussion") : markdown.index("## Hyperparameters")]
    fact = next(line for line in discussion.splitlines() if "mlp\\_acc is not reproduced" in line)
    assert "optimizer.lr=0.003 (paper: 0.01)" in fact.replace("\\", "")
    assert "would be reproduced" in fact and "enters no verdict" in fact


def test_commands_in_generated_sentences_are_code_not_escaped_backticks(tmp_path: Path) -> None:
    """The claim details said '\\`--config HASH\\` judges one': Markdown showed the backticks
    and the HTML printed them raw; a command in a generated sentence is inline code in both."""
    results = tmp_path / "results"
    write_run(results, "mlp", 0, {"test/acc": 0.6}, **{"trainer.max_steps": 1500})
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    assert "\\`" not in markdown
    assert "`--config HASH` judges one" in markdown
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<code>--config HASH</code> judges one" in html and "`--config" not in html


def test_a_comparison_is_shown_under_a_setting_both_sides_ran(tmp_path: Path) -> None:
    """cnn_beats_mlp under optimizer.lr=0.003 for both experiments: paired by seed like the
    judged comparison, with what its rule gives there; a setting only one side ran is left out."""
    results = tmp_path / "results"
    mnist1d_records(results, seeds=3)
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": 0.50 + seed / 100}, **{"optimizer.lr": 0.003})
        write_run(results, "mlp", seed, {"test/acc": 0.60 + seed / 90}, **{"optimizer.lr": 0.003})
        write_run(results, "cnn", seed, {"test/acc": 0.9}, **{"trainer.max_steps": 5})
    _, markdown = report(results, tmp_path / "out")
    beyond = markdown[markdown.index("## Results beyond") : markdown.index("## Discussion")]
    rows = [line for line in beyond.splitlines() if line.startswith("| `cnn_beats_mlp`")]
    assert len(rows) == 1, rows
    assert "optimizer.lr=0.003 (paper: 0.01)" in rows[0].replace("\\", "")
    assert "(A − B, n=3 pairs)" in rows[0]
    assert rows[0].rstrip().endswith("| not reproduced (below) |")


def test_html_methodology_reads_like_the_markdown(tmp_path: Path) -> None:
    """The HTML said 'min, max and a the 90% CI' where the Markdown says 'min, max and the'."""
    results = tmp_path / "results"
    mnist1d_records(results, seeds=3)
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    html = " ".join((tmp_path / "out" / "report.html").read_text().split())
    assert "min, max and the 90% CI of the mean" in markdown
    assert "min, max and the 90% CI of the mean" in html


def test_gpu_runs_are_seeds_of_the_papers_setting(tmp_path: Path) -> None:
    """Issue 20.1: a sweep with trainer.accelerator=gpu is judged, not set aside."""
    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]}, **{"trainer.accelerator": "gpu"})
    write_run(results, "cnn", 3, {"test/acc": CNN[3]}, **{"trainer.accelerator": "cpu"})
    _, markdown = report(results, tmp_path / "out")
    assert "(n=4)" in table_row(markdown, "cnn_acc")
    assert "✅ reproduced" in table_row(markdown, "cnn_acc")
    assert "accelerator" not in markdown.split("## Results beyond")[-1].split("##")[0]


def test_gpu_records_made_before_the_fix_count_too(tmp_path: Path) -> None:
    """Records written under the old hash (accelerator included) join the paper's setting."""
    import json

    from repro.records import store

    results = tmp_path / "results"
    for seed in range(3):
        folder = write_run(
            results, "cnn", seed, {"test/acc": CNN[seed]}, **{"trainer.accelerator": "gpu"}
        )
        config = __import__("yaml").safe_load((folder / "config.yaml").read_text())
        old = folder.parent.parent / store.legacy_config_hash(config) / folder.name
        old.parent.mkdir(parents=True, exist_ok=True)
        folder.rename(old)
        record = json.loads((old / "record.json").read_text())
        record["config_hash"] = store.legacy_config_hash(config)
        (old / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out")
    assert "(n=3)" in table_row(markdown, "cnn_acc")


def _from_installed_plugin(folder: Path, distribution: str, version: str, digest: str) -> None:
    import json

    record = json.loads((folder / "record.json").read_text())
    record["code"] = {
        "plugin": {
            "digest": digest,
            "distribution": distribution,
            "version": version,
            "requirements": {"torch": "2.13.0"},
        }
    }
    (folder / "record.json").write_text(json.dumps(record))


def test_provenance_names_the_plugin_that_made_the_numbers(tmp_path: Path) -> None:
    """Issue 22.8: the report showed repro's git SHA only, never the plugin's version."""
    results = tmp_path / "results"
    for seed in range(3):
        folder = write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
        _from_installed_plugin(folder, "repro-mnist1d-plugin", "1.4.2", "0123456789abcdef" * 4)
    _, markdown = report(results, tmp_path / "out")
    provenance = markdown.split("## Provenance")[1].split("## Citation")[0]
    assert "repro-mnist1d-plugin 1.4.2" in provenance
    assert "0123456789ab" in provenance and "cnn" in provenance
    assert "pip install 'repro-mnist1d-plugin==1.4.2'" in provenance


def test_provenance_names_a_folder_plugins_code_digest(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for seed in range(2):
        folder = write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
        _from_installed_plugin(folder, None, None, "fedcba9876543210" * 4)  # type: ignore[arg-type]
    _, markdown = report(results, tmp_path / "out")
    provenance = markdown.split("## Provenance")[1].split("## Citation")[0]
    assert "plugin folder, code `fedcba987654`" in provenance
    assert "pip install" not in provenance


def test_the_accelerator_is_never_named_as_a_difference_between_settings(tmp_path: Path) -> None:
    """A GPU smoke run differs from the paper's setting by max_steps only, not by where it ran."""
    results = tmp_path / "results"
    mnist1d_records(results, seeds=3)
    write_run(
        results,
        "cnn",
        0,
        {"test/acc": 0.5},
        **{"trainer.max_steps": 5, "trainer.accelerator": "gpu"},
    )
    runs = aggregate.run_table(load_records(results).frame)
    choices = aggregate.choose_configs(runs)
    assert choices["cnn"].others[0].differences == (("trainer.max_steps", 5, 6000),)


def test_provenance_names_a_built_in_plugin_by_the_repro_version_it_ships_with(
    tmp_path: Path,
) -> None:
    import json

    results = tmp_path / "results"
    folder = write_run(results, "cnn", 0, {"test/acc": CNN[0]})
    _from_installed_plugin(folder, None, None, "00aa11bb22cc33dd" * 4)  # type: ignore[arg-type]
    record = json.loads((folder / "record.json").read_text())
    record["code"]["plugin"]["built_in"] = True
    record["code"]["repro"] = {"version": "0.1.0", "git_sha": None}
    (folder / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out")
    assert "built into repro 0.1.0, code `00aa11bb22cc`" in markdown


def test_provenance_names_repro_outside_git_by_its_source_digest(tmp_path: Path) -> None:
    """runs of a repro installed from a wheel (no git) were `Code: unknown`; they
    are named by repro's version and the digest of its source files, never by a commit."""
    import json

    results = tmp_path / "results"
    for seed in range(2):
        folder = write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
        record = json.loads((folder / "record.json").read_text())
        record["environment"] = {**record["environment"], "git": {"sha": None, "dirty": None}}
        record["code"] = {"repro": {"version": "0.1.0", "git_sha": None, "digest": "0f1e" * 4}}
        (folder / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    code = "`0f1e0f1e0f1e` (repro 0.1.0 without git: a digest of its source files; 2 runs)"
    assert f"- **Code:** {code}\n" in markdown
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<code>0f1e0f1e0f1e</code> (repro 0.1.0 without git: a digest" in html


def test_provenance_names_the_runs_that_resumed_inexactly(tmp_path: Path) -> None:
    """A run resumed from a last-resort checkpoint may differ from an uninterrupted one; its
    record says so (resumed_from.exact false), and so must the report that counts it."""
    import json

    results = tmp_path / "results"
    for seed in range(3):
        folder = write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
        record = json.loads((folder / "record.json").read_text())
        exact = seed != 1
        record["resumed_from"] = {"checkpoint": "c", "step": 5, "exact": exact}
        (folder / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    provenance = markdown.split("## Provenance")[1].split("## Citation")[0]
    config = folder.parent.name  # one experiment and seed may have several configs
    assert f"\n- **Resumed inexactly:** cnn/{config} seed 1 (" in provenance, provenance
    assert "seed 0" not in provenance and "seed 2" not in provenance
    html = (tmp_path / "out" / "report.html").read_text()
    assert f"<strong>Resumed inexactly:</strong> cnn/{config} seed 1 (" in html


@pytest.mark.parametrize(
    "resumed_from",
    [
        {"checkpoint": "c", "step": 5, "exact": None},  # from a checkpoint of an older repro
        {"checkpoint": "c", "step": 5},  # recorded by a repro that did not judge resumes
    ],
)
def test_provenance_names_the_runs_whose_resume_no_one_judged(
    tmp_path: Path, resumed_from: dict
) -> None:
    """An older repro resumed from epoch ends Lightning restores wrongly (its loader's place,
    an epoch's logged means) and said nothing: such a run may differ from an uninterrupted
    one, and the report said nothing of it either (its `resumed_exactly` read as never
    resumed)."""
    import json

    results = tmp_path / "results"
    for seed in range(3):
        folder = write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
        record = json.loads((folder / "record.json").read_text())
        record["resumed_from"] = {0: None, 1: resumed_from, 2: {"checkpoint": "c", "exact": True}}[
            seed
        ]
        (folder / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    provenance = markdown.split("## Provenance")[1].split("## Citation")[0]
    config = folder.parent.name
    assert f"\n- **Perhaps resumed inexactly:** cnn/{config} seed 1 (" in provenance, provenance
    assert "seed 0" not in provenance and "seed 2" not in provenance
    assert "**Resumed inexactly:**" not in provenance
    html = (tmp_path / "out" / "report.html").read_text()
    assert f"<strong>Perhaps resumed inexactly:</strong> cnn/{config} seed 1 (" in html


def test_provenance_says_nothing_of_resumes_that_were_exact(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for seed in range(2):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
    _, markdown = report(results, tmp_path / "out")
    assert "Resumed inexactly" not in markdown


def test_the_commands_a_report_advises_find_the_plugin_and_the_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report of a plugin from --papers-dir, over results elsewhere, advised `repro sweep
    paper=toy`: pasted, that says the paper is unknown (or sweeps into ./results). Each
    command it advises names both, as its regenerate section does."""
    papers = write_paper(
        tmp_path / "papers",
        """\
        - {id: cnn_floor, kind: threshold, experiment: cnn, metric: test/acc, value: 0.9,
           direction: ">=", source: Table 3}
        """,
    )
    results, out = tmp_path / "elsewhere", tmp_path / "out"
    write_run(results, "cnn", 0, {"test/acc": 0.95}, paper="toy", papers_dir=papers)
    monkeypatch.chdir(tmp_path)  # a relative --papers-dir, pasted elsewhere, fails
    build_report(ReportRequest("toy", results, out, papers_dir=[Path("papers")]))
    markdown = (out / "report.md").read_text().replace("\\", "")  # cautions are escaped
    advised = re.findall(r"`([^`]*repro sweep[^`]*)`", markdown)
    assert advised, markdown
    for command in advised:
        assert f"--papers-dir {papers}" in command, command
        assert f"REPRO_RESULTS_DIR={results}" in command, command
    with pytest.raises(NothingToReport) as empty:
        build_report(ReportRequest("toy", tmp_path / "none", out, papers_dir=[papers]))
    assert f"--papers-dir {papers}" in str(empty.value)


def test_a_setting_repro_now_refuses_is_not_given_a_command_that_fails(tmp_path: Path) -> None:
    """Runs recorded with `model: null` (trained before `model=null` was refused) got the
    regenerate line `repro sweep ... +model=null ...`, which `repro sweep` refuses ('removes
    the model section'). The report leaves that setting out of its commands and says why."""
    from repro.config.checks import refuse_removed_sections

    papers = write_paper(
        tmp_path / "papers",
        """\
        - {id: cnn_floor, kind: threshold, experiment: cnn, metric: test/acc, value: 0.9,
           direction: ">=", source: Table 3}
        """,
    )
    results, out = tmp_path / "results", tmp_path / "out"
    for seed in range(2):
        write_run(results, "cnn", seed, {"test/acc": 0.95}, paper="toy", papers_dir=papers)
        write_run(
            results, "cnn", seed, {"test/acc": 0.9}, paper="toy", papers_dir=papers, model="null"
        )
    build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    markdown = (out / "report.md").read_text()
    block = markdown.split("To regenerate the runs and this report:")[1].split("```")[1]
    sweeps = [line for line in block.splitlines() if "repro sweep" in line]
    assert len(sweeps) == 1, block
    refuse_removed_sections(sweeps[0].split())  # the command given runs
    section = markdown.split("To regenerate the runs and this report:")[0].rsplit("## ", 1)[1]
    said = " ".join(markdown.replace("\\", "").split())
    assert "cannot be recreated" in said and "`+model=null`" in said, section


def test_the_failures_left_out_point_to_a_csv_command_that_finds_them(tmp_path: Path) -> None:
    """Past 50 failed runs the report said 'see `records.csv` from `repro report --csv`':
    for a plugin from --papers-dir over results elsewhere that command skips the paper as
    unknown (or finds no records). It is the report's own command with --csv."""
    from repro.reporting.render import MAX_LISTED_FAILURES

    papers = write_paper(
        tmp_path / "papers",
        """\
        - {id: cnn_floor, kind: threshold, experiment: cnn, metric: test/acc, value: 0.9,
           direction: ">=", source: Table 3}
        """,
    )
    results, out = tmp_path / "elsewhere", tmp_path / "out"
    for seed in range(MAX_LISTED_FAILURES + 1):
        write_run(results, "cnn", seed, {}, status="failed", error="nan", paper="toy",
                  papers_dir=papers)  # fmt: skip
    build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    markdown = (out / "report.md").read_text().replace("\\", "")
    left_out = next(line for line in markdown.splitlines() if line.startswith("… and 1 more"))
    command = re.findall(r"`([^`]*repro report[^`]*)`", left_out)
    assert command, left_out
    for word in (f"--papers-dir {papers}", "paper=toy", f"--results {results}", "--csv"):
        assert word in command[0], left_out


def test_a_pdf_lists_many_differing_keys_as_rows_not_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """experiments differing in ten keys gave the PDF's Hyperparameters table
    sixteen columns; the page showed the first two or three keys and cut the rest off (the
    HTML scrolls). In the PDF, keys that differ are rows, one column per experiment."""
    import repro.reporting.pdf

    pages = {}
    monkeypatch.setattr(
        repro.reporting.pdf, "pdf_bytes", lambda html: pages.setdefault("html", html).encode()
    )
    results, out = tmp_path / "results", tmp_path / "out"
    mnist1d_records(results, seeds=2)
    build_report(ReportRequest("mnist1d", results, out, formats=frozenset({"html", "pdf"})))
    rows = "<th>Key</th><th><code>mlp</code></th><th><code>cnn</code></th>"
    pdf_section = pages["html"].split("<h2>Hyperparameters</h2>", 1)[1].split("<h2>", 1)[0]
    pdf_section = pdf_section.replace("<wbr>", "")
    assert rows in pdf_section.replace("\n", "") and "<th>model.arch</th>" not in pdf_section
    screen = (out / "report.html").read_text().split("<h2>Hyperparameters</h2>", 1)[1]
    screen = screen.split("<h2>", 1)[0].replace("<wbr>", "")
    assert rows not in screen.replace("\n", "") and "<th>model.arch</th>" in screen


def test_claim_details_never_print_a_p_value_of_0() -> None:
    """with 60 seeds far from the bound, the threshold's t-test, TOST and Welch
    p-values underflowed to 0.0 and the report printed `p = 0`; a p-value is never 0."""
    from repro.plugins.paper_spec import Claim
    from repro.reporting.render import claim_details

    values = [0.95 + 1e-6 * (i % 3) for i in range(60)]
    floor = Claim(
        id="floor",
        kind="threshold",
        experiment="cnn",
        metric="m",
        value=0.5,
        direction=">=",
        source="T1",
    )
    band = Claim(
        id="band",
        experiment="cnn",
        metric="m",
        value=0.95,
        tolerance=0.3,
        std=1e-3,
        n=60,
        source="T1",
    )
    summary = stats.summarize(values)
    for claim, verdict, welch in (
        (floor, stats.threshold_verdict(values, 0.5, ">="), None),
        (
            band,
            stats.equivalence_verdict(values, 0.95, 0.3),
            stats.welch_from_summary(0.5, 1e-6, 200, 0.95, 1e-3, 200),
        ),
    ):
        assert verdict.p_value == 0.0 and (welch is None or welch.p == 0.0)
        result = aggregate.ClaimResult(claim, verdict.outcome, verdict, summary, welch=welch)
        text = " ".join(claim_details(result))
        assert "p = 0." not in text and "p = 0 " not in text and "p < 1e-6." in text
    assert "two-sided p < 1e-6." in text


def test_a_welch_line_of_two_constant_sides_says_there_is_no_test() -> None:
    """every seed 0.9 against the paper's 0.94 ± 0 (n=5) printed `t = –, df = –,
    two-sided p < 1e-6`: no t, no df, yet a tiny p; with both spreads 0 there is no test."""
    from repro.plugins.paper_spec import Claim
    from repro.reporting.render import claim_details

    claim = Claim(
        id="band",
        experiment="cnn",
        metric="m",
        value=0.94,
        tolerance=0.03,
        std=0.0,
        n=5,
        source="T1",
    )
    values = [0.9] * 5
    verdict = stats.equivalence_verdict(values, 0.94, 0.03)
    welch = stats.welch_from_summary(0.9, 0.0, 5, 0.94, 0.0, 5)
    result = aggregate.ClaimResult(
        claim, verdict.outcome, verdict, stats.summarize(values), welch=welch
    )
    text = " ".join(claim_details(result))
    assert "Welch t-test against the paper's mean ± std (n=5)" in text
    assert "p < 1e-6" not in text and "t = –" not in text
    assert "no test: both spreads are 0" in text


def test_a_table_in_the_notes_is_a_table_in_the_html() -> None:
    """a pipe table in notes.md showed in report.md but the HTML (and so the PDF)
    printed it as one paragraph of pipes; still no raw HTML from the notes."""
    from repro.reporting.render import notes_html

    notes = "Timings:\n\n| step | s |\n| --- | ---: |\n| train | 300 |\n| <b>x</b> | 1 |\n"
    html = str(notes_html(notes))
    assert "<th>step</th>" in html and "<td>train</td>" in html and "| --- |" not in html
    assert "<b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_html_lists_many_differing_keys_as_rows_so_the_page_does_not_scroll_sideways(
    tmp_path: Path,
) -> None:
    """experiments differing in many keys gave the HTML's Hyperparameters table a
    column per key, and the whole page scrolled sideways; past MAX_KEY_COLUMNS keys they are
    rows, one column per experiment, as in the PDF (a few keys keep their columns)."""
    from repro.reporting.render import MAX_KEY_COLUMNS

    claims = "- {id: cnn_acc, experiment: cnn, metric: test/acc, value: 0.9, tolerance: 0.1,\n"
    papers = write_paper(tmp_path / "papers", claims + "   source: T1}\n")
    (papers / "toy" / "experiment" / "mlp.yaml").write_text(
        "# @package _global_\nmodel: {arch: mlp, hidden: 7}\n"
        "data: {batch_size: 9, shuffle_seq: true}\n"
        "optimizer: {lr: 0.5}\n"
    )
    results, out = tmp_path / "results", tmp_path / "out"
    for experiment in ("cnn", "mlp"):
        write_run(results, experiment, 0, paper="toy", papers_dir=papers)
    build_report(ReportRequest("toy", results, out, frozenset({"html"}), papers_dir=[papers]))
    html = (out / "report.html").read_text()
    section = html.split("<h2>Hyperparameters</h2>", 1)[1].split("<h2>", 1)[0]
    section = section.replace("\n", "").replace("<wbr>", "")
    assert MAX_KEY_COLUMNS < 5
    assert "<th>Key</th><th><code>cnn</code></th><th><code>mlp</code></th>" in section
    assert "<tr><td><code>optimizer.lr</code></td><td>0.01</td><td>0.5</td></tr>" in section
    assert "<th>optimizer.lr</th>" not in section


def test_equal_seeds_are_exact_only_when_their_runs_agree_in_every_metric(tmp_path: Path) -> None:
    """Three seeds with the same accuracy: a deterministic run when the training loss is equal
    too (cnn), a coarse metric when it is not (mlp; before: reproduced either way)."""
    from repro.plugins.registry import get_paper

    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": 0.94, "train/loss": 0.1})
        write_run(results, "mlp", seed, {"test/acc": 0.68, "train/loss": 0.1 + 0.01 * seed})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    claims = [c for c in get_paper("mnist1d").spec().claims if c.id in ("cnn_acc", "mlp_acc")]
    mlp, cnn = aggregate.evaluate_claims(frame, claims, choices, 0.05)  # the paper's order
    assert cnn.outcome == stats.REPRODUCED and cnn.verdict.deterministic
    assert mlp.outcome == stats.INCONCLUSIVE and "too coarse" in mlp.verdict.reason


def test_a_welch_line_of_a_coarse_constant_metric_says_there_is_no_test(tmp_path: Path) -> None:
    """five seeds all at 0.9 whose runs differ in train/loss, against the paper's 0.94 ± 0.01
    (n=5): the Welch line took our spread as exactly 0 and printed a finite p (t = -8.944,
    p = 0.000864), though the metric is too coarse to show it; it is no test and says why.
    Runs that agree in every metric keep their test."""
    import scipy.stats

    from repro.plugins.registry import get_paper
    from repro.reporting.render import claim_details

    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    claim = cnn.model_copy(update={"value": 0.94, "tolerance": 0.03, "std": 0.01, "n": 5})

    def welch_line(loss_step: float) -> tuple[stats.WelchResult | None, str]:
        results = tmp_path / f"results{loss_step}"
        for seed in range(5):
            write_run(results, "cnn", seed, {"test/acc": 0.9, "train/loss": 0.1 + loss_step * seed})
        frame = load_records(results).frame
        choices = aggregate.choose_configs(aggregate.run_table(frame))
        (result,) = aggregate.evaluate_claims(frame, [claim], choices, 0.05)
        (line,) = [line for line in claim_details(result) if "Welch" in line]
        return result.welch, line

    welch, line = welch_line(0.01)
    assert welch is not None and not math.isfinite(welch.p), welch
    assert "p =" not in line and "no test" in line and stats.TOO_COARSE in line, line
    exact, line = welch_line(0.0)
    expected = scipy.stats.ttest_ind_from_stats(0.9, 0.0, 5, 0.94, 0.01, 5, equal_var=False)
    assert exact is not None and exact.p == pytest.approx(float(expected.pvalue), rel=1e-9)
    assert "p = 0.000864" in line, line


def test_a_welch_line_of_a_coarse_metric_against_a_paper_std_of_0_says_too_coarse(
    tmp_path: Path,
) -> None:
    """five seeds all at 0.9 whose runs differ in train/loss, against the paper's 0.94 ± 0
    (n=5): the Welch line said "both spreads are 0" while the verdict above it said the metric
    was too coarse to show our spread; our spread is unknown, not 0. Runs that agree in every
    metric do have a spread of 0, and say so."""
    from repro.plugins.registry import get_paper
    from repro.reporting.render import claim_details

    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    claim = cnn.model_copy(update={"value": 0.94, "tolerance": 0.03, "std": 0.0, "n": 5})

    def welch_line(loss_step: float) -> tuple[aggregate.ClaimResult, str]:
        results = tmp_path / f"results{loss_step}"
        for seed in range(5):
            write_run(results, "cnn", seed, {"test/acc": 0.9, "train/loss": 0.1 + loss_step * seed})
        frame = load_records(results).frame
        choices = aggregate.choose_configs(aggregate.run_table(frame))
        (result,) = aggregate.evaluate_claims(frame, [claim], choices, 0.05)
        (line,) = [line for line in claim_details(result) if "Welch" in line]
        return result, line

    coarse, line = welch_line(0.01)
    assert stats.TOO_COARSE in coarse.verdict.reason
    assert "no test" in line and stats.TOO_COARSE in line and "both spreads" not in line, line
    exact, line = welch_line(0.0)
    assert exact.verdict.deterministic
    assert line.endswith("no test: both spreads are 0."), line


def test_a_metric_one_seed_did_not_log_does_not_make_identical_runs_differ(
    tmp_path: Path,
) -> None:
    """seed 0's record lacked train/x (an older record, a resumed run's): a missing
    value counted as 'different', so a deterministic claim went inconclusive ('too coarse')."""
    from repro.plugins.registry import get_paper

    results = tmp_path / "results"
    for seed in range(3):
        extra = {} if seed == 0 else {"train/x": 0.5}
        write_run(results, "cnn", seed, {"test/acc": 0.94, "train/loss": 0.1, **extra})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (result,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05)
    assert result.outcome == stats.REPRODUCED and result.verdict.deterministic, result.verdict


def test_a_two_stage_verdict_before_its_planned_seeds_says_it_is_interim(tmp_path: Path) -> None:
    """a report read while a seeds=auto sweep was at 9 of 16 seeds called one claim
    'reproduced (n=9)' with no word of the plan, and told the user to go on with another. Seeds
    past the plan were 'shown but not judged' without their values."""
    from repro.plugins.registry import get_paper

    results = tmp_path / "results"
    values = [0.94, 0.935, 0.945, 0.94, 0.942, 0.5]
    for seed, value in enumerate(values):
        write_run(results, "cnn", seed, {"test/acc": value, "train/loss": 0.1 + seed / 100})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]

    def judged(total: int) -> str:
        (result,) = aggregate.evaluate_claims(
            frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": total}
        )
        return result.verdict.reason

    early = judged(16)
    assert "interim: 6 of the 16 planned seeds" in early, early
    later = judged(5)
    assert "seed 5 is shown but not judged (0.5)" in later and "interim" not in later, later


def test_an_undecided_two_stage_verdict_before_its_planned_seeds_says_it_is_interim(
    tmp_path: Path,
) -> None:
    """a report read after the pilot of a plan of N=16, before its stage two (or
    while it runs), said of an undecided value claim 'adding seeds after seeing these would
    void the procedure's error rates': the plan's own seeds are still to come, and nothing
    said the verdict was interim (only decided ones did)."""
    from repro.plugins.registry import get_paper

    results = tmp_path / "results"
    for seed, value in enumerate([0.90, 0.97, 0.93]):
        write_run(results, "cnn", seed, {"test/acc": value, "train/loss": 0.1 + seed / 100})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (result,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 16})
    assert result.outcome == "inconclusive", result.verdict
    reason = result.verdict.reason
    assert "interim: 3 of the 16 planned seeds" in reason, reason
    assert "adding seeds after seeing these would void" not in reason, reason
    (done,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 3})
    assert "adding seeds after seeing these would void" in done.verdict.reason, done.verdict


def test_an_interim_flat_pilot_verdict_does_not_call_the_seeds_so_far_all_planned(
    tmp_path: Path,
) -> None:
    """a flat pilot's plan of N=10 read at 5 seeds said 'fixed-sample test on the
    5 planned seeds: ...; interim: 5 of the 10 planned seeds': the plan had 10."""
    from repro.plugins.registry import get_paper

    results = tmp_path / "results"
    for seed, value in enumerate([0.94, 0.94, 0.94, 0.95, 0.93]):
        write_run(results, "cnn", seed, {"test/acc": value, "train/loss": 0.1 + seed / 100})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (result,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 10})
    reason = result.verdict.reason
    assert "on the 5 planned seeds" not in reason, reason
    assert "fixed-sample test on 5 of the 10 planned seeds" in reason, reason
    assert "interim: 5 of the 10 planned seeds" in reason, reason


def test_an_interim_verdicts_row_says_its_seeds_are_some_of_the_planned(tmp_path: Path) -> None:
    """read between a plan's stage one and two (N=16, 6 seeds so far), the claims
    table said 'reproduced' beside '(n=6)' with no word that the plan had 16: only the bullet
    below said interim. The row says how many of the planned seeds it judged."""
    from repro.plugins.registry import get_paper
    from repro.reporting.render import reproduced_text

    results = tmp_path / "results"
    for seed, value in enumerate([0.94, 0.935, 0.945, 0.94, 0.942, 0.941]):
        write_run(results, "cnn", seed, {"test/acc": value, "train/loss": 0.1 + seed / 100})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (early,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 16})
    assert reproduced_text(early).endswith("(n=6 of 16 planned, interim)"), reproduced_text(early)
    (done,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 6})
    assert reproduced_text(done).endswith("(n=6)"), reproduced_text(done)


def test_interim_verdicts_do_not_make_the_paper_reproduced(tmp_path: Path) -> None:
    """every claim's verdict interim (6 of a plan's 16 seeds run) made the
    headline '✅ reproduced' with 'N of N claims reproduced', though no plan had run in full
    (the row alone said interim). The overall is incomplete and the line says how many
    verdicts are interim."""
    from repro.plugins.registry import get_paper
    from repro.reporting.render import _summary_parts

    results = tmp_path / "results"
    for seed, value in enumerate([0.94, 0.935, 0.945, 0.94, 0.942, 0.941]):
        write_run(results, "cnn", seed, {"test/acc": value, "train/loss": 0.1 + seed / 100})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (early,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 16})
    assert early.outcome == stats.REPRODUCED and early.interim_of == 16
    assert aggregate.overall_outcome([early]) == aggregate.INCOMPLETE_OVERALL
    (done,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 6})
    assert aggregate.overall_outcome([done]) == aggregate.REPRODUCED_OVERALL
    # repro.api's verdict table: the row's n and verdict said nothing of it
    assert aggregate.verdict_numbers(early)["interim"] is True
    assert aggregate.verdict_numbers(done)["interim"] is False
    data = type("Data", (), {"results": [early], "choices": choices})()
    verified = _summary_parts(data)[0]  # type: ignore[arg-type]
    assert verified == (
        "1 of 1 claim reproduced, 1 of 1 run, 1 of them interim, on fewer seeds than "
        "seeds=auto planned"
    ), verified


def test_an_interim_verdict_does_not_call_a_seed_that_completed_without_the_metric_unrun(
    tmp_path: Path,
) -> None:
    """a plan of 6 seeds whose seed 4 completed without logging the claim's
    metric: the verdict said 'seed 4 has no completed run yet: still training, or failed and
    to be rerun', and the discussion sent the user to a seeds=auto sweep that trains nothing
    (seed 4 completed). It says the seed completed without the metric."""
    import shutil

    from repro.plugins.registry import get_paper

    values = [0.94, 0.935, 0.945, 0.94, None, 0.941]
    results = tmp_path / "results"
    for seed, value in enumerate(values):
        logged = {"train/loss": 0.1} if value is None else {"test/acc": value, "train/loss": 0.1}
        write_run(results, "cnn", seed, logged)
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (result,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 6})
    assert result.verdict is not None
    reason = result.verdict.reason
    assert "has no completed run" not in reason, reason
    assert "interim: 5 of the 6 planned seeds (seed 4 completed without logging test/acc" in (
        reason
    ), reason
    assert result.interim_unrun == ()
    write_run(results, "cnn", 6, {"train/loss": 0.1})  # past N: not the plan's
    shutil.rmtree(next((results / "mnist1d" / "cnn").glob("*/seed5")))
    frame = load_records(results).frame
    (both,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 6})
    assert both.verdict is not None and both.interim_unrun == (5,)
    assert (
        "seed 5 has no completed run yet: still training, or failed and to be rerun; seed 4 "
        "completed without logging test/acc" in both.verdict.reason
    ), both.verdict.reason


def test_an_interim_verdict_does_not_call_a_max_time_stopped_seed_unrun(tmp_path: Path) -> None:
    """a plan of 6 seeds whose seed 4 trainer.max_time stopped short (left out of
    the verdict): the interim note said 'seed 4 has no completed run yet: still training, or
    failed and to be rerun' and the discussion sent the user to a seeds=auto sweep, which
    skips it as completed. It names the seed as stopped by max_time, for `rerun=true`."""
    import json

    from repro.plugins.registry import get_paper

    results = tmp_path / "results"
    budget = {"+trainer.max_time": "00:01:00:00"}
    for seed, value in enumerate([0.94, 0.935, 0.945, 0.94, 0.5, 0.941]):
        folder = write_run(results, "cnn", seed, {"test/acc": value, "train/loss": 0.1}, **budget)
        if seed == 4:
            record = json.loads((folder / "record.json").read_text())
            record["timing"].update(steps=555, epochs=14, stopped_by="max_time")
            (folder / "record.json").write_text(json.dumps(record))
    frame, _ = aggregate.stopped_short(load_records(results).frame)
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (result,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 6})
    reason = result.verdict.reason
    assert "has no completed run" not in reason, reason
    assert "interim: 5 of the 6 planned seeds (seed 4 stopped by trainer.max_time" in reason, reason
    assert result.interim_unrun == ()


def test_an_interim_verdicts_rest_does_not_call_a_max_time_stopped_seed_silent(
    tmp_path: Path,
) -> None:
    """the same plan, reproduced so far: the discussion said what brings the rest of
    the plan as 'seed 4 completed without logging test/acc, so no sweep trains it again',
    though seed 4 logged it and trainer.max_time stopped it short of the setting."""
    import json

    from repro.plugins.registry import get_paper
    from repro.reporting.render import _interim_rest

    results = tmp_path / "results"
    budget = {"+trainer.max_time": "00:01:00:00"}
    for seed, value in enumerate([0.94, 0.935, 0.945, 0.94, 0.5, 0.941]):
        folder = write_run(results, "cnn", seed, {"test/acc": value, "train/loss": 0.1}, **budget)
        if seed == 4:
            record = json.loads((folder / "record.json").read_text())
            record["timing"].update(steps=555, epochs=14, stopped_by="max_time")
            (folder / "record.json").write_text(json.dumps(record))
    frame, _ = aggregate.stopped_short(load_records(results).frame)
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (result,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 6})
    assert result.interim_of == 6 and result.outcome == stats.REPRODUCED
    rest = _interim_rest(None, result)  # type: ignore[arg-type]  # no sweep to name
    assert "completed without logging" not in rest, rest
    assert "seed 4 stopped by trainer.max_time short of the setting" in rest, rest
    assert "rerun=true" in rest, rest


def test_an_interim_comparison_counts_a_seed_one_side_never_ran_as_unrun(tmp_path: Path) -> None:
    """cnn > mlp planned at 6 seeds: seed 4 of cnn stopped by trainer.max_time, seed 4 of
    mlp never ran. The note named seed 4 only as stopped (for rerun=true) and interim_unrun
    was empty, so no sweep was suggested for mlp's seed 4, which a sweep does train."""
    import json
    from types import SimpleNamespace

    from repro.plugins.registry import get_paper
    from repro.reporting.render import _interim_rest

    results = tmp_path / "results"
    budget = {"+trainer.max_time": "00:01:00:00"}
    for seed in range(6):
        loss = {"train/loss": 0.1 + seed / 100}
        folder = write_run(results, "cnn", seed, {"test/acc": 0.94 + seed / 1000, **loss}, **budget)
        if seed == 4:
            record = json.loads((folder / "record.json").read_text())
            record["timing"].update(steps=555, epochs=14, stopped_by="max_time")
            (folder / "record.json").write_text(json.dumps(record))
        else:
            write_run(results, "mlp", seed, {"test/acc": 0.68 + seed / 1000, **loss}, **budget)
    frame, _ = aggregate.stopped_short(load_records(results).frame)
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (claim,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_beats_mlp"]
    pilots, totals = {"cnn": 3, "mlp": 3}, {"cnn": 6, "mlp": 6}
    (result,) = aggregate.evaluate_claims(frame, [claim], choices, 0.05, pilots, totals)
    assert result.interim_of == 6
    assert result.interim_unrun == (4,), result.interim_unrun
    assert result.interim_stopped == (4,), result.interim_stopped
    reason = result.verdict.reason
    assert "seed 4 has no completed run yet" in reason, reason
    assert "seed 4 stopped by trainer.max_time" in reason, reason
    data = SimpleNamespace(advised_sweep="repro sweep", planned_seeds=totals)
    rest = _interim_rest(data, result)  # type: ignore[arg-type]  # what it reads of ReportData
    assert "`repro sweep experiment=cnn,mlp seeds=auto max_seeds=6` runs the rest" in rest, rest
    assert "seed 4 stopped by trainer.max_time" in rest and "rerun=true" in rest, rest


def test_a_claim_metric_close_to_a_logged_one_points_at_paper_yaml(tmp_path: Path) -> None:
    """a claim naming test/mes where the module logs test/mse: the report advised
    fixing the plugin's logging; the misspelling is more likely the claim's, in paper.yaml."""
    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/accuracy": CNN[seed]})  # the claim needs test/acc
    outcome, markdown = report(results, tmp_path / "out")
    by_claim = {r.claim.id: r for r in outcome.results}  # type: ignore[attr-defined]
    cnn = by_claim["cnn_acc"]
    assert cnn.logged_instead == "test/accuracy"
    assert "none logged test/acc; they logged test/accuracy: fix the claim's metric in " in (
        markdown
    ), markdown
    assert aggregate.missing_metrics([cnn]) == [f"{cnn.claim.id} (test/acc; logged test/accuracy)"]


def test_the_methodology_says_how_to_obtain_the_data(tmp_path: Path) -> None:
    """paper.yaml's data_instructions (how to obtain the data) were never shown."""
    from repro.plugins.paper_spec import load_paper_spec
    from repro.plugins.registry import BUILTIN_PAPERS

    spec = load_paper_spec(BUILTIN_PAPERS / "dspn")
    results = tmp_path / "results"
    experiment = next(iter(spec.experiments))
    write_any_run(results, experiment, 0, {"test/loss": 1.0}, paper="dspn")
    build_report(
        ReportRequest("dspn", results, tmp_path / "out", formats=frozenset({"md", "html"}))
    )
    instructions = " ".join((spec.data_instructions or "").split())
    assert instructions.startswith("Needs the four raw MNIST files")
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert f"- **Data:** {instructions[:60]}" in markdown, markdown  # escaped further on
    assert (
        "<strong>Data:</strong> Needs the four raw MNIST files"
        in (tmp_path / "out" / "report.html").read_text()
    )


def test_an_interim_two_stage_verdict_names_the_planned_seed_that_failed(tmp_path: Path) -> None:
    """A seeds=auto sweep done, its planned seed 3 failed: the verdict said 'interim: 5 of the
    6 planned seeds (the sweep trains the rest', though no sweep was running; it names the seed
    with no completed run and the command that trains it."""
    from repro.plugins.registry import get_paper

    results = tmp_path / "results"
    for seed, value in enumerate([0.94, 0.935, 0.945, 0.94, 0.942, 0.941]):
        if seed == 3:
            write_run(results, "cnn", seed, {}, status="failed", error="RuntimeError: boom")
        else:
            write_run(results, "cnn", seed, {"test/acc": value, "train/loss": 0.1 + seed / 100})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (result,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 6})
    reason = result.verdict.reason
    assert "interim: 5 of the 6 planned seeds (seed 3 has no completed run" in reason, reason
    assert "the sweep trains the rest" not in reason, reason


def test_a_config_hash_with_no_runs_is_refused_for_one_paper(tmp_path: Path) -> None:
    """`repro report paper=mnist1d --config zzz` (a typo) warned, then judged the
    paper's own setting and exited 0; asking for one paper, the pin must name its runs. With
    several papers a pin belongs to one of them, so the others only warn."""
    from repro.errors import UsageError
    from repro.reporting.build import requests_from_cli

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    args = (["md"], False, tmp_path / "out", results, ["zzz"], None)
    (request,), _ = requests_from_cli(["paper=mnist1d"], *args)
    with pytest.raises(UsageError, match=r"--config zzz: no runs of mnist1d with that config"):
        build_report(request)
    assert not (tmp_path / "out" / "report.md").exists()
    (request,), _ = requests_from_cli([], *args)  # every paper with records
    assert any("--config zzz" in line for line in build_report(request).warnings)


def test_a_setting_is_pinned_by_the_folder_an_older_repro_filed_it_in(tmp_path: Path) -> None:
    """`--config <the hash folder on disk>` of runs an older repro filed under another hash
    (here `trainer.precision=32` as written): the report counts them under today's hash and
    refused the folder's name, 'no runs of mnist1d with that config hash'."""
    import json
    import shutil

    import yaml

    from repro.records import store

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    legacy = ""
    for seed in range(2):
        folder = write_run(
            results,
            "cnn",
            seed,
            {"test/acc": 0.9},
            **{"optimizer.lr": 0.1, "trainer.precision": 32},
        )
        config = yaml.safe_load((folder / store.CONFIG_FILE).read_text())
        legacy = store._digest(config)  # as an older repro hashed it: the alias as written
        moved = folder.parent.with_name(legacy) / folder.name
        moved.parent.mkdir(exist_ok=True)
        shutil.move(folder, moved)
        record = json.loads((moved / store.RECORD_FILE).read_text())
        (moved / store.RECORD_FILE).write_text(json.dumps({**record, "config_hash": legacy}))
    outcome, markdown = report(results, tmp_path / "out", pinned_configs=frozenset({legacy}))
    assert "deviates from the paper's setting" in table_row(markdown, "cnn_acc")
    assert "(judged on settings that deviate from the paper's: cnn)" in outcome.summary


def test_a_setting_is_pinned_by_an_older_folder_whose_seeds_all_count_elsewhere(
    tmp_path: Path,
) -> None:
    """Two folders an older repro filed one setting in (`max_time` as `{hours: 1}` and as
    `'0:01:00:00'`), each with seeds 0 and 1: the later ones count, and `--config <the other
    folder>` was refused as 'no runs with that config hash', though the report had just
    warned its records were that setting's seeds."""
    import json
    import shutil

    import yaml

    from repro.records import store

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    earlier = ""
    for seed in range(2):
        for max_time, finished in (("{hours:1}", "2026-06-01"), ("0:01:00:00", "2026-01-01")):
            folder = write_run(
                results,
                "cnn",
                seed,
                {"test/acc": 0.9},
                finished_at=f"{finished}T00:00:00+00:00",
                **{"optimizer.lr": 0.1, "+trainer.max_time": max_time},
            )
            config = yaml.safe_load((folder / store.CONFIG_FILE).read_text())
            seen = store._before_readings(store._with_unset_keys(config))
            before = store._at_readings_before_fifth(seen)  # as an older repro hashed it
            legacy = store._digest(store._without_lightning_defaults(before))
            assert legacy in store.older_hashes(config)
            moved = folder.parent.with_name(legacy) / folder.name
            moved.parent.mkdir(exist_ok=True)
            shutil.move(folder, moved)
            record = json.loads((moved / store.RECORD_FILE).read_text())
            (moved / store.RECORD_FILE).write_text(json.dumps({**record, "config_hash": legacy}))
            earlier = legacy  # the '0:01:00:00' folder, whose seeds count in the other
    outcome, markdown = report(results, tmp_path / "out", pinned_configs=frozenset({earlier}))
    assert any(f"{earlier}/seed1" in line for line in outcome.warnings)  # also recorded
    assert "deviates from the paper's setting" in table_row(markdown, "cnn_acc")


def test_an_unclosed_comment_in_the_notes_does_not_hide_the_rest_of_the_report() -> None:
    """an unclosed `<!--` in notes.md (a `-->` forgotten) went into report.md as
    is, where it opens an HTML comment that never ends: GitHub showed nothing after it, the
    Claims table and every later section gone. It is shown as text now; inside a code block
    it stays code, and a closed comment is still removed."""
    text = (
        "## What was easy\n\nRan. <!-- closed --> Fine.\n\n<!-- TODO: say more\n\n"
        "```html\n<!-- in code\n```\n\n## Discussion\n\nAll good.\n"
    )
    easy, discussion = parse_notes(text)
    assert "closed" not in easy.body and "Ran.  Fine." in easy.body
    assert "<!--" not in easy.body.split("```")[0]
    assert "&lt;!-- TODO: say more" in easy.body
    assert "```html\n<!-- in code\n```" in easy.body
    assert discussion.body == "All good."


def test_a_pipe_in_inline_code_outside_a_table_has_no_backslash(tmp_path: Path) -> None:
    """every code span escaped `|` as `\\|`, which only a table cell reads as a
    pipe: in a sentence (a plugin note's `grep a | wc`, the results folder) CommonMark shows
    the backslash, so a command copied from report.md did not run. Table cells keep `\\|`."""
    from repro.reporting.render import prose

    assert prose("Count them: `grep x | wc -l`.") == "Count them: `grep x | wc -l`."
    results, out = tmp_path / "a|b" / "results", tmp_path / "out"
    mnist1d_records(results, seeds=2)
    _, markdown = report(results, out)
    assert f"run records in `{results}`." in markdown
    assert "`a\\|b" not in markdown.split("## Claims")[0]


def test_nan_losses_left_out_of_the_curves_are_said(tmp_path: Path) -> None:
    """a seed whose loss went NaN at step 79 (it still completed) lost those points
    from the curves without a word: the mean there was the other seeds' alone, a smooth
    curve over a run that diverged. The report now says how many were left out, and where."""
    results, out = tmp_path / "results", tmp_path / "out"
    for seed in range(2):
        log = [(39, 1.0), (79, math.nan if seed else 0.8), (119, math.inf if seed else 0.6)]
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]}, csv_log=log)
    _, markdown = report(results, out, formats=frozenset({"md", "html"}))
    curves = markdown.split("![Training curves]")[1].split("\n## ")[0]
    said = "cnn train/loss: 2 non-finite values (NaN or inf) left out, in 1 of 2 runs"
    assert said in curves
    assert said in (out / "report.html").read_text()


def test_a_failed_rerun_of_a_completed_run_is_counted_and_listed(tmp_path: Path) -> None:
    """`rerun=true` of a completed run that failed leaves `record.failed.json`
    beside the completed record (which still counts); the report read record.json alone, so
    the failed attempt's hours were missing from Compute ("Unsuccessful runs: none") and its
    error from the list. It counts its own wall time (not its earlier attempts': they may be
    counted already) and is listed as a failed rerun."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    folder = next((results / "mnist1d" / "cnn").glob("*/seed1"))
    record = json.loads((folder / "record.json").read_text())
    record.update(status="failed", error="CUDA out of memory")
    record["timing"] = {**record["timing"], "wall_s": 42.0, "earlier_wall_s": 7.0}
    (folder / "record.failed.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out")
    assert "(n=2)" in table_row(markdown, "cnn_acc")  # the completed record still counts
    assert "**Unsuccessful attempts, counted apart:** 1 (42.0 s)" in markdown
    failures = markdown.split("### Failed and unfinished runs")[1]
    assert "| 1 | failed (a rerun; the completed run stays) | CUDA out of memory |" in failures


def test_a_failed_attempt_started_over_is_counted_in_compute(tmp_path: Path) -> None:
    """a run that failed (NaN loss at step 1) and was run again started over, and
    its new record replaced the failed one's: the first attempt's time was gone from the
    records and from the report's Compute, though `attempts` said 2. The new record carries
    it as `abandoned_wall_s`, and the report counts it with the unsuccessful runs, once."""
    import json

    from repro.reporting.render import seconds
    from tests.conftest import repro

    args = ["run", "paper=mnist1d", "experiment=mlp", "logger=none"]
    args += ["trainer.max_steps=20", "optimizer.lr=1e12"]
    walls = []
    for _ in range(3):
        assert repro(*args).returncode != 0
        (folder,) = (tmp_path / "results").rglob("record.json")
        record = json.loads(folder.read_text())
        walls.append(record["timing"]["wall_s"])
    assert record["status"] == "failed" and record["attempts"] == 3
    assert record["timing"]["abandoned_wall_s"] == pytest.approx(walls[0] + walls[1], abs=2e-3)
    _, markdown = report(tmp_path / "results", tmp_path / "out")
    line = f"**Unsuccessful attempts, counted apart:** 3 ({seconds(sum(walls))})"
    assert line in markdown


def test_a_completed_run_that_started_over_after_failing_shows_the_failed_time(
    tmp_path: Path,
) -> None:
    """a completed run's record carrying a failed attempt's time (it started over)
    was counted in the hours, but the line said "Unsuccessful runs, counted apart: none"."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    folder = next((results / "mnist1d" / "cnn").glob("*/seed1"))
    record = json.loads((folder / "record.json").read_text())
    record["timing"]["abandoned_wall_s"] = 5.0
    (folder / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out")
    assert "**Unsuccessful attempts, counted apart:** 1 (5.0 s)" in markdown


def test_an_experiment_run_only_in_another_setting_is_not_said_to_be_not_run(
    tmp_path: Path,
) -> None:
    """a quick `trainer.max_steps=200` sweep of mlp: the summary's Scope said "Not
    run yet: `mlp`, ..." next to mlp's runs in *Results beyond the original paper*, as if the
    sweep had trained nothing. It names the experiments run in other settings only apart."""
    results, out = tmp_path / "results", tmp_path / "out"
    for seed in range(2):
        write_run(results, "mlp", seed, {"test/acc": 0.6}, **{"trainer.max_steps": 200})
    write_run(results, "cnn", 0, {"test/acc": 0.94})
    _, markdown = report(results, out, formats=frozenset({"md", "html"}))
    scope = markdown.split("### Scope")[1].split("### Methodology")[0]
    assert "Completed runs exist for: `cnn`." in scope
    assert "Not run yet: `logistic`, `gru`," in scope
    assert "`mlp`" not in scope.split("Not run yet:")[1]
    assert "Completed runs only in settings other than the paper's: `mlp`" in scope
    html = (out / "report.html").read_text()
    assert "Completed runs only in settings other than the paper's: <code>mlp</code>" in html


def test_the_terminal_says_why_claims_of_runs_in_other_settings_are_not_run(
    tmp_path: Path,
) -> None:
    """`repro sweep paper=X trainer.max_steps=20`, then `repro report paper=X`, printed
    `incomplete (0 of 7 claims reproduced, 0 of 7 run)` and nothing else: the terminal did
    not say the runs exist, in another setting, nor how to judge them."""
    results = tmp_path / "results"
    for seed in range(2):
        write_run(results, "mlp", seed, {"test/acc": 0.6}, **{"trainer.max_steps": 200})
    write_run(results, "cnn", 0, {"test/acc": 0.94})
    outcome, _ = report(results, tmp_path / "out")
    lines = [line for line in outcome.warnings if "mlp" in line]  # type: ignore[attr-defined]
    assert len(lines) == 1, outcome.warnings  # type: ignore[attr-defined]
    assert "settings other than the paper's" in lines[0], lines
    assert "--config" in lines[0] and "cnn" not in lines[0], lines


def test_a_real_sweeps_report_numbers_match_its_records(tmp_path: Path) -> None:
    """every number of a real sweep's report, recomputed from its record.json files
    here (mean, std, 90% CI, wall and fit times, steps/s), not from the report's own code."""
    import json

    from scipy import stats as scipy_stats

    from repro.reporting.render import num, seconds
    from tests.conftest import repro

    done = repro(
        "sweep", "paper=mnist1d", "experiment=logistic", "seeds=2", "logger=none",
        "trainer.max_steps=20",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = [json.loads(p.read_text()) for p in (tmp_path / "results").rglob("record.json")]
    assert len(records) == 2
    _, markdown = report(tmp_path / "results", tmp_path / "out")
    acc = [r["metrics"]["test/acc"] for r in records]
    mean, std = sum(acc) / 2, math.sqrt(sum((a - sum(acc) / 2) ** 2 for a in acc))
    half = scipy_stats.t.ppf(0.95, 1) * std / math.sqrt(2)
    beyond = markdown.split("## Results beyond the original paper")[1].split("\n## ")[0]
    row = next(line for line in beyond.splitlines() if line.startswith("| `logistic_acc`"))
    assert f"| {num(mean)} ± {num(std)} (n=2) | [{num(mean - half)}, {num(mean + half)}] |" in row
    walls = [r["timing"]["wall_s"] for r in records]
    fits = [r["timing"]["fit_s"] for r in records]
    rate = sum(r["timing"]["steps_per_s"] for r in records) / 2
    compute = markdown.split("## Compute")[1].split("\n## ")[0]
    row = next(line for line in compute.splitlines() if line.startswith("| `logistic`"))
    cells = [cell.strip() for cell in row.split(" | ")]
    assert cells[2:7] == ["2", seconds(sum(walls)), seconds(sum(walls) / 2),
                          seconds(sum(fits) / 2), num(rate)]  # fmt: skip
    assert f"**Total:** {seconds(sum(walls))} CPU (wall-clock) over 2 completed runs" in compute


def test_a_failed_rerun_of_a_group_counts_the_groups_time_once(tmp_path: Path) -> None:
    """`rerun=true` of two completed seeds trained together (one process) that
    failed leaves a `record.failed.json` in each seed's folder, each with the group's wall
    time: Compute added both, so a 42 s attempt counted 84 s."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    for folder in sorted((results / "mnist1d" / "cnn").glob("*/seed*")):
        record = json.loads((folder / "record.json").read_text())
        record.update(status="failed", error="CUDA out of memory")
        record["together"] = {"seeds": [0, 1], "attempt": "R"}
        record["timing"] = {**record["timing"], "wall_s": 42.0}
        (folder / "record.failed.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out")
    line = next(line for line in markdown.splitlines() if "Unsuccessful attempts" in line)
    assert "**Unsuccessful attempts, counted apart:** 2 (42.0 s)" in line


def test_the_reruns_before_a_failed_rerun_are_counted(tmp_path: Path) -> None:
    """a failed `rerun=true` carries the reruns before it that did not complete as
    `abandoned_wall_s` (its record.failed.json replaced theirs); Compute counted its own
    time alone."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    folder = next((results / "mnist1d" / "cnn").glob("*/seed1"))
    record = json.loads((folder / "record.json").read_text())
    record.update(status="failed", error="CUDA out of memory")
    record["timing"] = {**record["timing"], "wall_s": 42.0, "abandoned_wall_s": 7.0}
    (folder / "record.failed.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out")
    line = next(line for line in markdown.splitlines() if "Unsuccessful attempts" in line)
    assert "**Unsuccessful attempts, counted apart:** 2 (49.0 s)" in line


def test_a_setting_whose_seeds_trained_on_different_numbers_of_processes_says_which(
    tmp_path: Path,
) -> None:
    """with trainer.devices=auto (or -1) one GPU machine trains a seed alone and a
    4-GPU node trains it as DDP on 4 (other batches per step, other numbers), under one config
    hash: the verdict pooled both without a word. The records' world size tells them apart."""
    import json

    results = tmp_path / "results"
    for seed in range(3):
        folder = write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
        if seed == 2:
            record = json.loads((folder / "record.json").read_text())
            record["model"].update(device="cuda:0", world_size=4)
            (folder / "record.json").write_text(json.dumps(record))
    outcome, markdown = report(results, tmp_path / "out")
    cnn = next(r for r in outcome.results if r.claim.experiment == "cnn" and not r.claim.versus)
    mlp = next(r for r in outcome.results if r.claim.experiment == "mlp" and not r.claim.versus)
    assert "⚠️ seeds on 4 and 1 processes pooled" in table_row(markdown, cnn.claim.id)
    assert "processes" not in table_row(markdown, mlp.claim.id)
    (note,) = [n for n in cnn.notes if "processes" in n]
    assert "seed 2 trained on 4 processes, seeds 0–1 on 1" in note and note in markdown
    assert not any("processes" in n for n in mlp.notes)
    versus = next(r for r in outcome.results if r.claim.versus == "mlp")
    assert "seed 2 trained on 4 processes" in " ".join(versus.notes)


def test_a_comparison_whose_sides_trained_on_different_numbers_of_processes_says_so(
    tmp_path: Path,
) -> None:
    """cnn's seeds all trained as DDP on 4 GPUs and mlp's on one, both at
    trainer.devices=auto (one setting each, no side mixed): each pair's difference compared
    4-process runs with 1-process runs, other batches per step, and the row said nothing."""
    import json

    results = tmp_path / "results"
    for seed in range(3):
        folder = write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
        record = json.loads((folder / "record.json").read_text())
        record["model"].update(device="cuda:0", world_size=4)
        (folder / "record.json").write_text(json.dumps(record))
    outcome, markdown = report(results, tmp_path / "out")
    versus = next(r for r in outcome.results if r.claim.versus == "mlp")
    assert "⚠️ seeds on 4 and 1 processes" in table_row(markdown, versus.claim.id)
    (note,) = [n for n in versus.notes if "processes" in n]
    assert "cnn's seeds trained on 4 processes, mlp's on 1" in note and note in markdown
    cnn = next(r for r in outcome.results if r.claim.experiment == "cnn" and not r.claim.versus)
    assert not cnn.processes and "processes" not in table_row(markdown, cnn.claim.id)


def test_a_completed_run_replaced_by_a_rerun_keeps_its_time_apart(tmp_path: Path) -> None:
    """`rerun=true` of a completed run that completed replaced its record, and the
    replaced run's time (and the failed attempts before it, its `abandoned_wall_s`) went from
    the records and from Compute, which says it counts every attempt. The new record carries
    it as `replaced_wall_s`, counted apart, never in the result's own time."""
    import json

    from repro.reporting.render import seconds
    from tests.conftest import repro

    args = ["run", "paper=mnist1d", "experiment=mlp", "logger=none", "trainer.max_steps=20"]
    assert repro(*args).returncode == 0
    (path,) = (tmp_path / "results").rglob("record.json")
    first = json.loads(path.read_text())
    first["timing"]["abandoned_wall_s"] = 5.0  # a failed attempt before it, started over
    path.write_text(json.dumps(first))
    assert repro(*args, "rerun=true").returncode == 0
    record = json.loads(path.read_text())
    assert record["timing"]["replaced_wall_s"] == pytest.approx(first["timing"]["wall_s"])
    assert record["timing"]["abandoned_wall_s"] == pytest.approx(5.0)
    _, markdown = report(tmp_path / "results", tmp_path / "out")
    compute = markdown.split("## Compute")[1].split("\n## ")[0]
    wall = record["timing"]["wall_s"]
    assert f"**Total:** {seconds(wall)} CPU (wall-clock) over 1 completed run" in compute
    assert "**Unsuccessful attempts, counted apart:** 1 (5.0 s)" in compute
    assert _replaced_seconds(compute, 1) == pytest.approx(first["timing"]["wall_s"], rel=0.05)
    assert repro(*args, "rerun=true").returncode == 0  # a second rerun: two results replaced
    third = json.loads(path.read_text())
    assert third["timing"]["replaced_runs"] == 2
    _, markdown = report(tmp_path / "results", tmp_path / "out")
    both = first["timing"]["wall_s"] + record["timing"]["wall_s"]
    assert _replaced_seconds(markdown, 2) == pytest.approx(both, rel=0.05)


def _replaced_seconds(markdown: str, runs: int) -> float:
    """The seconds the Compute line of runs replaced by a rerun says, for `runs` of them: read
    back, not spelled again (two significant digits of a sum of hours times 3600 can round
    the other way than the test's own sum of the records' seconds)."""
    import re

    line = re.search(
        rf"\*\*Replaced by a rerun, counted apart:\*\* {runs} \(([0-9.]+) s\)", markdown
    )
    assert line is not None, markdown
    return float(line.group(1))


def test_replaced_runs_timed_to_a_save_are_said_to_be_a_lower_bound(tmp_path: Path) -> None:
    """a run resumed after kill -9 (timed to its last save: a lower bound), then
    replaced by `rerun=true`: Compute said 'Replaced by a rerun, counted apart: 1 (49.6 s)'
    as if exact. The record counts it (`replaced_to_save`) and the line says so."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    folder = next((results / "mnist1d" / "cnn").glob("*/seed1"))
    record = json.loads((folder / "record.json").read_text())
    record["attempts"] = 3
    record["timing"].update(replaced_wall_s=49.6, replaced_runs=1, replaced_to_save=1)
    (folder / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    line = next(line for line in markdown.splitlines() if "**Replaced by a rerun" in line)
    assert "1 (49.6 s; 1 of them resumed a killed attempt, counted up to the last " in line, line
    assert "(a lower bound))" in line, line
    html = (tmp_path / "out" / "report.html").read_text()
    assert "1 of them resumed a killed attempt" in html


def test_a_group_rerun_that_completed_one_seed_counts_the_groups_longest_time(
    tmp_path: Path,
) -> None:
    """`rerun=true` of seeds 0, 1 trained together (one process): seed 0 completed
    (its record says 30 s), seed 1 then failed at 42 s (its record.failed.json). Compute left
    the failed rerun to seed 0's record, counted at 30 s: the group's last 12 s counted
    nowhere. The group attempt counts once, its longest."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    seed0, seed1 = sorted((results / "mnist1d" / "cnn").glob("*/seed*"))
    record = json.loads((seed0 / "record.json").read_text())
    record["together"] = {"seeds": [0, 1], "attempt": "R"}
    record["timing"] = {**record["timing"], "wall_s": 30.0}
    (seed0 / "record.json").write_text(json.dumps(record))
    record = json.loads((seed1 / "record.json").read_text())
    record["timing"] = {**record["timing"], "wall_s": 10.0}
    (seed1 / "record.json").write_text(json.dumps(record))
    record.update(status="failed", error="CUDA out of memory")
    record["together"] = {"seeds": [0, 1], "attempt": "R"}
    record["timing"] = {**record["timing"], "wall_s": 42.0}
    (seed1 / "record.failed.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out")
    compute = markdown.split("## Compute")[1].split("\n## ")[0]
    row = next(line for line in compute.splitlines() if line.startswith("| `cnn`"))
    assert [cell.strip() for cell in row.split(" | ")][2:4] == ["2", "52.0 s"]
    line = next(line for line in compute.splitlines() if "Unsuccessful attempts" in line)
    assert "**Unsuccessful attempts, counted apart:** 1 (0.0 s)" in line


def test_a_killed_rerun_is_an_unsuccessful_run_without_a_recorded_time(tmp_path: Path) -> None:
    """a `rerun=true` of a completed run killed (kill -9, an OOM kill) leaves its
    record.rerun.json with no time: Compute said "Unsuccessful runs, counted apart: none"
    and the report named it nowhere, though it says it counts unsuccessful attempts and
    names those killed without a recorded time. (One killed once its record was written is
    the completed record's own attempt: not one.)"""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    seed0, seed1 = sorted((results / "mnist1d" / "cnn").glob("*/seed*"))
    for folder, same in ((seed0, True), (seed1, False)):
        record = json.loads((folder / "record.json").read_text())
        if not same:
            record.update(status="running", attempts=2)
            record["timing"] = {"started_at": "2099-01-01T00:00:00+00:00"}
        (folder / "record.rerun.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out")
    line = next(line for line in markdown.splitlines() if "Unsuccessful attempts" in line)
    assert "**Unsuccessful attempts, counted apart:** 1 (0.0 s; 1 without a recorded time" in line
    failures = markdown.split("### Failed and unfinished runs")[1]
    assert "| 1 | unfinished (a rerun, killed or still running; the completed run stays) |" in (
        failures
    )


def test_a_failed_rerun_a_completed_rerun_carries_is_counted_once(tmp_path: Path) -> None:
    """a rerun=true that completed carries the failed rerun before it as
    `abandoned_wall_s` and then removes its record.failed.json; killed in between, the file
    stayed and Compute counted the failed rerun twice (84 s for 42 s). A failed rerun older
    than the completed record (fewer attempts) is the one it carries."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    folder = next((results / "mnist1d" / "cnn").glob("*/seed1"))
    record = json.loads((folder / "record.json").read_text())
    failed = {**record, "status": "failed", "error": "CUDA out of memory", "attempts": 2}
    failed["timing"] = {**record["timing"], "wall_s": 42.0}
    (folder / "record.failed.json").write_text(json.dumps(failed))
    record["attempts"] = 3
    record["timing"]["abandoned_wall_s"] = 42.0
    record["timing"].update(replaced_wall_s=10.0, replaced_runs=1)  # the completed rerun's
    (folder / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out")
    line = next(line for line in markdown.splitlines() if "Unsuccessful attempts" in line)
    assert "**Unsuccessful attempts, counted apart:** 1 (42.0 s)" in line


def _unsuccessful_line(markdown: str) -> str:
    return next(line for line in markdown.splitlines() if "**Unsuccessful attempts" in line)


def test_unsuccessful_attempts_are_counted_as_attempts_not_runs(tmp_path: Path) -> None:
    """Compute's unsuccessful part counted runs: a seed that failed twice and
    then completed (its record: attempts 3, the two failures' 5 s as `abandoned_wall_s`) said
    1, and a seed failed three times (attempts 3) said 1; the records' attempt numbers say
    how many attempts there were: 2 + 3."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    folder = next((results / "mnist1d" / "cnn").glob("*/seed1"))
    record = json.loads((folder / "record.json").read_text())
    record["attempts"] = 3
    record["timing"]["abandoned_wall_s"] = 5.0
    (folder / "record.json").write_text(json.dumps(record))
    failed = write_run(results, "cnn", 7, {}, status="failed", error="nan", wall_s=10.0)
    record = json.loads((failed / "record.json").read_text())
    record["attempts"] = 3
    record["timing"]["abandoned_wall_s"] = 20.0
    (failed / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    assert "**Unsuccessful attempts, counted apart:** 5 (35.0 s)" in _unsuccessful_line(markdown)
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<strong>Unsuccessful attempts, counted apart:</strong> 5" in html


def test_an_attempt_killed_and_started_over_is_an_unsuccessful_attempt(tmp_path: Path) -> None:
    """an attempt killed (kill -9) before it saved a checkpoint leaves a `running`
    record without a time; the next attempt starts over and completes (attempts 2), and
    the killed one was nowhere in the report: "Unsuccessful runs, counted apart: none"."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    folder = next((results / "mnist1d" / "cnn").glob("*/seed1"))
    record = json.loads((folder / "record.json").read_text())
    record["attempts"] = 2
    (folder / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out")
    line = _unsuccessful_line(markdown)
    assert "**Unsuccessful attempts, counted apart:** 1 (0.0 s; 1 without a recorded time" in line


def test_failed_and_killed_reruns_are_counted_by_their_attempts(tmp_path: Path) -> None:
    """three `rerun=true` of a completed run (attempt 1) failed (attempts 2-4;
    the last's record.failed.json carries the two before it as `abandoned_wall_s`), then two
    were killed (attempts 5-6; the last's record.rerun.json replaced the first's): Compute
    said 3 (1 for the failed rerun, 1 for the time it carries, 1 for the killed one): 5."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    folder = next((results / "mnist1d" / "cnn").glob("*/seed1"))
    record = json.loads((folder / "record.json").read_text())
    failed = {**record, "status": "failed", "error": "CUDA out of memory", "attempts": 4}
    failed["timing"] = {**record["timing"], "wall_s": 42.0, "abandoned_wall_s": 20.0}
    (folder / "record.failed.json").write_text(json.dumps(failed))
    killed = {**record, "status": "running", "attempts": 6}
    killed["timing"] = {"started_at": "2099-01-01T00:00:00+00:00"}
    (folder / "record.rerun.json").write_text(json.dumps(killed))
    _, markdown = report(results, tmp_path / "out")
    line = _unsuccessful_line(markdown)
    assert "**Unsuccessful attempts, counted apart:** 5 (62.0 s; 2 without a recorded time" in line


def test_a_killed_rerun_counts_up_to_the_last_checkpoint_it_saved(tmp_path: Path) -> None:
    """a `rerun=true` killed (kill -9) 30 s in leaves record.rerun.json with its
    start and checkpoints/rerun.ckpt saved at 30 s: it ran at least that long, which Compute
    left out ("1 without a recorded time") though the runs it resumes count a killed attempt
    so. It counts to that save and says so; one that saved nothing stays without a time."""
    import datetime as dt
    import json
    import os

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    seed0, seed1 = sorted((results / "mnist1d" / "cnn").glob("*/seed*"))
    for folder in (seed0, seed1):
        record = json.loads((folder / "record.json").read_text())
        record.update(status="running", attempts=2)
        record["timing"] = {"started_at": "2026-03-01T00:00:00+00:00"}
        (folder / "record.rerun.json").write_text(json.dumps(record))
    start = dt.datetime.fromisoformat("2026-03-01T00:00:00+00:00").timestamp()
    saved = seed1 / "checkpoints" / "rerun.ckpt"
    saved.parent.mkdir()
    saved.write_bytes(b"")
    os.utime(saved, (start + 30, start + 30))
    early = seed0 / "checkpoints" / "rerun.ckpt"  # an earlier rerun's: before this one started
    early.parent.mkdir()
    early.write_bytes(b"")
    os.utime(early, (start - 5, start - 5))
    _, markdown = report(results, tmp_path / "out")
    line = _unsuccessful_line(markdown)
    assert "**Unsuccessful attempts, counted apart:** 2 (30.0 s; 1 without a recorded time" in line
    assert "1 killed or still running, counted up to the last checkpoint or log it saved" in line
    from repro.records.store import CHECKPOINT_DIR
    from repro.reporting.sections import RERUN_SAVES
    from repro.running.checkpointing import RERUN_CHECKPOINT
    from repro.running.loggers import RERUN_CSV_FOLDER

    assert (f"{CHECKPOINT_DIR}/{RERUN_CHECKPOINT}", RERUN_CSV_FOLDER) == RERUN_SAVES


def test_a_killed_run_counts_up_to_the_last_checkpoint_it_saved(tmp_path: Path) -> None:
    """a run killed (kill -9) 40 s in keeps its `running` record with only its
    start, and its last.ckpt saved at 40 s: it ran at least that long, as `repro run` counts
    it when it resumes, but the report counted it as "without a recorded time". It counts to
    that save; a checkpoint older than its start (an earlier attempt's) is no evidence."""
    import datetime as dt
    import json
    import os

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    start = dt.datetime.fromisoformat("2026-03-01T00:00:00+00:00").timestamp()
    for seed, saved_at in ((7, start + 40), (8, start - 5)):
        killed = write_run(results, "cnn", seed, {}, status="running")
        record = json.loads((killed / "record.json").read_text())
        record["timing"] = {"started_at": "2026-03-01T00:00:00+00:00"}
        (killed / "record.json").write_text(json.dumps(record))
        saved = killed / "checkpoints" / "last.ckpt"
        saved.parent.mkdir()
        saved.write_bytes(b"")
        os.utime(saved, (saved_at, saved_at))
    _, markdown = report(results, tmp_path / "out")
    line = _unsuccessful_line(markdown)
    assert "**Unsuccessful attempts, counted apart:** 2 (40.0 s; 1 without a recorded time" in line
    assert "1 killed or still running, counted up to the last checkpoint or log it saved" in line
    from repro.records.store import CHECKPOINT_DIR, LAST_CHECKPOINT
    from repro.reporting.sections import RUN_SAVES
    from repro.running.loggers import CSV_FOLDER

    assert (f"{CHECKPOINT_DIR}/{LAST_CHECKPOINT}", CSV_FOLDER) == RUN_SAVES


def test_a_comparison_with_one_difference_on_every_pair_does_not_say_other_metrics_differ(
    tmp_path: Path,
) -> None:
    """cnn 0.5, 0.75, 0.625 and mlp 0.25, 0.5, 0.375 (A − B = 0.25 on every
    pair; each run logged test/acc alone): the reason said "their runs differ in other
    metrics" and the discussion "every seed gave the same value but the runs differ
    elsewhere", though the runs differ in test/acc itself, from seed to seed."""
    results = tmp_path / "results"
    for seed, (a, b) in enumerate([(0.5, 0.25), (0.75, 0.5), (0.625, 0.375)]):
        write_run(results, "cnn", seed, {"test/acc": a})
        write_run(results, "mlp", seed, {"test/acc": b})
    outcome, markdown = report(results, tmp_path / "out")
    versus = next(r for r in outcome.results if r.claim.versus == "mlp")
    assert versus.outcome == stats.INCONCLUSIVE
    assert "other metrics" not in versus.verdict.reason
    assert "their runs differ from seed to seed" in versus.verdict.reason
    discussion = markdown.split("## Discussion")[1].split("\n## ")[0]
    line = next(line for line in discussion.splitlines() if "cnn\\_beats\\_mlp" in line)
    assert "every seed pair gave the same A − B but the runs differ from seed to seed" in line


def test_a_killed_group_counts_up_to_when_it_was_last_seen_training(tmp_path: Path) -> None:
    """a group of seeds 7 and 8 killed (kill -9) before its first save keeps
    their `running` records, the first with `timing.alive_at` 50 s after its start (what
    `repro run` counts the killed group to when it starts over). Compute left both seeds
    'without a recorded time'; the group counts once, up to there, said in the line."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    for seed in (7, 8):
        killed = write_run(results, "cnn", seed, {}, status="running")
        record = json.loads((killed / "record.json").read_text())
        record["timing"] = {"started_at": "2026-03-01T00:00:00+00:00"}
        if seed == 7:  # the group's first seed: its record notes when it was last training
            record["timing"]["alive_at"] = "2026-03-01T00:00:50+00:00"
        record["together"] = {"seeds": [7, 8], "attempt": "K"}
        (killed / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out")
    line = _unsuccessful_line(markdown)
    assert "**Unsuccessful attempts, counted apart:** 2 (50.0 s;" in line
    assert "without a recorded time" not in line
    assert "2 killed or still running, counted up to the last checkpoint or log it saved" in line
    assert "or when it was last seen training" in line


def test_a_killed_rerun_of_a_group_counts_up_to_when_it_was_last_seen_training(
    tmp_path: Path,
) -> None:
    """a `rerun=true` of seeds 0 and 1 trained together, killed (kill -9) 45 s in
    before any save, leaves their record.rerun.json, the first with `timing.alive_at`:
    Compute said both 'without a recorded time'. The group counts once, up to there."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    for folder in sorted((results / "mnist1d" / "cnn").glob("*/seed*")):
        record = json.loads((folder / "record.json").read_text())
        record.update(status="running", attempts=2)
        record["timing"] = {"started_at": "2026-03-01T00:00:00+00:00"}
        if folder.name == "seed0":
            record["timing"]["alive_at"] = "2026-03-01T00:00:45+00:00"
        record["together"] = {"seeds": [0, 1], "attempt": "R"}
        (folder / "record.rerun.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out")
    line = _unsuccessful_line(markdown)
    assert "**Unsuccessful attempts, counted apart:** 2 (45.0 s;" in line
    assert "without a recorded time" not in line
    assert "2 killed or still running, counted up to the last checkpoint or log it saved" in line


def test_a_carried_killed_attempt_timed_to_its_last_save_is_said_to_be_a_lower_bound(
    tmp_path: Path,
) -> None:
    """a completed run whose record carries a killed attempt it started over
    from, timed up to that attempt's last save (`abandoned_to_save`), showed those seconds
    as exact; the line says one was counted up to its last save, as for the killed record."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    folder = next((results / "mnist1d" / "cnn").glob("*/seed1"))
    record = json.loads((folder / "record.json").read_text())
    record["attempts"] = 2
    record["timing"].update(abandoned_wall_s=12.0, abandoned_runs=1, abandoned_untimed=0)
    record["timing"]["abandoned_to_save"] = 1
    (folder / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out")
    line = _unsuccessful_line(markdown)
    assert "**Unsuccessful attempts, counted apart:** 1 (12.0 s;" in line
    assert "1 killed or still running, counted up to the last checkpoint or log it saved" in line


def test_a_completed_run_resumed_from_a_killed_attempt_says_its_time_is_a_lower_bound(
    tmp_path: Path,
) -> None:
    """A completed run resumed from a killed attempt carries that attempt's time up to its
    last save (`earlier_to_save`): the Total showed it as exact; it says how many runs'
    time is a lower bound so."""
    import json

    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    folder = next((results / "mnist1d" / "cnn").glob("*/seed1"))
    record = json.loads((folder / "record.json").read_text())
    record["attempts"] = 2
    record["timing"].update(earlier_wall_s=12.0, earlier_to_save=1)
    (folder / "record.json").write_text(json.dumps(record))
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    total = next(line for line in markdown.splitlines() if "**Total:**" in line)
    assert "1 of them resumed a killed attempt, counted up to the last checkpoint" in total
    html = " ".join((tmp_path / "out" / "report.html").read_text().split())
    assert "1 of them resumed a killed attempt, counted up to the last checkpoint" in html


def test_a_deterministic_tie_is_not_said_to_be_below(tmp_path: Path) -> None:
    """cnn and mlp at 0.5 on every seed (runs identical in every metric): 'cnn >
    mlp' does not hold, but the row said '❌ not reproduced (below)', which reads as cnn <
    mlp. It says the two are tied."""
    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": 0.5})
        write_run(results, "mlp", seed, {"test/acc": 0.5})
    _, markdown = report(results, tmp_path / "out")
    row = table_row(markdown, "cnn_beats_mlp")
    assert "(below)" not in row and "❌ not reproduced (tie: A = B)" in row
    discussion = markdown.split("## Discussion")[1].split("\n## ")[0]
    assert "cnn\\_beats\\_mlp is not reproduced" in discussion


def test_other_settings_are_listed_in_the_order_of_their_values(tmp_path: Path) -> None:
    """settings of trainer.max_steps 150, 50, 100, 400 (run in that order) were
    listed by when they finished, 400, 100, 50, 150, in Compute and in the results beyond
    the paper; they are listed by value: 50, 100, 150, 400."""
    results = tmp_path / "results"
    mnist1d_records(results, seeds=2)
    for month, steps in enumerate([150, 50, 100, 400], start=1):
        finished = f"2026-0{month}-01T00:00:00+00:00"
        write_run(
            results,
            "cnn",
            0,
            {"test/acc": 0.9},
            finished_at=finished,
            **{"trainer.max_steps": steps},
        )
    _, markdown = report(results, tmp_path / "out")
    for section in ("## Compute", "## Results beyond"):
        text = markdown.split(section)[1].split("\n## ")[0]
        found = [
            s
            for line in text.splitlines()
            for s in ("=50 ", "=100 ", "=150 ", "=400 ")
            if f"max\\_steps{s}" in line
        ]
        assert found == ["=50 ", "=100 ", "=150 ", "=400 "], section


def test_a_claims_metric_in_the_pdf_breaks_only_where_it_may(tmp_path: Path) -> None:
    """the PDF's narrow Claim column broke `logistic_shuffled · test/acc`
    anywhere, as 'test/a' over 'cc': a metric name breaks after its '/' or not at all."""
    import re
    import shutil
    import subprocess

    pytest.importorskip("weasyprint", exc_type=ImportError)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is missing")
    results, out = tmp_path / "results", tmp_path / "out"
    mnist1d_records(results, seeds=2)
    report(results, out, formats=frozenset({"md", "pdf"}))
    text = subprocess.run(
        ["pdftotext", "-layout", str(out / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    claims = text[text.index("Claim") : text.index("Rules.")]
    assert set(re.findall(r"test/\w*", claims)) <= {"test/acc", "test/"}


def test_the_seeds_line_says_seed_for_one_seed(tmp_path: Path) -> None:
    """An experiment run with one seed read `**Seeds:** ... seeds 2 (mlp)`: a count in words
    says `seed` of one (repro.wording.plural)."""
    results = tmp_path / "results"
    write_run(results, "cnn", 0, {"test/acc": 0.94})
    write_run(results, "cnn", 1, {"test/acc": 0.94})
    write_run(results, "mlp", 2, {"test/acc": 0.68})
    _, markdown = report(results, tmp_path / "out")
    (line,) = [line for line in markdown.splitlines() if line.startswith("- **Seeds:**")]
    assert "seeds 0, 1 (cnn)" in line and "seed 2 (mlp)" in line, line


def test_a_dropped_seed_is_counted_once_under_its_claim(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for seed in range(4):
        write_run(results, "cnn", seed, {"test/acc": math.inf if seed == 0 else CNN[seed]})
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
    _, markdown = report(results, tmp_path / "out")
    for claim_id in ("cnn_acc", "cnn_beats_mlp"):
        line = next(x for x in markdown.splitlines() if x.startswith(f"- `{claim_id}`:"))
        assert line.count("diverged") == 1, line


def test_a_claim_whose_runs_all_failed_says_they_ran(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for seed in range(3):
        # failed otherwise than diverging (which is a verdict: see every_seed_diverged)
        write_run(results, "cnn", seed, {}, status="failed", error="CUDA out of memory")
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    assert "Not run yet: `logistic`, `gru`," in markdown  # cnn ran: not among them
    assert "Run, but no run completed: `cnn`" in markdown
    line = next(x for x in markdown.splitlines() if x.startswith("- `cnn_acc`:"))
    assert "No completed runs to judge it on: cnn was run, but no run of it completed" in line
    paired = next(x for x in markdown.splitlines() if x.startswith("- `cnn_beats_mlp`:"))
    assert "No completed cnn runs to pair with mlp's: cnn was run, but no run of it" in paired
    never = next(x for x in markdown.splitlines() if x.startswith("- `gru_acc`:"))
    assert "No completed runs to judge it on." in never  # never run: as before
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Run, but no run completed: <code>cnn</code>" in html


def test_no_curves_of_runs_that_all_failed_do_not_ask_for_a_csv_logger(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for seed in range(2):
        log = [(39, 1.0), (79, 0.8)]
        write_run(results, "cnn", seed, {}, status="failed", error="boom", csv_log=log)
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    figures = markdown.split("## Figures")[1].split("\n## ")[0]
    assert "logger=csv" not in figures
    assert "No training curves: no run completed" in figures
    html = (tmp_path / "out" / "report.html").read_text()
    assert "No training curves: no run completed" in html


def test_no_completed_run_leaves_no_table_of_headers_alone(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for seed in range(2):
        write_run(results, "cnn", seed, {}, status="failed", error="boom")
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    for section in ("## Hyperparameters", "## Compute"):
        text = markdown.split(section)[1].split("\n## ")[0].split("### Failed")[0]
        assert "|---|" not in text, section  # a table's header with no row under it
    hyper = markdown.split("## Hyperparameters")[1].split("\n## ")[0]
    assert "None: no run completed" in hyper
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<th>Parameters</th>" not in html and "<th>Wall time (total)</th>" not in html


def test_several_configs_names_every_setting_set_aside_when_the_papers_has_no_runs() -> None:
    """mnist1d logistic run at trainer.max_steps=200 (seeds 0, 1) and =2000 (seed 2), never
    at the paper's 6000: the Methodology line said `not judged: the paper's setting ... has no
    completed runs. Set aside: <2000's> (1 seed ...)`, never naming the 200-step setting (the
    one with most seeds, held as `chosen` though nothing is judged on it)."""
    from repro.reporting.render import choice_lines

    key = "trainer.max_steps"
    short = aggregate.ConfigOption("aa30302562", (0, 1), "2026-12-07", ((key, 200, 6000),))
    longer = aggregate.ConfigOption("41f14cb46a", (2,), "2026-12-07", ((key, 2000, 6000),))
    choice = aggregate.ConfigChoice(
        "logistic", short, (longer,), paper_setting=False, paper_hash="8534777216"
    )
    (line,) = choice_lines({"logistic": choice})
    assert "not judged" in line and "aa30302562 (2 seeds" in line, line
    assert "41f14cb46a (1 seed" in line, line
    assert line.index("aa30302562") < line.index("41f14cb46a"), line  # 200 before 2000
    assert "trainer.max_steps=200 (paper: 6000)" in line, line


def test_several_configs_names_an_unset_value_as_the_other_report_lines_do() -> None:
    """A setting set aside was named `trainer.benchmark = true (paper: null)` in the Methodology
    line, while every other line of the report says `trainer.benchmark=True (paper: unset)` of
    the same difference: one wording, the other lines'."""
    from repro.reporting.render import choice_lines

    differences = (("trainer.benchmark", True, None), ("model.width", None, 3))
    aside = aggregate.ConfigOption("aa30302562", (0,), "2026-12-07", differences)
    chosen = aggregate.ConfigOption("8534777216", (1, 2), "2026-12-07", ())
    choice = aggregate.ConfigChoice(
        "logistic", chosen, (aside,), paper_setting=True, paper_hash="8534777216"
    )
    (line,) = choice_lines({"logistic": choice})
    expected = aggregate.differences_text(differences)
    assert expected == "trainer.benchmark=True (paper: unset), model.width=unset (paper: 3)"
    assert expected in line and "null" not in line, line


def test_the_pdf_claims_table_keeps_each_claim_id_and_metric_whole(tmp_path: Path) -> None:
    """the PDF's 18% Claim column broke `logistic_shuffled_acc` as `logistic_shuffled_` over
    `acc`, and `test/acc` as `test/` over `acc`, while the 90% CI and Δ columns (`–` in a
    claim not run) kept room they did not use: mnist1d's claim ids and metrics fit whole."""
    import shutil
    import subprocess

    import yaml

    pytest.importorskip("weasyprint", exc_type=ImportError)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is missing")
    results, out = tmp_path / "results", tmp_path / "out"
    mnist1d_records(results, seeds=2)  # cnn and mlp have a CI and a Δ; the others are not run
    report(results, out, formats=frozenset({"md", "pdf"}))
    text = subprocess.run(
        ["pdftotext", "-layout", str(out / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    table = re.search(r"^ *Claim +Source .*?•", text, re.M | re.S)
    assert table is not None, text
    words = set(table.group(0).split())
    from repro.plugins.registry import BUILTIN_PAPERS

    spec = yaml.safe_load((BUILTIN_PAPERS / "mnist1d" / "paper.yaml").read_text())
    ids = [claim["id"] for claim in spec["claims"]]
    assert "logistic_shuffled_acc" in ids
    assert [claim_id for claim_id in ids if claim_id not in words] == []
    assert "test/" not in words and "test/acc" in words


def test_the_pdf_results_beyond_the_paper_keep_each_claim_id_and_metric_whole(
    tmp_path: Path,
) -> None:
    """*Results beyond the original paper* (mnist1d's logistic_shuffled at max_steps=200 and
    2000) broke `test/acc` as `test/` over `acc` and `trainer.max_steps` as `trainer.max_`
    over `steps=200` in the PDF, as the claims table above it did: laid out as that table."""
    import re
    import shutil
    import subprocess

    pytest.importorskip("weasyprint", exc_type=ImportError)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is missing")
    results, out = tmp_path / "results", tmp_path / "out"
    for seed, steps in ((0, 200), (1, 200), (2, 2000)):
        write_run(
            results, "logistic_shuffled", seed, {"test/acc": 0.3}, **{"trainer.max_steps": steps}
        )
    report(results, out, formats=frozenset({"md", "pdf"}))
    text = subprocess.run(
        ["pdftotext", "-layout", str(out / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    table = re.search(r"^ *Claim +Setting .*?^\f?Discussion", text, re.M | re.S)
    assert table is not None, text
    words = set(table.group(0).split())
    assert "logistic_shuffled_acc" in words and "test/acc" in words, table.group(0)
    assert {"trainer.max_steps=200", "trainer.max_steps=2000"} <= words, table.group(0)


def test_scope_says_max_time_stopped_every_run_only_where_it_did(tmp_path: Path) -> None:
    """cnn's seed 0 stopped by trainer.max_time short of its steps, seeds 1 and 2 failed:
    Scope said `trainer.max_time stopped every run short of its setting: cnn`, of two runs it
    never stopped; cnn is run with no run completed, and the stopped seed is listed too."""
    import json

    results = tmp_path / "results"
    budget = {"+trainer.max_time": "00:01:00:00"}
    folder = write_run(results, "cnn", 0, {"test/acc": 0.5}, **budget)
    record = json.loads((folder / "record.json").read_text())
    record["timing"].update(steps=555, epochs=14, stopped_by="max_time")
    (folder / "record.json").write_text(json.dumps(record))
    for seed in (1, 2):
        write_run(results, "cnn", seed, {}, status="failed", error="boom", **budget)
    _, markdown = report(results, tmp_path / "out", pinned_configs=frozenset({folder.parent.name}))
    scope = markdown[markdown.index("### Scope") : markdown.index("### Methodology")]
    assert "stopped every run short" not in scope, scope
    assert "Run, but no run completed: `cnn`" in scope, scope


def test_a_seed_failed_on_one_side_of_a_comparison_is_not_said_run_for_one(
    tmp_path: Path,
) -> None:
    """cnn's seed 1 failed beside mlp's completed seed 1: the claim said `1 seed run for only
    one of cnn and mlp`, though both ran it; the seed completed for only one of them."""
    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
        if seed == 1:
            write_run(results, "cnn", seed, {}, status="failed", error="boom")
        else:
            write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
    _, markdown = report(results, tmp_path / "out")
    line = next(x for x in markdown.splitlines() if x.startswith("- `cnn_beats_mlp`:"))
    assert "run for only one" not in line, line
    assert "1 seed completed for only one of cnn and mlp" in line, line


def test_failed_runs_at_the_papers_setting_are_not_said_never_run(tmp_path: Path) -> None:
    """cnn's two runs at the paper's setting failed, its max_steps=1500 runs completed:
    Scope said `Run only in settings other than the paper's: cnn` and the regenerate note
    `The paper's setting of cnn has no runs`, of a setting whose failed runs it lists."""
    results = tmp_path / "results"
    for seed in range(2):
        write_run(results, "cnn", seed, {}, status="failed", error="boom")
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]}, **{"trainer.max_steps": 1500})
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    assert "Run only in settings other" not in markdown
    assert "Completed runs only in settings other than the paper's: `cnn`" in markdown
    assert "The paper's setting of cnn has no runs" not in markdown
    assert "The paper's setting of cnn has no completed runs, so its claims" in markdown
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Completed runs only in settings other than the paper's: <code>cnn</code>" in html


def test_the_terminal_note_does_not_say_failed_runs_at_the_papers_setting_never_ran(
    tmp_path: Path,
) -> None:
    """cnn's runs at the paper's setting failed, its max_steps=1500 runs completed: `repro
    report` noted `cnn ran only in settings other than the paper's`, as Scope said."""
    results = tmp_path / "results"
    for seed in range(2):
        write_run(results, "cnn", seed, {}, status="failed", error="boom")
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]}, **{"trainer.max_steps": 1500})
    outcome, _ = report(results, tmp_path / "out")
    (note,) = [w for w in outcome.warnings if "other than the paper's" in w]
    assert "ran only in settings" not in note, note
    assert "note: cnn completed runs only in settings other than the paper's" in note, note


def test_a_config_pinned_whose_runs_all_failed_is_not_passed_over_in_silence(
    tmp_path: Path,
) -> None:
    """`--config <cnn's max_steps=1500 setting>`, whose two runs failed: the report judged cnn
    on the paper's setting (reproduced) without a word, its regenerate line still carrying
    the `--config`, as if the pin had been followed."""
    results = tmp_path / "results"
    for seed in range(2):
        failed = write_run(
            results, "cnn", seed, {}, status="failed", error="boom", **{"trainer.max_steps": 1500}
        )
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
    pin = failed.parent.name
    outcome, markdown = report(results, tmp_path / "out", pinned_configs=frozenset({pin}))
    said = [w for w in outcome.warnings if pin in w]
    assert said and "no run of cnn with that config hash completed" in said[0], said
    assert "no run of cnn with that config hash completed" in markdown.split("## ")[0]


def test_a_failed_pin_beside_a_followed_pin_does_not_say_it_was_without_config(
    tmp_path: Path,
) -> None:
    """Two --config hashes of cnn, the max_steps=1500 one's runs failed, the 3000 one's
    completed: the warning must not say cnn is judged 'as without --config'."""
    results = tmp_path / "results"
    for seed in range(2):
        failed = write_run(
            results, "cnn", seed, {}, status="failed", error="boom", **{"trainer.max_steps": 1500}
        )
        done = write_run(
            results, "cnn", seed, {"test/acc": CNN[seed]}, **{"trainer.max_steps": 3000}
        )
    pins = frozenset({failed.parent.name, done.parent.name})
    outcome, _ = report(results, tmp_path / "out", pinned_configs=pins)
    (said,) = [w for w in outcome.warnings if failed.parent.name in w]
    assert f"judged on {done.parent.name}" in said and "without --config" not in said, said


def test_two_configs_pinned_for_one_experiment_say_which_judges(tmp_path: Path) -> None:
    """`--config <cnn at 1500 steps> --config <cnn at 3000 steps>`: cnn was judged on one and
    the other set aside without a word in the terminal, as if both pins had been followed."""
    results = tmp_path / "results"
    for seed in range(2):
        short = write_run(
            results, "cnn", seed, {"test/acc": CNN[seed]}, **{"trainer.max_steps": 1500}
        )
        longer = write_run(results, "cnn", seed, {"test/acc": 0.5}, **{"trainer.max_steps": 3000})
    pins = frozenset({short.parent.name, longer.parent.name})
    outcome, _ = report(results, tmp_path / "out", pinned_configs=pins)
    said = [w for w in outcome.warnings if all(p in w for p in pins)]
    assert said and "cnn" in said[0] and "set aside" in said[0], outcome.warnings


def test_diverged_seeds_are_named_beside_the_verdict_in_every_format(tmp_path: Path) -> None:
    """a claim read a plain "✅ reproduced (n=4)" when 2 of its 6 seeds gave NaN or
    inf: the verdict on the finite seeds claimed more than happened, and only the reason,
    below the table, said "(2 non-finite values dropped)". The table's cells (md, html, pdf),
    the headline and the terminal's summary line now say how many of how many diverged, and
    a reproduced claim reads "reproduced on the 4 finite seeds"."""
    from repro.reporting import render

    results = tmp_path / "results"
    for seed, value in enumerate([*CNN[:4], math.nan, math.inf]):
        write_run(results, "cnn", seed, {"test/acc": value})
        write_run(results, "mlp", seed, {"test/acc": MLP[seed % 5] + seed / 1000})
    outcome, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    row = table_row(markdown, "cnn_acc")
    assert "✅ reproduced |" not in row, row
    assert "reproduced on the 4 finite seeds; 2 of 6 seeds diverged (NaN or inf)" in row, row
    assert "(n=4; 2 of 6 diverged)" in row, row
    pair = table_row(markdown, "cnn_beats_mlp")
    assert "reproduced on the 4 finite seed pairs; 2 of 6 seed pairs diverged" in pair, pair
    assert "2 of 6 seeds diverged" not in table_row(markdown, "mlp_acc")
    html = (tmp_path / "out" / "report.html").read_text()
    assert "reproduced on the 4 finite seeds; 2 of 6 seeds diverged (NaN or inf)" in html
    assert "2 of them on finite seeds only, with seeds that diverged" in outcome.summary
    headline = markdown.splitlines()[2]
    assert "2 of them on finite seeds only, with seeds that diverged" in headline, headline
    assert "2 reproduced (2 with seeds that diverged)" in markdown  # the Results line
    assert render.CSS_CLASS[stats.REPRODUCED] == "ok"  # the plain one keeps its colour


def test_a_paper_whose_claims_held_only_on_finite_seeds_is_not_plainly_reproduced(
    tmp_path: Path,
) -> None:
    """every verified claim reproduced on its finite seeds, one with a seed that gave
    NaN, made the headline a plain "✅ reproduced". It now reads "reproduced on finite
    seeds", and a claim with no seed diverged keeps the plain one."""
    from repro.plugins.registry import get_paper

    results = tmp_path / "results"
    for seed, value in enumerate([*CNN, math.nan]):
        write_run(results, "cnn", seed, {"test/acc": value})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (result,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05)
    assert result.outcome == stats.REPRODUCED and result.diverged == 1
    assert aggregate.overall_outcome([result]) == aggregate.REPRODUCED_FINITE_OVERALL
    (clean,) = aggregate.evaluate_claims(frame[frame["seed"] < 5], [cnn], choices, 0.05)
    assert aggregate.overall_outcome([clean]) == aggregate.REPRODUCED_OVERALL
    mixed = aggregate.overall_outcome([clean, dataclasses.replace(result, outcome=stats.BELOW)])
    assert mixed == aggregate.PARTIAL_OVERALL
    # repro.report()'s verdict table: the verdict word alone said nothing of the NaN seed
    assert aggregate.verdict_numbers(result)["diverged"] == 1
    assert aggregate.verdict_numbers(clean)["diverged"] == 0


def test_a_value_claim_missed_says_whether_the_seeds_did_better_or_worse(tmp_path: Path) -> None:
    """`higher_is_better` was read by nothing: "not reproduced (below)" of an error
    (lower is better) read as a failure to match the paper though the seeds did better than
    claimed. A value claim the seeds miss now says which way the miss goes; its verdict, two
    sided, is the same either way."""
    from repro.plugins.registry import get_paper
    from repro.reporting.render import outcome_text

    results = tmp_path / "results"
    for seed, value in enumerate(MLP):
        write_run(results, "mlp", seed, {"test/acc": value})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (mlp,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "mlp_acc"]
    (result,) = aggregate.evaluate_claims(frame, [mlp], choices, 0.05)
    assert result.outcome == stats.BELOW
    assert outcome_text(result) == "not reproduced (below: worse than claimed, higher is better)"
    error = dataclasses.replace(result, claim=mlp.model_copy(update={"higher_is_better": False}))
    assert outcome_text(error) == "not reproduced (below: better than claimed, lower is better)"
    _, markdown = report(results, tmp_path / "out")
    assert "(below: worse than claimed, higher is better) |" in table_row(markdown, "mlp_acc")


def test_seeds_that_failed_with_a_non_finite_loss_count_as_diverged(tmp_path: Path) -> None:
    """a run whose loss turned NaN fails (`non-finite loss at step 3`), so its seed never
    reached the claim: "✅ reproduced (n=3)" of a setting 2 of whose 5 seeds diverged, named
    only under the failed runs. They count as diverged beside the verdict, as a NaN metric
    does, and a note names them; a seed that failed otherwise (out of memory) does not."""
    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
    for seed in (3, 4):
        write_run(
            results, "cnn", seed, {}, status="failed", error="non-finite loss at step 3 (nan)"
        )
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
    write_run(results, "cnn", 5, {}, status="failed", error="CUDA out of memory")
    outcome, markdown = report(results, tmp_path / "out")
    row = table_row(markdown, "cnn_acc")
    assert "reproduced on the 3 finite seeds; 2 of 5 seeds diverged" in row, row
    assert "(n=3; 2 of 5 diverged)" in row, row
    pair = table_row(markdown, "cnn_beats_mlp")
    assert "2 of 5 seed pairs diverged" in pair, pair
    assert "Seeds 3–4 of cnn diverged in training (non-finite loss): their runs" in markdown
    assert outcome.overall != aggregate.REPRODUCED_OVERALL
    assert "diverged" not in table_row(markdown, "mlp_acc")


def test_one_seed_that_failed_with_a_non_finite_loss_is_named_in_the_singular(
    tmp_path: Path,
) -> None:
    """One such seed: the note read `seed 3 of cnn diverged ...: its run failed, ..., and
    count as diverged`, the plural's verb on one seed."""
    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
    write_run(results, "cnn", 3, {}, status="failed", error="non-finite loss at step 3 (nan)")
    _, markdown = report(results, tmp_path / "out")
    note = (
        "eed 3 of cnn diverged in training (non-finite loss): its run failed, with no value "
        "to test, and counts as diverged beside the verdict"
    )
    assert note in markdown, markdown


def test_a_comparison_says_which_side_diverged(tmp_path: Path) -> None:
    """a comparison whose sides gave NaN on most seeds read "inconclusive" with "(5
    non-finite pairs dropped)": nothing said which side diverged, on how many seeds. The
    verdict cell names each side and how many of its seeds did."""
    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
        write_run(results, "mlp", seed, {"test/acc": math.nan if seed else MLP[seed]})
        write_run(results, "mlp", seed + 3, {"test/acc": math.nan})
        write_run(results, "cnn", seed + 3, {"test/acc": math.inf if seed == 0 else math.nan})
    _, markdown = report(results, tmp_path / "out")
    pair = table_row(markdown, "cnn_beats_mlp")
    assert "❔ inconclusive; 5 of 6 seed pairs diverged (NaN or inf: cnn on 3, mlp on 5)" in pair


def test_claims_whose_every_seed_diverged_say_so_not_not_run(tmp_path: Path) -> None:
    """every cnn seed failed with `non-finite loss at step 3`: its claims read "➖ not run"
    though they ran, and all diverged, and the headline counted them unrun. They read as a
    claim whose every seed gave NaN does: inconclusive, 5 of 5 seeds diverged; a comparison
    names the side. The setting is still the paper's: runs of another one judge nothing."""
    results = tmp_path / "results"
    for seed in range(5):
        write_run(
            results, "cnn", seed, {}, status="failed", error="non-finite loss at step 3 (nan)"
        )
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
    outcome, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    row = table_row(markdown, "cnn_acc")
    assert "❔ inconclusive; 5 of 5 seeds diverged (NaN or inf)" in row, row
    assert "5 seeds diverged, none finite" in row, row
    pair = table_row(markdown, "cnn_beats_mlp")
    assert "❔ inconclusive; 5 of 5 seed pairs diverged (NaN or inf: cnn on 5)" in pair, pair
    assert "3 of 9 run" in outcome.summary, outcome.summary
    assert "Run, but no run completed: `cnn`" not in markdown
    assert "Run, but every run diverged (non-finite loss): `cnn`" in markdown
    # the seeds cnn diverged on are pairs that diverged, not seeds left unpaired
    assert "completed for only one of cnn and mlp" not in markdown
    html = (tmp_path / "out" / "report.html").read_text()
    assert "5 of 5 seeds diverged (NaN or inf)" in html
    # the seeds of another setting that diverged judge nothing: the paper's was not run
    other = tmp_path / "other"
    for seed in range(5):
        write_run(
            other,
            "cnn",
            seed,
            {},
            status="failed",
            error="non-finite loss at step 3 (nan)",
            **{"trainer.max_steps": 1500},
        )
    _, markdown = report(other, tmp_path / "out2")
    assert "➖ not run |" in table_row(markdown, "cnn_acc")


def test_the_seeds_line_names_the_seeds_that_diverged(tmp_path: Path) -> None:
    """Methodology's "Seeds:" line listed only completed seeds: cnn's seeds 3–4, which
    failed with a non-finite loss, and seed 2, whose metric was NaN, went unnamed there,
    and an experiment whose every seed diverged was left out. It now names them; a seed that
    failed otherwise (out of memory) is not among them."""
    results = tmp_path / "results"
    for seed in range(5):
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": math.nan if seed == 2 else CNN[seed]})
    for seed in (3, 4):
        write_run(
            results, "cnn", seed, {}, status="failed", error="non-finite loss at step 3 (nan)"
        )
        write_run(results, "gru", seed, {}, status="failed", error="non-finite loss at step 2")
    write_run(results, "cnn", 5, {}, status="failed", error="CUDA out of memory")
    _, markdown = report(results, tmp_path / "out")
    line = next(x for x in markdown.splitlines() if x.startswith("- **Seeds:**"))
    assert "seeds 0–4 (mlp)" in line, line
    assert "seeds 0–4 (cnn; seeds 2–4 diverged)" in line, line
    assert "seeds 3, 4 (gru; all diverged)" in line, line


def test_a_paper_setting_that_all_diverged_beside_another_that_completed_is_not_unrun(
    tmp_path: Path,
) -> None:
    """every seed of cnn's paper setting failed with `non-finite loss`, and a smoke setting
    (trainer.max_steps=1500) of cnn completed: the completed one made cnn "chosen", not the
    paper's, so its claims read "➖ not run" though the paper's setting ran and diverged. They
    read inconclusive with the diverged count, as when no other setting ran; the other
    setting stays beyond the paper."""
    results = tmp_path / "results"
    for seed in range(5):
        write_run(
            results, "cnn", seed, {}, status="failed", error="non-finite loss at step 3 (nan)"
        )
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]}, **{"trainer.max_steps": 1500})
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
    outcome, markdown = report(results, tmp_path / "out")
    row = table_row(markdown, "cnn_acc")
    assert "❔ inconclusive; 5 of 5 seeds diverged (NaN or inf)" in row, row
    pair = table_row(markdown, "cnn_beats_mlp")
    assert "❔ inconclusive; 5 of 5 seed pairs diverged (NaN or inf: cnn on 5)" in pair, pair
    assert "3 of 9 run" in outcome.summary, outcome.summary
    assert "Run, but every run diverged (non-finite loss): `cnn`" in markdown
    assert "Completed runs only in settings other than the paper's" not in markdown
    assert not [w for w in outcome.warnings if "completed runs only in settings" in w]
    beyond = markdown.split("## Results beyond the original paper")[1].split("## ")[0]
    assert "trainer.max\\_steps=1500" in table_row(beyond, "cnn_acc")


def test_a_planned_seed_that_diverged_is_not_also_counted_unrun(tmp_path: Path) -> None:
    """A seeds=auto plan of 6 whose stage-two seed 4 failed with `non-finite loss`: the
    verdict counted it twice, "1 of 6 diverged" and "interim: 5 of the 6 planned seeds (seed 4
    has no completed run yet: still training, or failed and to be rerun", and sent the user
    to a sweep that trains it again, to diverge again. It ran, and diverged: the planned test
    drops it as it drops a NaN value, so the verdict is the final one, as with a NaN."""
    import shutil

    from repro.plugins.registry import get_paper

    results = tmp_path / "results"
    for seed, value in enumerate([0.94, 0.935, 0.945, 0.94, 0.942, 0.941]):
        if seed == 4:
            write_run(results, "cnn", seed, {}, status="failed", error="non-finite loss at step 3")
        else:
            write_run(results, "cnn", seed, {"test/acc": value, "train/loss": 0.1 + seed / 100})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (result,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 6})
    reason = result.verdict.reason
    assert "interim" not in reason and "no completed run" not in reason, reason
    assert result.interim_of is None and result.interim_unrun == (), result
    assert result.outcome == stats.REPRODUCED and result.diverged == 1
    assert aggregate.verdict_numbers(result)["interim"] is False
    # as a NaN value of seed 4 reads: the same verdict, not interim
    nan = tmp_path / "nan"
    for seed, value in enumerate([0.94, 0.935, 0.945, 0.94, math.nan, 0.941]):
        write_run(nan, "cnn", seed, {"test/acc": value, "train/loss": 0.1 + seed / 100})
    frame = load_records(nan).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (same,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 6})
    assert same.interim_of is None and same.outcome == result.outcome and same.diverged == 1
    # with seed 5 still to come, it is interim for seed 5 alone, and says what seed 4 did
    shutil.rmtree(next((results / "mnist1d" / "cnn").glob("*/seed5")))
    frame = load_records(results).frame
    (early,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 6})
    assert early.interim_of == 6 and early.interim_unrun == (5,), early
    assert (
        "interim: 4 of the 6 planned seeds (seed 5 has no completed run yet: still training, or "
        "failed and to be rerun; seed 4 diverged in training (non-finite loss)"
    ) in early.verdict.reason, early.verdict.reason


def test_a_planned_pair_that_diverged_is_not_also_counted_unrun(tmp_path: Path) -> None:
    """The comparison's side: cnn's planned seed 4 failed with a non-finite loss, mlp's
    completed. The pair diverged; it made the verdict interim as a pair still to train."""
    from repro.plugins.registry import get_paper

    results = tmp_path / "results"
    for seed in range(6):
        if seed == 4:
            write_run(results, "cnn", seed, {}, status="failed", error="non-finite loss at step 3")
        else:
            write_run(results, "cnn", seed, {"test/acc": 0.94 + seed / 1000})
        write_run(results, "mlp", seed, {"test/acc": MLP[seed % 5]})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (claim,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_beats_mlp"]
    plan = ({"cnn": 3, "mlp": 3}, {"cnn": 6, "mlp": 6})
    (result,) = aggregate.evaluate_claims(frame, [claim], choices, 0.05, *plan)
    assert result.interim_of is None and result.interim_unrun == (), result
    assert "interim" not in result.verdict.reason, result.verdict.reason
    assert result.outcome == stats.REPRODUCED and result.diverged == 1


def test_a_seed_that_diverged_does_not_make_the_finite_seeds_runs_differ(tmp_path: Path) -> None:
    """Seeds 0 and 1 agree in every metric, seed 2 gave NaN: the identical-runs check counted
    the NaN seed's run, so the verdict read "All 2 seeds gave 0.94, but their runs differ in
    other metrics" of two runs that differ in nothing. The test is on the finite seeds, and so
    is the check: judged on that value, the diverged seed named beside it, as when seed 2
    failed with a non-finite loss instead. A comparison's pairs alike."""
    from repro.plugins.registry import get_paper

    claims = {c.id: c for c in get_paper("mnist1d").spec().claims}

    def judged(last: dict[str, object]) -> list[aggregate.ClaimResult]:
        results = tmp_path / str(len(list(tmp_path.iterdir())))
        for seed in range(2):
            write_run(results, "cnn", seed, {"test/acc": 0.94, "train/loss": 0.1})
            write_run(results, "mlp", seed, {"test/acc": 0.5, "train/loss": 0.2})
        write_run(results, "cnn", 2, **last)  # type: ignore[arg-type]
        write_run(results, "mlp", 2, {"test/acc": 0.5, "train/loss": 0.2})
        frame = load_records(results).frame
        choices = aggregate.choose_configs(aggregate.run_table(frame))
        wanted = [claims["cnn_acc"], claims["cnn_beats_mlp"]]
        return aggregate.evaluate_claims(frame, wanted, choices, 0.05)

    nan = judged({"metrics": {"test/acc": math.nan, "train/loss": math.nan}})
    failed = judged({"metrics": {}, "status": "failed", "error": "non-finite loss at step 3 (nan)"})
    for by_nan, by_failure in zip(nan, failed, strict=True):
        assert "differ" not in by_nan.verdict.reason, by_nan.verdict.reason
        assert by_nan.verdict.deterministic and by_nan.diverged == 1, by_nan.verdict
        assert by_nan.outcome == by_failure.outcome == stats.REPRODUCED, by_failure.verdict


def test_a_comparison_with_no_finite_pair_prints_no_empty_side_means(tmp_path: Path) -> None:
    """every mlp seed gave NaN: under the table, `cnn_beats_mlp` said "cnn: –; mlp: –
    (paired seeds)", means over no pair, beside "No finite values". No such line now."""
    results = tmp_path / "results"
    for seed in range(4):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
        write_run(results, "mlp", seed, {"test/acc": math.nan})
    _, markdown = report(results, tmp_path / "out")
    (line,) = [x for x in markdown.splitlines() if x.startswith("- `cnn_beats_mlp`")]
    assert "No finite values" in line and "cnn: –" not in line, line


def test_a_paper_setting_that_all_diverged_is_not_called_unjudged_under_its_commands(
    tmp_path: Path,
) -> None:
    """cnn's paper setting ran and every seed diverged, a smoke setting completed: its
    claims read inconclusive, diverged, but the note under *To regenerate* said "The paper's
    setting of cnn has no completed runs, so its claims are not judged". Its claims are
    judged; the paper's sweep line carries cnn, as it made those runs."""
    results = tmp_path / "results"
    for seed in range(3):
        write_run(
            results, "cnn", seed, {}, status="failed", error="non-finite loss at step 3 (nan)"
        )
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]}, **{"trainer.max_steps": 1500})
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
    _, markdown = report(results, tmp_path / "out")
    assert "❔ inconclusive; 3 of 3 seeds diverged" in table_row(markdown, "cnn_acc")
    assert "cnn has no completed runs, so its claims are not judged" not in markdown, markdown
    assert "experiment=mlp,cnn seeds=3" in markdown.replace("\\\n    ", "")


def test_the_seeds_line_does_not_pool_another_settings_seeds_with_the_diverged_ones(
    tmp_path: Path,
) -> None:
    """cnn's paper setting diverged on seeds 0–2, a smoke setting completed seeds 0–4: the
    Seeds line read "seeds 0–4 (cnn; seeds 0–2 diverged)", the smoke runs' seeds as if the
    judged setting had run them. It names the judged setting's seeds: all diverged."""
    results = tmp_path / "results"
    for seed in range(5):
        if seed < 3:
            write_run(
                results, "cnn", seed, {}, status="failed", error="non-finite loss at step 3 (nan)"
            )
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]}, **{"trainer.max_steps": 1500})
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
    _, markdown = report(results, tmp_path / "out")
    line = next(x for x in markdown.splitlines() if x.startswith("- **Seeds:**"))
    assert "seeds 0–2 (cnn; all diverged)" in line, line
    assert "seeds 0–4 (mlp)" in line, line
