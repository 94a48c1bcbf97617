"""report.png: the overall metrics as labelled bars, and every question as a coloured cell
grouped by question type, so a person sees at a glance how good it is and where it fails.

Text in the chart is kept to ASCII (metric names, question types, ids): the machines this
runs on often have no Japanese font, and missing glyphs would print as empty boxes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from assistant.evaluation.metrics import EvaluationResult, QuestionResult  # noqa: E402
from assistant.evaluation.outcomes import OUTCOMES  # noqa: E402

BAR_METRICS = (
    ("evidence_at_1", "evidence\n@1"),
    ("answer_precision", "answer\nprecision"),
    ("none_on_answerable", "not found,\nanswerable\n(lower=better)"),
    ("none_on_unanswerable", "not found,\nunanswerable"),
    ("answer_accuracy", "answer\naccuracy"),
    ("wrong_answer_rate", "wrong\nanswers\n(lower=better)"),
    ("abstention_accuracy", "abstention\naccuracy"),
    ("false_abstention_rate", "false\nabstention\n(lower=better)"),
    ("recall@1", "recall@1"),
    ("recall@3", "recall@3"),
    ("recall@5", "recall@5"),
    ("mrr", "MRR"),
    ("citation_validity", "citation\nvalidity"),
    ("char_f1", "char F1"),
)
LOWER_IS_BETTER = {"false_abstention_rate", "wrong_answer_rate", "none_on_answerable"}
OURS_COLOUR, LOWER_IS_BETTER_COLOUR, BASELINE_COLOUR = "#4c72b0", "#c44e52", "#b0b0b0"
GRID_COLUMNS = 20  # cells per row of the outcome grid; longer types wrap


def draw_chart(result: EvaluationResult, path: Path, *, baseline: dict | None = None) -> None:
    rows = _grid_rows(result.questions)
    grid_height = 0.45 * max(len(rows), 1) + 1.2
    figure, axes = plt.subplot_mosaic(
        [["bars", "curve"], ["grid", "grid"]],
        figsize=(15, 4.6 + grid_height),
        height_ratios=[4.6, grid_height],
        width_ratios=[3.2, 1],
        layout="constrained",
    )
    _draw_metric_bars(axes["bars"], result, baseline)
    _draw_risk_coverage(axes["curve"], result.overall.get("risk_coverage") or [])
    _draw_outcome_grid(axes["grid"], rows, result.questions)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _draw_risk_coverage(axes, curve: list[dict]) -> None:
    """Precision against coverage as the answer threshold moves (every question answered
    at the right end): where to set the cut-off for the precision users need."""
    axes.set_title("precision vs coverage", fontsize=10, loc="left")
    axes.set_xlabel("coverage (share of questions answered)", fontsize=8)
    axes.set_ylabel("precision of the answers given", fontsize=8)
    axes.set_xlim(0, 1.02)
    axes.set_ylim(0, 1.05)
    axes.grid(alpha=0.3)
    if not curve:
        axes.text(0.5, 0.5, "n/a", ha="center", va="center")
        return
    axes.plot(
        [p["coverage"] for p in curve],
        [p["precision"] for p in curve],
        marker="o",
        markersize=3,
        color=OURS_COLOUR,
    )


def _draw_metric_bars(axes, result: EvaluationResult, baseline: dict | None) -> None:
    names = [name for name, _ in BAR_METRICS]
    shared = [i for i, name in enumerate(names) if baseline and name in baseline]
    width = 0.38 if shared else 0.7
    # bars of metrics both pipelines measure stand side by side; the others stay centred
    ours_at = [i - width / 2 if i in shared else i for i in range(len(names))]
    colours = [LOWER_IS_BETTER_COLOUR if n in LOWER_IS_BETTER else OURS_COLOUR for n in names]
    _labelled_bars(
        axes, ours_at, [result.overall.get(n) for n in names], width, colours, "this assistant"
    )
    if shared:
        _labelled_bars(
            axes,
            [i + width / 2 for i in shared],
            [baseline[names[i]] for i in shared],
            width,
            BASELINE_COLOUR,
            "naive baseline (retrieval only)",
        )
        # one line above the tallest bars, so no value label hides behind it
        axes.legend(loc="upper right", fontsize=8, framealpha=0.9, ncol=2)
    axes.set_xticks(range(len(names)), [label for _, label in BAR_METRICS], fontsize=8)
    axes.set_ylim(0, 1.22)
    axes.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    axes.set_title(_headline(result), fontsize=11, loc="left")


def _labelled_bars(axes, positions, values, width, colour, label) -> None:
    heights = [v if v is not None else 0.0 for v in values]
    drawn = axes.bar(positions, heights, width=width, color=colour, label=label)
    labels = ["n/a" if v is None else f"{v:.2f}" for v in values]
    axes.bar_label(drawn, labels=labels, padding=2, fontsize=8)


def _headline(result: EvaluationResult) -> str:
    overall = result.overall
    p50, p95 = overall.get("latency_ms_p50"), overall.get("latency_ms_p95")
    latency = "" if p50 is None else f"   latency p50 {p50:.0f} ms, p95 {p95:.0f} ms"
    return (
        f"{overall['n']} questions ({overall['n_answerable']} answerable, "
        f"{overall['n_unanswerable']} unanswerable), retrieval in top {result.k}{latency}"
    )


def _grid_rows(questions: list[QuestionResult]) -> list[tuple[str, list[QuestionResult]]]:
    """One row per question type (wrapped every GRID_COLUMNS questions), types sorted; the
    label says how many of the type came out right (correct or abstained correctly)."""
    by_type: dict[str, list[QuestionResult]] = {}
    for record in questions:
        by_type.setdefault(record.type, []).append(record)
    rows = []
    for name in sorted(by_type):
        members = by_type[name]
        good = sum(not record.failed for record in members)
        for start in range(0, len(members), GRID_COLUMNS):
            label = f"{_ascii(name)}  {good}/{len(members)}" if start == 0 else ""
            rows.append((label, members[start : start + GRID_COLUMNS]))
    return rows


def _draw_outcome_grid(axes, rows, questions: list[QuestionResult]) -> None:
    for row_index, (_, members) in enumerate(rows):
        for column, record in enumerate(members):
            colour = OUTCOMES[record.outcome][1]
            axes.add_patch(Rectangle((column, row_index), 0.92, 0.86, color=colour))
            axes.text(
                column + 0.46,
                row_index + 0.43,
                _short_id(record.id),
                ha="center",
                va="center",
                fontsize=6,
                color="white",
            )
    axes.set_xlim(0, GRID_COLUMNS)
    axes.set_ylim(len(rows), 0)
    axes.set_yticks([i + 0.43 for i in range(len(rows))], [label for label, _ in rows], fontsize=8)
    axes.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        axes.spines[side].set_visible(False)
    axes.tick_params(left=False)
    counts = {o: sum(r.outcome == o for r in questions) for o in OUTCOMES}
    handles = [
        Patch(color=colour, label=f"{label} ({counts[o]})")
        for o, (label, colour) in OUTCOMES.items()
    ]
    axes.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.02),
        ncol=5,
        fontsize=8,
        frameon=False,
    )
    axes.set_title("Each question, by type", fontsize=10, loc="left")


def _short_id(question_id: str) -> str:
    """The id itself when it fits in a cell, else its distinguishing tail; ASCII only."""
    if len(question_id) <= 8:
        return _ascii(question_id)
    return _ascii(question_id.rsplit("-", 1)[-1])[-6:]


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii") or "?"
