"""Figure text stays on the figure: a long claim id in the last column was cut at the edge."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from repro.reporting import figures


def test_a_title_wider_than_its_column_is_shrunk_to_stay_on_the_figure() -> None:
    fig = figures._figure(figures.PANEL_W * 3, figures.PANEL_H, rows=1)
    axes = fig.subplots(1, 3, squeeze=False).ravel()
    for ax in axes:
        ax.set_title("max_pooling_beats_sab_pma_long\nnot reproduced", fontsize=figures.TITLE_PT)
    figures.keep_text_inside(fig)
    renderer = fig.canvas.get_renderer()  # the Agg canvas keep_text_inside measured with
    width = fig.bbox.width
    for ax in axes:
        box = ax.title.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width, (box.x0, box.x1, width)
    assert axes[0].title.get_fontsize() == figures.TITLE_PT  # only what overflows shrinks
    assert axes[2].title.get_fontsize() < figures.TITLE_PT


def test_long_experiment_names_under_a_panel_stay_within_its_share() -> None:
    """A comparison's x-label ('A: <experiment>', 'B: <versus>') of long experiment names ran
    over the next panel's label and past the figure's edge: both unreadable in the report."""
    fig = figures._figure(figures.PANEL_W * 3, figures.PANEL_H, rows=1, bottom_in=0.87)
    axes = fig.subplots(1, 3, squeeze=False).ravel()
    name = "resnet_with_a_much_longer_experiment_name_than_usual_v2"
    for ax in axes:
        ax.set_title("claim\nnot reproduced", fontsize=figures.TITLE_PT)
        ax.set_xlabel(f"A: {name}\nB: mlp\nclaimed: A > B", fontsize=figures.LABEL_PT)
    figures.keep_text_inside(fig)
    renderer = fig.canvas.get_renderer()
    boxes = [ax.xaxis.label.get_window_extent(renderer) for ax in axes]
    assert boxes[0].x0 >= 0 and boxes[-1].x1 <= fig.bbox.width, boxes
    for left, right in itertools.pairwise(boxes):
        assert left.x1 <= right.x0, (left, right)
    assert axes[0].title.get_fontsize() == figures.TITLE_PT  # what fits is left as it is


def test_a_figure_stopped_mid_save_leaves_the_last_one_whole(tmp_path) -> None:
    """Ctrl-C or SIGTERM while a figure is written: the figure of the last report stays as it
    was (before, savefig wrote straight onto it: half a PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    stem = tmp_path / "figures" / "claims"
    figures._save(Figure(figsize=(2, 2)), stem, vector=False)
    whole = (stem.with_suffix(".png")).read_bytes()

    class Stopped(Figure):
        def savefig(self, target, **kwargs):
            payload = b"\x89PNG half"
            if hasattr(target, "write"):
                target.write(payload)
            else:
                Path(target).write_bytes(payload)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        figures._save(Stopped(figsize=(2, 2)), stem, vector=False)
    assert stem.with_suffix(".png").read_bytes() == whole
    assert [p.name for p in stem.parent.iterdir()] == ["claims.png"]


def test_a_name_with_dollar_signs_is_drawn_as_written_not_as_math() -> None:
    """a metric `test/a$b^2$c_d` was labelled 'test/ab²c_d' (matplotlib's
    mathtext), which matches nothing in the tables."""
    fig = figures._figure(figures.PANEL_W, figures.PANEL_H, rows=1)
    ax = fig.subplots(1, 1)
    label = ax.set_ylabel("test/a$b^2$c_d")
    fig.canvas.draw()
    assert label.get_parse_math() is False


def test_a_figure_taller_than_a_pdf_page_is_drawn_smaller_not_cut(tmp_path: Path) -> None:
    """with 13 or more claims the claims figure ran past the A4 page and the PDF
    cut its last rows off (20 claims: 8 panels lost). On a PDF page a figure is given the
    width at which its whole height fits; on screen it keeps its drawn width."""
    from repro.reporting.render import PDF_FIGURE_MAX_IN, figure_width_inches

    fig = figures._figure(figures.PANEL_W * 3, figures.PANEL_H * 7, rows=7)
    (tall,) = figures._save(fig, tmp_path / "claims", vector=False)
    drawn = figures.PANEL_W * 3
    assert figure_width_inches(tall, pdf=False) == pytest.approx(drawn, abs=0.02)
    fitted = figure_width_inches(tall, pdf=True)
    assert fitted * (figures.PANEL_H * 7) / drawn == pytest.approx(PDF_FIGURE_MAX_IN, rel=0.02)
    fig = figures._figure(figures.PANEL_W * 3, figures.PANEL_H, rows=1)
    (short,) = figures._save(fig, tmp_path / "short", vector=False)
    assert figure_width_inches(short, pdf=True) == pytest.approx(drawn, abs=0.02)


def test_a_legend_of_long_names_stays_on_the_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """three experiments off the paper's setting in a one-panel curves figure:
    the legend, three columns wide, was cut at both edges ('…seeds)  — mlp (not the
    paper's setting) (3 seeds)  —'), so no colour could be matched to its experiment."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from repro.reporting.curves import Curve

    curves = [
        Curve(
            f"{name} (not the paper's setting)", "train/loss", (0, 1, 2), (3, 2, 1), (0,) * 3, 3, 3
        )
        for name in ("logistic", "mlp", "cnn")
    ]
    captured = {}
    monkeypatch.setattr(figures, "_save", lambda fig, stem, vector: captured.update(fig=fig))
    figures.curves_figure(curves, tmp_path / "curves", vector=False)
    fig = captured["fig"]
    renderer = FigureCanvasAgg(fig).get_renderer()
    (legend,) = fig.legends
    box = legend.get_window_extent(renderer)
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y0 >= 0, (box, fig.bbox)
    assert len(legend.get_texts()) == 3


def test_a_legend_label_wider_than_the_figure_is_wrapped_onto_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """one experiment of a 40-character name off the paper's setting: its legend label alone
    was wider than the one-panel figure, cut at both edges
    (`xperiment_name_that_is_forty_chars_x (not the paper's setting`): it wraps at its spaces."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from repro.reporting.curves import Curve

    name = "an_experiment_name_that_is_forty_chars_x (not the paper's setting: max_steps=300)"
    curves = [Curve(name, "train/loss", (0, 1, 2), (3, 2, 1), (0,) * 3, 3, 3)]
    captured = {}
    monkeypatch.setattr(figures, "_save", lambda fig, stem, vector: captured.update(fig=fig))
    figures.curves_figure(curves, tmp_path / "curves", vector=False)
    fig = captured["fig"]
    renderer = FigureCanvasAgg(fig).get_renderer()
    (legend,) = fig.legends
    box = legend.get_window_extent(renderer)
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y0 >= 0, (box, fig.bbox)
    (text,) = legend.get_texts()
    assert " ".join(text.get_text().split()) == f"{name} (3 seeds)"  # whole, over lines
    axes = fig.axes[0].get_window_extent(renderer)
    assert box.y1 < axes.y0, (box, axes)  # below the panel, not over it


def test_seeds_past_a_two_stage_plan_are_drawn_hollow_and_named_in_a_legend(tmp_path) -> None:
    """The table says seeds past a seeds=auto plan's N are shown but not judged; the claims
    figure drew them as filled dots like the judged ones, so the eye judged them."""
    from repro.plugins.registry import get_paper
    from repro.records.table import load_records
    from repro.reporting import aggregate
    from tests.records.test_table import write_run

    results = tmp_path / "results"
    values = [0.94, 0.935, 0.945, 0.94, 0.942, 0.5]
    for seed, value in enumerate(values):
        write_run(results, "cnn", seed, {"test/acc": value, "train/loss": 0.1 + seed / 100})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (result,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 5})
    ax = figures._figure(figures.PANEL_W, figures.PANEL_H, rows=1).subplots(1, 1)
    figures._claim_panel(ax, result)

    def hollow(collection) -> bool:
        faces = collection.get_facecolors()
        return len(faces) == 0 or all(face[3] == 0 for face in faces)

    from matplotlib.collections import PathCollection

    dots = [c for c in ax.collections if isinstance(c, PathCollection)]  # the scatters
    assert [list(c.get_offsets()[:, 1]) for c in dots if hollow(c)] == [[0.5]]
    assert sorted(v for c in dots if not hollow(c) for v in c.get_offsets()[:, 1]) == sorted(
        values[:5]
    )
    legend = ax.get_legend()
    assert legend is not None and "not judged" in legend.get_texts()[0].get_text()


