"""Report figures with matplotlib (Agg, no pyplot state): claims and training curves.

Each figure is written as PNG (Markdown, HTML) and, when asked, SVG (PDF, vector).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repro import stats
from repro.reporting.aggregate import METRIC_MISSING, NOT_RUN, ClaimResult, OtherSetting
from repro.reporting.curves import Curve
from repro.reporting.files import write_file

COLOURS = {
    stats.REPRODUCED: "#1a7f37",
    stats.BELOW: "#cf222e",
    stats.ABOVE: "#cf222e",
    stats.TIE: "#cf222e",
    stats.INCONCLUSIVE: "#9a6700",
    NOT_RUN: "#6e7781",
    METRIC_MISSING: "#cf222e",
}
PANEL_W, PANEL_H = 2.3, 2.55
"""Three claim panels fill an A4 page's text width (about 7.2 in) at their true size, so the
font sizes below are the sizes a reader sees."""
CURVE_W, CURVE_H = 3.55, 2.6
ROW_GAP_IN = 1.05
"""Vertical room between rows for a two-line panel title and the row above's tick labels."""
TITLE_PT, LABEL_PT, TICK_PT = 8.5, 8, 7.5
PASS_COLOUR = "#1a7f37"
SEED_COLOUR = "#57606a"
DPI = 150
RASTERIZE_ABOVE = 200
"""More seeds than this in a panel are drawn as an image inside the SVG: thousands of vector
dots make a PDF slow to write and to open, and look the same."""


