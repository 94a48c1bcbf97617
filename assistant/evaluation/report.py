"""Show evaluation results: a terminal table, and files for people (report.md, report.png)
and for tools (results.jsonl)."""

from __future__ import annotations

from pathlib import Path

from assistant.evaluation.metrics import (
    BASELINE_METRICS,
    EvaluationResult,
    QuestionResult,
    summarize_by,
)
from assistant.evaluation.outcomes import OUTCOMES
from assistant.jsonl import dumps_line

# the headline metrics, in the order people read them
OVERALL_METRICS = (
    "evidence_at_1",
    "answer_precision",
    "answer_coverage",
    "likely_precision",
    "none_on_answerable",
    "none_on_unanswerable",
    "answer_on_unanswerable",
    "statement_exact_match",
    "typed_stated_share",
    "answer_accuracy",
    "wrong_answer_rate",
    "abstention_accuracy",
    "false_abstention_rate",
    "recall@1",
    "recall@3",
    "recall@5",
    "mrr",
    "citation_validity",
    "char_f1",
    "latency_ms_p50",
    "latency_ms_p95",
    "stated_answer_share",
    "answer_stability",
)

# with an LLM configured: how often its answers were rejected, how often the reader answered
LLM_METRICS = ("llm_rejection_rate", "llm_fallback_rate")

TYPE_COLUMNS = (
    "n",
    "answer_accuracy",
    "wrong_answer_rate",
    "abstention_accuracy",
    "false_abstention_rate",
    "recall@5",
    "mrr",
    "char_f1",
)


def format_value(name: str, value) -> str:
    if value is None:
        return "-"
    if name.startswith("latency") or name == "context_chars":
        return f"{value:.0f}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def format_table(
    result: EvaluationResult, baseline: dict | None = None, ratios: dict | None = None
) -> str:
    """A plain-text summary for the terminal: overall metrics, metrics by type, and the
    baseline comparison when given."""
    lines = [
        f"Evaluated {result.overall['n']} questions "
        f"({result.overall['n_answerable']} answerable, "
        f"{result.overall['n_unanswerable']} unanswerable), top k = {result.k}",
        "",
    ]
    lines += _key_value_table(result.overall, OVERALL_METRICS)
    tiers = result.overall.get("tiers") or {}
    if tiers:
        lines.append(f"{'tiers':<24}" + ", ".join(f"{k} {v}" for k, v in tiers.items()))
    for name in LLM_METRICS:
        if name in result.overall:
            lines.append(f"{name:<24}{format_value('', result.overall[name])}")
    answered_by = result.overall.get("answered_by") or {}
    if answered_by:
        lines.append(
            f"{'answered_by':<24}" + ", ".join(f"{k} {v}" for k, v in sorted(answered_by.items()))
        )
    lines += ["", "By question type:"]
    lines += _grid(
        ["type", *TYPE_COLUMNS],
        [
            [name, *(format_value(col, metrics.get(col)) for col in TYPE_COLUMNS)]
            for name, metrics in sorted(result.by_type.items())
        ],
    )
    if baseline is not None:
        lines += ["", "Retrieval against the naive baseline (ratio = ours / baseline):"]
        lines += _grid(
            ["", *BASELINE_METRICS], _comparison_rows(result.overall, baseline, ratios or {})
        )
    failures = result.failures
    lines += ["", f"Failures: {len(failures)} of {len(result.questions)}"]
    lines += [f"  {r.id:<10} {OUTCOMES[r.outcome][0]:<22} {r.question}" for r in failures]
    return "\n".join(lines)


def _key_value_table(metrics: dict, names) -> list[str]:
    return [f"{name:<24}{format_value(name, metrics.get(name))}" for name in names]