def test_the_not_judged_legend_covers_no_seed(tmp_path) -> None:
    """A seeds=auto claim whose seeds spread over the whole panel: the legend naming the
    hollow dots sat where matplotlib's 'best' found least data, on top of two seeds (one of
    them a hollow one), so the figure hid values the table counts."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PathCollection

    from repro.plugins.registry import get_paper
    from repro.records.table import load_records
    from repro.reporting import aggregate
    from tests.records.test_table import write_run

    results = tmp_path / "results"
    values = [-0.816, -0.172, -0.403, -0.488, -0.975, -0.917, -0.968, -0.953, -0.013, -0.733]
    values += [0.19, -0.941, 0.299, -0.692, -0.453, -0.952, -0.916, -0.983, -0.923, 0.177]
    for seed, value in enumerate(values):
        write_run(results, "cnn", seed, {"test/acc": value, "train/loss": 0.1 + seed / 100})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (result,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 16})
    fig = figures._figure(figures.PANEL_W, figures.PANEL_H, rows=1)
    ax = fig.subplots(1, 1)
    figures._claim_panel(ax, result)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    legend = ax.get_legend()
    assert legend is not None and "not judged" in legend.get_texts()[0].get_text()
    box = legend.get_window_extent(renderer)
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    for dot in dots:
        for x, y in ax.transData.transform(dot.get_offsets()):
            inside = box.x0 - 3 <= x <= box.x1 + 3 and box.y0 - 3 <= y <= box.y1 + 3
            assert not inside, (x, y, box)


def test_seeds_left_out_of_a_paired_comparison_are_drawn_hollow(tmp_path) -> None:
    """cnn ran seeds 0-4, mlp 0-2: the panel drew cnn's five seeds as filled dots beside a
    mean over the three pairs the test used, so the mean did not sit among the dots shown."""
    from matplotlib.collections import PathCollection

    from repro.plugins.registry import get_paper
    from repro.records.table import load_records
    from repro.reporting import aggregate
    from tests.records.test_table import write_run

    results = tmp_path / "results"
    for seed, value in enumerate([0.90, 0.91, 0.92, 0.99, 0.99]):
        write_run(results, "cnn", seed, {"test/acc": value})
    for seed in range(3):
        write_run(results, "mlp", seed, {"test/acc": 0.68 + seed / 100})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (claim,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_beats_mlp"]
    (result,) = aggregate.evaluate_claims(frame, [claim], choices, 0.05)
    ax = figures._figure(figures.PANEL_W, figures.PANEL_H, rows=1).subplots(1, 1)
    figures._claim_panel(ax, result)

    def hollow(collection) -> bool:
        faces = collection.get_facecolors()
        return len(faces) == 0 or all(face[3] == 0 for face in faces)

    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sorted(v for c in dots if hollow(c) for v in c.get_offsets()[:, 1]) == [0.99, 0.99]
    legend = ax.get_legend()
    assert legend is not None and "unpaired" in legend.get_texts()[0].get_text()


def test_a_log_scale_settings_panel_labels_its_ticks_as_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """settings over trainer.max_steps=50..6000 put the settings figure's x axis on
    a log scale, whose tick labels are mathtext (`$\\mathdefault{10^{3}}$`); with math parsing
    off (names drawn as written) they were drawn as that raw text, overlapping, under every
    panel of *Results beyond the original paper*."""
    from types import SimpleNamespace

    claim = SimpleNamespace(id="cnn_acc", metric="test/acc", value=0.94, tolerance=0.03)
    points = tuple((float(x), 0.5, 0.4, 0.6, x == 6000) for x in (50, 100, 300, 6000))
    panel = figures.SettingPanel(claim, "trainer.max_steps", points)
    captured: list[object] = []
    monkeypatch.setattr(figures, "_save", lambda fig, stem, vector: captured.append(fig) or [])
    figures.settings_figure([panel], tmp_path / "settings", vector=False)
    (fig,) = captured
    fig.canvas.draw()
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    low, high = ax.get_xlim()
    ticks = ax.get_xticklabels(which="both")
    labels = [t.get_text() for t in ticks if t.get_text() and low <= t.get_position()[0] <= high]
    assert labels == ["100", "1000"]  # not `$\\mathdefault{10^{3}}$`


def test_an_interim_verdicts_panel_says_it_is_interim(tmp_path: Path) -> None:
    """six seeds of a plan for 16, their verdict reproduced so far: the table's
    row says '(n=6 of 16 planned, interim)' and the overall is incomplete, but the claims
    figure's panel was titled 'reproduced' in green like a final verdict."""
    from repro import stats
    from repro.plugins.registry import get_paper
    from repro.records.table import load_records
    from repro.reporting import aggregate
    from tests.records.test_table import write_run

    results = tmp_path / "results"
    for seed, value in enumerate([0.94, 0.935, 0.945, 0.94, 0.942, 0.941]):
        write_run(results, "cnn", seed, {"test/acc": value, "train/loss": 0.1 + seed / 100})
    frame = load_records(results).frame
    choices = aggregate.choose_configs(aggregate.run_table(frame))
    (cnn,) = [c for c in get_paper("mnist1d").spec().claims if c.id == "cnn_acc"]
    (early,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 16})
    (done,) = aggregate.evaluate_claims(frame, [cnn], choices, 0.05, {"cnn": 3}, {"cnn": 6})
    assert early.outcome == done.outcome == stats.REPRODUCED
    titles = []
    for result in (early, done):
        ax = figures._figure(figures.PANEL_W, figures.PANEL_H, rows=1).subplots(1, 1)
        figures._claim_panel(ax, result)
        titles.append(ax.get_title())
    assert titles == ["cnn_acc\nreproduced (interim)", "cnn_acc\nreproduced"], titles