def _figure(width: float, height: float, rows: int, bottom_in: float = 0.62) -> Any:
    """A figure with fixed margins in inches (constrained layout costs more than drawing, per
    panel); rows are ROW_GAP_IN apart so titles never touch the tick labels above them."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    matplotlib.rcParams["text.parse_math"] = False  # names are drawn as written ("a$b$")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    top_in = 0.55  # room for the first row's two-line titles
    axes_h = (height - top_in - bottom_in - ROW_GAP_IN * (rows - 1)) / rows
    fig.subplots_adjust(
        left=0.95 / width,
        right=1 - 0.15 / width,
        bottom=bottom_in / height,
        top=1 - top_in / height,
        wspace=0.8,
        hspace=ROW_GAP_IN / axes_h if rows > 1 else 0.2,
    )
    return fig


def _grid(count: int, columns: int = 3) -> tuple[int, int]:
    cols = max(1, min(columns, count))
    return math.ceil(count / cols), cols


def _jitter(count: int, centre: float, width: float = 0.12) -> list[float]:
    """Deterministic spread of `count` dots around `centre` (reports must not change by chance)."""
    if count <= 1:
        return [centre] * count
    return [centre - width + 2 * width * i / (count - 1) for i in range(count)]


def _mean_ci(
    ax: Any,
    x: float,
    summary: stats.Summary | None,
    colour: str,
    verdict: stats.Verdict | None = None,
) -> None:
    """The mean, with the interval its verdict rests on when there is one."""
    if summary is None or summary.n == 0:
        return
    interval = verdict.interval if verdict is not None else None
    if interval is not None and all(math.isfinite(v) for v in interval):
        err = [[summary.mean - interval[0]], [interval[1] - summary.mean]]
        ax.errorbar([x], [summary.mean], yerr=err, fmt="o", color=colour, capsize=4, ms=6, lw=1.5)
    else:
        ax.plot([x], [summary.mean], "o", color=colour, ms=6)


def _dots(
    ax: Any,
    values: tuple[tuple[int, float], ...],
    centre: float,
    order: list[int] | None = None,
    judged_below: int | None = None,
    unpaired: frozenset[int] = frozenset(),
) -> dict[int, float]:
    """Seeds as dots spread around `centre`; returns each seed's x (for pairing lines).
    `order`: the seed order to spread by, shared by both sides of a comparison.
    `judged_below`: a two-stage plan's N; later seeds, which its verdict does not judge, are
    hollow (the legend says so), so the eye does not judge them either. So are `unpaired`
    seeds of a comparison (the other side has no run of them), left out of its paired test."""
    order = order or [seed for seed, _ in values]
    xs = dict(zip(order, _jitter(len(order), centre), strict=True))
    alpha = 0.8 if len(values) <= 50 else 0.3
    cut = math.inf if judged_below is None else judged_below
    judged = [(seed, v) for seed, v in values if seed < cut and seed not in unpaired]
    later = [(seed, v) for seed, v in values if seed >= cut or seed in unpaired]
    what = [f"seeds ≥ {judged_below}"] if any(seed >= cut for seed, _ in values) else []
    what += ["unpaired"] if any(seed in unpaired for seed, _ in values) else []
    style = {"s": 14, "alpha": alpha, "zorder": 3}
    ax.scatter(
        [xs[seed] for seed, _ in judged],
        [v for _, v in judged],
        color=SEED_COLOUR,
        lw=0,
        rasterized=len(values) > RASTERIZE_ABOVE,
        **style,
    )
    if later:
        ax.scatter(
            [xs[seed] for seed, _ in later],
            [v for _, v in later],
            facecolors="none",
            edgecolors=SEED_COLOUR,
            lw=0.8,
            label=f"{', '.join(what)}: not judged",
            rasterized=len(values) > RASTERIZE_ABOVE,
            **style,
        )
    return xs


def _legend_unjudged(ax: Any) -> None:
    """Name the hollow dots (seeds past a two-stage plan, a comparison's unpaired seeds) when
    the panel has any, in a strip added above everything drawn: `loc="best"` put it on seeds
    when they filled the panel, hiding values the table counts. Call it last, once the
    y-limits hold every artist."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    suffix = ": not judged"
    parts = dict.fromkeys(p for label in labels for p in label.removesuffix(suffix).split(", "))
    labels = [", ".join(parts) + suffix]
    size = TICK_PT - 1.5
    low, high = ax.get_ylim()
    axes_pt = ax.get_position().height * ax.figure.get_figheight() * 72
    strip = min(0.4, 2.8 * size / axes_pt)  # one legend line with its frame, as a fraction
    ax.set_ylim(low, low + (high - low) / (1 - strip))
    ax.legend(
        handles[:1],
        labels[:1],
        fontsize=size,
        loc="upper center",
        handletextpad=0.2,
        borderaxespad=0.15,
        borderpad=0.25,
    )


def _claim_panel(ax: Any, result: ClaimResult) -> None:
    claim = result.claim
    colour = COLOURS.get(result.outcome, "#6e7781")
    title = claim.id + ("" if claim.verified else " (unverified)")
    # an interim verdict (fewer seeds than its seeds=auto plan) is not the planned test's yet
    outcome = result.outcome + (" (interim)" if result.interim_of else "")
    ax.set_title(f"{title}\n{outcome}", fontsize=TITLE_PT, color=colour)
    ax.tick_params(labelsize=TICK_PT)
    ax.set_ylabel(claim.metric, fontsize=LABEL_PT)
    ax.grid(axis="y", alpha=0.3)
    if claim.kind == "comparison":
        _comparison_panel(ax, result, colour)
        return
    _dots(ax, result.values, 0.0, judged_below=result.judged_below)
    _mean_ci(ax, 0.35, result.summary, colour, result.verdict)
    if claim.kind == "value":
        low, high = claim.value - claim.tolerance, claim.value + claim.tolerance
        ax.axhspan(low, high, color="#0969da", alpha=0.12, lw=0)
    ax.axhline(claim.value, color="#0969da", lw=1.2, ls="--")
    if claim.kind == "threshold":
        _passing_side(ax, claim.value, claim.direction)
    ax.set_xticks([0.0, 0.35], ["seeds", "mean\n90% CI"])
    ax.set_xlim(-0.4, 0.7)
    _legend_unjudged(ax)


def _passing_side(ax: Any, threshold: float, direction: str) -> None:
    """Shade and label the side of a threshold where the claim holds."""
    low, high = ax.get_ylim()
    pad = 0.15 * max(high - low, abs(threshold) * 0.1, 1e-9)
    low, high = min(low, threshold - pad), max(high, threshold + pad)
    ax.set_ylim(low, high)
    above = direction == ">="
    ax.axhspan(threshold, high if above else low, color=PASS_COLOUR, alpha=0.08, lw=0)
    # said in the axis label, where no data point can cover it
    label = f"{ax.get_ylabel()}\n(green passes: {direction} {threshold:g})"
    ax.set_ylabel(label, fontsize=LABEL_PT)


def _comparison_panel(ax: Any, result: ClaimResult, colour: str) -> None:
    claim = result.claim
    a, b = dict(result.values), dict(result.versus_values)
    order = sorted(set(a) | set(b))
    unpaired = frozenset(set(a) ^ set(b))
    xa = _dots(ax, result.values, 0.0, order, result.judged_below, unpaired)
    xb = _dots(ax, result.versus_values, 1.0, order, result.judged_below, unpaired)
    import numpy as np
    from matplotlib.collections import LineCollection

    common = sorted(set(a) & set(b))
    pairs = np.array([((xa[s], a[s]), (xb[s], b[s])) for s in common], dtype=float)
    alpha = 1.0 if len(common) <= 50 else 0.25
    if len(common):
        ax.add_collection(
            LineCollection(
                pairs,
                colors="#afb8c1",
                linewidths=0.8,
                alpha=alpha,
                zorder=2,
                rasterized=len(common) > RASTERIZE_ABOVE,
            )
        )
    _mean_ci(ax, 0.35, result.first_summary, colour)  # means only: the CI is of A − B
    _mean_ci(ax, 1.35, result.versus_summary, colour)
    ax.set_xticks([0.0, 1.0], ["A", "B"])
    ax.set_xlim(-0.4, 1.7)
    ax.set_xlabel(
        f"A: {claim.experiment}\nB: {claim.versus}\nclaimed: A {claim.direction} B",
        fontsize=LABEL_PT,
    )
    _legend_unjudged(ax)


def claims_figure(results: list[ClaimResult], stem: Path, vector: bool) -> list[Path]:
    """One panel per claim with runs: the seeds as dots, mean with the 90% CI its verdict rests
    on, the claimed value as a dashed line (band: ± tolerance). Claims without runs get no
    panel (the table says so), and so does a comparison with runs on one side only: those dots
    alone would look like a result."""
    shown = [r for r in results if r.values and (r.claim.kind != "comparison" or r.versus_values)]
    if not shown:
        return []
    rows, cols = _grid(len(shown))
    fig = _figure(PANEL_W * cols, PANEL_H * rows + 0.25, rows, bottom_in=0.87)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, result in zip(axes, shown, strict=False):
        _claim_panel(ax, result)
    for ax in axes[len(shown) :]:
        ax.set_visible(False)
    return _save(fig, stem, vector)


def curves_figure(curves: list[Curve], stem: Path, vector: bool) -> list[Path]:
    """One panel per logged metric, a line per experiment: mean over seeds ± 1 std."""
    metrics = list(dict.fromkeys(c.metric for c in curves))
    experiments = list(dict.fromkeys(c.experiment for c in curves))
    rows, cols = _grid(len(metrics), columns=2)
    labels = list(dict.fromkeys(_curve_label(c) for c in curves))
    columns = _legend_columns(labels, CURVE_W * cols)
    shown = {label: label for label in labels}
    if columns == 1:  # a label wider than the figure (a long experiment name) wraps onto it
        shown = {label: _wrap_label(label, CURVE_W * cols) for label in labels}
    legend_lines = math.ceil(len(labels) / columns) + sum(v.count("\n") for v in shown.values())
    legend_in = 0.1 + LEGEND_LINE_IN * legend_lines  # one shared legend, below
    fig = _figure(CURVE_W * cols, CURVE_H * rows + legend_in, rows, bottom_in=0.45 + legend_in)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    palette = _palette(len(experiments))
    handles: dict[str, Any] = {}
    for ax, metric in zip(axes, metrics, strict=False):
        for curve in (c for c in curves if c.metric == metric):
            colour = palette[experiments.index(curve.experiment)]
            label = _curve_label(curve)
            # Few points (a metric validated once or twice) get markers, or a lone point
            # would draw no line at all and vanish.
            marker = "o" if len(curve.steps) <= 12 else None
            (line,) = ax.plot(
                curve.steps, curve.mean, color=colour, lw=1.4, marker=marker, ms=3.5, label=label
            )
            handles.setdefault(label, line)
            low = [
                m - s if math.isfinite(s) else m for m, s in zip(curve.mean, curve.std, strict=True)
            ]
            high = [
                m + s if math.isfinite(s) else m for m, s in zip(curve.mean, curve.std, strict=True)
            ]
            ax.fill_between(curve.steps, low, high, color=colour, alpha=0.18, lw=0)
        ax.set_title(metric, fontsize=TITLE_PT)
        ax.set_xlabel("step", fontsize=LABEL_PT)
        ax.tick_params(labelsize=TICK_PT)
        ax.grid(alpha=0.3)
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    lines = [line for label in shown.values() for line in label.split("\n")]
    widest = max(map(_label_width_in, lines)) + LEGEND_MARK_IN
    fig.legend(
        list(handles.values()),
        [shown[label] for label in handles],
        loc="upper center",  # its top just under the panels' step labels, not at the foot
        bbox_to_anchor=(_legend_centre(fig, columns * widest), legend_in / fig.get_figheight()),
        ncol=columns,
        fontsize=LABEL_PT,
        frameon=False,
    )
    return _save(fig, stem, vector)


LEGEND_LINE_IN = 0.18  # a legend line at LABEL_PT with Matplotlib's spacing between lines


def _legend_centre(fig: Any, width_in: float) -> float:
    """Where a legend `width_in` wide is centred, as a fraction of the figure's width: under
    the panels (the figure's centre is 0.4 in right of theirs), or as near as keeps it on."""
    params = fig.subplotpars
    half = min(0.5, width_in / 2 / fig.get_figwidth())
    return min(max((params.left + params.right) / 2, half), 1 - half)


def _curve_label(curve: Curve) -> str:
    seeds = f"{curve.runs:,}" + (f" of {curve.of_runs:,}" if curve.of_runs > curve.runs else "")
    return f"{curve.experiment} ({seeds} seed{'s' if curve.of_runs != 1 else ''})"


def _legend_columns(labels: list[str], width_in: float) -> int:
    """Up to three legend columns, as many as the widest label lets fit across the figure:
    long names (`mlp (not the paper's setting)`) in three columns ran off both edges."""
    widest = max((_label_width_in(label) for label in labels), default=0.0)
    per_column = widest + LEGEND_MARK_IN
    return max(1, min(3, len(labels), int(width_in // per_column)))


LEGEND_MARK_IN = 0.6  # the line drawn before a legend label, and the gaps around it


def _label_width_in(label: str) -> float:
    """How wide a legend label is drawn, in inches."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    measure = TextToPath().get_text_width_height_descent
    return float(measure(label, FontProperties(size=LABEL_PT), ismath=False)[0]) / 72


def _wrap_label(label: str, width_in: float) -> str:
    """`label` over lines at its spaces, each fitting a legend column `width_in` wide: one
    experiment of a 40-character name, off the paper's setting, ran off both edges of a
    one-panel figure. A word wider than the room (an id, overrides joined by commas) is broken
    after its `_` `,` `/` `.` `=`, or anywhere when it has none: kept whole, it was cut."""
    room = width_in - LEGEND_MARK_IN
    lines: list[str] = []
    for word in label.split(" "):
        if lines and _label_width_in(f"{lines[-1]} {word}") <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines += _broken_word(word, room)
    return "\n".join(lines)


def _broken_word(word: str, room: float) -> list[str]:
    """`word` as lines each at most `room` inches wide: whole when it fits, else broken after
    its punctuation, a piece still too wide broken between characters."""
    if _label_width_in(word) <= room:
        return [word]
    lines: list[str] = []
    for piece in re.split(r"(?<=[_,/.=])", word):
        for char in piece if _label_width_in(piece) > room else [piece]:
            if lines and _label_width_in(lines[-1] + char) <= room:
                lines[-1] += char
            else:
                lines.append(char)
    return lines


@dataclass(frozen=True)
class SettingPanel:
    """A claim's metric over one config key that other settings vary (three or more values)."""

    claim: Any
    key: str
    points: tuple[tuple[float, float, float, float, bool], ...]  # x, mean, low, high, paper's


def setting_panels(others: list[OtherSetting], results: list[ClaimResult]) -> list[SettingPanel]:
    """Panels for keys that settings differing from the paper in that key alone take over three
    or more numeric values (the paper's own setting included when it was judged)."""
    by_key: dict[tuple[str, str], list[tuple[float, float, float, float, bool]]] = {}
    paper_values: dict[tuple[str, str], Any] = {}
    for other in others:
        if len(other.differences) != 1 or other.pairs:  # a comparison has no claimed value
            continue
        key, value, paper_value = other.differences[0]
        if not _is_number(value):
            continue
        low, high = other.interval
        point = (float(value), other.summary.mean, low, high, False)
        by_key.setdefault((other.claim_id, key), []).append(point)
        paper_values[(other.claim_id, key)] = paper_value
    by_id = {r.claim.id: r for r in results}
    panels = []
    for (claim_id, key), points in by_key.items():
        result = by_id[claim_id]
        paper_value = paper_values[(claim_id, key)]
        verdict, summary = result.verdict, result.summary
        judged = verdict is not None and summary is not None and summary.n and not result.deviation
        if judged and _is_number(paper_value):
            low, high = verdict.interval or (summary.mean, summary.mean)
            points.append((float(paper_value), summary.mean, low, high, True))
        if len({p[0] for p in points}) >= 3:
            panels.append(SettingPanel(result.claim, key, tuple(sorted(points))))
    return panels


def _is_number(value: Any) -> bool:
    """A finite number, numpy's included (the records table gives np.int64 for whole-number
    keys such as steps), not a bool."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return math.isfinite(float(value))


def settings_figure(panels: list[SettingPanel], stem: Path, vector: bool) -> list[Path]:
    """One panel per (claim, key): mean with 90% CI per setting, the paper's setting filled,
    the claimed value dashed (band: ± tolerance)."""
    if not panels:
        return []
    rows, cols = _grid(len(panels))
    fig = _figure(PANEL_W * cols, PANEL_H * rows, rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, panel in zip(axes, panels, strict=False):
        claim = panel.claim
        xs = [p[0] for p in panel.points]
        for x, mean, low, high, paper in panel.points:
            err = [[mean - low], [high - mean]] if math.isfinite(low) else None
            ax.errorbar(
                [x],
                [mean],
                yerr=err,
                fmt="o",
                capsize=3,
                ms=5,
                lw=1.2,
                color="#0969da" if paper else "#57606a",
                mfc="#0969da" if paper else "white",
            )
        if claim.value is not None:
            ax.axhline(claim.value, color="#0969da", lw=1.0, ls="--")
            if claim.tolerance is not None:
                ax.axhspan(
                    claim.value - claim.tolerance,
                    claim.value + claim.tolerance,
                    color="#0969da",
                    alpha=0.1,
                    lw=0,
                )
        if min(xs) > 0 and max(xs) / min(xs) >= 10:
            _log_x(ax)
        ax.set_title(f"{claim.id}\n(filled: the paper's setting)", fontsize=TITLE_PT)
        ax.set_xlabel(panel.key, fontsize=LABEL_PT)
        ax.set_ylabel(claim.metric, fontsize=LABEL_PT)
        ax.tick_params(labelsize=TICK_PT)
        ax.grid(alpha=0.3)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    return _save(fig, stem, vector)


def _log_x(ax: Any) -> None:
    """A log x axis whose ticks read as plain numbers (100, 1000, 1e-05): its default labels
    are mathtext (`$\\mathdefault{10^{3}}$`), drawn as that raw text with math parsing off."""
    from matplotlib.ticker import LogFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(LogFormatter())
    ax.xaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False))  # the default's rule


def _palette(count: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if count <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(count)]


def keep_text_inside(fig: Any, smallest_pt: float = 5.5) -> None:
    """Shrink any axes title or x-label that runs past its panel's share of the figure (the
    figure's edge, or halfway to the next panel: a long claim id in the last column, long
    experiment names under a comparison that ran over their neighbour's) until it fits, and
    past `smallest_pt` shorten its longest line in the middle (the table names it in full):
    fixed margins keep drawing cheap but cannot grow for long text."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if hasattr(fig.canvas, "get_renderer") else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    shown = [ax for ax in fig.axes if ax.get_visible()]
    boxes = [ax.get_window_extent(renderer) for ax in shown]
    for ax, box in zip(shown, boxes, strict=True):
        low = max([(o.x1 + box.x0) / 2 for o in boxes if o.x1 <= box.x0], default=0.0)
        high = min([(o.x0 + box.x1) / 2 for o in boxes if o.x0 >= box.x1], default=fig.bbox.width)
        for text in (ax.title, ax.xaxis.label):
            _fit(text, renderer, low, high, smallest_pt)


def _fit(text: Any, renderer: Any, low: float, high: float, smallest_pt: float) -> None:
    def fits() -> bool:
        box = text.get_window_extent(renderer)
        return not text.get_text() or (box.x0 >= low and box.x1 <= high)

    while not fits() and text.get_fontsize() > smallest_pt:
        text.set_fontsize(text.get_fontsize() - 0.5)
    while not fits():
        lines = text.get_text().split("\n")
        longest = max(range(len(lines)), key=lambda i: len(lines[i]))
        line = lines[longest].replace("…", "")
        if len(line) <= 4:
            return
        middle = len(line) // 2
        lines[longest] = line[: middle - 1] + "…" + line[middle + 1 :]
        text.set_text("\n".join(lines))


def _save(fig: Any, stem: Path, vector: bool) -> list[Path]:
    keep_text_inside(fig)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png")]
    _save_whole(fig, paths[0], dpi=DPI)
    if vector:
        paths.append(stem.with_suffix(".svg"))
        from matplotlib import rc_context

        with rc_context({"svg.fonttype": "none"}):  # text as text: a lighter SVG to render
            _save_whole(fig, paths[1], dpi=150)  # dpi: of the rasterized dots only
    return paths


def _save_whole(fig: Any, path: Path, dpi: int) -> None:
    """Rendered in memory, then written atomically: a stop mid-save leaves the last report's
    figure whole, as its Markdown and HTML are."""
    import io

    image = io.BytesIO()
    fig.savefig(image, dpi=dpi, format=path.suffix[1:])
    write_file(path, image.getvalue())