def _grid(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def fmt(row):
        return "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))

    return [fmt(header), fmt(["-" * w for w in widths]), *(fmt(row) for row in rows)]


def _comparison_rows(overall: dict, baseline: dict, ratios: dict) -> list[list[str]]:
    return [
        ["ours", *(format_value(m, overall.get(m)) for m in BASELINE_METRICS)],
        ["baseline", *(format_value(m, baseline.get(m)) for m in BASELINE_METRICS)],
        ["ratio", *(_format_ratio(ratios.get(m)) for m in BASELINE_METRICS)],
    ]


def _format_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


# ---------------------------------------------------------------- files


def incomplete_note(done: int, total: int) -> str:
    """The line that heads the results of a run stopped before its last question."""
    return f"未完了: 評価は途中で中断されました。全 {total} 問のうち、終わった {done} 問だけの結果です。"


def write_report(
    result: EvaluationResult,
    out_dir: Path | str,
    *,
    baseline: dict | None = None,
    ratios: dict | None = None,
    incomplete: tuple[int, int] | None = None,
) -> dict[str, Path]:
    """Write results.jsonl, report.md and report.png into ``out_dir`` (created if needed).
    Returns the paths by name. ``incomplete`` (done, total) marks an interrupted run: the
    report starts with ``incomplete_note`` and every result line has ``"incomplete": true``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "results": out / "results.jsonl",
        "markdown": out / "report.md",
        "chart": out / "report.png",
    }
    write_results_jsonl(result, paths["results"], incomplete=incomplete is not None)
    markdown = markdown_report(result, baseline, ratios)
    if incomplete is not None:
        markdown = f"> **{incomplete_note(*incomplete)}**\n\n{markdown}"
    paths["markdown"].write_text(markdown, encoding="utf-8")
    from assistant.evaluation.chart import draw_chart  # matplotlib loads only when needed

    draw_chart(result, paths["chart"], baseline=baseline)
    return paths


def write_results_jsonl(result: EvaluationResult, path: Path, *, incomplete: bool = False) -> None:
    marked = {"incomplete": True} if incomplete else {}
    with path.open("w", encoding="utf-8") as handle:
        for record in result.questions:
            handle.write(dumps_line({**record.to_dict(), **marked}))


def markdown_report(
    result: EvaluationResult, baseline: dict | None = None, ratios: dict | None = None
) -> str:
    overall = result.overall
    parts = [
        "# Evaluation report",
        "",
        f"{overall['n']} questions ({overall['n_answerable']} answerable, "
        f"{overall['n_unanswerable']} unanswerable); retrieval measured in the top "
        f"{result.k} passages.",
        "",
    ]
    if result.settings:
        parts += ["Settings: " + ", ".join(f"{k}={v}" for k, v in result.settings.items()), ""]
    parts += [
        "## Overall",
        "",
        *_markdown_table(
            ["metric", "value"],
            [
                [name, format_value(name, overall.get(name))]
                for name in (*OVERALL_METRICS, "cited_evidence_rate", *LLM_METRICS)
                if name in overall
            ],
        ),
        "",
    ]
    if overall.get("answered_by"):
        parts += [
            "Answered by: "
            + ", ".join(f"{k} {v}" for k, v in sorted(overall["answered_by"].items())),
            "",
        ]
    parts += [
        "## By question type",
        "",
        *_markdown_table(
            ["type", *TYPE_COLUMNS],
            [
                [name, *(format_value(c, m.get(c)) for c in TYPE_COLUMNS)]
                for name, m in sorted(result.by_type.items())
            ],
        ),
        "",
    ]
    parts += _wording_section(result)
    if baseline is not None:
        parts += [
            "## Retrieval against the naive baseline",
            "",
            "Baseline: LangChain RecursiveCharacterTextSplitter (1000/200) over the "
            "unrepaired text, dense-only Chroma, same embedding model. Its chunks are "
            "about three times longer, which makes holding the evidence easier.",
            "",
            *_markdown_table(
                ["", *BASELINE_METRICS], _comparison_rows(overall, baseline, ratios or {})
            ),
            "",
        ]
    failures = result.failures
    parts += [f"## Failures ({len(failures)} of {len(result.questions)})", ""]
    for record in failures:
        parts += _markdown_failure(record)
    if not failures:
        parts.append("None.")
    return "\n".join(parts) + "\n"


def _wording_section(result: EvaluationResult) -> list[str]:
    """Answerable questions worded as in the report against deliberately paraphrased ones:
    staff ask in their own words, so a large gap means the assistant matches words, not
    meaning."""
    answerable = [r for r in result.questions if not r.unanswerable]
    groups = summarize_by(
        answerable, lambda r: "paraphrased" if r.paraphrase else "as in the report"
    )
    if len(groups) < 2:
        return []
    columns = ("n", "answer_accuracy", "recall@1", "recall@5", "mrr")
    rows = [
        [name, *(format_value(c, m.get(c)) for c in columns)] for name, m in sorted(groups.items())
    ]
    return [
        "## By wording (answerable questions)",
        "",
        *_markdown_table(["wording", *columns], rows),
        "",
    ]


def _markdown_failure(record: QuestionResult) -> list[str]:
    rank = "not in top k" if record.evidence_rank is None else f"rank {record.evidence_rank}"
    lines = [
        f"### {record.id}: {OUTCOMES[record.outcome][0]}",
        "",
        f"- Question ({record.type}): {record.question}",
        f"- Expected: {record.expected}",
    ]
    if record.evidence:
        lines.append(f"- Evidence: 「{record.evidence}」 ({rank})")
    lines.append(f"- Answer ({record.answered_by}, {record.latency_ms:.0f} ms):")
    lines += ["", *(f"    {line}" for line in (record.answer or "(empty)").splitlines()), ""]
    if record.notice:
        lines.append(f"- Notice: {record.notice}")
    lines.append("- Retrieved:")
    for rank_number, passage in enumerate(record.retrieved, start=1):
        section = f" / {passage['section']}" if passage["section"] else ""
        holds = "  ← holds the evidence" if rank_number == record.evidence_rank else ""
        lines.append(
            f"  {rank_number}. {passage['source']}{section}: {_shorten(passage['text'], 60)}{holds}"
        )
    return [*lines, ""]


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def fmt(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return [fmt(header), fmt(["---"] * len(header)), *(fmt(row) for row in rows)]