@pytest.mark.parametrize(
    ("names", "metrics"),
    [
        (["mlp", "cnn"], ["train/loss"]),
        ([f"exp{i}" for i in range(7)], ["train/loss", "val/acc", "val/loss"]),
        ([f"exp{i}" for i in range(20)], ["train/loss", "val/acc"]),
        (["an_experiment_name_that_is_forty_chars_x (not the paper's setting)"], ["train/loss"]),
    ],
)
def test_the_curves_legend_sits_under_the_panels_without_a_gap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, names: list[str], metrics: list[str]
) -> None:
    """The legend was drawn at the figure's foot, half an inch of empty figure between it
    and the panels' step labels, and centred on the figure, not on the panels above it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from repro.reporting.curves import Curve

    curves = [Curve(n, m, (0, 1, 2), (3, 2, 1), (0,) * 3, 3, 3) for n in names for m in metrics]
    captured = {}
    monkeypatch.setattr(figures, "_save", lambda fig, stem, vector: captured.update(fig=fig))
    figures.curves_figure(curves, tmp_path / "curves", vector=False)
    fig = captured["fig"]
    renderer = FigureCanvasAgg(fig).get_renderer()
    (legend,) = fig.legends
    box = legend.get_window_extent(renderer)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    panels_low = min(ax.get_tightbbox(renderer).y0 for ax in shown)
    gap_in = (panels_low - box.y1) / fig.dpi
    assert 0 < gap_in <= 0.2, gap_in
    assert 0 <= box.y0 <= 0.15 * fig.dpi, box  # and little below it
    left = min(ax.get_window_extent(renderer).x0 for ax in shown)
    right = max(ax.get_window_extent(renderer).x1 for ax in shown)
    if box.width < 0.9 * fig.bbox.width:  # room to centre it
        assert abs((box.x0 + box.x1) / 2 - (left + right) / 2) < 0.05 * fig.dpi, (box, left, right)


def test_a_legend_label_of_one_word_wider_than_the_figure_is_broken_onto_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A label wrapped at its spaces only: a single long word (an experiment id, a setting's
    overrides joined by commas) stayed whole on its line and ran off both edges of the figure,
    cut; it is broken after its `_` `,` `/` `.` `=` (or anywhere, when it has none)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from repro.reporting.curves import Curve

    captured: dict[str, object] = {}
    monkeypatch.setattr(figures, "_save", lambda fig, stem, vector: captured.update(fig=fig))
    for name in (
        "an_experiment_id_of_ninety_characters_with_underscores_only_and_no_space_in_it_at_all_x",
        "optimizer.lr=0.001,trainer.max_steps=300,model.hidden=1024,data.batch_size=64,seed=0",
        "x" * 90,
    ):
        curves = [Curve(name, "train/loss", (0, 1, 2), (3, 2, 1), (0,) * 3, 3, 3)]
        figures.curves_figure(curves, tmp_path / "curves", vector=False)
        fig = captured.pop("fig")
        renderer = FigureCanvasAgg(fig).get_renderer()  # type: ignore[arg-type]
        (legend,) = fig.legends  # type: ignore[attr-defined]
        box = legend.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y0 >= 0, (name, box, fig.bbox)
        (text,) = legend.get_texts()
        assert "".join(text.get_text().split()) == "".join(f"{name} (3 seeds)".split())
        axes = fig.axes[0].get_window_extent(renderer)
        assert box.y1 < axes.y0, (box, axes)  # below the panel, not over it
